#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make bench" guest job, on a bench kernel (patches/<series>-bench/) under
# QEMU -icount shift=0: aia_bench reads the exact instruction counts of the
# host AIA entry points on hart 0, aia_msi_bench times MSI delivery into a
# guest per mode; each figure becomes a "KAIA-BENCH <op> <min>
# <max>" line of the kernel log, which tools/bench.sh puts in its table.
. /kaia/lib.sh
aia_ko=/lib/modules/kvm_riscv_aia.ko
plan kvm_load
[ -f $aia_ko ] && plan aia_module_load
plan aia_bench aia_msi_bench
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
[ -f $aia_ko ] && check aia_module_load "insmod kvm_riscv_aia.ko" insmod $aia_ko
# Then aia_msi_bench: MSI latency and batch cost into a guest per AIA mode,
# in virtual nanoseconds (instructions under -icount shift=0).
for t in aia_bench aia_msi_bench; do
	run_test $t 600 /kselftest/aia/$t 0
	grep '^bench ' /tmp/test.log | while read -r _ op min max; do
		echo "KAIA-BENCH $op $min $max" >/dev/kmsg
	done
done
exit 0
