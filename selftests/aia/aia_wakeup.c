// SPDX-License-Identifier: GPL-2.0
/*
 * aia_wakeup - a vCPU blocked in WFI is woken by an MSI.
 *
 * One vCPU, pinned to hart 1 (hart 0 on a single-hart host), sleeps in
 * WFI; once KVM reports it blocked (the "blocking" vCPU stat) the host
 * sends an MSI, many times over.  Each time the guest must claim it, KVM's
 * halt_wakeup counter must move and:
 * - in HWACCEL and AUTO mode the wake-up comes through the hart's SGEI: the
 *   "riscv-kvm" interrupt count of that hart in /proc/interrupts rises (and,
 *   with the Rust provider, its debugfs cpuN/sgei_count);
 * - in EMUL mode there is no guest file, so no SGEI at all (a kick wakes
 *   the vCPU).
 * The wake-up latency (KVM_SIGNAL_MSI to the guest's report reaching the
 * host) is printed as a diagnostic.
 *
 * vms_share_hart: three VMs (fewer in HWACCEL if the hart has fewer guest
 * files; in AUTO the ones without a line on SW files) sleep on one hart;
 * each MSI must wake its own VM and no other.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_WAKES	20
#define NR_VMS		3

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

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Wait until KVM has the vCPU blocked (past halt polling) for a while. */
static void wait_blocked(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu)
{
	u64 end = aia_now_ns() + 10 * 1000000000ULL;

	while (!vcpu_get_stat(vcpu, blocking)) {
		ASSERT_LT(aia_now_ns(), end) TH_LOG("the vCPU never blocked in WFI");
		usleep(1000);
	}
	usleep(20000);
	ASSERT_TRUE(vcpu_get_stat(vcpu, blocking));
}

TEST_F_TIMEOUT(aia, wfi_wakeup, 100)
{
	bool hw = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	bool dbg = aia_debugfs_present();
	int cpu = aia_nr_cpus() > 1 ? 1 : 0;
	u64 lat[NR_WAKES], sgei[2], all[2], dsgei[2] = {}, halts, t0, sgeis = 0;
	struct kvm_vcpu *vcpu;
	struct aia_msi m;
	struct aia_vm *a;
	int i;

	a = aia_vm_on_hart(variant->mode, cpu);
	vcpu = a->vcpus[0];
	if (hw && !dbg)
		ksft_print_msg("aia: SKIP debugfs sgei_count checks: no kvm_riscv_aia debugfs\n");

	for (i = 0; i < NR_WAKES; i++) {
		wait_blocked(_metadata, vcpu);
		halts = vcpu_get_stat(vcpu, halt_wakeup);
		sgei[0] = aia_sgei_irqs(cpu);
		all[0] = aia_sgei_irqs(-1);
		if (dbg)
			dsgei[0] = aia_debugfs_sgei_count(cpu);

		m = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + i % 30 };
		t0 = aia_now_ns();
		aia_deliver(a, &m, 1);
		lat[i] = aia_ts_ns(&a->runner[0].sync_ts) - t0;

		sgei[1] = aia_sgei_irqs(cpu);
		all[1] = aia_sgei_irqs(-1);
		ASSERT_GT(vcpu_get_stat(vcpu, halt_wakeup), halts)
			TH_LOG("wake-up %d: the vCPU was not woken from a halt", i);
		if (hw) {
			ASSERT_GE(sgei[1] - sgei[0], 1)
				TH_LOG("wake-up %d: no SGEI on hart %d", i, cpu);
			sgeis += sgei[1] - sgei[0];
		} else {
			ASSERT_EQ(all[1], all[0]) TH_LOG("SGEI taken in EMUL mode");
		}
		if (hw && dbg) {
			dsgei[1] = aia_debugfs_sgei_count(cpu);
			ASSERT_GE(dsgei[1] - dsgei[0], 1)
				TH_LOG("wake-up %d: debugfs cpu%d/sgei_count did not move", i, cpu);
		}
	}

	qsort(lat, NR_WAKES, sizeof(lat[0]), cmp_u64);
	/* From KVM_SIGNAL_MSI to the guest's report (ucall exit) reaching us. */
	ksft_print_msg("aia: %s: wake-up latency of %d: min %lu median %lu max %lu us, %lu SGEI\n",
		       aia_mode_name(variant->mode), NR_WAKES, lat[0] / 1000,
		       lat[NR_WAKES / 2] / 1000, lat[NR_WAKES - 1] / 1000, sgeis);

	aia_stop_all(a);
	aia_vm_free(a);
}

/*
 * Several VMs at once on one hart: each VM's vCPU sleeps in WFI there (in
 * HWACCEL and AUTO each owns its own line of the hart).  The host wakes
 * one VM at a time with an MSI: that VM's vCPU must claim it (so the SGEI
 * kicked the owner of the line that fired), and the other VMs must claim
 * nothing and take no spurious interrupt.
 */
TEST_F_TIMEOUT(aia, vms_share_hart, 120)
{
	bool hw = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	int cpu = aia_nr_cpus() > 1 ? 1 : 0;
	struct aia_vm *vms[NR_VMS];
	u64 total[NR_VMS], sgei;
	int nr = NR_VMS, lines = 0, t, v, i;
	struct aia_msi m;

	/*
	 * The hart's free lines: HWACCEL runs as many VMs; in AUTO the VMs
	 * started after the lines are gone run on SW files (no SGEI).
	 */
	if (hw)
		lines = aia_probe_free_lines(cpu, NR_VMS);
	if (variant->mode == KVM_DEV_RISCV_AIA_MODE_HWACCEL) {
		if (lines < 2)
			SKIP(return, "HWACCEL needs two guest files on a hart");
		nr = lines;
	}

	for (v = 0; v < nr; v++) {
		vms[v] = aia_vm_on_hart(variant->mode, cpu);
		vms[v]->timeout_s = 10;
	}
	if (hw && aia_debugfs_present())
		ASSERT_EQ(aia_debugfs_owners(cpu, NULL), nr < lines ? nr : lines)
			TH_LOG("hart %d: %d VMs running, %d free lines, owned lines differ",
			       cpu, nr, lines);

	for (i = 0; i < 4 * nr; i++) {
		t = i % nr;
		for (v = 0; v < nr; v++) {
			wait_blocked(_metadata, vms[v]->vcpus[0]);
			total[v] = READ_ONCE(aia_guest_hva(vms[v], 0)->total);
		}
		sgei = aia_sgei_irqs(cpu);
		m = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + i % 30 };
		aia_deliver(vms[t], &m, 1);
		if (hw && t < lines)
			ASSERT_GT(aia_sgei_irqs(cpu), sgei)
				TH_LOG("wake-up %d of VM %d: no SGEI on hart %d", i, t, cpu);
		for (v = 0; v < nr; v++) {
			if (v == t)
				continue;
			ASSERT_EQ(READ_ONCE(aia_guest_hva(vms[v], 0)->total), total[v])
				TH_LOG("VM %d claimed an MSI sent to VM %d", v, t);
			ASSERT_EQ(READ_ONCE(aia_guest_hva(vms[v], 0)->spurious), 0);
		}
	}
	ksft_print_msg("aia: %s: %d VMs on hart %d, %d wake-ups, each to its own VM\n",
		       aia_mode_name(variant->mode), nr, cpu, 4 * nr);

	for (v = 0; v < nr; v++) {
		aia_check_counts(vms[v]);
		aia_stop_all(vms[v]);
		aia_vm_free(vms[v]);
	}
	if (aia_debugfs_present())
		ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("HGEI lines owned after the VMs");
}

TEST_HARNESS_MAIN
