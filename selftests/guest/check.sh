#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# "make check" guest job: KVM/AIA load checks, then the curated KVM
# selftests (/kaia/kvm-selftests.list) with a time budget each.
. /kaia/lib.sh

guests=$(kparam kaia.guests)
flavour=$(cat /kaia/flavour)

# 1. kvm.ko (and the AIA provider module when this flavour has one).
klog_mark
check kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
if [ -f /lib/modules/kvm_riscv_aia.ko ]; then
	check aia_module_load "insmod kvm_riscv_aia.ko" insmod /lib/modules/kvm_riscv_aia.ko
fi
dmesg >/tmp/load.log
cat /tmp/load.log | grep -iE 'kvm|aia' | sed 's/^/# load: /'

# The provider must report what the machine has: QEMU gives every hart
# aia-guests guest files and an HGEIE of the same width.
check aia_available "kernel log says 'AIA available with $guests guest external interrupts'" \
	grep -q "AIA available with $guests guest external interrupts" /tmp/load.log
check sgei_irq "riscv-kvm (SGEI) in /proc/interrupts" grep -q riscv-kvm /proc/interrupts
bad=$(grep -E -m1 "$KAIA_BAD" /tmp/load.log)
check load_clean "no kernel warning while loading: $bad" test -z "$bad"

# 2. The kernel tree's KVM selftests (kaia.only=a,b,c runs just those).
only=$(kparam kaia.only)
grep -v '^#' /kaia/kvm-selftests.list | while read -r name budget args; do
	[ -n "$name" ] || continue
	case ",${only:-$name}," in *",$name,"*) ;; *) continue ;; esac
	if [ ! -x "/kselftest/$name" ]; then
		result "$name" fail 0 "binary missing from the initramfs"
		continue
	fi
	echo "# running $name (budget ${budget}s) $args"
	run_test "$name" "$budget" "/kselftest/$name" $args
done

# 3. Unload (refused while VMs exist is tested by the AIA selftests).
if [ -f /lib/modules/kvm_riscv_aia.ko ]; then
	check aia_module_unload "rmmod kvm_riscv_aia" rmmod kvm_riscv_aia
fi
klog_mark
check kvm_unload "rmmod kvm" rmmod kvm
bad=$(klog_bad)
check unload_clean "no kernel warning while unloading: $bad" test -z "$bad"
