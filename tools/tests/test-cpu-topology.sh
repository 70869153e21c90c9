#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of the guest jobs' cpu_topology_check (selftests/guest/lib.sh)
# on fake device tree and sysfs trees: the machines' shapes it must take
# (QEMU virt's clusters without sockets, sockets, threads) and the wrong
# topologies it must refuse (a cpu-map the kernel did not take, a core or
# a socket off by one, a hart missing from the map).
set -u
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../../selftests/guest/lib.sh
fail=0
# The function alone, without the rest of the guest library.
eval "$(sed -n '/^cpu_topology_check() {/,/^}/p' "$lib")"
[ "$(type -t cpu_topology_check)" = function ] || { echo "not ok - no cpu_topology_check in $lib"; exit 1; }

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
# phandle P as the 4 big-endian bytes of a device tree property.
ph() { printf "\\x00\\x00\\x00\\x$(printf %02x "$1")" >"$2"; }
# hart CPU PHANDLE PACKAGE CLUSTER CORE: a sysfs CPU and its DT node.
hart() {
	mkdir -p "$t/dt/cpus/cpu@$1" "$t/sys/devices/system/cpu/cpu$1/topology"
	ph "$2" "$t/dt/cpus/cpu@$1/phandle"
	ln -sfn "$t/dt/cpus/cpu@$1" "$t/sys/devices/system/cpu/cpu$1/of_node"
	echo 1 >"$t/sys/devices/system/cpu/cpu$1/online"
	echo "$3" >"$t/sys/devices/system/cpu/cpu$1/topology/physical_package_id"
	echo "$4" >"$t/sys/devices/system/cpu/cpu$1/topology/cluster_id"
	echo "$5" >"$t/sys/devices/system/cpu/cpu$1/topology/core_id"
}
# leaf PATH PHANDLE: a cpu-map leaf (core or thread) naming a CPU node.
leaf() { mkdir -p "$t/dt/cpus/cpu-map/$1"; ph "$2" "$t/dt/cpus/cpu-map/$1/cpu"; }
reset() { rm -rf "$t/dt" "$t/sys"; }
# expect pass|fail NAME
expect() {
	out=$(KAIA_DT=$t/dt KAIA_SYS=$t/sys cpu_topology_check 2>&1)
	rc=$?
	if { [ "$1" = pass ] && [ $rc = 0 ]; } || { [ "$1" = fail ] && [ $rc != 0 ]; }; then
		echo "ok - $2 # $out"
	else
		echo "not ok - $2: expected $1, rc $rc: $out"
		fail=1
	fi
}
# QEMU virt, one socket of two clusters of two harts (virt writes no
# socket level): cluster0/core0..1, cluster1/core0..1 (phandles in
# reverse, as QEMU writes them).
virt() {
	reset
	hart 0 7 0 0 0; hart 1 5 0 0 1; hart 2 3 0 1 0; hart 3 1 0 1 1
	leaf cluster0/core0 7; leaf cluster0/core1 5; leaf cluster1/core0 3; leaf cluster1/core1 1
}
virt; expect pass "QEMU virt shape"
virt; echo -1 >"$t/sys/devices/system/cpu/cpu2/topology/cluster_id"
echo 2 >"$t/sys/devices/system/cpu/cpu2/topology/core_id"
expect fail "cpu-map not taken (cluster -1, core = CPU number)"
virt; echo 0 >"$t/sys/devices/system/cpu/cpu3/topology/core_id"
expect fail "a core off by one"
virt; rm -rf "$t/dt/cpus/cpu-map/cluster1/core1"
expect fail "an online hart missing from the cpu-map"
virt; echo 0 >"$t/sys/devices/system/cpu/cpu1/online"
expect fail "a hart of the cpu-map offline"
# Sockets, and threads sharing their core's ids.
reset
hart 0 1 0 0 0; hart 1 2 0 0 0; hart 2 3 1 0 0; hart 3 4 1 0 0
leaf socket0/cluster0/core0/thread0 1; leaf socket0/cluster0/core0/thread1 2
leaf socket1/cluster0/core0/thread0 3; leaf socket1/cluster0/core0/thread1 4
expect pass "sockets and threads"
echo 0 >"$t/sys/devices/system/cpu/cpu3/topology/physical_package_id"
expect fail "a socket off by one"
# Clusters in clusters: the innermost one is the hart's cluster_id.
reset
hart 0 2 0 1 0; hart 1 1 0 1 1
leaf cluster0/cluster1/core0 2; leaf cluster0/cluster1/core1 1
expect pass "nested clusters"
echo 0 >"$t/sys/devices/system/cpu/cpu1/topology/cluster_id"
expect fail "the outer cluster taken for the innermost"
exit $fail
