// SPDX-License-Identifier: GPL-2.0
/*
 * aia_ipi - guests send MSIs to each other through their IMSIC pages, with
 * two vCPUs sharing each hart.
 *
 * This is what an SMP Linux guest's IPIs do: a vCPU writes an ID to another
 * vCPU's (or its own) IMSIC page, which in HWACCEL and AUTO mode the G-stage
 * maps to the guest interrupt file that the target's hart gave it, so that
 * the write lands in the hardware file; a target blocked in WFI is woken by
 * its hart's SGEI.  Each hart runs two vCPUs (as many as it has free lines,
 * at most two, in HWACCEL), so lines 1 and 2 of each hart are in use.
 *
 * Every round, every vCPU sends one MSI to every vCPU, itself included (an
 * ID per sender), after a doorbell MSI from the host wakes it.  Each guest
 * must claim exactly what was sent to it: an MSI lost because a guest file's
 * address, its G-stage mapping or its HGEIE/SGEI routing is wrong fails, and
 * so does a wake-up that does not come (no tolerance).  With the Rust
 * provider's debugfs, the lines owned on each hart while the VM runs and
 * none after it are checked too.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_ROUNDS	40
#define MAX_HARTS	4
#define DOORBELL_ID	1

FIXTURE(aia) {
	int unused;
};

FIXTURE_VARIANT(aia) {
	u32 mode;
};

FIXTURE_VARIANT_ADD(aia, emul) {
	.mode = KVM_DEV_RISCV_AIA_MODE_EMUL,
};

FIXTURE_VARIANT_ADD(aia, hwaccel) {
	.mode = KVM_DEV_RISCV_AIA_MODE_HWACCEL,
};

FIXTURE_VARIANT_ADD(aia, auto) {
	.mode = KVM_DEV_RISCV_AIA_MODE_AUTO,
};

FIXTURE_SETUP(aia)
{
}

FIXTURE_TEARDOWN(aia)
{
}

TEST_F_TIMEOUT(aia, ipi_shared_harts, 300)
{
	bool hw = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	bool dbg = aia_debugfs_present();
	int harts = aia_nr_cpus() < MAX_HARTS ? aia_nr_cpus() : MAX_HARTS;
	struct aia_msi m[AIA_MAX_VCPUS * (AIA_MAX_VCPUS + 1)];
	int hart_of[AIA_MAX_VCPUS], per_hart[MAX_HARTS];
	int lines[AIA_MAX_VCPUS], owned, n = 0, shared = 0;
	int h, v, s, t, r, k;
	struct aia_vm *a;

	/*
	 * Two vCPUs per hart; in HWACCEL a hart runs as many as it has free
	 * lines (a vCPU without a guest file cannot enter), at most two.
	 */
	for (h = 0; h < harts; h++) {
		per_hart[h] = variant->mode == KVM_DEV_RISCV_AIA_MODE_HWACCEL ?
			      aia_probe_free_lines(h, 2) : 2;
		for (k = 0; k < per_hart[h]; k++)
			hart_of[n++] = h;
		shared += per_hart[h] > 1;
	}
	if (!shared)
		SKIP(return, "no hart has two free guest interrupt files for %s",
		     aia_mode_name(variant->mode));

	a = aia_vm_create(variant->mode, n, NULL);
	aia_map_imsics(a);
	aia_enable_all_ids(a);
	aia_vm_init(a);
	for (v = 0; v < n; v++)
		aia_runner_start(a, v, hart_of[v]);
	for (v = 0; v < n; v++) {
		aia_wait_ready(a, v);
		ASSERT_FALSE(a->runner[v].exited)
			TH_LOG("vCPU %d exited (%s, reason %lu) on hart %d", v,
			       exit_reason_str(a->runner[v].exit_reason),
			       a->runner[v].fail_reason, hart_of[v]);
	}

	/* Each vCPU of HWACCEL owns a line of its hart; AUTO's own one. */
	if (dbg && hw) {
		for (h = 0; h < harts; h++) {
			owned = aia_debugfs_owners(h, lines);
			for (v = 0; v < n; v++) {
				if (hart_of[v] != h)
					continue;
				if (variant->mode == KVM_DEV_RISCV_AIA_MODE_HWACCEL)
					ASSERT_GT(lines[v], 0)
						TH_LOG("vCPU %d owns no line of hart %d", v, h);
			}
			ASSERT_GE(owned, 0);
		}
	}

	for (r = 0; r < NR_ROUNDS; r++) {
		k = 0;
		for (s = 0; s < n; s++) {
			for (t = 0; t < n; t++)
				m[k++] = (struct aia_msi){ AIA_SEND_GUEST, t, 2 + s, s };
			/* Wake the sender to send its list. */
			m[k++] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, s, DOORBELL_ID };
		}
		aia_deliver(a, m, k);
	}
	ksft_print_msg("aia: %s: %d vCPUs, %d harts, %d rounds of %d guest MSIs: none lost\n",
		       aia_mode_name(variant->mode), n, harts, NR_ROUNDS, n * n);

	aia_stop_all(a);
	aia_vm_free(a);
	if (dbg)
		ASSERT_TRUE(aia_debugfs_wait_empty(10)) TH_LOG("lines still owned after the VM");
}

TEST_HARNESS_MAIN
