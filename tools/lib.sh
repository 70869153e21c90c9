# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the kvm-aia-rs scripts.  Sourced, not run.

: "${KVM_AIA_CACHE:=/var/cache/kvm-aia-rs}"
export KVM_AIA_CACHE

log() { printf '[kvm-aia] %s\n' "$*" >&2; }
die() { printf '[kvm-aia] error: %s\n' "$*" >&2; exit 1; }

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
