#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# "make run": build what is missing, boot QEMU's virt machine with AIA
# (aplic-imsic) and guest files, load KVM (and kvm_riscv_aia.ko for the
# rust flavour), and show the AIA state: the kernel's AIA line, per-hart
# guest external interrupt lines, the SGEI interrupt.
#
# Environment: KAIA_FLAVOUR (rust), KAIA_SMP (2), KAIA_GUESTS (5).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
flavour=${KAIA_FLAVOUR:-rust}
inroot() { bash "$here/in-root.sh" "$@"; }

bash "$here/provision-root.sh" >/dev/null
inroot bash /kaia/src/tools/inner/build-kernel.sh stock
[ "$flavour" = stock ] || inroot bash /kaia/src/tools/inner/build-kernel.sh "$flavour"
if [ "$flavour" != stock ] && [ "$flavour" != debug ]; then
	inroot bash /kaia/src/tools/inner/build-module.sh "$flavour" >/dev/null
fi
inroot bash /kaia/src/tools/inner/run-qemu.sh "$flavour" show \
	-s "${KAIA_SMP:-2}" -g "${KAIA_GUESTS:-5}" -t 300 >/dev/null
