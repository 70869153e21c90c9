# SPDX-License-Identifier: GPL-2.0
# Environment for builds inside the toolchain root (see tools/in-root.sh).
# Sourced by the tools/inner/*.sh scripts; also usable by hand:
#   tools/in-root.sh bash -c '. tools/kenv.sh; kmake stock menuconfig'

set -euo pipefail

KAIA_SRC=/kaia/src
KAIA_CACHE=/kaia/cache
JOBS=${JOBS:-$(nproc)}

# The Rust standard library sources shipped by rust-src (rustc-<ver>/library).
RUST_LIB_SRC=$(ls -d /usr/src/rustc-*/library 2>/dev/null | sort -V | tail -1)
# The kernel series (KAIA_KERNEL, passed in by tools/in-root.sh): the root
# has the newest linux-source-<series> Debian serves.
KAIA_KERNEL=${KAIA_KERNEL:?KAIA_KERNEL is not set (run through tools/in-root.sh)}
LINUX_VERSION=$(dpkg-query -W -f='${Version}' "linux-source-$KAIA_KERNEL")
LINUX_TARBALL=$(ls /usr/src/linux-source-"$KAIA_KERNEL".tar.* | head -1)
# The KVM core series for this kernel series.
PATCH_DIR=$KAIA_SRC/patches/$KAIA_KERNEL

# A flavour is a set of config fragments plus patches: the "rust" flavours
# have the KVM core series from patches/<series>/ (and are the ones that
# load kvm_riscv_aia.ko); the "bench" flavours are stock and rust plus the
# bench-only patches of patches/<series>-bench/ (make bench); the
# "bench-*-scale" flavours are the bench ones with configs/scale.config on
# top (NR_CPUS=512, the most harts QEMU's virt machine takes) and the
# fixes of patches/<series>-scale/.
flavour_fragments() {
	case $1 in
	stock | rust | bench-stock | bench-rust) echo "$KAIA_SRC/configs/qemu-aia.config" ;;
	bench-stock-scale | bench-rust-scale) echo "$KAIA_SRC/configs/qemu-aia.config $KAIA_SRC/configs/scale.config" ;;
	debug | rust-debug) echo "$KAIA_SRC/configs/qemu-aia.config $KAIA_SRC/configs/debug.config" ;;
	*) echo "unknown flavour $1" >&2; return 1 ;;
	esac
}

flavour_patched() {
	case $1 in rust | rust-debug | bench-stock | bench-rust | bench-*-scale) return 0 ;; *) return 1 ;; esac
}

# Flavours whose kvm.ko takes the AIA provider module.
flavour_provider() {
	case $1 in rust | rust-debug | bench-rust | bench-rust-scale) return 0 ;; *) return 1 ;; esac
}

# The KVM core series in order, without the cover letter (not a patch).
patch_series() {
	[ -d "$PATCH_DIR" ] || { echo "no KVM core series for Linux $KAIA_KERNEL in patches/" >&2; return 1; }
	ls "$PATCH_DIR"/*.patch 2>/dev/null | grep -v '/0000-cover-letter\.patch$' | sort
}

# Everything a flavour's tree has applied, in order.
flavour_series() {
	if flavour_provider "$1"; then patch_series || return 1; fi
	case $1 in bench-*)
		[ -d "$PATCH_DIR-bench" ] || { echo "no bench patches for Linux $KAIA_KERNEL in patches/" >&2; return 1; }
		ls "$PATCH_DIR-bench"/*.patch | sort
		;;
	esac
	# Kernel fixes the runs on the most harts need, each its own upstream
	# patch (patches/<series>-scale/).
	case $1 in bench-*-scale)
		[ -d "$PATCH_DIR-scale" ] || { echo "no scale patches for Linux $KAIA_KERNEL in patches/" >&2; return 1; }
		ls "$PATCH_DIR-scale"/*.patch | sort
		;;
	esac
}

# Hash of everything that changes a kernel tree's source.
source_key() {
	local flavour=$1
	{
		echo "linux $LINUX_VERSION"
		if flavour_patched "$flavour"; then
			# Only the diffs count: rewording a commit message must not
			# rebuild kernels.
			for p in $(flavour_series "$flavour"); do sed -n '/^diff --git /,$p' "$p" | sha256sum; done
		fi
	} | sha256sum | cut -c1-12
}

# Hash of everything that changes a build's output.
build_key() {
	local flavour=$1 f
	{
		echo "flavour $flavour src $(source_key "$flavour")"
		for f in $(flavour_fragments "$flavour"); do sha256sum <"$f"; done
		rustc --version; clang --version | head -1; bindgen --version
	} | sha256sum | cut -c1-12
}

src_dir() {
	if flavour_patched "$1"; then
		echo "$KAIA_CACHE/src/linux-$LINUX_VERSION-aia-$(source_key "$1")"
	else
		echo "$KAIA_CACHE/src/linux-$LINUX_VERSION"
	fi
}

out_dir() { echo "$KAIA_CACHE/build/$1-$(build_key "$1")"; }

# Every flavour is built through the same two paths, /kaia/linux (source) and
# /kaia/out (objects), bind-mounted per run (in-root.sh gives each run its own
# mount namespace).  Kbuild records absolute paths in its .cmd files, so with
# fixed paths a copy of one flavour's build seeds another's and only what the
# patches touch is rebuilt.
bind_flavour() {
	local flavour=$1 src out
	src=$(src_dir "$flavour")
	out=$(out_dir "$flavour")
	mkdir -p /kaia/linux /kaia/out "$out"
	if [ "$(cat /tmp/.kaia-bound 2>/dev/null)" != "$flavour" ]; then
		mountpoint -q /kaia/linux && umount /kaia/linux
		mountpoint -q /kaia/out && umount /kaia/out
		mount --bind "$src" /kaia/linux
		mount --bind "$out" /kaia/out
		echo "$flavour" >/tmp/.kaia-bound
	fi
}

# make in a flavour's kernel tree: kmake FLAVOUR [targets...]
kmake() {
	local flavour=$1
	shift
	bind_flavour "$flavour"
	make -C /kaia/linux O=/kaia/out ARCH=riscv LLVM=1 \
		RUST_LIB_SRC="$RUST_LIB_SRC" -j"$JOBS" "$@"
}

# The kernel tree's KVM selftests, with our fixes to them
# (patches/<series>-selftests/, applied to a hard-linked copy of the stock
# tree; patch(1) replaces the files it changes, so the stock tree stays as
# it is): the tree they build from, and where they are built, keyed by the
# fixes.
selftests_key() {
	{
		echo "linux $LINUX_VERSION"
		for p in "$PATCH_DIR-selftests"/*.patch; do
			[ -e "$p" ] && sed -n '/^diff --git /,$p' "$p" | sha256sum
		done
	} | sha256sum | cut -c1-12
}
selftests_src() { echo "$KAIA_CACHE/src/selftests-$LINUX_VERSION-$(selftests_key)"; }
selftests_dir() { echo "$KAIA_CACHE/selftests/linux-$LINUX_VERSION-$(selftests_key)"; }

# Our small guest test tools (selftests/tools/*.c), keyed by their sources.
selftest_tools_dir() {
	echo "$KAIA_CACHE/selftests/tools-$(cat "$KAIA_SRC"/selftests/tools/*.c | sha256sum | cut -c1-12)"
}
