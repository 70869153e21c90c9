# SPDX-License-Identifier: GPL-2.0
# Module lifecycle checks for kvm_riscv_aia.ko (sourced by check.sh and
# stress.sh once kvm.ko and kvm_riscv_aia.ko are loaded).

dbg=/sys/kernel/debug/kvm_riscv_aia

# The debugfs view agrees with the machine: every hart has `guests` lines,
# all free, none owned; the global minimum is the same.
aia_debugfs_check() {
	[ "$(cat $dbg/nr_hgei)" = "$guests" ] || { echo "nr_hgei $(cat $dbg/nr_hgei) != $guests"; return 1; }
	for c in $dbg/cpu*; do
		[ "$(cat "$c/nr_hgei")" = "$guests" ] || { echo "$c/nr_hgei: $(cat "$c/nr_hgei")"; return 1; }
		set -- $(cat "$c/free_lines")
		[ "$1" = "$guests" ] || { echo "$c/free_lines: $*"; return 1; }
		[ -z "$(cat "$c/owners")" ] || { echo "$c/owners: $(cat "$c/owners")"; return 1; }
	done
	[ "$(cat $dbg/max_ids)" -gt 63 ] || { echo "max_ids $(cat $dbg/max_ids)"; return 1; }
}

# debugfs layout (tools/imsic-layout reads it): the IMSIC geometry, then one
# line per possible CPU with its lines and their guest-file addresses. Each
# line goes to the kernel log as "KAIA-LAYOUT ..." so that make check can
# compare it with the machine's device tree (tools/inner/layout-live.sh).
aia_layout_check() {
	l=$dbg/layout
	[ "$(head -n 1 $l | cut -d' ' -f1)" = geometry ] || { echo "no geometry line: $(head -n 1 $l)"; return 1; }
	ncpu=$(ls -d $dbg/cpu* | wc -l)
	[ "$(grep -c '^cpu=' $l)" = "$ncpu" ] || { echo "$(grep -c '^cpu=' $l) cpu lines for $ncpu CPUs"; return 1; }
	bad=$(grep '^cpu=' $l | grep -v " nr_hgei=$guests ")
	[ -z "$bad" ] || { echo "a hart without $guests lines: $bad"; return 1; }
	while read -r line; do echo "KAIA-LAYOUT $line" >/dev/kmsg; done <$l
}

# Load the provider; its KUnit suite must have run and passed at this load.
aia_load() {
	klog_drain
	insmod /lib/modules/kvm_riscv_aia.ko || { echo "$1: insmod failed"; return 1; }
	aia_kunit_loaded || { echo "$1: KUnit"; return 1; }
}

# start_ready NAME CMD...: run "CMD... /tmp/NAME.ready" in the background
# (output in /tmp/NAME.log) and wait up to 30 s for it to create that file
# once it is set up; its pid is in $started.
# (check() keeps the result's name in $name: not a variable to reuse here.)
start_ready() {
	sr=/tmp/$1
	shift
	rm -f "$sr.ready"
	"$@" "$sr.ready" >"$sr.log" 2>&1 &
	started=$!
	w=0
	while [ ! -e "$sr.ready" ] && [ $w -lt 300 ] && kill -0 "$started" 2>/dev/null; do
		sleep 0.1
		w=$((w + 1))
	done
	[ -e "$sr.ready" ] || { echo "$* never got ready:"; cat "$sr.log"; return 1; }
}

# stop_started NAME PID: stop what start_ready started; it must exit 0.
stop_started() {
	kill "$2" 2>/dev/null
	wait "$2"
	src=$?
	[ $src = 0 ] || { echo "$1 exit $src:"; cat "/tmp/$1.log"; return 1; }
}

# Start a VM holder (selftests/aia/aia_hold.c): one vCPU per hart, each
# owning a guest interrupt file of its hart; wait until they all do.
start_vm_holder() {
	start_ready hold /kselftest/aia/aia_hold
	src=$?
	holder=$started
	return $src
}

# Stop it: the VM must be freed cleanly (aia_hold exits 0).
stop_vm_holder() { stop_started hold "$holder"; }

# rmmod must be refused while a VM exists, and work once it is gone.
aia_unload_busy_check() {
	start_vm_holder || { echo "vm_holder did not create a VM"; stop_vm_holder; return 1; }
	if rmmod kvm_riscv_aia 2>/tmp/rmmod.err; then
		echo "rmmod succeeded while a VM exists"
		stop_vm_holder
		return 1
	fi
	cat /tmp/rmmod.err
	grep -q 'Resource temporarily unavailable\|in use' /tmp/rmmod.err ||
		{ echo "unexpected rmmod error"; stop_vm_holder; return 1; }
	grep -q '^kvm_riscv_aia ' /proc/modules || { echo "module gone after refused rmmod"; stop_vm_holder; return 1; }
	stop_vm_holder || return 1
	rmmod kvm_riscv_aia || { echo "rmmod failed after the VM exited"; return 1; }
	insmod /lib/modules/kvm_riscv_aia.ko || { echo "reload failed"; return 1; }
}

# insmod must be refused (EBUSY) while a VM exists, even one without AIA
# (kvm.ko alone runs it), leave nothing behind, and work once it is gone.
aia_insmod_busy_check() {
	rmmod kvm_riscv_aia || { echo "rmmod failed with no VM"; return 1; }
	rc=0
	if ! start_ready plain /kselftest/aia/aia_churn hold; then
		rc=1
	elif insmod /lib/modules/kvm_riscv_aia.ko 2>/tmp/insmod.err; then
		echo "insmod succeeded while a VM exists"; rmmod kvm_riscv_aia; rc=1
	else
		cat /tmp/insmod.err
		grep -q 'Device or resource busy' /tmp/insmod.err || { echo "not EBUSY"; rc=1; }
		! grep -q '^kvm_riscv_aia ' /proc/modules || { echo "module left after a refused insmod"; rc=1; }
	fi
	stop_started plain "$started" || rc=1
	aia_load "after the VM exited" || return 1
	[ $rc = 0 ] && aia_debugfs_check
}

