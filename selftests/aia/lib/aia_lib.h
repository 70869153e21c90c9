/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the RISC-V KVM AIA selftests: a VM with the in-kernel AIA
 * device (APLIC + IMSIC), a guest that claims MSIs through its IMSIC, vCPU
 * runner threads, MSI senders (KVM_SIGNAL_MSI, irqfd with MSI routing, APLIC
 * wired sources) and readers of the kvm_riscv_aia debugfs and of the SGEI
 * line in /proc/interrupts.
 */
#ifndef SELFTEST_KVM_AIA_LIB_H
#define SELFTEST_KVM_AIA_LIB_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define AIA_MAX_VCPUS		16
#define AIA_MAX_IDS		256
#define AIA_EIE_WORDS		(AIA_MAX_IDS / 64)
#define AIA_MAX_ROUTES		64
#define AIA_NR_SOURCES		32

/* Guest physical layout, away from the selftest memory in slot 0. */
#define AIA_APLIC_GPA		0x0c000000UL
#define AIA_IMSIC_GPA		0x28000000UL
#define AIA_IMSIC_PAGE		0x1000UL

/* IMSIC indirect registers (siselect values), as in riscv-imsic.h. */
#define AIA_IMSIC_EIDELIVERY	0x70
#define AIA_IMSIC_EITHRESHOLD	0x72
#define AIA_IMSIC_EIP0		0x80
#define AIA_IMSIC_EIE0		0xc0

/* APLIC registers, as in riscv-aplic.h. */
#define AIA_APLIC_DOMAINCFG		0x0000
#define AIA_APLIC_DOMAINCFG_IE		0x100
#define AIA_APLIC_SOURCECFG(s)		(0x0004 + ((s) - 1) * 4)
#define AIA_APLIC_SM_EDGE_RISE		0x4
#define AIA_APLIC_SETIENUM		0x1edc
#define AIA_APLIC_TARGET(s)		(0x3004 + ((s) - 1) * 4)
#define AIA_APLIC_TARGET_HART_SHIFT	18

/*
 * An expected failure (XFAIL_ADD) that passes is stale: make the binary fail
 * (kselftest_harness reports XPASS as a pass).  Use once, in a test file.
 */
#define AIA_XPASS_FAILS							\
static void aia_xpass_check(void)						\
{										\
	if (ksft_get_xpass_cnt()) {						\
		ksft_print_msg("aia: XPASS: an expected failure passes, drop its XFAIL_ADD\n"); \
		_exit(KSFT_FAIL);						\
	}									\
}										\
static void __attribute__((constructor)) aia_xpass_init(void)		\
{										\
	atexit(aia_xpass_check);						\
}

/* aia_guest_vcpu.target value that ends the guest's wait loop. */
#define AIA_STOP		(~0ULL)

static inline const char *aia_mode_name(u32 mode)
{
	switch (mode) {
	case KVM_DEV_RISCV_AIA_MODE_EMUL:
		return "emul";
	case KVM_DEV_RISCV_AIA_MODE_HWACCEL:
		return "hwaccel";
	case KVM_DEV_RISCV_AIA_MODE_AUTO:
		return "auto";
	}
	return "?";
}

/* MSIs one guest sends in one batch (AIA_SEND_GUEST). */
#define AIA_MAX_SENDS		64

/*
 * Per-vCPU state shared between host and guest (guest memory).  The host
 * writes enable[], target, probe_reads and the send list; the guest writes
 * the rest.
 */
struct aia_guest_vcpu {
	u64 enable[AIA_EIE_WORDS];	/* IDs the guest enables in its EIEs */
	u64 target;			/* total to wait for, or AIA_STOP */
	u64 probe_reads;		/* sireg reads before each report */
	u64 threshold;			/* eithreshold the guest applies */
	/*
	 * A list of MSIs for the guest to write to IMSIC pages itself
	 * (seteipnum_le of send_vcpu[i]'s page, through the guest's G-stage
	 * mapping), sent once send_seq != send_done.
	 */
	u64 send_seq;
	u64 send_done;
	u32 nr_sends;
	u32 send_vcpu[AIA_MAX_SENDS];
	u32 send_id[AIA_MAX_SENDS];
	u64 total;			/* interrupts claimed */
	u64 spurious;			/* external interrupts with nothing to claim */
	u32 count[AIA_MAX_IDS];		/* claims per ID */
};

