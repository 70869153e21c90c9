// SPDX-License-Identifier: GPL-2.0
/*
 * aia_migration - vCPUs moved between harts while MSIs arrive.
 *
 * Two vCPUs sleep in WFI, one per hart; a thread keeps swapping their
 * threads' harts (sched_setaffinity every few milliseconds) while the host
 * sends batch after batch of MSIs (KVM_SIGNAL_MSI and irqfd routes) to
 * both.  Every batch must be claimed exactly (none lost, none doubled,
 * none spurious) and both vCPUs must have run on both harts.  In HWACCEL
 * and AUTO mode each move carries the guest's interrupt file state to a
 * guest file on the new hart; afterwards no HGEI line may be left owned:
 * a fresh HWACCEL VM must find as many free lines on each hart as before
 * (and, with the Rust provider, debugfs shows no owner).
 *
 * A batch not claimed within 5 s fails the test, whether the vCPU sleeps
 * in WFI with the MSIs pending in its file (a lost wake-up: kicking it out
 * of KVM_RUN with a signal lets it claim them) or they are gone (lost
 * MSIs); the failure says which.  AIA_MIGRATION_ROUNDS=n sets the number of
 * batches (300) for longer stress runs.  The lost wake-ups seen here on 7.2
 * come from QEMU's multi-threaded TCG (Documentation/design.md, "Lost
 * wake-ups"); the bench runs the machine single-threaded.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_ROUNDS	300	/* AIA_MIGRATION_ROUNDS overrides */
#define NR_SIGNAL	6	/* KVM_SIGNAL_MSI per vCPU and round */
#define NR_ROUTES	8	/* irqfd routes, split over the vCPUs */

/*
 * IDs in both 32-bit halves of the first two 64-ID EIE/EIP words, for
 * KVM_SIGNAL_MSI (NR_SIGNAL consecutive ones per vCPU and round: no repeats)
 * and for the irqfd routes (distinct from those).
 */
static const u32 signal_ids[] = { 1, 2, 31, 32, 33, 47, 62, 63, 64, 65, 95, 96, 100, 126, 127, 5 };
static const u32 route_ids[NR_ROUTES] = { 20, 40, 50, 60, 70, 90, 110, 120 };

/*
 * A route's ID, moved into the first word (to an ID no other route or
 * signal_ids entry uses) if the VM has fewer than 128 IDs.
 */
static u32 route_id(struct aia_vm *a, int i)
{
	return route_ids[i] <= a->nr_ids ? route_ids[i] : route_ids[i] - 61;
}

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
	if (aia_nr_cpus() < 2)
		SKIP(return, "needs two harts");
}

FIXTURE_TEARDOWN(aia)
{
}

struct migrator {
	struct aia_vm *a;
	bool stop;
	u64 moves;
};

static void *migrate_fn(void *arg)
{
	struct migrator *mg = arg;
	unsigned int seed = 1;
	int v, flip = 0;

	while (!READ_ONCE(mg->stop)) {
		flip ^= 1;
		for (v = 0; v < mg->a->nr_vcpus; v++)
			aia_pin_thread(mg->a->runner[v].thread, (v + flip) % 2);
		mg->moves++;
		usleep(1000 + rand_r(&seed) % 4000);
	}
	return NULL;
}

TEST_F_TIMEOUT(aia, migrate_under_msis, 110)
{
	struct aia_msi m[2 * NR_SIGNAL + NR_ROUTES];
	int lines_before[2], lines_after[2];
	struct migrator mg = {};
	pthread_t thread;
	u64 sent = 0;
	const char *env = getenv("AIA_MIGRATION_ROUNDS");
	int rounds = env ? atoi(env) : NR_ROUNDS;
	struct aia_vm *a;
	int v, i, n, round, cpu, nr_ids = 0;
	u32 ids[ARRAY_SIZE(signal_ids)];

	ASSERT_GT(rounds, 0)
		TH_LOG("AIA_MIGRATION_ROUNDS=%s is not a positive number", env);
	for (cpu = 0; cpu < 2; cpu++)
		lines_before[cpu] = aia_probe_free_lines(cpu, AIA_MAX_VCPUS);

	a = aia_vm_create(variant->mode, 2, NULL);
	a->timeout_s = 5;
	for (i = 0; i < ARRAY_SIZE(signal_ids); i++)
		if (signal_ids[i] <= a->nr_ids)
			ids[nr_ids++] = signal_ids[i];
	aia_enable_all_ids(a);
	aia_vm_init(a);
	/* Both halves of the first two EIx words (route_ids, signal_ids). */
	for (i = 0; i < NR_ROUTES; i++)
		aia_route(a, 300 + i, i % 2, route_id(a, i));
	aia_routes_commit(a);
	for (v = 0; v < 2; v++) {
		aia_runner_start(a, v, v);
		aia_wait_ready(a, v);
		ASSERT_FALSE(a->runner[v].exited);
	}

	mg.a = a;
	ASSERT_EQ(pthread_create(&thread, NULL, migrate_fn, &mg), 0);
	for (round = 0; round < rounds; round++) {
		n = 0;
		for (v = 0; v < 2; v++)
			for (i = 0; i < NR_SIGNAL; i++)
				m[n++] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, v,
							   ids[(round + i) % nr_ids] };
		for (i = 0; i < NR_ROUTES; i++)
			m[n++] = (struct aia_msi){ AIA_SEND_IRQFD, 0, i };
		aia_deliver(a, m, n);
		sent += n;
	}
	WRITE_ONCE(mg.stop, true);
	pthread_join(thread, NULL);

	for (v = 0; v < 2; v++)
		ASSERT_EQ(a->runner[v].cpus_seen & 3, 3)
			TH_LOG("vCPU %d only ran on harts %#lx", v, a->runner[v].cpus_seen);
	ksft_print_msg("aia: %s: %lu MSIs in %d batches, %lu hart swaps, none lost\n",
		       aia_mode_name(variant->mode), sent, rounds, mg.moves);

	aia_stop_all(a);
	aia_vm_free(a);

	if (aia_debugfs_present()) {
		ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("HGEI lines owned after the VM");
		for (cpu = 0; cpu < 2; cpu++)
			ASSERT_EQ(aia_debugfs_free_lines(cpu), aia_debugfs_nr_hgei(cpu));
	}
	for (cpu = 0; cpu < 2; cpu++) {
		lines_after[cpu] = aia_probe_free_lines(cpu, AIA_MAX_VCPUS);
		ASSERT_EQ(lines_after[cpu], lines_before[cpu])
			TH_LOG("hart %d: %d free lines before, %d after", cpu,
			       lines_before[cpu], lines_after[cpu]);
	}
}

TEST_HARNESS_MAIN
