#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make run": load KVM (and the AIA provider when present), show AIA state.
. /kaia/lib.sh
echo "== loading KVM ($(cat /kaia/flavour) kernel)"
insmod /lib/modules/kvm.ko
[ -f /lib/modules/kvm_riscv_aia.ko ] && insmod /lib/modules/kvm_riscv_aia.ko
echo "== kernel log (kvm)"
dmesg | grep -iE 'kvm|aia|imsic' | sed 's/^/  /'
echo "== per-hart guest external interrupt lines"
if [ -d /sys/kernel/debug/kvm_riscv_aia ]; then
	for f in /sys/kernel/debug/kvm_riscv_aia/*; do
		echo "-- $f"; cat "$f" 2>/dev/null | sed 's/^/  /'
	done
else
	echo "  (no kvm_riscv_aia debugfs: stock aia.c keeps per-hart state private)"
fi
echo "== SGEI interrupt (riscv-kvm) in /proc/interrupts"
grep -E 'CPU|riscv-kvm' /proc/interrupts | sed 's/^/  /'
echo "== modules"
lsmod | sed 's/^/  /'
grep -q riscv-kvm /proc/interrupts
