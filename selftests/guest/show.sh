#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make run": load KVM (and the AIA provider when present), then run a real
# guest on it (QEMU -accel kvm,riscv-aia=auto inside this machine, two vCPUs
# per hart) and show, before, while it runs and after: each hart's guest
# external interrupt lines, which vCPU of which VM owns which line, and the
# SGEIs taken.  AUTO is KVM's default mode when the host has guest files:
# each vCPU takes a guest file of its hart when one is free and falls back
# to a software file otherwise, so it runs on any AIA machine.
#
# Display lines go through the kernel log as "KAIA-SHOW ..." (tools/run.sh
# prints only those).
say() { echo "KAIA-SHOW $*" >/dev/kmsg; }

. /kaia/vmmlib.sh
plan $(vmm_load_results) show_guest
vmm_load >/dev/null
vmm_machine
flavour=$(cat /kaia/flavour)

say "$flavour kernel $(uname -r), $vmm_harts harts, QEMU virt with aia=aplic-imsic"
dmesg | grep -m1 'AIA available' | sed 's/^\[[ 0-9.]*\] //' | while read -r l; do say "$l"; done
[ -d "$dbg" ] && say "provider: kvm_riscv_aia.ko (debugfs $dbg)" ||
	say "provider: aia.c in kvm.ko (no per-hart debugfs; SGEIs from /proc/interrupts)"

# SGEIs per hart from /proc/interrupts ("riscv-kvm").
sgei() {
	grep riscv-kvm /proc/interrupts | awk -v c="$1" '{ print $(c + 2) }'
}

# table PHASE: one row per hart.
table() {
	say ""
	say "== $1"
	if [ -d "$dbg" ]; then
		say "$(printf '%-5s %5s %5s %6s  %s' hart lines free SGEIs 'owners (line: VM vCPU)')"
		for c in $(seq 0 $((vmm_harts - 1))); do
			# One read of cpuN/state: its counts and owners come from
			# one hold of the hart's lock, so they agree.
			st=$(cat "$dbg/cpu$c/state")
			set -- $(echo "$st" | head -n 1)
			lines=$1 free=$2 sgeis=$3
			own=$(echo "$st" | tail -n +2 |
				awk '{ printf "%s%s: %s vcpu%s", sep, $1, $2, $3; sep = ", " }')
			say "$(printf '%-5s %5s %5s %6s  %s' "$c" "$lines" "$free" "$sgeis" "${own:--}")"
		done
	else
		say "$(printf '%-5s %6s' hart SGEIs)"
		for c in $(seq 0 $((vmm_harts - 1))); do
			say "$(printf '%-5s %6s' "$c" "$(sgei "$c")")"
		done
	fi
}

vmm_running() {
	table "while the guest runs ($n vCPUs, riscv-aia=auto)"
}

table "before the guest"
n=$((2 * vmm_harts))
[ $n -le 8 ] || n=8
vmm_run show_guest auto $n 300
table "after the guest exited"
grep -q 'L2-DONE' /tmp/l2.log && say "guest: $(grep -o 'L2-BOOT.*' /tmp/l2.log | head -1 | sed 's/L2-BOOT //'), booted and powered off"
exit 0