# Unload and load the provider over and over while VMs (with an AIA device
# when there is a provider) are created and destroyed as fast as possible
# (aia_churn churn).  Every refusal must be the documented one: rmmod "in
# use" (EAGAIN) while a VM pins the module, insmod EBUSY while a VM exists;
# aia_churn checks its own side (KVM_CREATE_VM EAGAIN, KVM_CREATE_DEVICE
# ENODEV only).  Each load passes KUnit; afterwards all lines are free.
aia_race_check() {
	secs=$1
	/kselftest/aia/aia_churn churn "$secs" >/tmp/churn.log 2>&1 &
	churn=$!
	unloads=0 loads=0 rm_busy=0 ins_busy=0 rc=0
	while kill -0 $churn 2>/dev/null && [ $rc = 0 ]; do
		if grep -q '^kvm_riscv_aia ' /proc/modules; then
			if rmmod kvm_riscv_aia 2>/tmp/rmmod.err; then
				unloads=$((unloads + 1))
			elif grep -q 'Resource temporarily unavailable\|in use' /tmp/rmmod.err; then
				rm_busy=$((rm_busy + 1))
			else
				cat /tmp/rmmod.err; rc=1
			fi
		else
			klog_drain
			if insmod /lib/modules/kvm_riscv_aia.ko 2>/tmp/insmod.err; then
				loads=$((loads + 1))
				aia_kunit_loaded || { echo "KUnit after load $loads"; rc=1; }
			elif grep -q 'Device or resource busy' /tmp/insmod.err; then
				ins_busy=$((ins_busy + 1))
			else
				cat /tmp/insmod.err; rc=1
			fi
		fi
	done
	kill $churn 2>/dev/null
	wait $churn || { echo "aia_churn failed:"; cat /tmp/churn.log; rc=1; }
	cat /tmp/churn.log
	echo "rmmod: $unloads done, $rm_busy refused; insmod: $loads done, $ins_busy refused"
	if ! grep -q '^kvm_riscv_aia ' /proc/modules; then
		aia_load "final load" || return 1
	fi
	[ $rc = 0 ] && aia_debugfs_check
}

# N unload/load cycles, each with a VM created and destroyed in between.
aia_cycles_check() {
	n=$1
	i=0
	while [ $i -lt "$n" ]; do
		rmmod kvm_riscv_aia || { echo "cycle $i: rmmod failed"; return 1; }
		aia_load "cycle $i" || return 1
		start_vm_holder || { echo "cycle $i: no VM"; stop_vm_holder; return 1; }
		stop_vm_holder || { echo "cycle $i: VM not freed cleanly"; return 1; }
		i=$((i + 1))
	done
	aia_debugfs_check
}

# kmemleak (debug kernels only): it must be there, its scans must work, and
# no unreferenced object may be left.
kmemleak_check() {
	[ -e /sys/kernel/debug/kmemleak ] || { echo "no kmemleak in this kernel"; return 1; }
	echo scan >/sys/kernel/debug/kmemleak || { echo "kmemleak scan failed"; return 1; }
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak || { echo "kmemleak scan failed"; return 1; }
	cat /sys/kernel/debug/kmemleak >/tmp/leaks
	[ ! -s /tmp/leaks ] || { head -40 /tmp/leaks; return 1; }
}

# CPU hotplug with the module loaded and a vCPU owning a line of hart 1:
# offlining hart 1 runs the provider's disable on it (CPUHP_AP_KVM_ONLINE),
# which must leave no line of hart 1 owned (the vCPU moves to hart 0);
# onlining runs enable again. Once the VM is gone every line must be back,
# free, and the global minimum unchanged.
aia_hotplug_check() {
	c=/sys/devices/system/cpu/cpu1/online
	[ -w $c ] || { echo "cpu1 cannot be offlined here"; return 1; }
	before=$(cat $dbg/nr_hgei)
	start_vm_holder || { stop_vm_holder; return 1; }
	[ -n "$(cat $dbg/cpu1/owners)" ] || { echo "no line of hart 1 owned"; stop_vm_holder; return 1; }
	echo 0 >$c || { echo "offline failed"; stop_vm_holder; return 1; }
	[ "$(cat $c)" = 0 ] || { echo "cpu1 still online"; stop_vm_holder; return 1; }
	owned=$(cat $dbg/cpu1/owners)
	[ -z "$owned" ] || { echo "hart 1 offline, lines still owned: $owned"; echo 1 >$c; stop_vm_holder; return 1; }
	echo 1 >$c || { echo "online failed"; stop_vm_holder; return 1; }
	stop_vm_holder || return 1
	[ "$(cat $dbg/nr_hgei)" = "$before" ] || { echo "global changed: $(cat $dbg/nr_hgei)"; return 1; }
	aia_debugfs_check
}

# Load KVM and the provider again and start a VM holder that the job does
# not stop: the power-off after the job finds it owning guest files (on a
# machine with guest files), and the console must stay clean.
held_at_poweroff() {
	insmod /lib/modules/kvm.ko || return 1
	insmod /lib/modules/kvm_riscv_aia.ko || return 1
	start_vm_holder || return 1
	[ "$(cat $dbg/nr_hgei)" = 0 ] || [ -n "$(cat $dbg/cpu0/owners)" ] ||
		{ echo "the VM owns no line of hart 0"; return 1; }
}
