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
if [ "${1:-}" = --negative ]; then
	# The harness self-test module (selftests/negative), any flavour.
	mo=$KAIA_CACHE/module/negative-$flavour
	mkdir -p "$mo"
	kmake "$flavour" M=/kaia/src/selftests/negative MO="$mo" modules
	exit 0
fi
flavour_patched "$flavour" ||
	{ echo "kvm_riscv_aia.ko needs a patched kernel (rust, rust-debug), not $flavour" >&2; exit 1; }
[ -f "$(out_dir "$flavour")/.kaia-built" ] || { echo "kernel $flavour not built" >&2; exit 1; }
mo=$KAIA_CACHE/module/$flavour
mkdir -p "$mo"
kmake "$flavour" M=/kaia/src MO="$mo" W=1 "$@" modules
ls -l "$mo/kvm_riscv_aia.ko" >&2
