#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job "vmm": a real VMM on this kernel's KVM.  Debian's riscv64
# qemu-system-riscv64 (/vmm) boots an L2 Linux (the same Image) with
# -accel kvm,riscv-aia=MODE, which creates the in-kernel AIA device itself.
# Per mode and per L2 size (2 vCPUs, and two vCPUs per hart so that harts
# hand out more than one line each), the L2 guest must boot to its /init
# and power off, with its IPIs through the IMSIC and its UART interrupt
# through the in-kernel APLIC (MSI mode); on the module's kernel the lines
# are owned on the right harts while it runs and all free after.
#
# The sizes come from the machine: harts, and guest files per hart.
# HWACCEL gets at most as many vCPUs as one hart has guest files, so that
# any placement of the vCPU threads fits.  When the machine has few enough
# guest files (harts * files + 1 <= 8 L2 vCPUs, e.g. aia-guests=1), the job
# also overcommits them: AUTO must still boot (some vCPUs fall back to
# software files) and HWACCEL must stop with KVM_EXIT_FAIL_ENTRY, detected
# from QEMU's own report, not by a timeout.
. /kaia/vmmlib.sh

plan $(vmm_load_results)
vmm_load
vmm_machine
harts=$vmm_harts files=$vmm_files
# L2 sizes, bounded for time: at most 8 vCPUs (the L2 kernel's NR_CPUS,
# 128, is not the limit; larger L2 guests were not timed).
max_l2=8
# Seconds an L2 boot may take (kaia.vmm_tmo: shorter for mutation runs).
tmo=$(kparam kaia.vmm_tmo)
tmo=${tmo:-300}
per_hart=$((2 * harts))
[ $per_hart -le $max_l2 ] || per_hart=$max_l2
echo "# vmm: $harts harts, $files guest files per hart"

# The AIA modes to boot (kaia.vmm_modes, comma-separated; default all).
# EMUL uses no guest file, so a second machine that differs only in guest
# files (make check's vmm-g1) leaves it to the first.
modes=$(kparam kaia.vmm_modes | tr , ' ')
modes=${modes:-emul hwaccel auto}
for mode in $modes; do
	case $mode in emul | hwaccel | auto) ;; *) modes=bad ;; esac
done
# The runs, "name mode vcpus timeout expect", decided from the machine.
runs=$(
	for mode in $modes; do
		[ "$mode" = bad ] && echo "vmm_modes - 0 0 bad" && continue
		small=2 big=$per_hart
		if [ $mode = hwaccel ]; then
			# Any placement of the vCPU threads must fit one hart's files.
			[ $small -le "$files" ] || small=$files
			[ $big -le "$files" ] || big=$files
		fi
		[ "$small" -ge 1 ] && echo "vmm_${mode}_${small}vcpu $mode $small $tmo boot"
		# Two vCPUs per hart: each hart hands out lines 1 and 2.
		[ "$big" -gt "$small" ] && echo "vmm_${mode}_${big}vcpu $mode $big $tmo boot"
	done
	# More L2 vCPUs than guest files on all harts together.
	over=$((harts * files + 1))
	if [ "$files" -ge 1 ] && [ $over -le $max_l2 ]; then
		echo "vmm_auto_overcommit_${over}vcpu auto $over $tmo boot"
		echo "vmm_hwaccel_overcommit_${over}vcpu hwaccel $over 120 fail_entry"
	fi
)
plan $(echo "$runs" | awk '{ print $1 }')
echo "$runs" | while read -r name mode n tmo expect; do
	if [ "$expect" = bad ]; then
		result vmm_modes fail 0 "kaia.vmm_modes: not a list of emul, hwaccel, auto"
		continue
	fi
	vmm_run "$name" "$mode" "$n" "$tmo" "$expect"
done
exit 0
