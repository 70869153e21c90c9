# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest jobs that run a real VMM on this kernel's KVM
# (sourced by vmm.sh and show.sh): Debian's riscv64 qemu-system-riscv64
# (/vmm) boots an L2 Linux (the same Image, /vmm/l2-initrd.cpio) with
# -accel kvm,riscv-aia=MODE, and the L1 side checks what vmm.sh describes.
#
. /kaia/lib.sh

dbg=/sys/kernel/debug/kvm_riscv_aia
vmm_aia_ko=/lib/modules/kvm_riscv_aia.ko

# The results vmm_load reports (declare them with plan first).
vmm_load_results() {
	echo vmm_kvm_load
	[ -f $vmm_aia_ko ] && echo vmm_aia_load
}

# Load kvm.ko and, when this kernel has it, the provider.
vmm_load() {
	check vmm_kvm_load "insmod kvm.ko" insmod /lib/modules/kvm.ko
	[ -f $vmm_aia_ko ] && check vmm_aia_load "insmod kvm_riscv_aia.ko" insmod $vmm_aia_ko
}

vmm_lib=/vmm/usr/lib/riscv64-linux-gnu:/vmm/lib/riscv64-linux-gnu

# Called once while the L2 guest idles (all its vCPUs up); show.sh prints
# its table here.
vmm_running() { :; }

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

# /proc/interrupts rows of L2 on stdin ("L2-IRQ 12: 3 4 ... name"): true
# if their per-CPU counts add up to more than zero.
irq_counted() {
	awk '{ for (i = 3; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { exit !(s > 0) }'
}

# vmm_run NAME MODE VCPUS TIMEOUT [fail_entry]: boot L2, wait for L2-DONE
# and QEMU's exit; with "fail_entry", expect QEMU to report KVM_RUN's
# KVM_EXIT_FAIL_ENTRY (9) instead, within TIMEOUT.
vmm_run() {
	name=$1 mode=$2 n=$3 tmo=$4 expect=${5:-boot}
	klog_mark
	rm -f /tmp/l2.log
	t0=$(date +%s)
	# A simple command in the background, so that $! is QEMU itself (env
	# execs it) and kill reaches it.  "quiet": the L2 kernel's console
	# messages would otherwise run into the lines of its /init.
	env LD_LIBRARY_PATH="$vmm_lib" /vmm/usr/bin/qemu-system-riscv64 \
		-M virt,aia=aplic-imsic -accel kvm,riscv-aia="$mode" -cpu host -d unimp \
		-smp "$n" -m 256M -nographic -no-reboot -bios none \
		-device virtio-rng-pci \
		-kernel /vmm/Image -initrd /vmm/l2-initrd.cpio \
		-append "console=ttyS0 rdinit=/init panic=-1 quiet" \
		</dev/null >/tmp/l2.log 2>&1 &
	pid=$!
	owned= reason= failed= seen_idle= sgei0=$(grep riscv-kvm /proc/interrupts | tr -s ' ')
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
		if grep -q -m1 -E 'un-handled exit reason|kvm run failed|error: kvm' /tmp/l2.log; then
			kill -9 $pid
			failed=$(grep -m1 -E 'un-handled exit reason|kvm run failed|error: kvm' /tmp/l2.log)
			reason="KVM_RUN failed: $failed"
			break
		fi
		# The lines owned, read from the time L2 has all its vCPUs up
		# (L2-BOOT) until one is seen owned: this loop can see L2's
		# lines late on a busy machine, and L2 powers off 3 s after
		# L2-IDLE.  (For EMUL, whose VMs must never own one, every
		# read checks that.)
		if [ -d "$dbg" ] && ! echo "$owned" | grep -q '=[1-9]' &&
			grep -q 'L2-BOOT' /tmp/l2.log; then
			owned=$(vmm_owned)
		fi
		if [ -z "$seen_idle" ] && grep -q 'L2-IDLE' /tmp/l2.log; then
			seen_idle=1
			vmm_running "$name"
		fi
		sleep 0.5
	done
	wait $pid 2>/dev/null
	dt=$(( $(date +%s) - t0 ))
	sed 's/^/# l2: /' /tmp/l2.log | grep -E 'L2-|kvm|KVM|error|qemu' | head -20
	echo "# $name: riscv-kvm before: $sgei0"
	echo "# $name: riscv-kvm after:  $(grep riscv-kvm /proc/interrupts | tr -s ' ')"
	[ -n "$owned" ] && echo "# $name: lines owned while L2 ran: $owned"
	if [ "$expect" = fail_entry ]; then
		# HWACCEL without a free guest file: KVM_EXIT_FAIL_ENTRY.
		case $failed in
		*"un-handled exit reason 9"*) reason= ;;
		*) reason="expected KVM_EXIT_FAIL_ENTRY (9), got: ${reason:-the guest ran}" ;;
		esac
	elif [ -z "$reason" ]; then
		# The L2 kernel's console lines can run into init's: no anchors.
		if ! grep -q 'L2-DONE' /tmp/l2.log; then
			reason="L2 did not reach L2-DONE (QEMU exited)"
		elif ! grep -q "L2-BOOT cpus=$n " /tmp/l2.log; then
			reason="L2 did not bring up $n CPUs: $(grep 'L2-BOOT' /tmp/l2.log)"
		elif ! grep -q 'L2-IMSIC.*providing IPIs' /tmp/l2.log; then
			reason="L2 IPIs do not go through the IMSIC"
		elif ! grep 'L2-IRQ.*APLIC-MSI.*ttyS0' /tmp/l2.log | irq_counted; then
			reason="no UART interrupt through the in-kernel APLIC"
		elif ! grep 'L2-MSI.*PCI-MSI.*virtio' /tmp/l2.log | grep -v config | irq_counted; then
			reason="no virtio-pci MSI-X interrupt in L2: $(grep 'L2-MSI' /tmp/l2.log | tr -s ' ')"
		fi
	fi
	if [ -z "$reason" ] && [ -d "$dbg" ]; then
		# AUTO and HWACCEL vCPUs take guest files; EMUL none.
		case $expect/$mode in
		fail_entry/*) ;;
		*/emul) echo "$owned" | grep -q '=[1-9]' && reason="EMUL VM owned lines: $owned" ;;
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

# The machine: vmm_harts, vmm_files (guest files per hart, the smallest
# hart's: the module's debugfs, or the kernel's "AIA available" line).
vmm_machine() {
	vmm_harts=$(nproc)
	if [ -f "$dbg/nr_hgei" ]; then
		vmm_files=$(cat "$dbg/nr_hgei")
	else
		vmm_files=$(dmesg | sed -n 's/.*AIA available with \([0-9]*\) guest external interrupts.*/\1/p' | tail -1)
	fi
	vmm_files=${vmm_files:-0}
}
