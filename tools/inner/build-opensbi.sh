#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: the firmware for make bench's runs on the most
# harts.  Prints the path of a fw_dynamic.bin for QEMU's -bios.
#
# Every other run boots Debian's OpenSBI as it is.  It cannot start more
# than 128 harts: its hart masks have SBI_HARTMASK_MAX_BITS = 128 bits
# (129 harts print nothing).  And from 108 harts on, its runtime area (per-hart
# stack and scratch, and a heap with a TLB FIFO of harts x harts entries)
# grows past 2 MiB (2064 KB at 108 harts), where QEMU loads the kernel: the
# first 2 MiB boundary after the firmware file.  QEMU's virt machine
# takes 512 harts.
#
# So: the release Debian ships (the installed opensbi package's version),
# built from Debian's own source, its orig tarball, checked against the
# archive's Sources index (fetched and signature-checked by apt).  Two
# changes: SBI_HARTMASK_MAX_BITS raised to 512, and the heap sized for its
# bookkeeping (below).  It is built with the root's riscv64 cross compiler.  fw_dynamic.bin is then padded with zeros to 32 MiB,
# so that QEMU loads the kernel above the runtime area: 28992 KB at 512 harts,
# which OpenSBI protects as the 32 MiB region from 0x80000000.
#
# Cached in /kaia/cache/opensbi/<key>, keyed by the package version and
# this script.
. /kaia/src/tools/kenv.sh

version=$(dpkg-query -W -f='${Version}' opensbi)
upstream=${version%-*}
upstream=${upstream#*:}
max_bits=512
pad=32M
key=$({ echo "$version"; cat "$0"; } | sha256sum | cut -c1-12)
dir=$KAIA_CACHE/opensbi/$key
fw=$dir/fw_dynamic.bin
say() { printf '[kvm-aia] opensbi: %s\n' "$*" >&2; }

if [ -f "$dir/.kaia-built" ]; then
	echo "$fw"
	exit 0
fi
for d in "$KAIA_CACHE"/opensbi/*; do [ "$d" = "$dir" ] || rm -rf "$d"; done
rm -rf "$dir"
mkdir -p "$dir/lists/partial"

# The archive's Sources index for the suite the package came from, through
# apt (signature and index checksums checked), into a private lists
# directory: the root's own apt state is not touched.
mirror=$(awk '$1 == "deb" && $3 == "trixie" { print $2; exit }' /etc/apt/sources.list)
[ -n "$mirror" ] || { say "no trixie mirror in the root's sources.list"; exit 1; }
echo "deb-src $mirror trixie main" >"$dir/sources.list"
apt=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
	-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/apt-cache")
apt-get "${apt[@]}" -qq update >"$dir/apt.log" 2>&1 ||
	{ tail -5 "$dir/apt.log" >&2; say "apt-get update of the source index failed"; exit 1; }
tarball=opensbi_$upstream.orig.tar.gz
sum=$(apt-get "${apt[@]}" -qq --print-uris source "opensbi=$version" 2>/dev/null |
	awk -v f="$tarball" '$2 == f { print $4 }' | sed -n 's/^SHA256://p')
[ -n "$sum" ] || { say "the archive's index has no $tarball for opensbi $version"; exit 1; }
url=$mirror/pool/main/o/opensbi/$tarball
say "fetching $url"
python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
	"$url" "$dir/$tarball" || { say "cannot fetch $url"; exit 1; }
echo "$sum  $dir/$tarball" | sha256sum -c --quiet - ||
	{ say "$tarball does not match the archive's SHA256 $sum"; exit 1; }

src=$dir/opensbi-$upstream
mkdir -p "$src"
tar -xzf "$dir/$tarball" -C "$src" --strip-components=1
h=$src/include/sbi/sbi_hartmask.h
sed -i -E "s/^(#define SBI_HARTMASK_MAX_BITS[[:space:]]+)128\$/\\1$max_bits/" "$h"
grep -Eq "^#define SBI_HARTMASK_MAX_BITS[[:space:]]+$max_bits\$" "$h" ||
	{ say "SBI_HARTMASK_MAX_BITS is not 128 in $h: check what this release needs"; exit 1; }
# The heap: the generic platform sizes it as 32 KiB + 4 KiB per hart + the
# TLB FIFOs (harts x harts entries), but sbi_heap_init() keeps 1/16 of it
# for its own bookkeeping, and at 512 harts that 1/16 (1538 KB) is more
# than the 2 MiB per-hart share minus what the harts allocate besides
# their FIFOs: hart 495 found the heap empty in its warm start and hung in
# sbi_hart_hang() (Documentation/baseline.md, "The most harts").  Size it
# so that what is left after the 1/16 is what the formula asked for.
p=$src/platform/generic/platform.c
tlb='	heap_size += SBI_TLB_INFO_SIZE * (hart_count) * (hart_count);'
grep -qxF "$tlb" "$p" && grep -q '^#define HEAP_HOUSEKEEPING_FACTOR[[:space:]]*16$' "$src/lib/sbi/sbi_heap.c" ||
	{ say "the heap's size or bookkeeping changed in $upstream: check what this release needs"; exit 1; }
awk -v tlb="$tlb" '{ print } $0 == tlb { print "\theap_size += heap_size / 15;\t/* sbi_heap_init() keeps 1/16 */" }' \
	"$p" >"$p.new" && mv "$p.new" "$p"
say "building opensbi $upstream with SBI_HARTMASK_MAX_BITS=$max_bits and the heap's bookkeeping counted"
make -C "$src" -s -j"$JOBS" CROSS_COMPILE=riscv64-linux-gnu- PLATFORM=generic \
	FW_PIC=y >"$dir/build.log" 2>&1 ||
	{ tail -20 "$dir/build.log" >&2; say "build failed"; exit 1; }
cp "$src/build/platform/generic/firmware/fw_dynamic.bin" "$fw"
truncate -s "$pad" "$fw"
rm -rf "$src" "$dir/lists" "$dir/apt-cache"
touch "$dir/.kaia-built"
echo "$fw"