extern struct aia_guest_vcpu aia_guest[AIA_MAX_VCPUS];
extern u32 aia_guest_nr_ids;

/* Guest side. */
static inline void aia_imsic_write(unsigned long isel, unsigned long val)
{
	csr_write(CSR_SISELECT, isel);
	csr_write(CSR_SIREG, val);
}

static inline unsigned long aia_imsic_read(unsigned long isel)
{
	csr_write(CSR_SISELECT, isel);
	return csr_read(CSR_SIREG);
}

static inline void aia_wfi(void)
{
	asm volatile("wfi" ::: "memory");
}

static inline bool aia_test_id(const u64 *map, u32 id)
{
	return map[id / 64] & (1ULL << (id % 64));
}

void aia_guest_irq_handler(struct pt_regs *regs);
void aia_guest_imsic_init(void);
void aia_guest_wait_loop(void);
void aia_guest_main(void);

/* Host side: vCPU runner threads. */
struct aia_vm;

struct aia_runner {
	struct aia_vm *a;
	int idx;
	int cpu;			/* pinned hart at start, -1 for none */
	pthread_t thread;
	pid_t tid;
	bool started;
	/* Protected by aia_vm.lock. */
	bool exited;
	bool done;
	u32 exit_reason;
	u64 fail_reason;
	u32 fail_cpu;
	u64 nr_syncs;
	u64 sync_val;
	struct timespec sync_ts;
	u64 cpus_seen;			/* harts KVM_RUN returned on */
};

enum aia_send {
	AIA_SEND_SIGNAL_MSI,	/* KVM_SIGNAL_MSI */
	AIA_SEND_SIGNAL_MSI_BE,	/* KVM_SIGNAL_MSI to the big-endian seteipnum */
	AIA_SEND_IRQFD,		/* eventfd of an MSI route */
	AIA_SEND_APLIC,		/* KVM_IRQ_LINE edge on an APLIC source */
	AIA_SEND_GUEST,		/* vCPU @from writes @id to @vcpu's IMSIC page */
};

/* One interrupt for aia_deliver(). */
struct aia_msi {
	enum aia_send how;
	int vcpu;	/* SIGNAL_MSI, GUEST: target vCPU */
	u32 id;		/* SIGNAL_MSI, GUEST: ID; IRQFD: route index; APLIC: source */
	int from;	/* GUEST: the sending vCPU */
};

struct aia_route {
	u32 gsi;
	int vcpu;
	u32 id;
	int efd;
	bool assigned;
};

struct aia_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[AIA_MAX_VCPUS];
	int nr_vcpus;
	int dev_fd;
	u32 mode;
	u32 nr_ids;
	u32 nr_sources;
	u32 hart_bits;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct aia_runner runner[AIA_MAX_VCPUS];
	/* What each guest must have claimed so far. */
	u32 expect[AIA_MAX_VCPUS][AIA_MAX_IDS];
	u64 expect_total[AIA_MAX_VCPUS];
	struct aia_route routes[AIA_MAX_ROUTES];
	int nr_routes;
	/* APLIC source -> (vCPU, ID), as programmed by aia_aplic_route(). */
	int aplic_vcpu[AIA_NR_SOURCES + 1];
	u32 aplic_id[AIA_NR_SOURCES + 1];
	/* aia_deliver() waits this long for the guests' claims. */
	int timeout_s;
	/* The last aia_deliver(): ns from its first send to the last claim seen. */
	u64 deliver_ns;
};

/* VM with nr_vcpus vCPUs running guest_code (aia_guest_main if NULL) and
 * an AIA device configured for @mode; skips the test if the host lacks
 * Ssaia, the device or the mode.  aia_vm_init() sets the device up.
 */
struct aia_vm *aia_vm_create(u32 mode, int nr_vcpus, void *guest_code);
void aia_vm_init(struct aia_vm *a);
/*
 * A VM whose one vCPU, with every ID enabled, runs aia_guest_main() pinned
 * to hart @cpu and has reported ready (fails the test if it cannot run).
 */
