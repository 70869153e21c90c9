#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": everything, from an empty cache if need be.
#   host tier:   cargo test of the kernel-independent logic, rustfmt, clippy,
#                checkpatch of the C code and the KVM core patches
#   kernel tier: toolchain root, kernel build per flavour, module build
#                (CLIPPY=1, W=1), selftests build, QEMU AIA boot running the
#                guest checks and the curated KVM selftests
# Prints TAP per step and, last, "N passed, N failed, N skipped".
#
# Environment: KAIA_FLAVOURS (default "stock rust rust-debug"), KAIA_LONG (1: also
# the long tier: the generic MMU selftests, rseq_test (~10 min), stock's
# overcommitted vmm job), KAIA_SMP (2),
# KAIA_GUESTS (5), KAIA_LANES (guest runs in parallel: 2, or 1 on one
# CPU), KVM_AIA_CACHE (/var/cache/kvm-aia-rs).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/tap-merge.sh"
repo=$(cd "$here/.." && pwd)
cd "$repo"

flavours=${KAIA_FLAVOURS:-stock rust rust-debug}
smp=${KAIA_SMP:-2}
guests=${KAIA_GUESTS:-5}
inroot() { bash "$here/in-root.sh" "$@"; }

passed=0 failed=0 skipped=0 n=0
T0=$(date +%s)
steplog=$KVM_AIA_CACHE/work/logs/steps
mkdir -p "$steplog"

# step NAME CMD...: one TAP line for a build/lint step; output goes to a log
# that is shown when the step fails.
step() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	log "step $name"
	"$@" >"$steplog/$name.log" 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ]; then
		echo "ok $n - $name # $(( $(date +%s) - t0 ))s"
		passed=$((passed + 1))
	else
		echo "not ok $n - $name # exit $rc after $(( $(date +%s) - t0 ))s"
		tail -n 40 "$steplog/$name.log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
	return $rc
}

# Run a guest job and add its TAP to ours (tools/tap-merge.sh).
guest_tier() {
	local flavour=$1 job=$2 name=$1-$2 rc
	shift 2
	# -N NAME first: the run's name (logs, counts) if not FLAVOUR-JOB.
	if [ "${1:-}" = -N ]; then name=$2; shift 2; fi
	# Never read a previous run's counts if this one dies early.
	rm -f "$KVM_AIA_CACHE/work/logs/$name.counts"
	inroot bash /kaia/src/tools/inner/run-qemu.sh "$flavour" "$job" -q -N "$name" \
		-s "$smp" -g "$guests" "$@" >"$steplog/qemu-$name.tap"
	rc=$?
	merge_guest_tap "$name" "$steplog/qemu-$name.tap" \
		"$KVM_AIA_CACHE/work/logs/$name.counts" "$rc"
	return $rc
}

echo "TAP version 13"

# --- toolchain -------------------------------------------------------------
# Resolve the toolchain once (tools/toolchain.floors); every step uses it.
step resolver-tests bash "$here/tests/test-resolver.sh"
step tap-merge-tests bash "$here/tests/test-tap-merge.sh"
step cpu-topology-tests bash "$here/tests/test-cpu-topology.sh"
log "step toolchain"
t0=$(date +%s)
bash "$here/provision-root.sh" >"$steplog/toolchain.log" 2>&1
prc=$?
n=$((n + 1))
if [ $prc = 3 ] && [ "$KAIA_KERNEL" != "$KAIA_DEFAULT_KERNEL" ]; then
	# An opt-in older series that Debian no longer serves: nothing to test.
	echo "ok $n - toolchain # SKIP the archive serves no linux-source-$KAIA_KERNEL any more"
	skipped=$((skipped + 1))
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	exit $(( failed > 0 ))
elif [ $prc != 0 ]; then
	echo "not ok $n - toolchain # exit $prc"
	tail -n 40 "$steplog/toolchain.log" | sed 's/^/# /'
	echo "1..$n"
	echo "$passed passed, $((failed + 1)) failed, $skipped skipped"
	exit 1
fi
echo "ok $n - toolchain # $(( $(date +%s) - t0 ))s"
passed=$((passed + 1))
KAIA_ROOT=$(tail -n 1 "$steplog/toolchain.log")
export KAIA_ROOT
[ -f "$KAIA_ROOT/kvm-aia-versions.txt" ] && sed 's/^/# /' "$KAIA_ROOT/kvm-aia-versions.txt"

