// SPDX-License-Identifier: GPL-2.0
/*
 * aia_delivery - MSI delivery through the in-kernel RISC-V AIA device
 * (APLIC + IMSIC) in EMUL, HWACCEL and AUTO modes.
 *
 * msi_delivery: two vCPUs, one per hart, enable their IMSIC (eidelivery,
 *   eithreshold, EIEs through siselect/sireg) and sleep in WFI; the host
 *   sends MSIs with KVM_SIGNAL_MSI (little- and big-endian seteipnum), with
 *   irqfds on KVM_SET_GSI_ROUTING MSI routes (then re-routed) and through
 *   APLIC wired sources (KVM_IRQ_LINE); the guests claim each one through
 *   stopei; every guest's claims per ID must equal what was sent to it.
 *   The device's configuration checks (readback, EBUSY before and after
 *   CTRL_INIT) and bad MSIs (ID 0, ID > nr_ids, no such IMSIC, bad offset)
 *   are checked too.
 * sw_upper_ids: IDs 32..63 of each word: an EIE write reads back and MSIs
 *   with those IDs are delivered, in every mode.  7.2's SW interrupt file
 *   (EMUL, and AUTO without a guest file) lost them: it updated its 64-bit
 *   EIP/EIE words with 32-bit lr.w/sc.w (imsic_mrif_atomic_rmw()); 7.3
 *   fixed that with a try_cmpxchg loop.
 * hgei_debugfs: with the Rust provider (kvm_riscv_aia debugfs), each vCPU
 *   of a HWACCEL/AUTO VM owns exactly one HGEI line on its hart while it
 *   runs (none in EMUL), and no line is owned after the VM is destroyed.
 *   Skipped on the stock kernel, which has no such debugfs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

/* IDs spread over the four EIE words: both ends of each 32-bit half. */
static const u32 test_ids[] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	30, 31, 32, 33, 62, 63, 64, 65, 94, 95, 100, 126, 127, 128, 129,
	158, 159, 190, 191, 192, 193, 222, 223, 230, 253, 254, 255,
};

#define MAX_HARTS	8

static u64 timer_freq;

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

/* The test IDs this VM has (nr_ids may be below 255). */
static int vm_ids(struct aia_vm *a, u32 *ids)
{
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(test_ids); i++)
		if (test_ids[i] <= a->nr_ids)
			ids[n++] = test_ids[i];
	return n;
}

static void check_device_frozen(struct aia_vm *a)
{
	u32 val = a->mode;
	u64 addr = AIA_APLIC_GPA;

	TEST_ASSERT(__kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
					  KVM_DEV_RISCV_AIA_CONFIG_MODE, &val) == -1 &&
		    errno == EBUSY, "mode write after CTRL_INIT: %s", strerror(errno));
	val = a->nr_ids;
	TEST_ASSERT(__kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
					  KVM_DEV_RISCV_AIA_CONFIG_IDS, &val) == -1 &&
		    errno == EBUSY, "nr_ids write after CTRL_INIT: %s", strerror(errno));
	TEST_ASSERT(__kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
					  KVM_DEV_RISCV_AIA_ADDR_APLIC, &addr) == -1 &&
		    errno == EBUSY, "APLIC address write after CTRL_INIT: %s", strerror(errno));
	TEST_ASSERT(__kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
					  KVM_DEV_RISCV_AIA_CTRL_INIT, NULL) == -1 &&
		    errno == EBUSY, "second CTRL_INIT: %s", strerror(errno));
}

/* Two vCPUs, vCPU i pinned to hart i % nr_cpus, ready in their wait loop. */
static struct aia_vm *start_vm(u32 mode, int nr_vcpus)
{
	struct aia_vm *a = aia_vm_create(mode, nr_vcpus, NULL);
	int v, r;

	aia_enable_all_ids(a);
	r = __aia_signal_msi(a, aia_imsic_gpa(a, 0), 1);
	TEST_ASSERT(r == -1 && errno == EBUSY,
		    "KVM_SIGNAL_MSI before CTRL_INIT: %d (%s), expected EBUSY", r,
		    strerror(errno));
	aia_vm_init(a);
	check_device_frozen(a);

