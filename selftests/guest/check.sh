#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make check" guest job: KVM/AIA load checks, then the curated KVM
# selftests (/kaia/kvm-selftests.list) with a time budget each.
. /kaia/lib.sh

guests=$(kparam kaia.guests)
flavour=$(cat /kaia/flavour)
only=$(kparam kaia.only)
long=$(kparam kaia.long)
aia_ko=/lib/modules/kvm_riscv_aia.ko
aia_tests="aia_attrs aia_delivery aia_one_reg aia_exhaustion aia_wakeup aia_migration aia_hotplug aia_ipi"

# The curated KVM selftests selected by kaia.only, one line each:
# "<xfail signature or -> <long 0|1> <name> <budget> [args] [# reason]".
# List lines: [xfail@<ERE>|long] <binary>[:<label>] <budget> [args] [# reason]
# (an expected failure names the signature its output must show: an ERE
# without spaces).
selected_tests() {
	grep -v '^#' /kaia/kvm-selftests.list | while read -r line; do
		xfail=- islong=0
		case $line in xfail@*) xfail=${line%% *} line=${line#* } xfail=${xfail#xfail@} ;; esac
		case $line in long\ *) line=${line#long } islong=1 ;; esac
		set -- ${line%%#*}
		[ $# -ge 2 ] || continue
		bin=${1%%:*}
		case ",${only:-$1}," in *",$1,"* | *",$bin,"*) ;; *) continue ;; esac
		echo "$xfail $islong $line"
	done
}
selected() { case ",${only:-$1}," in *",$1,"*) return 0 ;; esac; return 1; }
# The heterogeneous-harts check needs the module and a second hart.
hetero=0
if [ -f $aia_ko ] && [ -x /kselftest/aia/aia_exhaustion ] &&
	[ -d /sys/devices/system/cpu/cpu1 ] && selected aia_hetero; then
	hetero=1
fi

# Everything this job reports, declared first.
plan kvm_load
[ -f $aia_ko ] && plan aia_module_load
plan aia_available sgei_irq load_clean
[ -f $aia_ko ] && plan aia_kunit aia_debugfs aia_layout aia_unload_busy aia_insmod_busy \
	aia_race aia_hotplug_held aia_hotplug_held_clean aia_cycles aia_cycles_clean
plan $(selected_tests | awk '{ print $3 }')
for name in $aia_tests; do selected "$name" && plan "$name"; done
[ -f $aia_ko ] && plan aia_bad_frees
[ $hetero = 1 ] && plan aia_hetero_load aia_hetero_state aia_exhaustion:hetero aia_hetero_restore
[ -f $aia_ko ] && plan aia_module_unload
plan kvm_unload unload_clean
[ -f $aia_ko ] && plan poweroff_held

# 1. kvm.ko (and the AIA provider module when this flavour has one).
klog_mark
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
if [ -f /lib/modules/kvm_riscv_aia.ko ]; then
	check aia_module_load "insmod kvm_riscv_aia.ko" insmod /lib/modules/kvm_riscv_aia.ko
fi
dmesg >/tmp/load.log
# Guest files per hart as the kernel reports them (for the allowed skips).
sed -n 's/.*AIA available with \([0-9]*\) guest external interrupts.*/\1/p' /tmp/load.log |
	tail -1 >/tmp/kaia-files
grep -iE 'kvm|aia' /tmp/load.log | grep -v 'KAIA-' | sed 's/^/# load: /'

# The provider must report what the machine has: QEMU gives every hart
# aia-guests guest files and an HGEIE of the same width.
check aia_available "kernel log says 'AIA available with $guests guest external interrupts'" \
	grep -q "AIA available with $guests guest external interrupts" /tmp/load.log
check sgei_irq "riscv-kvm (SGEI) in /proc/interrupts" grep -q riscv-kvm /proc/interrupts
bad=$(grep -E -m1 "$KAIA_BAD" /tmp/load.log)
check load_clean "no kernel warning while loading: $bad" test -z "$bad"

# The AIA provider module: debugfs, refused unload while a VM exists,
# load/unload cycles (kaia.cycles, default 10).
if [ -f /lib/modules/kvm_riscv_aia.ko ]; then
	. /kaia/lifecycle.sh
	check aia_kunit "KUnit suite kvm_riscv_aia passed" aia_kunit_check
	check aia_debugfs "debugfs shows $guests free lines on every hart" aia_debugfs_check
	check aia_layout "debugfs layout: geometry, every CPU with $guests lines" aia_layout_check
	check aia_unload_busy "rmmod refused while a VM exists, works after" aia_unload_busy_check
	check aia_insmod_busy "insmod refused (EBUSY) while a VM exists, works after" aia_insmod_busy_check
	check aia_race "unload/load racing VM and AIA device creation for 10 s" aia_race_check 10
	sed 's/^/# aia_race: /' /tmp/check.log | tail -n 2
	klog_mark
	if [ -d /sys/devices/system/cpu/cpu1 ] && [ "$(cat /tmp/kaia-files)" -gt 0 ]; then
		check aia_hotplug_held "offline/online hart 1 under a vCPU owning its line: released, all back" aia_hotplug_check
	else
		result aia_hotplug_held skip 0 "needs a second hart and a guest file per hart"
	fi
	bad=$(klog_bad)
	check aia_hotplug_held_clean "no kernel warning across hotplug: $bad" test -z "$bad"
	cycles=$(kparam kaia.cycles)
	klog_mark
	check aia_cycles "${cycles:-10} unload/load cycles with a VM each" aia_cycles_check "${cycles:-10}"
	bad=$(klog_bad)
	check aia_cycles_clean "no kernel warning during the cycles: $bad" test -z "$bad"
