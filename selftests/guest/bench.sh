#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" guest job, on a bench kernel (patches/<series>-bench/) under
# QEMU -icount shift=0: aia_bench reads the exact instruction counts of the
# host AIA entry points on a hart, aia_msi_bench times MSI delivery into a
# guest per mode.
#
# kaia.bench_cpus=A,B,...: the harts aia_bench measures on (default 0; each
# must be online), kaia.bench_harts=N: the harts the machine must have
# online (checked, so that a scale run on fewer harts than asked for fails),
# kaia.bench_msi=0: no aia_msi_bench, kaia.bench_timed=1: the machine
# runs without -icount (multi-threaded TCG, where instret reads the host's
# cycle counter), so aia_bench takes its figures as host time (-t).  With
# the module, its debugfs view of every hart is checked and logged
# (KAIA-LAYOUT) first.  Each figure becomes a kernel log line
# "KAIA-BENCH <op> <min> <max>" (the first hart's, and MSI figures) and,
# for every hart, "KAIA-BENCH-CPU <cpu> <op> <min> <max>"; tools/bench.sh
# makes its tables from them.
#
# A scale run boots on one hart (maxcpus=1): this job loads KVM there and
# then brings the machine's other harts online, one at a time, each
# enabling AIA in its CPU online path (tools/bench.sh has the why).
# "KAIA-BENCH-MARK <what> begin|end" kernel log lines time each module
# load and the bring-up: their printk timestamps are the guest's clock.
. /kaia/lib.sh
aia_ko=/lib/modules/kvm_riscv_aia.ko
cpus=$(kparam kaia.bench_cpus | tr , ' ')
cpus=${cpus:-0}
want=$(kparam kaia.bench_harts)
msi=$(kparam kaia.bench_msi)
msi=${msi:-1}
timed=
[ "$(kparam kaia.bench_timed)" != 1 ] || timed=-t

tests=
for c in $cpus; do tests="$tests aia_bench_cpu$c"; done
[ "$msi" = 0 ] || tests="$tests aia_msi_bench"
guests=$(kparam kaia.guests)
plan kvm_load bench_harts
# The kernel's topology against the device tree's cpu-map, when there is
# one (run-qemu.sh -C takes it out): on the most harts, the scale
# kernels look each hart up with patches/<series>-scale/'s fix.
topo=
[ -d /sys/firmware/devicetree/base/cpus/cpu-map ] && topo=cpu_topology
# shellcheck disable=SC2086
plan $topo
[ -f $aia_ko ] && plan aia_module_load aia_debugfs aia_layout
# shellcheck disable=SC2086
plan $tests
echo "KAIA-BENCH-MARK kvm.ko begin" >/dev/kmsg
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
echo "KAIA-BENCH-MARK kvm.ko end" >/dev/kmsg
if [ -f $aia_ko ]; then
	echo "KAIA-BENCH-MARK kvm_riscv_aia.ko begin" >/dev/kmsg
	check aia_module_load "insmod kvm_riscv_aia.ko" insmod $aia_ko
	echo "KAIA-BENCH-MARK kvm_riscv_aia.ko end" >/dev/kmsg
fi
# The present harts that are not online (none unless booted with
# maxcpus=), with KVM loaded: each one's AIA enable runs in its CPU
# online path.
up=0
echo "KAIA-BENCH-MARK online begin" >/dev/kmsg
for d in /sys/devices/system/cpu/cpu[0-9]*; do
	[ -f "$d/online" ] && [ "$(cat "$d/online")" = 0 ] || continue
	echo 1 >"$d/online" && up=$((up + 1))
done
echo "KAIA-BENCH-MARK online end" >/dev/kmsg
echo "KAIA-BENCH-ONLINED $up" >/dev/kmsg
harts=$(grep -c '^processor' /proc/cpuinfo)
if [ -z "$want" ] || [ "$harts" = "$want" ]; then
	result bench_harts pass 0 "$harts harts online"
else
	result bench_harts fail 0 "$harts harts online, the run asked for $want"
fi
echo "KAIA-BENCH-HARTS $harts" >/dev/kmsg
[ -z "$topo" ] ||
	check cpu_topology "each hart's package, cluster and core as the cpu-map describes them" cpu_topology_check
if [ -f $aia_ko ]; then
	# The module's view of every hart, which make bench and make check
	# compare with the machine's device tree (tools/inner/layout-live.sh):
	# on the most harts, in more than one socket.
	. /kaia/lifecycle.sh
	check aia_debugfs "debugfs shows $guests free lines on every hart" aia_debugfs_check
	check aia_layout "debugfs layout: geometry, every CPU with $guests lines" aia_layout_check
fi
first=${cpus%% *}
for t in $tests; do
	case $t in
	aia_bench_cpu*)
		c=${t#aia_bench_cpu}
		# shellcheck disable=SC2086
		run_test "$t" 600 /kselftest/aia/aia_bench $timed "$c"
		;;
	*)
		c=
		# MSI latency and batch cost into a guest per AIA mode, in
		# virtual nanoseconds (instructions under -icount shift=0).
		run_test "$t" 600 /kselftest/aia/$t 0
		;;
	esac
	grep '^bench ' /tmp/test.log | while read -r _ op min max; do
		[ -z "$c" ] || echo "KAIA-BENCH-CPU $c $op $min $max" >/dev/kmsg
		[ -n "$c" ] && [ "$c" != "$first" ] ||
			echo "KAIA-BENCH $op $min $max" >/dev/kmsg
	done
done
exit 0
