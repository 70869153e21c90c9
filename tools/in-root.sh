#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command inside the toolchain root, in a private mount namespace
# (nothing leaks to the host's mount table when it ends):
#   /kaia/src   - this repository
#   /kaia/cache - $KVM_AIA_CACHE/work (kernel trees, builds, images)
# The working directory is kept when it lies under the repository or the
# cache, otherwise it is /kaia/src.
#
# usage: tools/in-root.sh CMD [ARGS...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
repo=$(cd "$here/.." && pwd)

# The root make check / make run resolved (KAIA_ROOT), else the last one
# resolved for this kernel series, else resolve now.
root=${KAIA_ROOT:-$(cat "$KVM_AIA_CACHE/root-$KAIA_KERNEL.current" 2>/dev/null || true)}
if [ ! -f "$root/kvm-aia-versions.txt" ]; then
	root=$(bash "$here/provision-root.sh" | tail -1)
fi
[ -d "$root" ] || die "no toolchain root"
mkdir -p "$KVM_AIA_CACHE/work"

cwd=$(pwd)
case "$cwd/" in
"$repo"/*) inner=/kaia/src${cwd#"$repo"} ;;
"$KVM_AIA_CACHE/work"/*) inner=/kaia/cache${cwd#"$KVM_AIA_CACHE/work"} ;;
*) inner=/kaia/src ;;
esac

exec unshare -m --propagation private bash -c '
	set -e
	root=$1 repo=$2 cache=$3 inner=$4 cabundle=$5; shift 5
	mkdir -p "$root/kaia/src" "$root/kaia/cache"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mount --rbind /dev "$root/dev"
	mount -t tmpfs tmpfs "$root/tmp"
	mount --bind "$repo" "$root/kaia/src"
	mount --bind "$cache" "$root/kaia/cache"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# Trust what the host trusts (e.g. a TLS-intercepting egress proxy in
	# front of crates.io): cargo in the root uses this bundle.
	if [ -f "$cabundle" ] && [ -f "$root/etc/ssl/certs/ca-certificates.crt" ]; then
		mount --bind "$cabundle" "$root/etc/ssl/certs/ca-certificates.crt"
	fi
	exec chroot "$root" env -i \
		PATH=/usr/lib/llvm-19/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
		KAIA_KERNEL="$KAIA_KERNEL" \
		KAIA_TCG="${KAIA_TCG:-}" KAIA_TB="${KAIA_TB:-}" KAIA_FATAL_GRACE="${KAIA_FATAL_GRACE:-}" \
		CARGO_HOME=/kaia/cache/cargo-home \
		CARGO_TARGET_DIR=/kaia/cache/cargo-target \
		bash -c "cd \"\$0\" && exec \"\$@\"" "$inner" "$@"
' kaia-in-root "$root" "$repo" "$KVM_AIA_CACHE/work" "$inner" \
	"$(realpath "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" 2>/dev/null)" "$@"
