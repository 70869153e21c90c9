#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: build kvm_riscv_aia.ko against a built kernel
# flavour.  Objects go to /kaia/cache/module/FLAVOUR (MO=), never into the
# repository.  Extra make arguments are passed on (e.g. CLIPPY=1).
#
# usage: build-module.sh FLAVOUR [make args...]
. /kaia/src/tools/kenv.sh

flavour=$1
shift
case ${1:-} in
--negative | --pm)
	# Test helper modules, any flavour: the harness self-test
	# (selftests/negative) and the CPU PM state loss (selftests/pm).
	aux=${1#--}
	mo=$KAIA_CACHE/module/$aux-$flavour
	mkdir -p "$mo"
	kmake "$flavour" M=/kaia/src/selftests/$aux MO="$mo" modules
	exit 0
	;;
esac
flavour_provider "$flavour" ||
	{ echo "kvm_riscv_aia.ko needs a kernel with the KVM core series (rust, rust-debug, bench-rust), not $flavour" >&2; exit 1; }
[ -f "$(out_dir "$flavour")/.kaia-built" ] || { echo "kernel $flavour not built" >&2; exit 1; }
mo=$KAIA_CACHE/module/$flavour
# Kbuild trusts timestamps: sources restored to older contents (a checkout,
# tools/mutation-check.sh putting a mutated file back) look older than the
# objects built from the other contents, and the stale module would stay.
# Start over whenever the sources or the kernel differ from the last build.
key=$({
	cat "$(out_dir "$flavour")/.kaia-built"
	cd /kaia/src && find Kbuild Makefile rust glue include -type f | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-16)
if [ "$(cat "$mo/.kaia-key" 2>/dev/null)" != "$key" ]; then
	rm -rf "$mo"
fi
mkdir -p "$mo"
kmake "$flavour" M=/kaia/src MO="$mo" W=1 "$@" modules
echo "$key" >"$mo/.kaia-key"
ls -l "$mo/kvm_riscv_aia.ko" >&2
