#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: assemble the guest initramfs for a flavour:
# busybox (riscv64, static), the guest scripts from selftests/guest/, the
# flavour's kvm.ko, kvm_riscv_aia.ko when built for it, and the KVM selftest
# binaries.  Cheap; always rebuilt.
#
# usage: mkinitramfs.sh FLAVOUR [JOB [NAME]]  -> prints the path of the cpio
# archive, in initramfs/NAME (the run's name; default FLAVOUR)
# Jobs that run the real VMM (check, vmm, show) also get /vmm: Debian's
# riscv64 QEMU (tools/inner/build-vmm.sh), the flavour's Image and the L2
# initramfs.
. /kaia/src/tools/kenv.sh

flavour=$1 job=${2:-} name=${3:-$1}
out=$(out_dir "$flavour")
st=$(selftests_dir)/bin
dir=$KAIA_CACHE/initramfs/$name
rm -rf "$dir"
mkdir -p "$dir"/root/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,lib/modules,kselftest,kaia}
r=$dir/root

cp /usr/bin/busybox "$r/bin/busybox"
file "$r/bin/busybox" | grep -q 'RISC-V' || { echo "busybox is not riscv64" >&2; exit 1; }
# Applets used by the guest scripts (busybox cannot be run here to --install).
for a in sh ash cat echo printf ls mkdir rm mv cp ln mount umount grep egrep sed awk \
	head tail cut tr wc sort uniq seq sleep date timeout kill ps dmesg \
	insmod rmmod lsmod modprobe poweroff reboot halt sync uname env true false \
	test [ expr basename dirname tee xargs find stat od hexdump taskset nproc \
	chmod touch readlink id hostname mountpoint; do
	ln -sf /bin/busybox "$r/bin/$a"
done

cp /kaia/src/selftests/guest/init "$r/init"
cp /kaia/src/selftests/guest/*.sh /kaia/src/selftests/guest/bad-patterns "$r/kaia/"
cp /kaia/src/selftests/kvm-selftests.list /kaia/src/selftests/allowed-skips "$r/kaia/"
chmod +x "$r/init" "$r"/kaia/*.sh

cp "$out/arch/riscv/kvm/kvm.ko" "$r/lib/modules/"
if flavour_provider "$flavour" && [ -f "$KAIA_CACHE/module/$flavour/kvm_riscv_aia.ko" ]; then
	cp "$KAIA_CACHE/module/$flavour/kvm_riscv_aia.ko" "$r/lib/modules/"
fi
for m in negative/warn_on_load pm/pm_lossy; do
	f=$KAIA_CACHE/module/${m%/*}-$flavour/${m#*/}.ko
	[ -f "$f" ] && cp "$f" "$r/lib/modules/"
done
echo "$flavour" >"$r/kaia/flavour"

if [ -d "$st" ]; then
	cp "$st"/* "$r/kselftest/"
fi
[ -d "$KAIA_CACHE/selftests/aia/bin" ] && cp -r "$KAIA_CACHE/selftests/aia/bin" "$r/kselftest/aia"
mkdir -p "$r/kaia/bin"
cp "$(selftest_tools_dir)"/* "$r/kaia/bin/" 2>/dev/null || true

case $job in
check | vmm | show)
	# Up to date (keyed by its packages, its script and the L2 /init), or
	# rebuilt now.
	bash /kaia/src/tools/inner/build-vmm.sh >&2 || { echo "cannot build the VMM" >&2; exit 1; }
	vmm=$KAIA_CACHE/vmm/current
	mkdir -p "$r/vmm"
	cp -a "$vmm/root/." "$r/vmm/"
	cp "$vmm/l2-initrd.cpio" "$r/vmm/"
	cp "$out/arch/riscv/boot/Image" "$r/vmm/Image"
	# The dynamic loader where the binary looks for it.
	mkdir -p "$r/lib"
	ln -sf /vmm/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1 \
		"$r/lib/ld-linux-riscv64-lp64d.so.1"
	;;
esac

(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$dir/initramfs.cpio"
rm -rf "$r"
echo "[kvm-aia] initramfs $name: $(du -h "$dir/initramfs.cpio" | cut -f1)" >&2
echo "$dir/initramfs.cpio"
