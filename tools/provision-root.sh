#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Create (or reuse) the Debian trixie + trixie-backports toolchain root that
# builds the RISC-V kernel, the Rust module and the selftests, and runs QEMU.
# Needs root (debootstrap + chroot).
#
# Versions are not pinned: tools/toolchain.floors states a floor per package
# and tools/resolve-versions.sh picks the newest version each suite serves
# today that meets it.  The root lives in $KVM_AIA_CACHE (default
# /var/cache/kvm-aia-rs) under root-<series>-<hash of the resolved versions>,
# so a new upload gives a new root and the stale one of that kernel series is
# removed.  A root is valid once its stamp file exists.
#
# With KAIA_ROOT set to a valid root, nothing is resolved: that root is used
# (make check and make run resolve once and export it for every step).
#
# Prints the path of the root on the last line of stdout.
# Exit status: 0, 1 on error, 3 when the kernel series is not served by the
# archive (any more): callers skip that series with the reason.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ -n "${KAIA_ROOT:-}" ] && [ -f "$KAIA_ROOT/kvm-aia-versions.txt" ]; then
	echo "$KAIA_ROOT"
	exit 0
fi

mirror=${KVM_AIA_MIRROR:-http://deb.debian.org/debian}
floors=$here/toolchain.floors
kernel=$KAIA_KERNEL
# Bump when the way the root is made changes (sources, base packages).
ROOT_FORMAT=2
base=$KVM_AIA_CACHE/base-$ROOT_FORMAT

[ "$(id -u)" = 0 ] || die "provisioning the toolchain root needs root (debootstrap, chroot)"

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap on the host"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
mkdir -p "$KVM_AIA_CACHE"

in_dir() { local d=$1; shift; chroot "$d" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

# 1. The base: debootstrapped trixie with our apt sources, no toolchain.
t0=$(date +%s)
if [ ! -f "$base/.kaia-base" ]; then
	rm -rf --one-file-system "$base" "$base.tmp"
	for old in "$KVM_AIA_CACHE"/base-* "$KVM_AIA_CACHE"/root-*; do
		[ -e "$old" ] || continue
		case $old in "$KVM_AIA_CACHE"/root-[0-9]*-*) continue ;; esac
		log "removing $old (old root format)"
		umount_under "$old"
		rm -rf --one-file-system "$old"
	done
	log "debootstrap trixie into $base"
	debootstrap --variant=minbase --include=ca-certificates,apt-utils \
		trixie "$base.tmp" "$mirror" >"$KVM_AIA_CACHE/debootstrap.log" 2>&1 ||
		{ tail -20 "$KVM_AIA_CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
	cat >"$base.tmp/etc/apt/sources.list" <<-EOF
	deb $mirror trixie main
	# The update suites are restricted to amd64: their riscv64 indexes were
	# seen mid-sync ("File has unexpected size"), and the only riscv64
	# packages we take come from trixie main.
	deb [arch=amd64] $mirror trixie-updates main
	deb [arch=amd64] $mirror trixie-backports main
	EOF
	cat >"$base.tmp/etc/apt/apt.conf.d/90kvm-aia" <<-'EOF'
	APT::Install-Recommends "false";
	APT::Install-Suggests "false";
	Acquire::Retries "5";
	EOF
	in_dir "$base.tmp" dpkg --add-architecture riscv64
	touch "$base.tmp/.kaia-base"
	mv "$base.tmp" "$base"
	log "base root made in $(( $(date +%s) - t0 )) s"
fi

# 2. What the archive serves today.
cp /etc/resolv.conf "$base/etc/resolv.conf" 2>/dev/null || true
current=$KVM_AIA_CACHE/root-$kernel.current
mount_root_fs "$base"
trap 'umount_under "$base"' EXIT
if ! in_dir "$base" apt-get update -qq >"$KVM_AIA_CACHE/apt-update.log" 2>&1; then
	tail -5 "$KVM_AIA_CACHE/apt-update.log" >&2
	prev=$(cat "$current" 2>/dev/null || true)
	if [ -n "$prev" ] && [ -f "$prev/kvm-aia-versions.txt" ]; then
		log "warning: the archive did not answer; reusing $prev as it is"
		echo "$prev"
		exit 0
	fi
	die "apt-get update failed and there is no root to fall back on"
fi
madison=$KVM_AIA_CACHE/madison-$kernel.txt
grep -v '^#' "$floors" | awk 'NF { print $1 }' | sed "s/@KERNEL@/$kernel/g" |
	while read -r p; do
		echo "## $p"
		in_dir "$base" apt-cache madison "$p" || true
	done >"$madison"
umount_under "$base"
trap - EXIT

if ! resolved=$(bash "$here/resolve-versions.sh" "$floors" "$madison" "$kernel"); then
	if ! grep -q "^## linux-source-$kernel\$" "$madison" ||
		! awk -v p="linux-source-$kernel" '/^## /{c=$2; next} c==p' "$madison" | grep Packages >/dev/null; then
		echo "the archive serves no linux-source-$kernel (KAIA_KERNEL=$kernel)" >&2
		exit 3
	fi
	die "the archive does not meet tools/toolchain.floors (above); raise or lower a floor there"
fi

key=$( (echo "$resolved"; echo "format $ROOT_FORMAT") | sha256sum | cut -c1-12)
root=$KVM_AIA_CACHE/root-$kernel-$key
stamp=$root/kvm-aia-versions.txt
if [ -f "$stamp" ]; then
	log "toolchain root: reusing $root"
	sed 's/^/  /' "$stamp" >&2
	echo "$root" >"$current"
	echo "$root"
	exit 0
fi

# 3. A new root for these versions; drop the stale ones of this series.
for old in "$KVM_AIA_CACHE"/root-"$kernel"-*; do
	[ -d "$old" ] || continue
	log "removing stale or incomplete root $old"
	umount_under "$old"
	rm -rf --one-file-system "$old"
done
log "new toolchain root $root for:"
echo "$resolved" | sed 's/^/  /' >&2
cp -a "$base" "$root.tmp"
rm -f "$root.tmp/.kaia-base"
mount_root_fs "$root.tmp"
trap 'umount_under "$root.tmp"' EXIT

pkgs=()
while read -r p v; do pkgs+=("$p=$v"); done <<<"$resolved"
# The resolved versions are installed explicitly; their own dependencies
# (libstd-rust-dev for rustc, ...) must come from the same upload.
cat >"$root.tmp/etc/apt/preferences.d/90kvm-aia" <<-EOF
Package: src:rustc
Pin: version $(awk '$1 == "rustc" { print $2 }' <<<"$resolved")
Pin-Priority: 990
EOF
# Build essentials for the kernel, host tools and module builds.
essentials=(make bc bison flex libelf-dev libssl-dev python3 cpio xz-utils zstd kmod
	perl rsync patch file git gcc libc6-dev ccache findutils procps
	diffutils gawk util-linux e2fsprogs)
log "installing ${#pkgs[@]} resolved packages + ${#essentials[@]} build essentials"
in_dir "$root.tmp" apt-get install -y -qq "${pkgs[@]}" "${essentials[@]}" \
	>"$KVM_AIA_CACHE/apt.log" 2>&1 ||
	{ tail -30 "$KVM_AIA_CACHE/apt.log" >&2; die "apt-get install failed"; }
in_dir "$root.tmp" apt-get clean

# Record what is really installed.
{
	echo "root: $root (kernel series $kernel)"
	for p in "${pkgs[@]}"; do
		n=${p%%=*}
		echo "$n $(in_dir "$root.tmp" dpkg-query -W -f='${Version}' "$n")"
	done
	echo "rustc: $(in_dir "$root.tmp" rustc --version)"
	echo "bindgen: $(in_dir "$root.tmp" bindgen --version 2>&1 | head -1)"
	echo "clang: $(in_dir "$root.tmp" clang-19 --version | head -1)"
	echo "qemu: $(in_dir "$root.tmp" qemu-system-riscv64 --version | head -1)"
} >"$root.tmp/kvm-aia-versions.txt"
umount_under "$root.tmp"
trap - EXIT
mv "$root.tmp" "$root"
echo "$root" >"$current"
log "toolchain root ready in $(( $(date +%s) - t0 )) s"
sed 's/^/  /' "$stamp" >&2
echo "$root"
