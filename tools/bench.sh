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
for f in stock rust bench-stock bench-rust; do
	quiet inroot bash /kaia/src/tools/inner/build-kernel.sh "$f"
done
quiet inroot bash /kaia/src/tools/inner/build-module.sh bench-rust
quiet inroot bash /kaia/src/tools/inner/build-selftests.sh
quiet inroot bash /kaia/src/tools/inner/build-aia-selftests.sh

for f in bench-stock bench-rust; do
	log "measuring $f (one hart, -icount shift=0)"
	inroot bash /kaia/src/tools/inner/run-qemu.sh "$f" bench -q -i -s 1 -t 900 \
		>"$logs/$f-bench.tap" 2>/dev/null ||
		{ cat "$logs/$f-bench.tap" >&2; die "$f: the bench run failed (log: $logs/$f-bench.log)"; }
done

# "<op> <min> <max>" per line of a run's console log.
counts() { sed -n -E 's/^(\[ *[0-9.]+\] )?KAIA-BENCH //p' "$logs/$1-bench.log"; }
counts bench-stock >"$logs/bench-stock.counts"
counts bench-rust >"$logs/bench-rust.counts"
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
	echo "CONFIG_JUMP_LABEL=y, PREEMPT_LAZY with PREEMPT_DYNAMIC; no NACL (OpenSBI has none)."
	echo
	echo "| operation | C aia.c | Rust | Rust - C |"
	echo "|---|---:|---:|---:|"
	awk 'NR == FNR { c[$1] = $2; cm[$1] = $3; next }
		function v(min, max) { return min == max ? min : min " (max " max ")" }
		{
			if (!($1 in c)) { printf "| %s | - | %s | - |\n", $1, v($2, $3); next }
			printf "| %s | %s | %s | %+d |\n", $1, v(c[$1], cm[$1]), v($2, $3), $2 - c[$1]
		}' "$logs/bench-stock.counts" "$logs/bench-rust.counts"
	echo
	echo "Text (bytes): $(echo "$sizes" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')."
} | tee "$logs/bench.md"
