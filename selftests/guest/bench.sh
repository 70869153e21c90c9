#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" guest job, on a bench kernel (patches/<series>-bench/) under
# QEMU -icount shift=0: aia_bench reads the exact instruction counts of the
# host AIA entry points on hart 0; each becomes a "KAIA-BENCH <op> <min>
# <max>" line of the kernel log, which tools/bench.sh puts in its table.
. /kaia/lib.sh
aia_ko=/lib/modules/kvm_riscv_aia.ko
plan kvm_load
[ -f $aia_ko ] && plan aia_module_load
plan aia_bench
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
[ -f $aia_ko ] && check aia_module_load "insmod kvm_riscv_aia.ko" insmod $aia_ko
run_test aia_bench 600 /kselftest/aia/aia_bench 0
grep '^bench ' /tmp/test.log | while read -r _ op min max; do
	echo "KAIA-BENCH $op $min $max" >/dev/kmsg
done
exit 0
