#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job for the debug kernels (KASAN, lockdep, kmemleak): load/unload
# kvm_riscv_aia.ko kaia.cycles times (default 10) with a VM each time,
# run VMs through it, then ask kmemleak.  Any kernel report fails.
#
# kaia.part splits the job in two so that make check can run the halves
# on two cores: "lifecycle" (refused unload/load, the unload/load race, the
# cycles), "selftests" (VMs: KVM and AIA selftests), or "all" (default).
# Each half checks kmemleak and the kernel log itself, and ends with a VM
# owning guest files left running for the power-off.
. /kaia/lib.sh
. /kaia/lifecycle.sh
guests=$(kparam kaia.guests)
cycles=$(kparam kaia.cycles)
cycles=${cycles:-10}
part=$(kparam kaia.part)
part=${part:-all}
case $part in all | lifecycle | selftests) ;; *) part=bad ;; esac
lifecycle=0 selftests=0
case $part in all | lifecycle) lifecycle=1 ;; esac
case $part in all | selftests) selftests=1 ;; esac

# The AIA selftests too, under KASAN, lockdep and kmemleak.  aia_migration
# does 60 rounds here instead of 300 (about 130 hart swaps under MSIs per
# mode instead of 650: 190 s under KASAN, 2026-12-02); the check job runs
# the full 300 on every kernel.
export AIA_MIGRATION_ROUNDS=60
aia_tests="aia_attrs aia_delivery aia_one_reg aia_exhaustion aia_wakeup aia_migration aia_hotplug aia_ipi"

plan stress_part kvm_load aia_module_load aia_kunit aia_debugfs aia_layout
[ $lifecycle = 1 ] && plan aia_unload_busy aia_insmod_busy aia_race "aia_cycles_$cycles"
[ $selftests = 1 ] && plan kvm_create_max_vcpus guest_print_test $aia_tests aia_debugfs_after
plan aia_module_unload kvm_unload kmemleak_active kmemleak stress_clean poweroff_held
klog_mark
check stress_part "kaia.part is all, lifecycle or selftests ($part)" test $part != bad
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
check aia_module_load "insmod kvm_riscv_aia.ko" insmod /lib/modules/kvm_riscv_aia.ko
check aia_kunit "KUnit suite kvm_riscv_aia passed" aia_kunit_check
check aia_debugfs "debugfs shows $guests free lines on every hart" aia_debugfs_check
check aia_layout "debugfs layout: geometry, every CPU with $guests lines" aia_layout_check
if [ $lifecycle = 1 ]; then
	check aia_unload_busy "rmmod refused while a VM exists, works after" aia_unload_busy_check
	check aia_insmod_busy "insmod refused (EBUSY) while a VM exists, works after" aia_insmod_busy_check
	check aia_race "unload/load racing VM and AIA device creation for 20 s" aia_race_check 20
	sed 's/^/# aia_race: /' /tmp/check.log | tail -n 2
	t0=$(date +%s)
	check aia_cycles_$cycles "$cycles unload/load cycles with a VM each" aia_cycles_check "$cycles"
	echo "# $cycles cycles in $(( $(date +%s) - t0 )) s"
fi
if [ $selftests = 1 ]; then
	run_test kvm_create_max_vcpus 300 /kselftest/kvm_create_max_vcpus
	run_test guest_print_test 300 /kselftest/guest_print_test
	for name in $aia_tests; do
		KAIA_XFAIL=
		run_test "$name" 600 "/kselftest/aia/$name"
		grep -E '^(not )?ok |^# aia: ' /tmp/test.log | sed "s/^/# $name: /"
	done
	check aia_debugfs_after "all lines free after the VMs exited" aia_debugfs_check
fi
check aia_module_unload "rmmod kvm_riscv_aia" rmmod kvm_riscv_aia
check kvm_unload "rmmod kvm" rmmod kvm
check kmemleak_active "kmemleak is active on this debug kernel" test -e /sys/kernel/debug/kmemleak
check kmemleak "no leak reported by kmemleak" kmemleak_check
bad=$(klog_bad)
check stress_clean "no kernel report (KASAN, lockdep, WARN): $bad" test -z "$bad"
# Power-off with a VM owning guest files, under lockdep (see check.sh).
check poweroff_held "a VM owning guest files left running for the power-off" held_at_poweroff
exit 0