	for (v = 0; v < nr_vcpus; v++) {
		aia_runner_start(a, v, v % aia_nr_cpus());
		aia_wait_ready(a, v);
		TEST_ASSERT(!a->runner[v].exited, "vCPU %d could not run: %s", v,
			    exit_reason_str(a->runner[v].exit_reason));
	}
	return a;
}

static void bad_msis(struct aia_vm *a)
{
	int r;

	r = __aia_signal_msi(a, aia_imsic_gpa(a, 0), 0);
	TEST_ASSERT(r == -1 && errno == ENODEV, "MSI with ID 0: %d (%s)", r, strerror(errno));
	r = __aia_signal_msi(a, aia_imsic_gpa(a, 0), a->nr_ids + 1);
	TEST_ASSERT(r == -1 && errno == EINVAL, "MSI with ID nr_ids + 1: %d (%s)", r,
		    strerror(errno));
	r = __aia_signal_msi(a, aia_imsic_gpa(a, 0) + 8, 1);
	TEST_ASSERT(r == -1 && errno == ENODEV, "MSI to IMSIC offset 8: %d (%s)", r,
		    strerror(errno));
	/* No vCPU has this IMSIC: dropped. */
	r = __aia_signal_msi(a, aia_imsic_gpa(a, 1 << a->hart_bits), 1);
	TEST_ASSERT(!r, "MSI to a missing IMSIC: %d (%s)", r, strerror(errno));
}

TEST_F_TIMEOUT(aia, msi_delivery, 100)
{
	struct aia_msi m[3 * ARRAY_SIZE(test_ids)];
	u32 ids[ARRAY_SIZE(test_ids)];
	struct aia_vm *a;
	int nids, i, n, round, rt;

	a = start_vm(variant->mode, 2);
	nids = vm_ids(a, ids);

	/* KVM_SIGNAL_MSI: vCPU 0 gets the even-indexed IDs, then the odd. */
	for (round = 0; round < 2; round++) {
		for (i = 0; i < nids; i++)
			m[i] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, (i + round) % 2, ids[i] };
		aia_deliver(a, m, nids);
	}
	/* Every ID to both vCPUs at once, half of them big-endian. */
	for (n = 0, i = 0; i < nids; i++) {
		m[n++] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, ids[i] };
		m[n++] = (struct aia_msi){ i % 2 ? AIA_SEND_SIGNAL_MSI_BE : AIA_SEND_SIGNAL_MSI,
					   1, ids[i] };
	}
	aia_deliver(a, m, n);

	/* irqfd on MSI routes: GSI 100 + i -> (vCPU i % 2, ids[i]) ... */
	for (i = 0; i < nids; i++)
		aia_route(a, 100 + i, i % 2, ids[i]);
	aia_routes_commit(a);
	for (i = 0; i < nids; i++)
		m[i] = (struct aia_msi){ AIA_SEND_IRQFD, 0, i };
	aia_deliver(a, m, nids);
	/* ... then every route to the other vCPU and another ID. */
	for (i = 0; i < nids; i++)
		aia_route(a, 100 + i, (i + 1) % 2, ids[(i + 7) % nids]);
	aia_routes_commit(a);
	aia_deliver(a, m, nids);

	/* APLIC wired sources 1..16, edge-triggered, as MSIs (IDs 65..80). */
	for (i = 1; i <= 16; i++)
		aia_aplic_route(a, i, i % 2, 64 + i);
	for (i = 0; i < 16; i++)
		m[i] = (struct aia_msi){ AIA_SEND_APLIC, 0, i + 1 };
	aia_deliver(a, m, 16);

	bad_msis(a);

	/* All three ways at once, several times (IDs are reused once claimed). */
	for (round = 0; round < 6; round++) {
		n = 0;
		for (i = 0; i < 10; i++)
			m[n++] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, round % 2, 20 + i };
		for (rt = 0; rt < nids; rt++)
			if ((a->routes[rt].id < 20 || a->routes[rt].id > 29) &&
			    (a->routes[rt].id < 65 || a->routes[rt].id > 80))
				m[n++] = (struct aia_msi){ AIA_SEND_IRQFD, 0, rt };
		for (i = 1; i <= 16; i++)
			m[n++] = (struct aia_msi){ AIA_SEND_APLIC, 0, i };
		aia_deliver(a, m, n);
	}

	aia_stop_all(a);
	aia_vm_free(a);
}

