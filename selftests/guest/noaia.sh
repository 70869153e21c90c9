#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job on a machine WITHOUT AIA (QEMU virt with the PLIC): kvm.ko must
# still load and run VMs without AIA, and kvm_riscv_aia.ko must refuse to
# load with ENODEV and a clear message.
. /kaia/lib.sh
plan kvm_load_noaia aia_refuses_noaia aia_refusal_message vm_without_aia noaia_clean
klog_mark
check kvm_load_noaia "insmod kvm.ko without AIA" insmod /lib/modules/kvm.ko
if insmod /lib/modules/kvm_riscv_aia.ko 2>/tmp/insmod.err; then
	result aia_refuses_noaia fail 0 "kvm_riscv_aia.ko loaded on a machine without AIA"
else
	cat /tmp/insmod.err | sed 's/^/# insmod: /'
	check aia_refuses_noaia "insmod fails with ENODEV" grep -q 'No such device' /tmp/insmod.err
fi
check aia_refusal_message "kernel log explains the refusal" \
	sh -c 'dmesg | grep -q "kvm_riscv_aia: no Ssaia/Smaia"'
check vm_without_aia "a VM runs on kvm.ko alone" timeout 60 /kselftest/guest_print_test
bad=$(klog_bad)
check noaia_clean "no kernel warning: $bad" test -z "$bad"
exit 0
