// SPDX-License-Identifier: GPL-2.0
/*
 * aia_exhaustion - more vCPUs on one hart than it has IMSIC guest files.
 *
 * The hart's free HGEI lines are counted first with a HWACCEL VM whose
 * vCPUs enter one by one on it (and checked against the Rust provider's
 * cpuN/nr_hgei when its debugfs is there).
 *
 * hwaccel_no_vsfile: with every line of hart 0 taken, the next HWACCEL vCPU
 *   to enter there exits with KVM_EXIT_FAIL_ENTRY, reason
 *   KVM_EXIT_FAIL_ENTRY_NO_VSFILE, cpu 0 (aia_imsic.c), again on a retry;
 *   the vCPUs with a file get their MSIs.  Once one of them moves to hart
 *   1 its line is reused: the failed vCPU enters and gets MSIs too.  After
 *   the VM is gone every line of both harts is free again.
 * auto_fallback: the same in AUTO mode: the extra vCPU runs on a SW file
 *   (its IMSIC accesses trap: KVM's csr_exit_kernel counter moves, while
 *   the vCPUs with a guest file never trap) and still gets every MSI; once
 *   a line is freed it switches to it (no more traps) and keeps getting
 *   MSIs.
 * With the Rust provider, cpuN/owners and cpuN/free_lines are checked at
 * each step; without it those checks are skipped (said once per test).
 */
#include "kselftest_harness.h"
#include "aia_lib.h"

/* IMSIC reads the guest makes before each report (traps on a SW file). */
#define PROBE_READS	8

static int lines_at_start[2];

FIXTURE(aia) {
	int unused;
};

FIXTURE_SETUP(aia)
{
	if (aia_nr_cpus() < 2)
		SKIP(return, "needs two harts");
}

FIXTURE_TEARDOWN(aia)
{
}

/*
 * Free lines of harts 0 and 1 (and debugfs agrees); at most AIA_MAX_VCPUS
 * are counted, so a hart with more is not exhausted here (the test skips).
 */
static void count_lines(struct __test_metadata *_metadata, int *lines)
{
	int cpu;

	for (cpu = 0; cpu < 2; cpu++) {
		lines[cpu] = aia_probe_free_lines(cpu, AIA_MAX_VCPUS);
		ASSERT_GE(lines[cpu], 1);
		if (aia_debugfs_present() && lines[cpu] < AIA_MAX_VCPUS) {
			ASSERT_EQ(lines[cpu], aia_debugfs_nr_hgei(cpu));
			ASSERT_EQ(aia_debugfs_free_lines(cpu), lines[cpu]);
		}
	}
}

/* vCPUs with a line in cpu's owners (debugfs), as a bitmask. */
static u64 owners_mask(int cpu, int *rows)
{
	int lines[AIA_MAX_VCPUS], v;
	u64 mask = 0;

	*rows = aia_debugfs_owners(cpu, lines);
	for (v = 0; v < AIA_MAX_VCPUS; v++)
		if (lines[v])
			mask |= 1ULL << v;
	return mask;
}

/* With the Rust provider: exactly the vCPUs in @mask own lines on @cpu. */
static void expect_owners(struct __test_metadata *_metadata, int cpu, u64 mask, int nr_rows)
{
	int rows;

	if (!aia_debugfs_present())
		return;
	ASSERT_EQ(owners_mask(cpu, &rows), mask) TH_LOG("vCPUs owning lines on hart %d", cpu);
	ASSERT_EQ(rows, nr_rows);
	ASSERT_EQ(aia_debugfs_free_lines(cpu), aia_debugfs_nr_hgei(cpu) - nr_rows);
}

static void note_debugfs(void)
{
	if (!aia_debugfs_present())
		ksft_print_msg("aia: SKIP HGEI owner checks: no kvm_riscv_aia debugfs (stock)\n");
}

/* Start vCPU v on hart cpu; it must reach its wait loop. */
static void start_ok(struct __test_metadata *_metadata, struct aia_vm *a, int v, int cpu)
{
	aia_runner_start(a, v, cpu);
	aia_wait_ready(a, v);
	ASSERT_FALSE(a->runner[v].exited)
		TH_LOG("vCPU %d could not enter on hart %d: %s", v, cpu,
		       exit_reason_str(a->runner[v].exit_reason));
}

/* Start vCPU v on hart cpu; it must fail to enter for want of a file. */
static void start_no_vsfile(struct __test_metadata *_metadata, struct aia_vm *a, int v, int cpu)
{
	struct aia_runner *r = &a->runner[v];

	aia_runner_start(a, v, cpu);
	aia_wait_ready(a, v);
	ASSERT_TRUE(r->exited) TH_LOG("vCPU %d entered with no free guest file", v);
	ASSERT_EQ(r->exit_reason, KVM_EXIT_FAIL_ENTRY)
		TH_LOG("exit %s", exit_reason_str(r->exit_reason));
	ASSERT_EQ(r->fail_reason, KVM_EXIT_FAIL_ENTRY_NO_VSFILE);
	ASSERT_EQ(r->fail_cpu, cpu);
	aia_runner_join(a, v);
}

