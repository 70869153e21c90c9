#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: tests of tools/imsic-layout, the IMSIC layout
# inspector. Its unit, hand-made-tree and property tests, then the device
# trees of QEMU's virt machine with 1 to 512 harts (QEMU's most), 1 to 4
# sockets (NUMA nodes; QEMU's most) and 0 to 7 guest files (QEMU's range), checked by
# tests/qemu_virt.rs; then clippy and rustfmt.
set -euo pipefail

cd /kaia/src/tools/imsic-layout
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
n=0
# dump CPUS SOCKETS GUESTS
dump() {
	local c=$1 s=$2 g=$3 numa=() i per first mem
	per=$((c / s))
	if [ "$s" -gt 1 ]; then
		for ((i = 0; i < s; i++)); do
			first=$((i * per))
			numa+=(-object "memory-backend-ram,id=m$i,size=256M"
				-numa "node,memdev=m$i,cpus=$first-$((first + per - 1))")
		done
	fi
	mem=$((256 * s))M
	qemu-system-riscv64 -M "virt,aia=aplic-imsic,aia-guests=$g,dumpdtb=$d/virt-c$c-s$s-g$g.dtb" \
		-smp "$c" -m "$mem" "${numa[@]}" -nographic >/dev/null 2>&1 ||
		{ echo "QEMU refused -smp $c on $s sockets with aia-guests=$g" >&2; exit 1; }
	n=$((n + 1))
}
for g in 0 1 5 7; do
	for c in 1 2 3 8; do dump "$c" 1 "$g"; done
	dump 8 2 "$g"
	dump 16 4 "$g"
	dump 64 4 "$g"
done
dump 512 1 7
dump 512 4 7
dump 512 4 0
echo "dumped $n QEMU virt device trees"

IMSIC_LAYOUT_QEMU_DTBS=$d IMSIC_LAYOUT_QEMU_COUNT=$n cargo test --locked -- --include-ignored
cargo clippy --locked --all-targets -- -D warnings
cargo fmt --check

# The command line: text and JSON (valid, and saying what the text says)
# for a two-socket machine; a bad source is an error, exit 2.
bin=${CARGO_TARGET_DIR:-target}/debug/imsic-layout
"$bin" --dtb "$d/virt-c16-s4-g5.dtb" >"$d/out.txt"
grep -q '^group 3: 4 harts' "$d/out.txt"
grep -Eq '^  per-group-2m +4 +0x800000 +112  harts 0-15: 1-7$' "$d/out.txt"
"$bin" --json --dtb "$d/virt-c16-s4-g5.dtb" >"$d/out.json"
perl -MJSON::PP -e '
	local $/; my $j = decode_json(<STDIN>);
	@{$j->{harts}} == 16 or die "harts\n";
	my ($b) = grep { $_->{policy} eq "per-group-2m" } @{$j->{policies}};
	@{$b->{exposed}} == 112 or die "exposed\n";' <"$d/out.json"
rc=0
"$bin" --dtb /dev/null 2>"$d/err" || rc=$?
[ $rc = 2 ] && grep -q 'imsic-layout: /dev/null' "$d/err"
echo "imsic-layout: all tests passed"
