#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: cross-build the kernel tree's KVM selftests
# (riscv64, static) once per kernel version and set of selftest fixes
# (patches/<series>-selftests/), against the UAPI headers of the stock
# build.  Output: /kaia/cache/selftests/linux-<version>-<fixes key>/
# (binaries stripped).
. /kaia/src/tools/kenv.sh

hdr=$(out_dir stock)/usr-headers/include
dst=$(selftests_dir)
# Our own small test tools (selftests/tools/*.c), keyed by their sources.
tools=$(selftest_tools_dir)
if [ ! -f "$tools/.kaia-built" ]; then
	rm -rf "$tools"
	mkdir -p "$tools"
	for c in /kaia/src/selftests/tools/*.c; do
		riscv64-linux-gnu-gcc -O2 -Wall -Werror -static -isystem "$hdr" \
			-o "$tools/$(basename "$c" .c)" "$c"
	done
	touch "$tools/.kaia-built"
fi
[ -f "$dst/.kaia-built" ] && { echo "[kvm-aia] selftests cached in $dst" >&2; exit 0; }
[ -d "$hdr" ] || { echo "stock kernel headers missing ($hdr)" >&2; exit 1; }

t0=$(date +%s)
# The stock tree with our selftest fixes (patches/<series>-selftests/).
src=$(selftests_src)
if [ ! -f "$src/.kaia-patched" ]; then
	rm -rf "$src" "$src.tmp"
	cp -al "$(src_dir stock)" "$src.tmp"
	for p in "$PATCH_DIR-selftests"/*.patch; do
		[ -e "$p" ] || continue
		if ! res=$(patch -d "$src.tmp" -p1 --no-backup-if-mismatch <"$p" 2>&1); then
			echo "$res" >&2
			echo "selftest fix $(basename "$p") does not apply to Linux $LINUX_VERSION" >&2
			exit 1
		fi
	done
	touch "$src.tmp/.kaia-patched"
	mv "$src.tmp" "$src"
fi
# Only the current fixes' tree and build are kept.
for d in "$KAIA_CACHE"/src/selftests-* "$KAIA_CACHE"/selftests/linux-*; do
	[ "$d" = "$src" ] || [ "$d" = "$dst" ] || rm -rf "$d"
done
rm -rf "$dst"
mkdir -p "$dst"
make -C "$src/tools/testing/selftests/kvm" -s -j"$JOBS" ARCH=riscv \
	CROSS_COMPILE=riscv64-linux-gnu- USERLDFLAGS=-static \
	KHDR_INCLUDES="-isystem $hdr" OUTPUT="$dst/obj" >"$dst/build.log" 2>&1 ||
	{ tail -30 "$dst/build.log" >&2; exit 1; }
mkdir -p "$dst/bin"
# Test binaries: executables at the top of OUTPUT and under riscv/.
find "$dst/obj" -maxdepth 2 -type f -perm -u+x ! -name '*.o' ! -name '*.sh' |
	while read -r f; do
		riscv64-linux-gnu-strip -o "$dst/bin/$(basename "$f")" "$f"
	done
touch "$dst/.kaia-built"
echo "[kvm-aia] selftests built in $(( $(date +%s) - t0 )) s: $(ls "$dst/bin" | wc -l) binaries" >&2
