// SPDX-License-Identifier: GPL-2.0
/*
 * aia_pm - a vCPU blocked in WFI on a hart that goes through non-retentive
 * idle (CPU PM) is still woken by its MSI.
 *
 * Run on a machine whose harts have a non-retentive SBI idle state (the
 * "pm" guest job: QEMU with an idle-states device tree, cpuidle-riscv-sbi)
 * and with the pm_lossy test module loaded, which clears the H-extension
 * CSRs on CPU_PM_ENTER as real hardware loses them.  One vCPU, pinned to
 * hart 1, sleeps in WFI holding a guest file of that hart (HWACCEL, AUTO)
 * or a software file (EMUL).  Each round waits until hart 1 has been
 * through the non-retentive state (its cpuidle usage and pm_lossy's loss
 * count rise) while the vCPU is blocked, then sends an MSI, which the guest
 * must claim: KVM's CPU_PM_EXIT restore of HGEIE and HIE.SGEI
 * (kvm_riscv_aia_pm_exit()) is what lets the SGEI wake it.  A wake-up that
 * does not come fails (no tolerance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_ROUNDS	10
#define HART		1

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

/* A number from a sysfs file, or -1. */
static long read_num(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The non-retentive idle state of @cpu: its cpuidle "usage" file. */
static const char *nonret_usage_path(int cpu)
{
	static char path[128];
	char name[64];
	FILE *f;
	int s;

	for (s = 0; s < 8; s++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/name",
			 cpu, s);
		f = fopen(path, "r");
		if (!f)
			break;
		name[0] = 0;
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
		/* The node name run-qemu.sh -I gives the state. */
		if (!strcmp(name, "cpu-nonret\n")) {
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/usage", cpu, s);
			return path;
		}
	}
	return NULL;
}

#define LOSSES "/sys/module/pm_lossy/parameters/losses"

TEST_F_TIMEOUT(aia, wakeup_after_nonretentive_idle, 200)
{
	const char *usage = nonret_usage_path(HART);
	long idle0, loss0, t;
	struct kvm_vcpu *vcpu;
	struct aia_msi m;
	struct aia_vm *a;
	u64 halts;
	int i;

	if (aia_nr_cpus() < 2)
		SKIP(return, "needs 2 harts: one to idle, one to run the test");
	ASSERT_NE(usage, NULL) TH_LOG("hart %d has no cpu-nonret idle state", HART);
	ASSERT_GE(read_num(LOSSES), 0) TH_LOG("pm_lossy is not loaded");

	/* Keep this thread off the vCPU's hart so that the hart goes idle. */
	aia_pin_self(0);
	a = aia_vm_on_hart(variant->mode, HART);
	vcpu = a->vcpus[0];

	for (i = 0; i < NR_ROUNDS; i++) {
		/* Blocked, then through non-retentive idle with its CSRs lost. */
		for (t = 0; !vcpu_get_stat(vcpu, blocking); t++) {
			ASSERT_LT(t, 10000) TH_LOG("round %d: the vCPU never blocked", i);
			usleep(1000);
		}
		idle0 = read_num(usage);
		loss0 = read_num(LOSSES);
		for (t = 0; read_num(usage) <= idle0 || read_num(LOSSES) <= loss0; t++) {
			ASSERT_LT(t, 10000)
				TH_LOG("round %d: hart %d never went idle", i, HART);
			usleep(1000);
		}
		ASSERT_TRUE(vcpu_get_stat(vcpu, blocking))
			TH_LOG("round %d: the vCPU woke up without an MSI", i);

		halts = vcpu_get_stat(vcpu, halt_wakeup);
		m = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + i };
		aia_deliver(a, &m, 1);
		ASSERT_GT(vcpu_get_stat(vcpu, halt_wakeup), halts);
	}
	ksft_print_msg("aia: %s: %d wake-ups after idle on hart %d (%ld entries, %ld CSR losses)\n",
		       aia_mode_name(variant->mode), NR_ROUNDS, HART, read_num(usage),
		       read_num(LOSSES));

	aia_stop_all(a);
	aia_vm_free(a);
}

TEST_HARNESS_MAIN
