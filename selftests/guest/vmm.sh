#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest job "vmm": a real VMM on this kernel's KVM.  Debian's riscv64
# qemu-system-riscv64 (/vmm) boots an L2 Linux (the same Image) with
# -accel kvm,riscv-aia=MODE, which creates the in-kernel AIA device itself.
# Per mode and per L2 size (2 vCPUs, and two vCPUs per hart so that harts
# hand out more than one line each), the L2 guest must boot to its /init
# and power off, with its IPIs through the IMSIC; on the module's kernel the
# lines are owned on the right harts while it runs and all free after.
#
# Sourced by check.sh (after kvm.ko and the module are loaded) or run alone
# (kaia.job=vmm), which loads them itself.
. /kaia/lib.sh

vmm_flavour=$(cat /kaia/flavour)
if ! [ -d /sys/module/kvm ]; then
	insmod /lib/modules/kvm.ko || result vmm_kvm_load fail 0 "insmod kvm.ko"
	[ -f /lib/modules/kvm_riscv_aia.ko ] && { insmod /lib/modules/kvm_riscv_aia.ko ||
		result vmm_aia_load fail 0 "insmod kvm_riscv_aia.ko"; }
fi
dbg=/sys/kernel/debug/kvm_riscv_aia

vmm_qemu() {
	LD_LIBRARY_PATH=/vmm/usr/lib/riscv64-linux-gnu:/vmm/lib/riscv64-linux-gnu \
		/vmm/usr/bin/qemu-system-riscv64 "$@"
}

# Owned lines per hart from the module's debugfs, "cpu0=2 cpu1=2".
vmm_owned() {
	for d in "$dbg"/cpu*; do
		[ -f "$d/owners" ] || continue
		printf '%s=%s ' "${d##*/}" "$(grep -c . "$d/owners")"
	done
}

# Every line of every hart free again (the module's debugfs).
vmm_all_free() {
	for d in "$dbg"/cpu*; do
		[ -f "$d/owners" ] || continue
		[ "$(grep -c . "$d/owners")" = 0 ] || return 1
		# "<count> <bitmap>"
		[ "$(cut -d' ' -f1 "$d/free_lines")" = "$(cat "$d/nr_hgei")" ] || return 1
	done
}

# vmm_run NAME MODE VCPUS TIMEOUT: boot L2, wait for L2-DONE and QEMU's exit.
vmm_run() {
	name=$1 mode=$2 n=$3 tmo=$4
	klog_mark
	rm -f /tmp/l2.log
	t0=$(date +%s)
	vmm_qemu -M virt,aia=aplic-imsic -accel kvm,riscv-aia="$mode" -cpu host \
		-smp "$n" -m 256M -nographic -no-reboot -bios none \
		-kernel /vmm/Image -initrd /vmm/l2-initrd.cpio \
		-append "console=ttyS0 rdinit=/init panic=-1" \
		</dev/null >/tmp/l2.log 2>&1 &
	pid=$!
	owned= reason= sgei0=$(grep riscv-kvm /proc/interrupts | tr -s ' ')
	while :; do
		dt=$(( $(date +%s) - t0 ))
		if ! kill -0 $pid 2>/dev/null; then
			break
		fi
		if [ "$dt" -ge "$tmo" ]; then
			kill -9 $pid
			reason="no L2-DONE within ${tmo}s (hang)"
			break
		fi
		# QEMU stops the VM (it does not exit) when KVM_RUN fails.
		if grep -q -m1 -E 'kvm run failed|KVM_EXIT|unhandled exit|error: kvm' /tmp/l2.log; then
			kill -9 $pid
			reason="KVM_RUN failed: $(grep -m1 -E 'kvm run failed|KVM_EXIT|unhandled exit|error: kvm' /tmp/l2.log)"
			break
		fi
		if [ -z "$owned" ] && [ -d "$dbg" ] && grep -q 'L2-IDLE' /tmp/l2.log; then
			owned=$(vmm_owned)
		fi
		sleep 0.5
	done
	wait $pid 2>/dev/null
	dt=$(( $(date +%s) - t0 ))
	sed 's/^/# l2: /' /tmp/l2.log | grep -E 'L2-|kvm|KVM|error|qemu' | head -20
	echo "# $name: riscv-kvm before: $sgei0"
	echo "# $name: riscv-kvm after:  $(grep riscv-kvm /proc/interrupts | tr -s ' ')"
	[ -n "$owned" ] && echo "# $name: lines owned while L2 ran: $owned"
	if [ -z "$reason" ]; then
		# The L2 kernel's console lines can run into init's: no anchors.
		if ! grep -q 'L2-DONE' /tmp/l2.log; then
			reason="L2 did not reach L2-DONE (QEMU exited)"
		elif ! grep -q "L2-BOOT cpus=$n " /tmp/l2.log; then
			reason="L2 did not bring up $n CPUs: $(grep 'L2-BOOT' /tmp/l2.log)"
		elif ! grep -q 'L2-IMSIC.*providing IPIs' /tmp/l2.log; then
			reason="L2 IPIs do not go through the IMSIC"
		fi
	fi
	if [ -z "$reason" ] && [ -d "$dbg" ]; then
		# AUTO and HWACCEL vCPUs take guest files; EMUL none.
		case $mode in
		emul) echo "$owned" | grep -q '=[1-9]' && reason="EMUL VM owned lines: $owned" ;;
		*) echo "$owned" | grep -q '=[1-9]' || reason="no line owned while L2 ran: '$owned'" ;;
		esac
		i=0
		until vmm_all_free; do
			i=$((i + 1))
			[ $i -lt 10 ] || { reason="lines still owned after L2 exited: $(vmm_owned)"; break; }
			sleep 1
		done
	fi
	bad=$(klog_bad)
	[ -z "$bad" ] || reason="kernel: $bad"
	if [ -n "$reason" ]; then
		tail -n 15 /tmp/l2.log | sed "s/^/# $name: /"
		result "$name" fail "$dt" "$reason"
	else
		result "$name" pass "$dt" ""
	fi
}

harts=$(nproc)
for mode in emul hwaccel auto; do
	vmm_run "vmm_${mode}_2vcpu" "$mode" 2 300
	# Two vCPUs per hart: each hart hands out lines 1 and 2.
	vmm_run "vmm_${mode}_$((2 * harts))vcpu" "$mode" $((2 * harts)) 300
done
