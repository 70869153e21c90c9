// SPDX-License-Identifier: GPL-2.0
/*
 * aia_msi_bench - MSI delivery into a guest, end to end, per AIA mode
 *
 * usage: aia_msi_bench [CPU]
 *
 * For "make bench", on a one-hart machine under QEMU -icount shift=0,
 * where the virtual clock advances one nanosecond per instruction: the
 * nanoseconds below are instructions of the whole path (this process, the
 * host kernel, KVM and its AIA provider, the guest).  On hart CPU (default
 * 0), one vCPU in EMUL, HWACCEL and AUTO (every ID enabled, waiting in WFI):
 *  - latency: one KVM_SIGNAL_MSI, until the guest has claimed it and told
 *    us (its runner's report), 32 times with a different ID each;
 *  - batch: 32 MSIs of different IDs sent back to back, until the guest has
 *    claimed all, 8 times; per MSI.
 * Every delivery is checked by aia_deliver(): nothing lost, duplicated or
 * misrouted.  Prints "bench msi_<what>_<mode> <min> <max>" per figure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aia_lib.h"

#define LAT_ROUNDS	32
#define BATCH		32
#define BATCH_ROUNDS	8
#define WARMUP		4

static void bench_mode(u32 mode, int cpu)
{
	struct aia_msi m[BATCH];
	u64 lat_min = ~0ULL, lat_max = 0, b_min = ~0ULL, b_max = 0, per;
	struct aia_vm *a = aia_vm_on_hart(mode, cpu);
	const char *name = aia_mode_name(mode);
	int r, i;

	TEST_ASSERT(a->nr_ids > BATCH, "%s: only %u IDs", name, a->nr_ids);
	for (r = 0; r < WARMUP + LAT_ROUNDS; r++) {
		m[0] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + r % BATCH };
		aia_deliver(a, m, 1);
		if (r < WARMUP)
			continue;
		lat_min = min(lat_min, a->deliver_ns);
		lat_max = max(lat_max, a->deliver_ns);
	}
	for (r = 0; r < WARMUP + BATCH_ROUNDS; r++) {
		for (i = 0; i < BATCH; i++)
			m[i] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + i };
		aia_deliver(a, m, BATCH);
		if (r < WARMUP)
			continue;
		per = a->deliver_ns / BATCH;
		b_min = min(b_min, per);
		b_max = max(b_max, per);
	}
	TEST_ASSERT(lat_min > 0 && b_min > 0, "%s: the clock did not advance", name);
	printf("bench msi_latency_%s %llu %llu\n", name,
	       (unsigned long long)lat_min, (unsigned long long)lat_max);
	printf("bench msi_batch%d_per_msi_%s %llu %llu\n", BATCH, name,
	       (unsigned long long)b_min, (unsigned long long)b_max);
	aia_stop_all(a);
	aia_vm_free(a);
}

int main(int argc, char **argv)
{
	int cpu = argc > 1 ? atoi(argv[1]) : 0;

	aia_pin_self(cpu);
	bench_mode(KVM_DEV_RISCV_AIA_MODE_EMUL, cpu);
	bench_mode(KVM_DEV_RISCV_AIA_MODE_HWACCEL, cpu);
	bench_mode(KVM_DEV_RISCV_AIA_MODE_AUTO, cpu);
	return 0;
}
