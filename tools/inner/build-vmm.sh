#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: the real VMM for the guest, Debian's riscv64
# qemu-system-riscv64 with the libraries it needs, unpacked from the
# archive's riscv64 packages (dpkg-deb -x, nothing installed), plus the L2
# guest's initramfs (busybox, /init prints a marker and powers off).
# Cached by the exact package versions.
#
# Output: /kaia/cache/vmm/current -> vmm-<key>/ with root/ (to copy into the
# L1 initramfs as /vmm) and l2-initrd.cpio.
. /kaia/src/tools/kenv.sh

top=qemu-system-riscv:riscv64
# The dependency closure for riscv64 (no recommends), real packages only.
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests \
	--no-conflicts --no-breaks --no-replaces --no-enhances "$top" |
	sed -n 's/^\([a-z0-9][^ <>]*:riscv64\)$/\1/p; s/^\([a-z0-9][^ <>:]*\)$/\1:riscv64/p' |
	LC_ALL=C sort -u)
[ ${#pkgs[@]} -gt 10 ] || { echo "cannot resolve the dependencies of $top" >&2; exit 1; }
# Packages that are of no use to a VMM in a busybox initramfs.
skip='^(debconf|perl-base|dpkg|tar|gcc-.*-base|libgcc-s1-dbg|adduser|passwd|login|coreutils|util-linux|ipxe-qemu|qemu-efi-.*|opensbi|u-boot-qemu|seabios)(:riscv64)?$'
want=()
for p in "${pkgs[@]}"; do
	[[ $p =~ $skip ]] && continue
	v=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
	[ -n "$v" ] && [ "$v" != "(none)" ] || continue
	want+=("$p=$v")
done
key=$({ printf '%s\n' "${want[@]}"; cat "$0" /kaia/src/selftests/guest/l2-init; } |
	sha256sum | cut -c1-12)
dst=$KAIA_CACHE/vmm/vmm-$key
if [ -f "$dst/.kaia-built" ]; then
	ln -sfn "vmm-$key" "$KAIA_CACHE/vmm/current"
	echo "[kvm-aia] VMM cached in $dst" >&2
	exit 0
fi

t0=$(date +%s)
rm -rf "$KAIA_CACHE"/vmm/vmm-* "$dst.tmp"
mkdir -p "$dst.tmp/debs" "$dst.tmp/root"
(cd "$dst.tmp/debs" && apt-get download -q "${want[@]}" >/dev/null) ||
	{ echo "apt-get download failed" >&2; exit 1; }
for d in "$dst.tmp"/debs/*.deb; do dpkg-deb -x "$d" "$dst.tmp/root"; done
r=$dst.tmp/root
# Only the binary and the shared objects are kept (no docs, firmware, BIOS
# images: the L2 guest is booted with -bios none -kernel).
rm -rf "$r"/usr/share/{doc,man,locale,info,lintian,bug} "$r"/usr/share/qemu \
	"$r"/usr/lib/riscv64-linux-gnu/qemu "$r"/usr/lib/riscv64-linux-gnu/gconv "$r"/etc
[ -x "$r/usr/bin/qemu-system-riscv64" ] || { echo "no qemu-system-riscv64 in the packages" >&2; exit 1; }
find "$r" -name '*.so*' -type f -exec riscv64-linux-gnu-strip --strip-unneeded {} + 2>/dev/null || true
riscv64-linux-gnu-strip "$r/usr/bin/qemu-system-riscv64"
find "$r/usr/bin" -type f ! -name qemu-system-riscv64 -delete
printf '%s\n' "${want[@]}" >"$dst.tmp/packages.txt"

# The L2 guest's initramfs.
l2=$dst.tmp/l2
mkdir -p "$l2"/{bin,proc,sys,dev}
cp /usr/bin/busybox "$l2/bin/busybox"
for a in sh cat echo mount poweroff grep sed dmesg sleep head; do ln -s busybox "$l2/bin/$a"; done
cp /kaia/src/selftests/guest/l2-init "$l2/init"
chmod +x "$l2/init"
(cd "$l2" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$dst.tmp/l2-initrd.cpio"
rm -rf "$dst.tmp/debs" "$l2"
touch "$dst.tmp/.kaia-built"
mv "$dst.tmp" "$dst"
ln -sfn "vmm-$key" "$KAIA_CACHE/vmm/current"
echo "[kvm-aia] VMM: ${#want[@]} riscv64 packages, $(du -sh "$dst/root" | cut -f1) unpacked, in $(( $(date +%s) - t0 )) s" >&2