/* Spin (interrupts on) until ID @id was claimed @n times, at most 5 s. */
static void guest_wait_count(u32 id, u32 n)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	u64 t0 = csr_read(CSR_TIME);

	while (READ_ONCE(g->count[id]) < n && csr_read(CSR_TIME) - t0 < 5 * timer_freq)
		cpu_relax();
	__GUEST_ASSERT(READ_ONCE(g->count[id]) == n, "ID %u claimed %u times, expected %u",
		       id, READ_ONCE(g->count[id]), n);
}

static void guest_assert_pending(u32 id, bool pending)
{
	unsigned long eip = aia_imsic_read(AIA_IMSIC_EIP0 + 2 * (id / 64));
	unsigned long eie = aia_imsic_read(AIA_IMSIC_EIE0 + 2 * (id / 64));

	__GUEST_ASSERT(!!(eip & (1UL << (id % 64))) == pending,
		       "ID %u %spending: eip%u %#lx eie %#lx eithreshold %lu eidelivery %lu",
		       id, pending ? "not " : "", 2 * (id / 64), eip, eie,
		       aia_imsic_read(AIA_IMSIC_EITHRESHOLD),
		       aia_imsic_read(AIA_IMSIC_EIDELIVERY));
}

static void guest_gating(u32 masked, u32 low, u32 high)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	unsigned long isel = AIA_IMSIC_EIE0 + 2 * (masked / 64);

	aia_guest_imsic_init();
	GUEST_SYNC(1);

	/* Sent while @masked is disabled: pending, not taken. */
	GUEST_ASSERT_EQ(READ_ONCE(g->count[masked]), 0);
	guest_assert_pending(masked, true);
	g->enable[masked / 64] |= 1ULL << (masked % 64);
	aia_imsic_write(isel, aia_imsic_read(isel) | (1UL << (masked % 64)));
	guest_wait_count(masked, 1);
	guest_assert_pending(masked, false);

	/* Only IDs below eithreshold are signalled. */
	aia_imsic_write(AIA_IMSIC_EITHRESHOLD, high);
	GUEST_SYNC(2);
	guest_wait_count(low, 1);
	GUEST_ASSERT_EQ(READ_ONCE(g->count[high]), 0);
	guest_assert_pending(high, true);
	aia_imsic_write(AIA_IMSIC_EITHRESHOLD, 0);
	guest_wait_count(high, 1);

	/* Nothing is signalled with eidelivery off. */
	aia_imsic_write(AIA_IMSIC_EIDELIVERY, 0);
	GUEST_SYNC(3);
	GUEST_ASSERT_EQ(READ_ONCE(g->count[low]), 1);
	guest_assert_pending(low, true);
	aia_imsic_write(AIA_IMSIC_EIDELIVERY, 1);
	guest_wait_count(low, 2);
	GUEST_ASSERT_EQ(READ_ONCE(g->total), 4);
	GUEST_ASSERT_EQ(READ_ONCE(g->spurious), 0);
	GUEST_DONE();
}

static u64 run_to_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_DONE:
		return 0;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
	}
	return 0;
}

TEST_F_TIMEOUT(aia, gating, 60)
{
	u32 masked = 77, low = 10, high = 20;
	struct kvm_vcpu *vcpu;
	struct aia_vm *a;

	a = aia_vm_create(variant->mode, 1, guest_gating);
	vcpu = a->vcpus[0];
	aia_enable_all_ids(a);
	aia_guest_hva(a, 0)->enable[masked / 64] &= ~(1ULL << (masked % 64));
	vcpu_args_set(vcpu, 3, masked, low, high);
	timer_freq = vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	sync_global_to_guest(a->vm, timer_freq);
	aia_vm_init(a);

	ASSERT_EQ(run_to_sync(vcpu), 1);
	aia_signal_msi(a, 0, masked);
	ASSERT_EQ(run_to_sync(vcpu), 2);
	aia_signal_msi(a, 0, low);
	aia_signal_msi(a, 0, high);
	ASSERT_EQ(run_to_sync(vcpu), 3);
	aia_signal_msi(a, 0, low);
	ASSERT_EQ(run_to_sync(vcpu), 0);
	aia_vm_free(a);
}