fi

# The module's refused frees (bad line, double free) so far: only the KUnit
# suite's deliberate ones. None may come from the selftests.
bad_frees() { cat /sys/kernel/debug/kvm_riscv_aia/cpu*/bad_frees | awk '{ s += $1 } END { print s + 0 }'; }
[ -f $aia_ko ] && bf0=$(bad_frees)

# 2. The kernel tree's KVM selftests (kaia.only=a,b,c runs just those).
selected_tests | while read -r xfail islong line; do
	why=
	case $line in *\#*) why=${line#*# } line=${line%%#*} ;; esac
	set -- $line
	name=$1 budget=$2
	shift 2
	bin=${name%%:*}
	if [ "$islong" = 1 ] && [ "$long" != 1 ]; then
		result "$name" skip 0 "long test (${why:-over ${budget}s}): run with KAIA_LONG=1"
		continue
	fi
	if [ ! -x "/kselftest/$bin" ]; then
		result "$name" fail 0 "binary missing from the initramfs"
		continue
	fi
	echo "# running $name (budget ${budget}s) $*"
	KAIA_XFAIL= KAIA_XFAIL_SIG=
	if [ "$xfail" != - ]; then
		KAIA_XFAIL=${why:-no reason given} KAIA_XFAIL_SIG=$xfail
	fi
	run_test "$name" "$budget" "/kselftest/$bin" "$@"
done

# 3. AIA selftests (selftests/aia/, in /kselftest/aia/), budget 120 s each.
# aia_attrs reads the global line count here when the provider has no
# debugfs (stock): what the kernel said at load.
export AIA_NR_HGEI="$(cat /tmp/kaia-files)"
# Their sub-test TAP lines and "# aia: " diagnostics are shown even on a pass.
for name in $aia_tests; do
	selected "$name" || continue
	if [ ! -x "/kselftest/aia/$name" ]; then
		result "$name" fail 0 "binary missing from the initramfs"
		continue
	fi
	echo "# running $name (budget 120s)"
	KAIA_XFAIL=
	run_test "$name" 120 "/kselftest/aia/$name"
	grep -E '^(not )?ok |^# aia: ' /tmp/test.log | sed "s/^/# $name: /"
done

if [ -f $aia_ko ]; then
	bf1=$(bad_frees)
	check aia_bad_frees "no refused free of an HGEI line during the selftests ($bf0 before, $bf1 after)" \
		test "$bf1" = "$bf0"
fi

# 3b. Heterogeneous harts (issue: harts with different line counts, each
# allocating up to its own count, the global being the minimum).  QEMU gives
# every hart the same HGEIE width, so the module's debug-only parameters
# cap hart 1 at 3 lines; aia_exhaustion then probes each hart's real free
# lines and checks them against debugfs.
if [ $hetero = 1 ]; then
	klog_mark
	hetero_load() {
		rmmod kvm_riscv_aia &&
			insmod /lib/modules/kvm_riscv_aia.ko debug_hgei_limit_cpu=1 debug_hgei_limit=3
	}
	hetero_state() {
		d=/sys/kernel/debug/kvm_riscv_aia
		echo "global $(cat $d/nr_hgei) cpu0 $(cat $d/cpu0/nr_hgei) cpu1 $(cat $d/cpu1/nr_hgei)"
		[ "$(cat $d/nr_hgei)" = 3 ] && [ "$(cat $d/cpu0/nr_hgei)" = "$guests" ] &&
			[ "$(cat $d/cpu1/nr_hgei)" = 3 ] &&
			dmesg | grep -q 'AIA available with 3 guest external interrupts'
	}
	check aia_hetero_load "reload with hart 1 capped at 3 lines" hetero_load
	check aia_hetero_state "hart 0 keeps $guests lines, hart 1 has 3, global minimum 3" hetero_state
	KAIA_XFAIL=
	run_test aia_exhaustion:hetero 120 /kselftest/aia/aia_exhaustion
	grep -E '^(not )?ok |^# aia: ' /tmp/test.log | sed "s/^/# aia_exhaustion:hetero: /"
	check aia_hetero_restore "reload without the cap" \
		sh -c 'rmmod kvm_riscv_aia && insmod /lib/modules/kvm_riscv_aia.ko'
fi

# 4. Unload (refused while VMs exist is tested by the AIA selftests).
if [ -f /lib/modules/kvm_riscv_aia.ko ]; then
	check aia_module_unload "rmmod kvm_riscv_aia" rmmod kvm_riscv_aia
fi
klog_mark
check kvm_unload "rmmod kvm" rmmod kvm
bad=$(klog_bad)
check unload_clean "no kernel warning while unloading: $bad" test -z "$bad"

# 5. Power-off with a VM owning guest files (the provider's kernels): KVM
# disables virtualization on every CPU from an IPI (kvm_shutdown()), where
# the provider must not release VS-files (KVM core series 2/5; stock 7.3's
# aia.c warns there in smp_call_function_many_cond()).  The VM is left
# running on purpose: run-qemu.sh's console check covers the power-off
# after the job's end.
if [ -f $aia_ko ]; then
	check poweroff_held "a VM owning guest files left running for the power-off" held_at_poweroff
fi
exit 0
