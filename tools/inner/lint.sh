#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: style checks that need the kernel tree.
#   - checkpatch.pl on our C glue and headers (as files) and on the KVM core
#     patch series (as patches)
#   - rustfmt --check on the module's Rust sources with the kernel's config
#   - a parse (bash -n) of every shell script, the guest's included
#   - every mutation site of tools/mutation-check.sh occurs exactly once
. /kaia/src/tools/kenv.sh

src=$(src_dir stock)
rc=0
cd /kaia/src
# Our C files.  CAMELCASE is off: the only hits are kernel names (SxAIA).
cp_flags="--no-tree --strict --show-types --ignore CAMELCASE"
for f in glue/*.c include/*.h selftests/negative/*.c selftests/tools/*.c \
	selftests/aia/*.c selftests/aia/lib/*.[ch]; do
	[ -e "$f" ] || continue
	"$src/scripts/checkpatch.pl" $cp_flags --quiet -f "$f" || rc=1
done
# The KVM core series (and the bench-only patch, the scale kernels' fix,
# the selftests fix), checked from the top of
# the kernel tree as a maintainer would.  Three types are off, with reasons:
#  FILE_PATH_CHANGES: emitted for any added or deleted file; aia.c and
#    aia_provider.c live in arch/riscv/kvm/, already covered by the
#    "KERNEL VIRTUAL MACHINE FOR RISC-V (KVM/riscv)" MAINTAINERS entry.
#  ARCH_INCLUDE_LINUX: aia_provider.c includes <asm/cpufeature.h> for
#    riscv_isa_extension_available(), as aia.c did; <linux/cpufeature.h>
#    only pulls it in under GENERIC_CPU_AUTOPROBE.
#  UNKNOWN_COMMIT_ID: the Debian kernel source has no git history, so a
#    Fixes: tag on a mainline commit cannot be looked up here.
for p in "patches/$KAIA_KERNEL"/0*.patch "patches/$KAIA_KERNEL-bench"/0*.patch \
	"patches/$KAIA_KERNEL-scale"/0*.patch "patches/$KAIA_KERNEL-selftests"/0*.patch; do
	[ -e "$p" ] || continue
	case $p in *0000-cover-letter*) continue ;; esac
	(cd "$src" && ./scripts/checkpatch.pl --strict --quiet --show-types \
		--ignore FILE_PATH_CHANGES,ARCH_INCLUDE_LINUX,UNKNOWN_COMMIT_ID "/kaia/src/$p") || rc=1
done
# Shell scripts: a syntax error in a sourced guest library only shows up
# at run time otherwise.
for f in tools/*.sh tools/inner/*.sh tools/tests/*.sh selftests/guest/*.sh \
	selftests/guest/init selftests/guest/l2-init .ci/run; do
	[ -e "$f" ] || continue
	bash -n "$f" || { echo "$f: shell syntax error"; rc=1; }
done
# Every planted bug of tools/mutation-check.sh still has its site.
bash tools/mutation-check.sh --sites || rc=1
find rust -name '*.rs' -not -path 'rust/aia_core/target/*' -print0 |
	xargs -0 rustfmt --check --edition 2021 --config-path "$src/.rustfmt.toml" || rc=1
exit $rc
