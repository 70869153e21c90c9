#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: cross-build the project's AIA KVM selftests
# (selftests/aia/*.c, one binary each, plus the shared selftests/aia/lib/*.c)
# for riscv64, static, on the kernel tree's KVM selftest library as built by
# build-selftests.sh: its objects are linked as they are, and the compile and
# link commands are the ones the tree's Makefile.kvm prints for one of its
# own tests, so the flags always match.  Output (stripped):
# /kaia/cache/selftests/aia/bin/.  Rebuilds only when an input changed.
. /kaia/src/tools/kenv.sh

src=$KAIA_SRC/selftests/aia
st=$(selftests_dir)
dst=$KAIA_CACHE/selftests/aia
hdr=$(out_dir stock)/usr-headers/include
ksrc=$(selftests_src)/tools/testing/selftests/kvm

[ -f "$st/.kaia-built" ] || bash "$KAIA_SRC/tools/inner/build-selftests.sh" ||
	{ echo "KVM selftest library not built" >&2; exit 1; }

key=$({
	echo "$LINUX_VERSION"
	cat "$st/.kaia-built" "$0"
	find "$src" -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort | xargs cat
} | sha256sum | cut -c1-16)
if [ "$(cat "$dst/.kaia-key" 2>/dev/null)" = "$key" ]; then
	echo "[kvm-aia] AIA selftests up to date in $dst/bin" >&2
	exit 0
fi

# The tree's own commands for irqfd_test (-n: printed, not run).
ref=irqfd_test
cmds=$(make -C "$ksrc" -n -s ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- \
	USERLDFLAGS=-static KHDR_INCLUDES="-isystem $hdr" OUTPUT="$st/obj" \
	-W "$ref.c" "$st/obj/$ref")
cc_line=$(grep -F -- " -c $ref.c -o " <<<"$cmds" || true)
ld_line=$(grep -F -- " -o $st/obj/$ref" <<<"$cmds" | grep -vF -- " -c " || true)
[ -n "$cc_line" ] && [ -n "$ld_line" ] ||
	{ echo "cannot get the compile/link commands from Makefile.kvm" >&2; exit 1; }
cc=${cc_line%% -c $ref.c -o *}			# compiler and CFLAGS
ld=${ld_line%% $st/obj/$ref.o *}		# ... and LDFLAGS
libs=${ld_line#* $st/obj/$ref.o }		# libkvm objects, LDLIBS
libs=${libs% -o *}

t0=$(date +%s)
rm -rf "$dst"
mkdir -p "$dst/obj/lib" "$dst/bin"
log=$dst/build.log
# Compiled from the selftests directory, as the tree does (-Iinclude ...).
cd "$ksrc"
for f in "$src"/lib/*.c; do
	$cc -I"$src/lib" -c "$f" -o "$dst/obj/lib/$(basename "${f%.c}").o" 2>>"$log" ||
		{ cat "$log" >&2; exit 1; }
done
for f in "$src"/*.c; do
	n=$(basename "${f%.c}")
	$cc -I"$src/lib" -c "$f" -o "$dst/obj/$n.o" 2>>"$log" &&
		$ld "$dst/obj/$n.o" "$dst"/obj/lib/*.o $libs -o "$dst/obj/$n" 2>>"$log" ||
		{ cat "$log" >&2; exit 1; }
	riscv64-linux-gnu-strip -o "$dst/bin/$n" "$dst/obj/$n"
done
if [ -s "$log" ]; then
	echo "compiler warnings:" >&2
	cat "$log" >&2
	exit 1
fi
echo "$key" >"$dst/.kaia-key"
echo "[kvm-aia] AIA selftests built in $(( $(date +%s) - t0 )) s: $(ls "$dst/bin" | xargs)" >&2
