# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the kvm-aia-rs scripts.  Sourced, not run.

: "${KVM_AIA_CACHE:=/var/cache/kvm-aia-rs}"
export KVM_AIA_CACHE
# The kernel series everything is built for: the newest patch release of it
# that Debian serves (tools/toolchain.floors).  The KVM core series for it is
# patches/<series>/.
: "${KAIA_KERNEL:=7.3}"
KAIA_DEFAULT_KERNEL=7.3
export KAIA_KERNEL

log() { printf '[kvm-aia] %s\n' "$*" >&2; }
die() { printf '[kvm-aia] error: %s\n' "$*" >&2; exit 1; }

# For make run and make bench: quiet_setup NAME provisions the toolchain
# root (KAIA_ROOT) and sends build output to the log $blog
# (logs/NAME-build.log), which quiet CMD... shows only when CMD fails.
quiet_setup() {
	mkdir -p "$KVM_AIA_CACHE/work/logs"
	blog=$KVM_AIA_CACHE/work/logs/$1-build.log
	: >"$blog"
	KAIA_ROOT=$(bash "$(dirname "${BASH_SOURCE[0]}")/provision-root.sh" 2>>"$blog" | tail -1)
	[ -f "$KAIA_ROOT/kvm-aia-versions.txt" ] || { tail -n 30 "$blog" >&2; die "no toolchain root"; }
	export KAIA_ROOT
	log "building what is missing (log: $blog)"
}
quiet() { "$@" >>"$blog" 2>&1 || { tail -n 30 "$blog" >&2; die "failed: $*"; }; }

# Mount /proc, /sys and /dev into a root (for apt and builds inside it).
mount_root_fs() {
	local r=$1
	mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"
	mountpoint -q "$r/sys" || mount --rbind /sys "$r/sys"
	mountpoint -q "$r/dev" || mount --rbind /dev "$r/dev"
}

# Unmount everything below a directory, deepest first.
umount_under() {
	local r
	r=$(realpath -m "$1")
	awk -v r="$r/" 'index($2 "/", r) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
