#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench": retired instructions of each host AIA entry point that
# kvm.ko calls, C aia.c (stock) against the Rust provider, in one run.
#
# Both kernels get the same bench-only patch (patches/<series>-bench/:
# per-vCPU debugfs files in kvm.ko that time the entry points with instret)
# and boot one hart under QEMU -icount shift=0, where instret counts
# instructions: the table says so only when a calibration loop of known
# length comes out exact on both (selftests/aia/aia_bench fails otherwise).
# Each count is the minimum over 16 runs with interrupts off (max shown
# when it differs), less an empty measurement.  Also: text sizes of aia.o
# against the module and kvm.ko's provider glue.
#
# Output: a Markdown table on stdout, also kept in
# $KVM_AIA_CACHE/work/logs/bench.md.  Not a test: it fails only when a
# build or a run fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
inroot() { bash "$here/in-root.sh" "$@"; }

logs=$KVM_AIA_CACHE/work/logs
quiet_setup bench
for f in stock rust bench-stock bench-rust bench-stock-scale bench-rust-scale; do
	quiet inroot bash /kaia/src/tools/inner/build-kernel.sh "$f"
done
quiet inroot bash /kaia/src/tools/inner/build-module.sh bench-rust
quiet inroot bash /kaia/src/tools/inner/build-module.sh bench-rust-scale
quiet inroot bash /kaia/src/tools/inner/build-selftests.sh
quiet inroot bash /kaia/src/tools/inner/build-aia-selftests.sh

for f in bench-stock bench-rust; do
	log "measuring $f (one hart, -icount shift=0)"
	inroot bash /kaia/src/tools/inner/run-qemu.sh "$f" bench -q -i -s 1 -t 900 \
		>"$logs/$f-bench.tap" 2>/dev/null ||
		{ cat "$logs/$f-bench.tap" >&2; die "$f: the bench run failed (log: $logs/$f-bench.log)"; }
done

# The same on the most harts: QEMU's virt machine takes 512.  Debian's
# OpenSBI 1.6 starts at most 107 of them below the kernel, and never more
# than 128: these runs boot the same release rebuilt from Debian's source
# for 512 harts (tools/inner/build-opensbi.sh has the why), and the
# bench-*-scale kernels, which take 512 CPUs and stop idle harts' ticks
# (configs/scale.config), with patches/<series>-scale/'s fix: Linux 7.3
# looks each hart of the cpu-map up in O(harts^2), O(harts^3) in all (7.7 s
# of guest time at 512 harts, 77 s of host time).  The harts are split into sockets of at most
# 256, each its own NUMA node with its own APLIC and IMSIC group.
#
# These runs are timed, not counted: under -icount one host thread runs
# every hart and shares each timer interval among all of them, halted or
# not, and a 512-hart boot was still bringing its harts up after two hours
# (Documentation/baseline.md, "The most harts", has this and the rest).
# Multi-threaded TCG (a host thread per hart) boots all 512 in minutes,
# but instret then reads the host's cycle counter: each figure is host
# time (aia_bench -t), so only the ratio of the two kernels, measured the
# same way one after the other on the same harts, is compared.
#  maxcpus=1: the kernel boots on one hart, the guest job loads KVM there
#   and then brings the other harts online from user space, one at a
#   time, while the rest idle (selftests/guest/bench.sh): each hart's AIA
#   enable runs in its CPU online path.  512 vCPU threads on two host
#   cores turn a lock that many harts want at once into a queue whose
#   every hand-off waits for the host to run one particular thread
#   (0.6 s): booting all harts at once finished once in four tries, and
#   a module load with 511 idle harts online woke them all with its
#   instruction cache flushes and queued them on jiffies_lock
#   (Documentation/baseline.md, "The most harts").
#  unaligned_scalar_speed=fast: what QEMU's harts measure (7 to 13 times
#   byte access speed), without measuring it for 16 ms on each hart.
#  -K 10: the guest's clock runs 10 times slower than the machine's
#   timer, so fewer timer interrupts for the host's two cores to run and
#   kernel timeouts (10 s for a hart to come up) ten times as long in host
#   time.
#  -X ziccrse: Linux takes ticket spinlocks.  With queued ones the stock
#   kernel's 512-hart boot stopped with 447 harts queued for a lock that
#   was free.
#  earlycon: the boot shows from its first line.
# Once every hart is online, aia_bench measures on the first hart, the
# first of the second half (socket 1 from 257 harts on) and the last.
harts=${KAIA_BENCH_HARTS:-512}
[ "$harts" -ge 2 ] 2>/dev/null && [ "$harts" -le 512 ] ||
	die "KAIA_BENCH_HARTS=$harts: wants a number of harts from 2 to 512"