# --- host tier -------------------------------------------------------------
# Host-only checks; they run as units of the guest queue below (flavour
# "host"), where they fill the cores between QEMU runs, or here after the
# kernel tier when there is no queue.
host_units() {
	[ -f rust/aia_core/Cargo.toml ] && echo cargo
	echo imsic-layout lint
}
host_unit() {
	case $1 in
	cargo)
		# cargo test builds the examples too; the scale benchmark (make
		# bench) also runs once, small, so that it cannot rot.
		step host-cargo-test inroot bash -c 'cd rust/aia_core && cargo test --locked 2>&1 &&
			cargo run --locked -q --example scale -- --quick'
		grep -h '^test result:' "$steplog/host-cargo-test.log" | sed 's/^/# /'
		step host-cargo-clippy inroot bash -c 'cd rust/aia_core && cargo clippy --locked --all-targets -- -D warnings'
		step host-cargo-fmt inroot bash -c 'cd rust/aia_core && cargo fmt --check'
		;;
	# The IMSIC layout inspector: its tests and QEMU virt's device trees.
	imsic-layout) step host-imsic-layout inroot bash /kaia/src/tools/tests/test-imsic-layout.sh ;;
	lint) step lint inroot bash /kaia/src/tools/inner/lint.sh ;;
	esac
	return 0
}

# --- kernel tier -----------------------------------------------------------
ok=1
step kernel-stock inroot bash /kaia/src/tools/inner/build-kernel.sh stock || ok=0
for f in $flavours; do
	[ "$f" = stock ] && continue
	step "kernel-$f" inroot bash /kaia/src/tools/inner/build-kernel.sh "$f" || ok=0
done
# make bench's kernels (stock and rust with the bench-only patch), so that
# the bench cannot rot: kvm.ko is all they rebuild.
has_flavour() { case " $flavours " in *" $1 "*) return 0 ;; esac; return 1; }
bench_flavours=
if has_flavour stock && has_flavour rust; then
	bench_flavours="bench-stock bench-rust"
	for f in $bench_flavours; do
		step "kernel-$f" inroot bash /kaia/src/tools/inner/build-kernel.sh "$f" || bench_flavours=
	done
fi
if [ $ok = 1 ]; then
	step selftests-build inroot bash /kaia/src/tools/inner/build-selftests.sh || ok=0
	step aia-selftests-build inroot bash /kaia/src/tools/inner/build-aia-selftests.sh || ok=0
fi
# Harness self-test: a module that WARNs on load must make the guest run
# fail (so a WARN from the code under test cannot go unnoticed).
negative() {
	inroot bash /kaia/src/tools/inner/build-module.sh stock --negative || return 1
	if inroot bash /kaia/src/tools/inner/run-qemu.sh stock negative -q -t 300; then
		echo "the bench passed a run whose kernel WARNed"
		return 1
	fi
	grep -a -q 'deliberate warning' "$KVM_AIA_CACHE/work/logs/stock-negative.log"
}
[ $ok = 1 ] && step harness-catches-warn negative
# Harness self-test: a job that reports fewer results than it declared
# (as one that dies half-way would) must fail the run, and say why.
truncated() {
	if inroot bash /kaia/src/tools/inner/run-qemu.sh stock truncated -q -t 300; then
		echo "the bench passed a run that lost two declared results"
		return 1
	fi
	grep -a -q 'KAIA-PLAN truncated_third' "$KVM_AIA_CACHE/work/logs/stock-truncated.log"
}
[ $ok = 1 ] && step harness-catches-truncation truncated
# The guest work is cut into units, each one QEMU run (plus the layout
# check that reads its log).  The units of all flavours share one queue,
# longest first, and KAIA_LANES workers (default: one per CPU, at most 2;
# single-threaded TCG keeps one core busy per QEMU) each take the next unit
# when they become free.  Runs share nothing they write: kernels and modules
# are built before, and each run has its own initramfs and logs.
#
# unit_cost KIND: its place in the queue (about the minutes it takes).
unit_cost() {
	case $1 in
	stress-selftests) echo 4 ;;
	check | stress-* | vmm) echo 3 ;;
	vmm-g1) echo 2 ;;
	*) echo 1 ;;
	esac
}

# flavour_units FLAVOUR: its units, in the order of the results.
flavour_units() {
	case $1 in
	# make bench's runs, once each (their counts are not judged here; a
	# run fails if instret is not exact or an operation misbehaves): the
	# exact one, and the timed one of the most harts.
	bench-*) echo bench; echo bench-timed ;;
	# The debug kernel's job in two halves (selftests/guest/stress.sh).
	*debug) echo stress-lifecycle; echo stress-selftests ;;
	*)
		echo check
		# A machine without guest files: HWACCEL and AUTO are refused.
		echo g0
		# A real VMM: QEMU -accel kvm boots SMP L2 guests in every mode;
		# then on a machine with one guest file per hart, overcommitted
		# (on stock, which only proves the job right, in the long tier).
		echo vmm
		[ "$1" = stock ] && [ "${KAIA_LONG:-0}" != 1 ] || echo vmm-g1
		# CPU PM: harts in non-retentive idle under blocked vCPUs.
		echo pm
		;;
	esac
	# Without AIA (PLIC machine): kvm.ko alone runs VMs, the module refuses.
	[ "$1" = rust ] && echo noaia
	return 0
}

