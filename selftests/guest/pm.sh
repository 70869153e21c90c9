#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job "pm": CPU PM (non-retentive idle) with KVM's AIA.  The machine
# has a non-retentive SBI idle state for every hart (run-qemu.sh -I);
# pm_lossy.ko makes CPU_PM_ENTER lose the H-extension CSRs as hardware
# would, and aia_pm checks that a vCPU blocked in WFI across such idle
# periods is still woken by its MSI (KVM's kvm_riscv_aia_pm_enter()/_exit(),
# in aia.c on stock, in the module on rust).
. /kaia/lib.sh

aia_ko=/lib/modules/kvm_riscv_aia.ko
plan pm_kvm_load
[ -f $aia_ko ] && plan pm_aia_load
plan pm_lossy_load pm_idle_states aia_pm
[ -f $aia_ko ] && plan aia_pm_enters
plan pm_unload pm_clean

klog_mark
check pm_kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
if [ -f $aia_ko ]; then
	check pm_aia_load "insmod kvm_riscv_aia.ko" insmod /lib/modules/kvm_riscv_aia.ko
fi
check pm_lossy_load "insmod pm_lossy.ko" insmod /lib/modules/pm_lossy.ko

# Every hart has the state, and harts enter it.
pm_states() {
	for c in /sys/devices/system/cpu/cpu[0-9]*; do
		grep -l '^cpu-nonret$' "$c"/cpuidle/state*/name >/dev/null 2>&1 ||
			{ echo "${c##*/}: no cpu-nonret idle state"; return 1; }
	done
	for c in /sys/devices/system/cpu/cpu[0-9]*/cpuidle/state*; do
		[ "$(cat "$c/name")" = cpu-nonret ] && echo "${c%/cpuidle/*}: usage $(cat "$c/usage")"
	done
	sleep 1
	[ "$(cat /sys/module/pm_lossy/parameters/losses)" -gt 0 ] ||
		{ echo "no CPU_PM_ENTER seen by pm_lossy"; return 1; }
}
check pm_idle_states "every hart has and enters the cpu-nonret idle state" pm_states

run_test aia_pm 200 /kselftest/aia/aia_pm
grep -E '^(not )?ok |^# aia: ' /tmp/test.log | sed "s/^/# aia_pm: /"

if [ -f $aia_ko ]; then
	# The module's own hook ran on the harts that went idle.
	pm_hook() {
		n=0
		for f in /sys/kernel/debug/kvm_riscv_aia/cpu*/pm_enters; do
			echo "$f: $(cat "$f")"
			n=$((n + $(cat "$f")))
		done
		[ $n -gt 0 ]
	}
	check aia_pm_enters "the module's pm_enter ran (debugfs cpuN/pm_enters)" pm_hook
fi

klog_mark
check pm_unload "rmmod pm_lossy, the provider and kvm" \
	sh -c 'rmmod pm_lossy && { ! [ -d /sys/module/kvm_riscv_aia ] || rmmod kvm_riscv_aia; } && rmmod kvm'
bad=$(klog_bad)
check pm_clean "no kernel warning: $bad" test -z "$bad"
exit 0