sockets=$(( (harts + 255) / 256 ))
[ $((harts % sockets)) = 0 ] || die "KAIA_BENCH_HARTS=$harts: $sockets sockets need a multiple of $sockets"
scale_cpus="0 $((harts / 2)) $((harts - 1))"
fw=$(inroot bash /kaia/src/tools/inner/build-opensbi.sh | tail -1)
# One kernel at a time: each figure is host time, and the other QEMU's
# threads would take the host's cores from the hart being timed.
for f in bench-stock bench-rust; do
	log "timing $f on $harts harts in $sockets socket(s) (multi-threaded TCG)"
	inroot bash /kaia/src/tools/inner/run-qemu.sh "$f-scale" bench -q -T multi -K 10 -X ziccrse -s "$harts" -S "$sockets" \
		-B "$fw" -m 4G -t 3600 -N "$f-bench-scale" \
		-a "earlycon maxcpus=1 unaligned_scalar_speed=fast kaia.bench_cpus=${scale_cpus// /,} kaia.bench_harts=$harts kaia.bench_msi=0 kaia.bench_timed=1" \
		>"$logs/$f-bench-scale.tap" 2>/dev/null ||
		{ cat "$logs/$f-bench-scale.tap" >&2; die "$f: the $harts-hart bench run failed (log: $logs/$f-bench-scale.log)"; }
done
# The module's view of all those harts against the machine's device tree.
quiet inroot bash /kaia/src/tools/inner/layout-live.sh bench-rust-bench-scale

# The host scale benchmark of the pure logic (no kernel, no QEMU).
scale=$(inroot bash -c 'cd rust/aia_core && cargo run --locked --release -q --example scale') ||
	die "the host scale benchmark failed"

# table [-v]: the stock and rust counts side by side, the MSI figures
# (msi_*), or with -v every other operation.
table() {
	awk -v inv="${1:-}" 'NR == FNR { c[$1] = $2; cm[$1] = $3; next }
		function v(min, max) { return min == max ? min : min " (max " max ")" }
		(($1 ~ /^msi_/) == (inv == "-v")) { next }
		{
			if (!($1 in c)) { printf "| %s | - | %s | - |\n", $1, v($2, $3); next }
			printf "| %s | %s | %s | %+d |\n", $1, v(c[$1], cm[$1]), v($2, $3), $2 - c[$1]
		}' "$logs/bench-stock.counts" "$logs/bench-rust.counts"
}

# "<op> <min> <max>" per line of a run's console log.
counts() { sed -n -E 's/^(\[ *[0-9.]+\] )?KAIA-BENCH //p' "$logs/$1-bench.log"; }
counts bench-stock >"$logs/bench-stock.counts"
counts bench-rust >"$logs/bench-rust.counts"
# "<harts> <cpu> <op> <min> <max>" per hart timed in a kernel's scale run.
cpu_counts() {
	awk '/KAIA-BENCH-HARTS / { h = $NF }
		/KAIA-BENCH-CPU / { sub(/.*KAIA-BENCH-CPU /, ""); print h, $0 }' "$logs/$1-bench-scale.log"
}
cpu_counts bench-stock >"$logs/bench-stock.cpu-counts"
cpu_counts bench-rust >"$logs/bench-rust.cpu-counts"
# The per-hart figures, C against Rust, by hart: host ticks, and their
# ratio (the calibration loop first, as the scale of a tick).
cpu_table() {
	awk 'NR == FNR { c[$2 " " $3] = $4; next }
		{
			k = $2 " " $3
			printf "%d %s %s\t| %s | %s | %s | %s | %s |\n", $3 != "calibration", $3, $2, $3, $2,
				(k in c ? c[k] : "-"), $4, (k in c ? sprintf("%.2f", $4 / c[k]) : "-")
		}' "$logs/bench-stock.cpu-counts" "$logs/bench-rust.cpu-counts" | sort -k1,1n -k2,2 -k3,3n | cut -f2-
}
# "<what> <guest seconds>" per KAIA-BENCH-MARK begin/end pair of a scale
# run: the bring-up of the other harts and each module load, timed by the
# kernel log's timestamps (the guest's clock).
marks() {
	awk '/KAIA-BENCH-MARK / {
			t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
			if ($NF == "begin") b[$(NF - 1)] = t
			else if ($(NF - 1) in b) printf "%s %.3f\n", $(NF - 1), t - b[$(NF - 1)]
		}' "$logs/$1-bench-scale.log"
}
marks bench-stock >"$logs/bench-stock.marks"
marks bench-rust >"$logs/bench-rust.marks"
for f in bench-stock bench-rust; do
	[ "$(awk '$1 == '"$harts"' && $3 == "disable_enable"' "$logs/$f.cpu-counts" | wc -l)" = 3 ] ||
		die "$f: the $harts-hart run did not time disable+enable on 3 harts (log: $logs/$f-bench-scale.log)"
	grep -q '^online ' "$logs/$f.marks" && grep -q '^kvm.ko ' "$logs/$f.marks" ||
		die "$f: the $harts-hart run did not time the bring-up and kvm.ko (log: $logs/$f-bench-scale.log)"