run_unit() {
	local f=$1 kind=$2
	[ "$f" = host ] && { host_unit "$kind"; return 0; }
	case $kind in
	check) guest_tier "$f" check -t 2400 -a "kaia.long=${KAIA_LONG:-0}" ;;
	stress-*)
		guest_tier "$f" stress -N "$f-$kind" -t 2400 \
			-a "kaia.part=${kind#stress-} kaia.cycles=${KAIA_CYCLES:-10}"
		;;
	g0) guest_tier "$f" check -N "$f-check-g0" -g 0 -t 600 -a "kaia.only=aia_attrs kaia.cycles=2" ;;
	vmm) guest_tier "$f" vmm -t 2400 ;;
	vmm-g1) guest_tier "$f" vmm -N "$f-vmm-g1" -g 1 -t 1200 -a "kaia.vmm_modes=hwaccel,auto" ;;
	pm) guest_tier "$f" pm -I -t 900 ;;
	noaia) guest_tier "$f" noaia -A none -t 600 ;;
	# Two harts in two sockets (two IMSIC groups), each measured: make
	# bench's per-hart path, briefly.
	bench) guest_tier "$f" bench -s 2 -S 2 -i -t 900 -a "kaia.bench_cpus=0,1 kaia.bench_harts=2" ;;
	# The same as make bench times it on the most harts: multi-threaded
	# TCG, the guest's clock slowed (-K), aia_bench -t.
	bench-timed)
		guest_tier "$f" bench -N "$f-bench-timed" -s 2 -S 2 -T multi -K 10 -t 900 \
			-a "kaia.bench_cpus=0,1 kaia.bench_harts=2 kaia.bench_msi=0 kaia.bench_timed=1"
		;;
	esac
	# The module's view of the IMSIC against the machine's device tree.
	case $kind,$f in check,rust* | stress-lifecycle,rust* | bench,bench-rust)
		step "imsic-layout-live-$f" inroot bash /kaia/src/tools/inner/layout-live.sh "$f-$kind"
		;;
	esac
	return 0
}

lanes=${KAIA_LANES:-$(( $(nproc) < 2 ? 1 : 2 ))}
if [ $ok = 1 ]; then
	step vmm-image inroot bash /kaia/src/tools/inner/build-vmm.sh || true
	qdir=$(mktemp -d)
	i=0
	for f in $flavours; do
		# kvm_riscv_aia.ko links against the patched kvm.ko only; the
		# stock flavour runs upstream aia.c inside kvm.ko.  A flavour
		# whose module does not build runs nothing (its step failed).
		case $f in stock | debug) ;; *)
			step "module-$f" inroot bash /kaia/src/tools/inner/build-module.sh "$f" CLIPPY=1 ||
				continue
			;;
		esac
		pm=1
		case $f in *debug) ;; *)
			step "pm-module-$f" inroot bash /kaia/src/tools/inner/build-module.sh "$f" --pm || pm=0
			;;
		esac
		for u in $(flavour_units "$f"); do
			[ "$u" = pm ] && [ $pm = 0 ] && continue
			i=$((i + 1))
			echo "$(unit_cost "$u") $i $f $u" >>"$qdir/all"
		done
	done
	for f in $bench_flavours; do
		case $f in *rust)
			step "module-$f" inroot bash /kaia/src/tools/inner/build-module.sh "$f" || continue
			;;
		esac
		for u in $(flavour_units "$f"); do
			i=$((i + 1))
			echo "$(unit_cost "$u") $i $f $u" >>"$qdir/all"
		done
	done
	for u in $(host_units); do
		i=$((i + 1))
		echo "1 $i host $u" >>"$qdir/all"
	done
	touch "$qdir/all" "$qdir/lock"
	sort -s -k1,1nr "$qdir/all" >"$qdir/queue"
	for w in $(seq 1 "$lanes"); do
		(
			while :; do
				unit=$(flock "$qdir/lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$qdir/queue")
				[ -n "$unit" ] || break
				# shellcheck disable=SC2086
				set -- $unit
				log "worker $w: $3 $4"
				(
					n=0 passed=0 failed=0 skipped=0
					run_unit "$3" "$4" >"$qdir/$2.tap"
					echo "$passed $failed $skipped" >"$qdir/$2.counts"
				)
			done
		) &
	done
	wait
	# Results in a fixed order (flavour, then unit), whatever ran first.
	while read -r _ idx f u; do
		merge_guest_tap "unit $f $u" "$qdir/$idx.tap" "$qdir/$idx.counts" 0
	done < <(sort -k2,2n "$qdir/all")
	rm -rf "$qdir"
else
	for u in $(host_units); do host_unit "$u"; done
fi

echo "1..$n"
echo "# make check: $(( $(date +%s) - T0 ))s, flavours: $flavours"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
