#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make run": build what is missing, boot QEMU's virt machine with AIA
# (aplic-imsic) and guest files, load KVM (and kvm_riscv_aia.ko for the
# rust flavour), run a real guest on it (QEMU -accel kvm,riscv-aia=auto,
# two vCPUs per hart) and show each hart's lines, their owners and the SGEIs
# before, while and after it runs (selftests/guest/show.sh).
#
# Environment: KAIA_FLAVOUR (rust), KAIA_SMP (2), KAIA_GUESTS (5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
flavour=${KAIA_FLAVOUR:-rust}
inroot() { bash "$here/in-root.sh" "$@"; }

# Building is quiet unless it fails (logs in the cache).
quiet_setup run
quiet inroot bash /kaia/src/tools/inner/build-kernel.sh stock
[ "$flavour" = stock ] || quiet inroot bash /kaia/src/tools/inner/build-kernel.sh "$flavour"
if [ "$flavour" != stock ] && [ "$flavour" != debug ]; then
	quiet inroot bash /kaia/src/tools/inner/build-module.sh "$flavour"
fi
quiet inroot bash /kaia/src/tools/inner/build-vmm.sh
log "$(grep -E '^(linux-source|rustc:|qemu:)' "$KAIA_ROOT/kvm-aia-versions.txt" | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
# Only the job's display lines (KAIA-SHOW, through the guest's kernel log)
# reach the terminal; the console log stays in the cache.  KUnit does not
# run (its deliberate bad frees would show in the counters).
set +e
inroot bash /kaia/src/tools/inner/run-qemu.sh "$flavour" show -q -a kunit.autorun=0 \
	-s "${KAIA_SMP:-2}" -g "${KAIA_GUESTS:-5}" -t 600 2>&1 >"$KVM_AIA_CACHE/work/logs/run.tap" |
	sed -n -E 's/^(\[ *[0-9.]+\] )?KAIA-SHOW ?//p'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
	grep '^not ok' "$KVM_AIA_CACHE/work/logs/run.tap" >&2
	die "make run failed (console log: $KVM_AIA_CACHE/work/logs/$flavour-show.log)"
fi