done
grep -q '^kvm_riscv_aia.ko ' "$logs/bench-rust.marks" ||
	die "bench-rust: the $harts-hart run did not time kvm_riscv_aia.ko (log: $logs/bench-rust-bench-scale.log)"
# mark_table: the steps, C against Rust, in guest seconds.
mark_table() {
	for m in kvm.ko kvm_riscv_aia.ko online; do
		printf '| %s | %s | %s |\n' "$m" \
			"$(awk -v m="$m" '$1 == m { print $2 }' "$logs/bench-stock.marks" | grep . || echo -)" \
			"$(awk -v m="$m" '$1 == m { print $2 }' "$logs/bench-rust.marks")"
	done
}
sizes=$(inroot bash -c '. /kaia/src/tools/kenv.sh
	sz() { llvm-size-19 -A "$1" | awk '\''$1 ~ /^\.text/ { t += $2 } END { print t + 0 }'\''; }
	echo "aia.o $(sz "$(out_dir bench-stock)/arch/riscv/kvm/aia.o")"
	echo "kvm_riscv_aia.ko $(sz /kaia/cache/module/bench-rust/kvm_riscv_aia.ko)"
	echo "aia_provider.o $(sz "$(out_dir bench-rust)/arch/riscv/kvm/aia_provider.o")"')

{
	echo "## Host AIA entry points: retired instructions (make bench)"
	echo
	echo "$(date -u +%Y-%m-%d), $(grep -E '^(linux-source|rustc:|clang:|qemu:)' "$KAIA_ROOT/kvm-aia-versions.txt" |
		tr '\n' ';' | sed 's/;$//; s/;/; /g')."
	echo "QEMU virt,aia=aplic-imsic,aia-guests=5, one hart, -icount shift=0;"
	echo "CONFIG_JUMP_LABEL=y, PREEMPT_LAZY with PREEMPT_DYNAMIC, NR_CPUS=128; no NACL (OpenSBI has none)."
	echo
	echo "| operation | C aia.c | Rust | Rust - C |"
	echo "|---|---:|---:|---:|"
	table -v
	echo
	echo "Text (bytes): $(echo "$sizes" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')."
	echo
	echo "## Per hart, on the most harts (make bench)"
	echo
	echo "Harts 0, $((harts / 2)) and $((harts - 1)) of a $harts-hart virt machine in $sockets socket(s)"
	echo "(KAIA_BENCH_HARTS), NR_CPUS=512 kernels, OpenSBI $(inroot dpkg-query -W -f='${Version}' opensbi) rebuilt for"
	echo "512 harts, booted on one hart (maxcpus=1) where KVM was loaded, the others"
	echo "brought online one at a time, each enabling AIA in its CPU online path."
	echo "Multi-threaded TCG, no -icount: instret reads the host's cycle counter, so"
	echo "these are host ticks of the emulated path (min over 16 runs, less an empty"
	echo "measurement; 0: below that empty measurement's spread), not instructions;"
	echo "the kernels ran one after the other, and only the ratio compares."
	echo "calibration is a loop of 2001 instructions."
	echo
	echo "| operation | hart | C aia.c | Rust | Rust / C |"
	echo "|---|---:|---:|---:|---:|"
	cpu_table
	echo
	echo "Loads and bring-up in the same runs, guest seconds (kernel log timestamps;"
	echo "at -K 10 a guest second is ten seconds of the machine's timer, host time):"
	echo "kvm.ko and kvm_riscv_aia.ko load on the boot hart, then online brings the"
	echo "$((harts - 1)) other harts up one at a time, each enabling AIA as it comes up."
	echo
	echo "| step | C aia.c | Rust |"
	echo "|---|---:|---:|"
	mark_table
	echo
	echo "## MSI delivery into a guest (make bench)"
	echo
	echo "Same run. KVM_SIGNAL_MSI into one vCPU waiting in WFI, until the guest has"
	echo "claimed it and its runner thread has seen that: instructions of the whole"
	echo "path (virtual ns under -icount shift=0), min (max) over 32 single MSIs"
	echo "(latency) and over 8 batches of 32 (per MSI)."
	echo
	echo "| figure | C aia.c | Rust | Rust - C |"
	echo "|---|---:|---:|---:|"
	table
	echo
	echo "## Pure HGEI logic at scale (host, make bench)"
	echo
	echo "rust/aia_core/examples/scale.rs, $(uname -m) host, rustc $(sed -n 's/^rustc: rustc \([^ ]*\).*/\1/p' "$KAIA_ROOT/kvm-aia-versions.txt"):"
	echo "nanoseconds per hart (enable) and per line (alloc, SGEI round, free),"
	echo "fastest of 9 trials, and the ratio to one hart in the same run."
	echo
	echo "$scale"
} | tee "$logs/bench.md"