/* IDs in the upper half of each EIE/EIP word. */
static const u32 upper_ids[] = { 40, 100, 170, 250 };

static void guest_upper_ids(void)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	unsigned long w = (1UL << 40) | 2;
	int i;

	aia_guest_imsic_init();
	aia_imsic_write(AIA_IMSIC_EIE0, w);
	__GUEST_ASSERT(aia_imsic_read(AIA_IMSIC_EIE0) == w,
		       "eie0 reads %#lx after writing %#lx", aia_imsic_read(AIA_IMSIC_EIE0), w);
	aia_imsic_write(AIA_IMSIC_EIE0, g->enable[0]);
	GUEST_SYNC(1);
	guest_wait_count(1, 1);
	for (i = 0; i < ARRAY_SIZE(upper_ids); i++)
		if (upper_ids[i] <= aia_guest_nr_ids)
			guest_wait_count(upper_ids[i], 1);
	GUEST_DONE();
}

TEST_F_TIMEOUT(aia, sw_upper_ids, 60)
{
	struct kvm_vcpu *vcpu;
	struct aia_vm *a;
	int i;

	a = aia_vm_create(variant->mode, 1, guest_upper_ids);
	vcpu = a->vcpus[0];
	aia_enable_all_ids(a);
	timer_freq = vcpu_get_reg(vcpu, RISCV_TIMER_REG(frequency));
	sync_global_to_guest(a->vm, timer_freq);
	aia_vm_init(a);

	ASSERT_EQ(run_to_sync(vcpu), 1);
	aia_signal_msi(a, 0, 1);
	for (i = 0; i < ARRAY_SIZE(upper_ids); i++)
		if (upper_ids[i] <= a->nr_ids)
			aia_signal_msi(a, 0, upper_ids[i]);
	ASSERT_EQ(run_to_sync(vcpu), 0);
	aia_vm_free(a);
}

TEST_F_TIMEOUT(aia, hgei_debugfs, 60)
{
	bool hw = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	int lines[MAX_HARTS][AIA_MAX_VCPUS];
	int cpu, v, rows, nr, owned, where;
	struct aia_msi m[2];
	struct aia_vm *a;

	if (!aia_debugfs_present())
		SKIP(return, "no kvm_riscv_aia debugfs: HGEI line owners need the Rust provider");

	nr = aia_nr_cpus();
	ASSERT_TRUE(aia_debugfs_wait_empty(5));
	a = start_vm(variant->mode, 2);
	m[0] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 5 };
	m[1] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 1, 6 };
	aia_deliver(a, m, 2);

	/* While the vCPUs sleep in WFI on their harts. */
	for (cpu = 0; cpu < nr && cpu < MAX_HARTS; cpu++) {
		rows = aia_debugfs_owners(cpu, lines[cpu]);
		ASSERT_LE(rows, aia_debugfs_nr_hgei(cpu));
		ASSERT_EQ(aia_debugfs_free_lines(cpu), aia_debugfs_nr_hgei(cpu) - rows);
		aia_debugfs_sgei_count(cpu);
	}
	for (v = 0; v < 2; v++) {
		owned = 0;
		where = -1;
		for (cpu = 0; cpu < nr && cpu < MAX_HARTS; cpu++) {
			if (!lines[cpu][v])
				continue;
			owned++;
			where = cpu;
			ASSERT_GE(lines[cpu][v], 1);
			ASSERT_LE(lines[cpu][v], aia_debugfs_nr_hgei(cpu));
		}
		if (owned)
			ksft_print_msg("aia: %s: vCPU %d owns line %d of hart %d\n",
				       aia_mode_name(variant->mode), v, lines[where][v], where);
		else
			ksft_print_msg("aia: %s: vCPU %d owns no HGEI line\n",
				       aia_mode_name(variant->mode), v);
		ASSERT_EQ(owned, hw ? 1 : 0);
		if (hw)
			ASSERT_EQ(where, v % nr);
	}

	aia_stop_all(a);
	aia_vm_free(a);
	ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("HGEI lines owned after the VM is gone");
	for (cpu = 0; cpu < nr; cpu++)
		ASSERT_EQ(aia_debugfs_free_lines(cpu), aia_debugfs_nr_hgei(cpu));
}

AIA_XPASS_FAILS

TEST_HARNESS_MAIN
