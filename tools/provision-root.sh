#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Create (or reuse) the pinned Debian trixie + trixie-backports toolchain root
# that builds the RISC-V kernel, the Rust module and the selftests, and runs
# QEMU.  Needs root (debootstrap + chroot).
#
# The root lives outside the repository, in $KVM_AIA_CACHE (default
# /var/cache/kvm-aia-rs), under a directory keyed by the hash of
# tools/toolchain.pins and this script.  A root is valid once its stamp file
# exists; an interrupted provisioning is thrown away and redone.
#
# Prints the path of the root on the last line of stdout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

mirror=${KVM_AIA_MIRROR:-http://deb.debian.org/debian}
pins=$here/toolchain.pins
# Bump when the way the root is made changes (sources, base packages).
ROOT_FORMAT=1
key=$( (cat "$pins"; echo "format $ROOT_FORMAT") | sha256sum | cut -c1-16)
root=$KVM_AIA_CACHE/root-$key
stamp=$root/kvm-aia-versions.txt

if [ -f "$stamp" ]; then
	log "toolchain root: reusing $root"
	sed 's/^/  /' "$stamp" >&2
	echo "$root"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "provisioning the toolchain root needs root (debootstrap, chroot)"

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap on the host"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

mkdir -p "$KVM_AIA_CACHE"
# Drop stale roots (other keys) and half-made debootstraps.  A root of our key
# whose debootstrap finished (it is renamed from .tmp only then) is resumed.
for old in "$KVM_AIA_CACHE"/root-*; do
	[ -e "$old" ] || continue
	[ "$old" = "$root" ] && continue
	log "removing stale or incomplete root $old"
	umount_under "$old"
	rm -rf --one-file-system "$old"
done

t0=$(date +%s)
if [ ! -d "$root" ]; then
	log "debootstrap trixie into $root"
	debootstrap --variant=minbase --include=ca-certificates,apt-utils \
		trixie "$root.tmp" "$mirror" >"$KVM_AIA_CACHE/debootstrap.log" 2>&1 ||
		{ tail -20 "$KVM_AIA_CACHE/debootstrap.log" >&2; die "debootstrap failed"; }
	mv "$root.tmp" "$root"
else
	log "resuming provisioning of $root"
fi

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror trixie main
# The update suites are restricted to amd64: their riscv64 indexes were seen
# mid-sync ("File has unexpected size"), and the only riscv64 packages we take
# (busybox-static, kexec-tools) come from trixie main.
deb [arch=amd64] $mirror trixie-updates main
deb [arch=amd64] $mirror trixie-backports main
EOF
cat >"$root/etc/apt/apt.conf.d/90kvm-aia" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "5";
EOF
# The Rust toolchain comes whole from backports (rustc needs its own
# libstd-rust-dev etc.); everything else from trixie unless pinned.
cat >"$root/etc/apt/preferences.d/90kvm-aia" <<'EOF'
Package: src:rustc
Pin: release n=trixie-backports
Pin-Priority: 990
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

mount_root_fs "$root"
trap 'umount_under "$root"' EXIT

in_root dpkg --add-architecture riscv64
in_root apt-get update -qq

# Resolve each pin to one concrete version from its suite.
pkgs=()
while read -r pkg ver suite; do
	case "$pkg" in ''|'#'*) continue ;; esac
	name=${pkg%%:*}
	avail=$(in_root apt-cache madison "$pkg" | awk -F'|' -v s="$suite" '
		{ gsub(/ /, "", $2); if (index($3, s "/") || index($3, " " s " ")) print $2 }')
	pick=
	for v in $avail; do
		# shellcheck disable=SC2053
		if [[ $v == $ver ]]; then pick=$v; break; fi
	done
	[ -n "$pick" ] || die "pin '$pkg $ver $suite' not served by $mirror (have: $(echo $avail))"
	pkgs+=("$pkg=$pick")
	: "$name"
done <"$pins"

# Build essentials for the kernel, host tools and module builds.
base=(make bc bison flex libelf-dev libssl-dev python3 cpio xz-utils zstd kmod
	perl rsync patch file git gcc libc6-dev ccache findutils procps
	diffutils gawk util-linux e2fsprogs)

log "installing ${#pkgs[@]} pinned packages + ${#base[@]} build essentials"
in_root apt-get install -y -qq "${pkgs[@]}" "${base[@]}" >"$KVM_AIA_CACHE/apt.log" 2>&1 ||
	{ tail -30 "$KVM_AIA_CACHE/apt.log" >&2; die "apt-get install failed"; }
in_root apt-get clean

# Record what is really installed.
{
	echo "root: $root (key $key)"
	for p in "${pkgs[@]}"; do
		n=${p%%=*}
		echo "$n $(in_root dpkg-query -W -f='${Version}' "$n")"
	done
	echo "rustc: $(in_root rustc --version)"
	echo "bindgen: $(in_root bindgen --version 2>&1 | head -1)"
	echo "clang: $(in_root clang-19 --version | head -1)"
	echo "qemu: $(in_root qemu-system-riscv64 --version | head -1)"
} >"$stamp.tmp"
mv "$stamp.tmp" "$stamp"
log "toolchain root ready in $(( $(date +%s) - t0 )) s"
sed 's/^/  /' "$stamp" >&2
echo "$root"
