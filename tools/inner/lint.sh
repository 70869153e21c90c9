#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: style checks that need the kernel tree.
#   - checkpatch.pl on our C glue and headers (as files) and on the KVM core
#     patch series (as patches)
#   - rustfmt --check on the module's Rust sources with the kernel's config
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
# The KVM core series, checked from the top of the kernel tree as a
# maintainer would.
for p in patches/0*.patch; do
	[ -e "$p" ] || continue
	case $p in *0000-cover-letter*) continue ;; esac
	(cd "$src" && ./scripts/checkpatch.pl --strict --quiet --show-types "/kaia/src/$p") || rc=1
done
find rust -name '*.rs' -not -path 'rust/aia_core/target/*' -print0 |
	xargs -0 rustfmt --check --edition 2021 --config-path "$src/.rustfmt.toml" || rc=1
exit $rc