/* One MSI per vCPU in @mask, IDs base + v (all below 32: any file). */
static void deliver_each(struct aia_vm *a, u64 mask, u32 base)
{
	struct aia_msi m[AIA_MAX_VCPUS];
	int v, n = 0;

	for (v = 0; v < a->nr_vcpus; v++)
		if (mask & (1ULL << v))
			m[n++] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, v, base + v };
	aia_deliver(a, m, n);
}

TEST_F_TIMEOUT(aia, hwaccel_no_vsfile, 100)
{
	struct aia_vm *a;
	int g, v, lines[2];

	note_debugfs();
	count_lines(_metadata, lines_at_start);
	g = lines_at_start[0];
	if (g >= AIA_MAX_VCPUS)
		SKIP(return, "more than %d guest files per hart", AIA_MAX_VCPUS - 1);
	ksft_print_msg("aia: free guest external interrupt lines: hart 0 %d, hart 1 %d\n",
		       lines_at_start[0], lines_at_start[1]);

	a = aia_vm_create(KVM_DEV_RISCV_AIA_MODE_HWACCEL, g + 1, NULL);
	aia_enable_all_ids(a);
	aia_vm_init(a);
	for (v = 0; v < g; v++)
		start_ok(_metadata, a, v, 0);
	start_no_vsfile(_metadata, a, g, 0);
	expect_owners(_metadata, 0, (1ULL << g) - 1, g);
	deliver_each(a, (1ULL << g) - 1, 1);
	start_no_vsfile(_metadata, a, g, 0);

	/* vCPU 0 leaves hart 0: its line there is free, vCPU g takes it. */
	aia_move_vcpu(a, 0, 1, 20);
	expect_owners(_metadata, 0, ((1ULL << g) - 1) & ~1ULL, g - 1);
	expect_owners(_metadata, 1, 1, 1);
	start_ok(_metadata, a, g, 0);
	expect_owners(_metadata, 0, ((1ULL << (g + 1)) - 1) & ~1ULL, g);
	deliver_each(a, (1ULL << (g + 1)) - 1, 2);

	aia_stop_all(a);
	aia_vm_free(a);
	if (aia_debugfs_present())
		ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("lines still owned after the VM");
	count_lines(_metadata, lines);
	ASSERT_EQ(lines[0], lines_at_start[0]);
	ASSERT_EQ(lines[1], lines_at_start[1]);
}

static u64 csr_traps(struct aia_vm *a, int v)
{
	return vcpu_get_stat(a->vcpus[v], csr_exit_kernel);
}

TEST_F_TIMEOUT(aia, auto_fallback, 100)
{
	u64 before[AIA_MAX_VCPUS], all;
	struct aia_vm *a;
	int g, v, lines[2];

	note_debugfs();
	count_lines(_metadata, lines_at_start);
	g = lines_at_start[0];
	if (g >= AIA_MAX_VCPUS)
		SKIP(return, "more than %d guest files per hart", AIA_MAX_VCPUS - 1);

	a = aia_vm_create(KVM_DEV_RISCV_AIA_MODE_AUTO, g + 1, NULL);
	aia_enable_all_ids(a);
	for (v = 0; v <= g; v++)
		aia_guest_hva(a, v)->probe_reads = PROBE_READS;
	aia_vm_init(a);
	for (v = 0; v <= g; v++)
		start_ok(_metadata, a, v, 0);
	all = (1ULL << (g + 1)) - 1;
	expect_owners(_metadata, 0, all & ~(1ULL << g), g);

	/* Guest files: no IMSIC trap; the SW file: every access traps. */
	for (v = 0; v < g; v++)
		ASSERT_EQ(csr_traps(a, v), 0) TH_LOG("vCPU %d has no guest file", v);
	ASSERT_GE(csr_traps(a, g), 8) TH_LOG("vCPU %d does not run on a SW file", g);

	for (v = 0; v <= g; v++)
		before[v] = csr_traps(a, v);
	deliver_each(a, all, 1);
	for (v = 0; v < g; v++)
		ASSERT_EQ(csr_traps(a, v), before[v]);
	ASSERT_GE(csr_traps(a, g) - before[g], PROBE_READS);

	/* A line frees up on hart 0: the SW vCPU moves to it at its next entry. */
	aia_move_vcpu(a, 0, 1, 20);
	deliver_each(a, 1ULL << g, 3);
	before[g] = csr_traps(a, g);
	deliver_each(a, all, 4);
	ASSERT_EQ(csr_traps(a, g), before[g]) TH_LOG("vCPU %d still traps on IMSIC accesses", g);
	ksft_print_msg("aia: vCPU %d: %lu IMSIC traps on its SW file, none once on a freed line\n",
		       g, before[g]);
	expect_owners(_metadata, 0, all & ~1ULL, g);
	expect_owners(_metadata, 1, 1, 1);

	aia_stop_all(a);
	aia_vm_free(a);
	if (aia_debugfs_present())
		ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("lines still owned after the VM");
	count_lines(_metadata, lines);
	ASSERT_EQ(lines[0], lines_at_start[0]);
	ASSERT_EQ(lines[1], lines_at_start[1]);
}

TEST_HARNESS_MAIN