struct aia_vm *aia_vm_on_hart(u32 mode, int cpu);
void aia_vm_free(struct aia_vm *a);
u64 aia_imsic_gpa(struct aia_vm *a, int vcpu);
struct aia_guest_vcpu *aia_guest_hva(struct aia_vm *a, int vcpu);

/* Enable (in the guest's EIEs) exactly the IDs 1..nr_ids for every vCPU. */
void aia_enable_all_ids(struct aia_vm *a);

void aia_runner_start(struct aia_vm *a, int vcpu, int cpu);
/* Wait for the vCPU's first report or for its runner to exit. */
void aia_wait_ready(struct aia_vm *a, int vcpu);
void aia_wait_exit(struct aia_vm *a, int vcpu);
void aia_runner_join(struct aia_vm *a, int vcpu);
/* End every guest wait loop and join the runners. */
void aia_stop_all(struct aia_vm *a);

int __aia_signal_msi(struct aia_vm *a, u64 addr, u32 data);
void aia_signal_msi(struct aia_vm *a, int vcpu, u32 id);
/* Add or change the MSI route of a GSI; aia_routes_commit() applies. */
int aia_route(struct aia_vm *a, u32 gsi, int vcpu, u32 id);
void aia_routes_commit(struct aia_vm *a);
void aia_irqfd_fire(struct aia_vm *a, int route);
/* Program APLIC @source (edge, MSI to @vcpu with @id). */
void aia_aplic_route(struct aia_vm *a, u32 source, int vcpu, u32 id);
void aia_aplic_pulse(struct aia_vm *a, u32 source);

/*
 * Map the vCPUs' IMSIC pages into the guest's address space (identity), so
 * that guests can send MSIs to each other (AIA_SEND_GUEST).
 */
void aia_map_imsics(struct aia_vm *a);

/*
 * Send @n interrupts (each (vCPU, ID) at most once), wait until every
 * guest has claimed them and check each guest's per-ID claim counts against
 * everything sent so far: nothing lost, duplicated, misrouted or spurious.
 * AIA_SEND_GUEST entries are handed to their senders first; the batch must
 * also wake each sender (e.g. a SIGNAL_MSI to it), or the sender must be
 * running, for it to send them.
 */
void aia_deliver(struct aia_vm *a, const struct aia_msi *msis, int n);
void aia_expect(struct aia_vm *a, int vcpu, u32 id);
void aia_check_counts(struct aia_vm *a);
/*
 * Move a running vCPU to hart @cpu: re-pin its runner thread, then wake it
 * with an MSI of @id (it re-enters the guest on @cpu, which moves its
 * interrupt file); checks that KVM_RUN returned on @cpu.
 */
void aia_move_vcpu(struct aia_vm *a, int vcpu, int cpu, u32 id);

/* Threads and harts. */
int aia_nr_cpus(void);
void aia_pin_self(int cpu);
void aia_pin_thread(pthread_t thread, int cpu);
u64 aia_now_ns(void);
u64 aia_ts_ns(const struct timespec *ts);

/* SGEI interrupts ("riscv-kvm") taken on @cpu, from /proc/interrupts. */
u64 aia_sgei_irqs(int cpu);

/*
 * The Rust provider's debugfs, /sys/kernel/debug/kvm_riscv_aia/:
 * cpuN/owners has one "<line> <vm> <vcpu id>" row per owned line.
 */
bool aia_debugfs_present(void);
int aia_debugfs_nr_hgei(int cpu);
u64 aia_debugfs_sgei_count(int cpu);
int aia_debugfs_free_lines(int cpu);
/* Rows on @cpu (all VMs); the vCPUs of this process's VM go to @lines. */
int aia_debugfs_owners(int cpu, int lines_of_vcpu[AIA_MAX_VCPUS]);
/* Poll until no hart has an owned line; false after @timeout_s. */
bool aia_debugfs_wait_empty(int timeout_s);

/*
 * Number of vCPUs of a fresh HWACCEL VM that get a guest file on @cpu,
 * at most @max: the free HGEI lines of that hart.
 */
int aia_probe_free_lines(int cpu, int max);

#endif /* SELFTEST_KVM_AIA_LIB_H */
