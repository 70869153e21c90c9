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
d=/sys/kernel/debug/kvm_riscv_aia
if [ -d $d ]; then
	echo "  global: nr_hgei (minimum across harts) $(cat $d/nr_hgei), max_ids $(cat $d/max_ids)"
	for c in $d/cpu*; do
		echo "  $(basename "$c"): nr_hgei $(cat "$c/nr_hgei"), free_lines $(cat "$c/free_lines")," \
			"sgei_count $(cat "$c/sgei_count"), bad_frees $(cat "$c/bad_frees")"
		cat "$c/owners" | sed 's/^/    owner: line /'
	done
else
	echo "  (no kvm_riscv_aia debugfs: stock aia.c keeps per-hart state private)"
fi
echo "== SGEI interrupt (riscv-kvm) in /proc/interrupts"
grep -E 'CPU|riscv-kvm' /proc/interrupts | sed 's/^/  /'
echo "== modules"
lsmod | sed 's/^/  /'
grep -q riscv-kvm /proc/interrupts
