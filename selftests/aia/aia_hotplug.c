// SPDX-License-Identifier: GPL-2.0
/*
 * aia_hotplug - offline the hart holding a running vCPU's guest file.
 *
 * One vCPU sleeps in WFI on hart 1 (in HWACCEL and AUTO mode it holds a
 * guest interrupt file there).  The host sends MSIs, then takes hart 1
 * offline: KVM's CPU offline path disables AIA on it, which must make the
 * vCPU give its guest file back and run on elsewhere.  The MSIs sent while
 * hart 1 is offline must all arrive, on hart 0; with the Rust provider no
 * line of hart 1 may be owned while it is offline.  Once hart 1 is back,
 * more MSIs arrive, and after the VM is gone each hart has as many free
 * lines as before.
 *
 * pending_at_offline: the same with MSIs held pending in the guest file
 * (eithreshold) when hart 1 goes offline; none may be lost.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "aia_lib.h"

#define NR_MSIS		16
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

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
	int fd = open(CPU1_ONLINE, O_WRONLY);

	/* Never leave hart 1 offline for the tests after this one. */
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			ksft_print_msg("aia: could not bring hart 1 back\n");
		close(fd);
	}
}

static bool set_cpu1_online(bool online)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, online ? "1" : "0", 1) == 1;
	close(fd);
	return ok;
}

/* One batch of NR_MSIS MSIs to vCPU 0, delivered and checked. */
static void send_batch(struct aia_vm *a, int round)
{
	struct aia_msi m[NR_MSIS];
	int i;

	for (i = 0; i < NR_MSIS; i++)
		m[i] = (struct aia_msi){ AIA_SEND_SIGNAL_MSI, 0, 1 + (round + i) % 16 };
	aia_deliver(a, m, NR_MSIS);
}

TEST_F_TIMEOUT(aia, offline_guest_file_hart, 110)
{
	int lines_before[2], lines_after[2], owned[AIA_MAX_VCPUS];
	bool has_file = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	struct aia_vm *a;
	int cpu, round = 0;

	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "hart 1 cannot be taken offline here");

	for (cpu = 0; cpu < 2; cpu++)
		lines_before[cpu] = aia_probe_free_lines(cpu, AIA_MAX_VCPUS);

	a = aia_vm_on_hart(variant->mode, 1);
	a->timeout_s = 5;

	send_batch(a, round++);
	if (has_file && aia_debugfs_present()) {
		memset(owned, 0, sizeof(owned));
		ASSERT_EQ(aia_debugfs_owners(1, owned), 1);
		ASSERT_NE(owned[0], 0) TH_LOG("vCPU 0 owns no line of hart 1");
	}

	ASSERT_TRUE(set_cpu1_online(false)) TH_LOG("offlining hart 1 failed");
	for (; round < 4; round++)
		send_batch(a, round);
	ASSERT_TRUE(a->runner[0].cpus_seen & 1)
		TH_LOG("vCPU never ran on hart 0 (harts seen %#lx)", a->runner[0].cpus_seen);
	if (aia_debugfs_present()) {
		memset(owned, 0, sizeof(owned));
		ASSERT_EQ(aia_debugfs_owners(1, owned), 0)
			TH_LOG("hart 1 is offline but still has an owned line");
	}

	ASSERT_TRUE(set_cpu1_online(true)) TH_LOG("onlining hart 1 failed");
	for (; round < 6; round++)
		send_batch(a, round);
	ksft_print_msg("aia: %s: %d MSIs across offline/online of hart 1, none lost\n",
		       aia_mode_name(variant->mode), round * NR_MSIS);

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

/*
 * MSIs pending in the guest file at the moment its hart goes offline: the
 * guest holds IDs 2.. pending with eithreshold 2 (ID 1 still wakes it)
 * while its vCPU sleeps in WFI on hart 1.  Offlining hart 1 must move the
 * file's pending bits with the vCPU (kvm_riscv_vcpu_aia_imsic_release()
 * reads the VS-file into the SW file); once the guest lowers its threshold
 * on hart 0 it must claim every one of them, exactly once.
 */
TEST_F_TIMEOUT(aia, pending_at_offline, 110)
{
	struct aia_msi bell = { AIA_SEND_SIGNAL_MSI, 0, 1 };
	bool has_file = variant->mode != KVM_DEV_RISCV_AIA_MODE_EMUL;
	int owned[AIA_MAX_VCPUS];
	struct aia_guest_vcpu *g;
	struct aia_vm *a;
	u64 claimed;
	u32 id;

	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "hart 1 cannot be taken offline here");

	a = aia_vm_on_hart(variant->mode, 1);
	a->timeout_s = 5;
	g = aia_guest_hva(a, 0);

	/* The guest applies the threshold before it reports the bell. */
	WRITE_ONCE(g->threshold, 2);
	aia_deliver(a, &bell, 1);
	claimed = READ_ONCE(g->total);
	for (id = 2; id < 2 + NR_MSIS; id++) {
		aia_signal_msi(a, 0, id);
		aia_expect(a, 0, id);
	}
	usleep(200 * 1000);
	ASSERT_EQ(READ_ONCE(g->total), claimed)
		TH_LOG("the guest claimed IDs above its eithreshold");
	if (has_file && aia_debugfs_present()) {
		memset(owned, 0, sizeof(owned));
		ASSERT_EQ(aia_debugfs_owners(1, owned), 1);
		ASSERT_NE(owned[0], 0) TH_LOG("vCPU 0 owns no line of hart 1");
	}

	ASSERT_TRUE(set_cpu1_online(false)) TH_LOG("offlining hart 1 failed");
	if (aia_debugfs_present()) {
		memset(owned, 0, sizeof(owned));
		ASSERT_EQ(aia_debugfs_owners(1, owned), 0)
			TH_LOG("hart 1 is offline but still has an owned line");
	}

	/* Lower the threshold and ring: everything held must arrive. */
	WRITE_ONCE(g->threshold, 0);
	aia_deliver(a, &bell, 1);
	ASSERT_TRUE(a->runner[0].cpus_seen & 1)
		TH_LOG("vCPU never ran on hart 0 (harts seen %#lx)", a->runner[0].cpus_seen);
	ksft_print_msg("aia: %s: %d MSIs pending across offline of hart 1, none lost\n",
		       aia_mode_name(variant->mode), NR_MSIS);

	ASSERT_TRUE(set_cpu1_online(true)) TH_LOG("onlining hart 1 failed");
	aia_stop_all(a);
	aia_vm_free(a);
	if (aia_debugfs_present())
		ASSERT_TRUE(aia_debugfs_wait_empty(5)) TH_LOG("HGEI lines owned after the VM");
}

TEST_HARNESS_MAIN
