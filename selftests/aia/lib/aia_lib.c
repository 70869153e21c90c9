// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the RISC-V KVM AIA selftests (see aia_lib.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "aia_lib.h"

#define AIA_DEBUGFS	"/sys/kernel/debug/kvm_riscv_aia"

struct aia_guest_vcpu aia_guest[AIA_MAX_VCPUS];
u32 aia_guest_nr_ids;

/* ---- guest ------------------------------------------------------------ */

/* Claim every pending interrupt through stopei and count it by ID. */
void aia_guest_irq_handler(struct pt_regs *regs)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	unsigned long cause = regs->cause & ~CAUSE_IRQ_FLAG;
	unsigned long topei, topi;
	u64 claimed = 0;
	u32 id;

	__GUEST_ASSERT(cause == IRQ_S_EXT, "unexpected interrupt, cause %lu", cause);

	/*
	 * What a Linux guest's INTC reads first (riscv_intc_aia_irq()): the
	 * external interrupt must be in vstopi.  Without a guest file
	 * (hstatus.VGEIN == 0, EMUL) it is there only if the host wrote
	 * HVICTL.IID = 9 with a non-zero IPRIO for hvip.VSEIP (update_hvip).
	 */
	topi = csr_read(CSR_STOPI);
	__GUEST_ASSERT((topi >> TOPI_IID_SHIFT) == IRQ_S_EXT &&
		       (topi & TOPI_IPRIO_MASK),
		       "external interrupt taken, stopi %#lx", topi);

	while ((topei = csr_swap(CSR_STOPEI, 0))) {
		id = (topei >> TOPEI_ID_SHIFT) & TOPEI_ID_MASK;
		/* An IMSIC's priority is its ID. */
		__GUEST_ASSERT(id && (topei & TOPEI_PRIO_MASK) == id,
			       "malformed stopei %#lx", topei);
		__GUEST_ASSERT(id < AIA_MAX_IDS && aia_test_id(g->enable, id),
			       "claimed ID %u, which is not enabled", id);
		WRITE_ONCE(g->count[id], g->count[id] + 1);
		claimed++;
	}

	if (claimed)
		WRITE_ONCE(g->total, g->total + claimed);
	else
		WRITE_ONCE(g->spurious, g->spurious + 1);
}

/* Guest page faults: say where (the library's default handler does not). */
static void aia_guest_page_fault(struct pt_regs *regs)
{
	__GUEST_ASSERT(0, "page fault (cause %lu) at pc %#lx, address %#lx",
		       regs->cause, regs->epc, regs->badaddr);
}

/*
 * Enable the interrupt file: EIEs from enable[] (read back), threshold 0,
 * delivery on, then sie.SEIE and sstatus.SIE.
 */
void aia_guest_imsic_init(void)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	u32 words = (aia_guest_nr_ids + 1) / 64;
	unsigned long isel;
	u32 i;

	aia_imsic_write(AIA_IMSIC_EIDELIVERY, 0);
	aia_imsic_write(AIA_IMSIC_EITHRESHOLD, 0);
	for (i = 0; i < words && i < AIA_EIE_WORDS; i++) {
		/* On rv64 only the even EIE registers exist. */
		isel = AIA_IMSIC_EIE0 + 2 * i;
		aia_imsic_write(isel, g->enable[i]);
		__GUEST_ASSERT(aia_imsic_read(isel) == g->enable[i],
			       "eie%u reads %#lx, wrote %#lx", 2 * i,
			       aia_imsic_read(isel), (unsigned long)g->enable[i]);
	}
	aia_imsic_write(AIA_IMSIC_EIDELIVERY, 1);
	GUEST_ASSERT_EQ(aia_imsic_read(AIA_IMSIC_EIDELIVERY), 1);
	GUEST_ASSERT_EQ(aia_imsic_read(AIA_IMSIC_EITHRESHOLD), 0);

	csr_set(CSR_SIE, IE_EIE);
	local_irq_enable();
}

/*
 * Sleep in WFI until the host's target total of claims is reached, report
 * it with GUEST_SYNC(target), and again for the next target, until the
 * target is AIA_STOP.  The check and the WFI run with sstatus.SIE clear so
 * that no interrupt slips in between (WFI still wakes on a pending one).
 */
/* Write the host's send list to the IMSIC pages it names (seteipnum_le). */
static void aia_guest_send(struct aia_guest_vcpu *g, u64 seq)
{
	u32 i, n = READ_ONCE(g->nr_sends);

	for (i = 0; i < n && i < AIA_MAX_SENDS; i++)
		WRITE_ONCE(*(u32 *)(AIA_IMSIC_GPA + READ_ONCE(g->send_vcpu[i]) * AIA_IMSIC_PAGE),
			   READ_ONCE(g->send_id[i]));
	WRITE_ONCE(g->send_done, seq);
}

void aia_guest_wait_loop(void)
{
	struct aia_guest_vcpu *g = &aia_guest[guest_get_vcpuid()];
	u64 target, done = 0, i, seq, thr = 0;

	for (;;) {
		local_irq_disable();
		/* IDs >= a non-zero eithreshold stay pending in the file. */
		if (READ_ONCE(g->threshold) != thr) {
			thr = READ_ONCE(g->threshold);
			aia_imsic_write(AIA_IMSIC_EITHRESHOLD, thr);
		}
		target = READ_ONCE(g->target);
		if (target == AIA_STOP)
			break;
		seq = READ_ONCE(g->send_seq);
		if (seq != READ_ONCE(g->send_done)) {
			local_irq_enable();
			aia_guest_send(g, seq);
			continue;
		}
		if (target > done && READ_ONCE(g->total) >= target) {
			local_irq_enable();
			for (i = 0; i < READ_ONCE(g->probe_reads); i++)
				GUEST_ASSERT_EQ(aia_imsic_read(AIA_IMSIC_EITHRESHOLD), thr);
			done = target;
			GUEST_SYNC(done);
			continue;
		}
		aia_wfi();
		local_irq_enable();
	}
	local_irq_enable();
}

void aia_guest_main(void)
{
	aia_guest_imsic_init();
	GUEST_SYNC(0);
	aia_guest_wait_loop();
	GUEST_DONE();
}

/* ---- host: VM and device ---------------------------------------------- */

static u32 aia_get_config(struct aia_vm *a, u64 attr)
{
	u32 val = 0;

	kvm_device_attr_get(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &val);
	return val;
}

static void aia_set_config(struct aia_vm *a, u64 attr, u32 val)
{
	kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, attr, &val);
	TEST_ASSERT_EQ(aia_get_config(a, attr), val);
}

u64 aia_imsic_gpa(struct aia_vm *a, int vcpu)
{
	return AIA_IMSIC_GPA + (u64)vcpu * AIA_IMSIC_PAGE;
}

struct aia_guest_vcpu *aia_guest_hva(struct aia_vm *a, int vcpu)
{
	return addr_gva2hva(a->vm, (gva_t)&aia_guest[vcpu]);
}

struct aia_vm *aia_vm_create(u32 mode, int nr_vcpus, void *guest_code)
{
	pthread_condattr_t cattr;
	struct aia_vm *a;
	u64 addr;
	u32 val;
	int i, r;

	TEST_ASSERT(nr_vcpus > 0 && nr_vcpus <= AIA_MAX_VCPUS, "bad vCPU count %d", nr_vcpus);
	a = calloc(1, sizeof(*a));
	TEST_ASSERT(a, "out of memory");
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &cattr);
	a->nr_vcpus = nr_vcpus;
	a->timeout_s = 30;
	for (i = 0; i <= AIA_NR_SOURCES; i++)
		a->aplic_vcpu[i] = -1;

	a->vm = vm_create_with_vcpus(nr_vcpus, guest_code ? guest_code : aia_guest_main,
				     a->vcpus);
	__TEST_REQUIRE(__vcpu_has_isa_ext(a->vcpus[0], KVM_RISCV_ISA_EXT_SSAIA),
		       "Ssaia is not available to guests");

	vm_init_vector_tables(a->vm);
	vm_install_interrupt_handler(a->vm, aia_guest_irq_handler);
	vm_install_exception_handler(a->vm, EXC_INST_PAGE_FAULT, aia_guest_page_fault);
	vm_install_exception_handler(a->vm, EXC_LOAD_PAGE_FAULT, aia_guest_page_fault);
	vm_install_exception_handler(a->vm, EXC_STORE_PAGE_FAULT, aia_guest_page_fault);
	for (i = 0; i < nr_vcpus; i++)
		vcpu_init_vector_tables(a->vcpus[i]);

	a->dev_fd = __kvm_create_device(a->vm, KVM_DEV_TYPE_RISCV_AIA);
	__TEST_REQUIRE(a->dev_fd >= 0, "no KVM_DEV_TYPE_RISCV_AIA device: %s",
		       strerror(errno));

	a->mode = mode;
	r = __kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CONFIG,
				  KVM_DEV_RISCV_AIA_CONFIG_MODE, &mode);
	__TEST_REQUIRE(!(r && errno == EINVAL && mode != KVM_DEV_RISCV_AIA_MODE_EMUL),
		       "AIA mode %s needs guest external interrupt lines", aia_mode_name(mode));
	TEST_ASSERT(!r, "setting AIA mode %s: %s", aia_mode_name(mode), strerror(errno));
	TEST_ASSERT_EQ(aia_get_config(a, KVM_DEV_RISCV_AIA_CONFIG_MODE), mode);

	/* The default is every ID the host's guest files have. */
	val = aia_get_config(a, KVM_DEV_RISCV_AIA_CONFIG_IDS);
	TEST_ASSERT(val >= KVM_DEV_RISCV_AIA_IDS_MIN && (val & 63) == 63,
		    "default nr_ids %u is not 64*k-1", val);
	a->nr_ids = val < AIA_MAX_IDS - 1 ? val : AIA_MAX_IDS - 1;
	aia_set_config(a, KVM_DEV_RISCV_AIA_CONFIG_IDS, a->nr_ids);

	a->nr_sources = AIA_NR_SOURCES;
	aia_set_config(a, KVM_DEV_RISCV_AIA_CONFIG_SRCS, a->nr_sources);
	addr = AIA_APLIC_GPA;
	kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
			    KVM_DEV_RISCV_AIA_ADDR_APLIC, &addr);

	while ((1 << a->hart_bits) < nr_vcpus)
		a->hart_bits++;
	aia_set_config(a, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS, a->hart_bits);
	aia_set_config(a, KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS, 0);
	aia_set_config(a, KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS, 0);
	for (i = 0; i < nr_vcpus; i++) {
		addr = aia_imsic_gpa(a, i);
		kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_ADDR,
				    KVM_DEV_RISCV_AIA_ADDR_IMSIC(i), &addr);
	}

	aia_guest_nr_ids = a->nr_ids;
	sync_global_to_guest(a->vm, aia_guest_nr_ids);
	return a;
}

void aia_vm_init(struct aia_vm *a)
{
	kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_CTRL,
			    KVM_DEV_RISCV_AIA_CTRL_INIT, NULL);
}

void aia_map_imsics(struct aia_vm *a)
{
	virt_map(a->vm, AIA_IMSIC_GPA, AIA_IMSIC_GPA, a->nr_vcpus);
}

void aia_enable_all_ids(struct aia_vm *a)
{
	struct aia_guest_vcpu *g;
	u32 id;
	int v;

	for (v = 0; v < a->nr_vcpus; v++) {
		g = aia_guest_hva(a, v);
		memset(g->enable, 0, sizeof(g->enable));
		for (id = 1; id <= a->nr_ids; id++)
			g->enable[id / 64] |= 1ULL << (id % 64);
	}
}

void aia_vm_free(struct aia_vm *a)
{
	int i;

	for (i = 0; i < a->nr_vcpus; i++)
		TEST_ASSERT(!a->runner[i].started, "vCPU %d runner still attached", i);
	/* The device and the vCPU fds hold the VM: close them all. */
	close(a->dev_fd);
	kvm_vm_free(a->vm);
	for (i = 0; i < a->nr_routes; i++)
		close(a->routes[i].efd);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

/* ---- host: runners ---------------------------------------------------- */

static void *aia_runner_fn(void *arg)
{
	struct aia_runner *r = arg;
	struct aia_vm *a = r->a;
	struct kvm_vcpu *vcpu = a->vcpus[r->idx];
	struct ucall uc;
	u64 cmd;
	int cpu;

	r->tid = syscall(SYS_gettid);
	if (r->cpu >= 0)
		aia_pin_self(r->cpu);

	for (;;) {
		vcpu_run(vcpu);
		cpu = sched_getcpu();

		pthread_mutex_lock(&a->lock);
		if (cpu >= 0 && cpu < 64)
			r->cpus_seen |= 1ULL << cpu;
		r->exit_reason = vcpu->run->exit_reason;
		if (vcpu->run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
			r->fail_reason = vcpu->run->fail_entry.hardware_entry_failure_reason;
			r->fail_cpu = vcpu->run->fail_entry.cpu;
			r->exited = true;
			pthread_cond_broadcast(&a->cond);
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		cmd = get_ucall(vcpu, &uc);
		switch (cmd) {
		case UCALL_SYNC:
			r->sync_val = uc.args[1];
			r->nr_syncs++;
			clock_gettime(CLOCK_MONOTONIC, &r->sync_ts);
			break;
		case UCALL_DONE:
			r->done = true;
			r->exited = true;
			break;
		case UCALL_ABORT:
			pthread_mutex_unlock(&a->lock);
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			pthread_mutex_unlock(&a->lock);
			TEST_FAIL("vCPU %d: unexpected exit %s (%u), ucall %lu", r->idx,
				  exit_reason_str(vcpu->run->exit_reason),
				  vcpu->run->exit_reason, cmd);
		}
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
		if (cmd == UCALL_DONE)
			return NULL;
	}
}

void aia_runner_start(struct aia_vm *a, int vcpu, int cpu)
{
	struct aia_runner *r = &a->runner[vcpu];
	int ret;

	TEST_ASSERT(!r->started, "vCPU %d already has a runner", vcpu);
	pthread_mutex_lock(&a->lock);
	r->a = a;
	r->idx = vcpu;
	r->cpu = cpu;
	r->exited = false;
	r->done = false;
	r->started = true;
	pthread_mutex_unlock(&a->lock);
	ret = pthread_create(&r->thread, NULL, aia_runner_fn, r);
	TEST_ASSERT(!ret, "pthread_create: %s", strerror(ret));
}

/* Wait on a->cond until @pred holds, at most a->timeout_s; false on timeout. */
#define aia_wait_until(a, pred)							\
({										\
	struct aia_vm *__a = (a);						\
	struct timespec __ts;							\
	int __ret = 0;								\
										\
	clock_gettime(CLOCK_MONOTONIC, &__ts);					\
	__ts.tv_sec += __a->timeout_s;						\
	pthread_mutex_lock(&__a->lock);						\
	while (!(pred) && __ret != ETIMEDOUT)					\
		__ret = pthread_cond_timedwait(&__a->cond, &__a->lock, &__ts);	\
	pthread_mutex_unlock(&__a->lock);					\
	__ret != ETIMEDOUT;							\
})

void aia_wait_ready(struct aia_vm *a, int vcpu)
{
	struct aia_runner *r = &a->runner[vcpu];

	TEST_ASSERT(aia_wait_until(a, r->nr_syncs >= 1 || r->exited),
		    "vCPU %d never reported ready", vcpu);
}

void aia_wait_exit(struct aia_vm *a, int vcpu)
{
	struct aia_runner *r = &a->runner[vcpu];

	TEST_ASSERT(aia_wait_until(a, r->exited), "vCPU %d did not exit", vcpu);
}

void aia_runner_join(struct aia_vm *a, int vcpu)
{
	struct aia_runner *r = &a->runner[vcpu];

	if (!r->started)
		return;
	aia_wait_exit(a, vcpu);
	pthread_join(r->thread, NULL);
	r->started = false;
}

static u32 aia_first_enabled(struct aia_guest_vcpu *g)
{
	u32 id;

	for (id = 1; id < AIA_MAX_IDS; id++)
		if (aia_test_id(g->enable, id))
			return id;
	TEST_FAIL("the guest enables no ID");
}

void aia_stop_all(struct aia_vm *a)
{
	struct aia_guest_vcpu *g;
	bool stop[AIA_MAX_VCPUS] = {};
	int v;

	for (v = 0; v < a->nr_vcpus; v++) {
		pthread_mutex_lock(&a->lock);
		stop[v] = a->runner[v].started && !a->runner[v].exited;
		pthread_mutex_unlock(&a->lock);
		if (!stop[v])
			continue;
		/* End the wait loop, and wake the vCPU up to see it. */
		g = aia_guest_hva(a, v);
		WRITE_ONCE(g->target, AIA_STOP);
		TEST_ASSERT_EQ(__aia_signal_msi(a, aia_imsic_gpa(a, v),
						aia_first_enabled(g)), 0);
	}
	for (v = 0; v < a->nr_vcpus; v++) {
		aia_runner_join(a, v);
		if (stop[v])
			TEST_ASSERT(a->runner[v].done, "vCPU %d did not finish", v);
	}
}

/* ---- host: sending interrupts ------------------------------------------ */

int __aia_signal_msi(struct aia_vm *a, u64 addr, u32 data)
{
	struct kvm_msi msi = {
		.address_lo = (u32)addr,
		.address_hi = (u32)(addr >> 32),
		.data = data,
	};

	return __vm_ioctl(a->vm, KVM_SIGNAL_MSI, &msi);
}

void aia_signal_msi(struct aia_vm *a, int vcpu, u32 id)
{
	int r = __aia_signal_msi(a, aia_imsic_gpa(a, vcpu), id);

	TEST_ASSERT(!r, "KVM_SIGNAL_MSI to vCPU %d, ID %u: %d (%s)", vcpu, id, r,
		    strerror(errno));
}

int aia_route(struct aia_vm *a, u32 gsi, int vcpu, u32 id)
{
	int i;

	for (i = 0; i < a->nr_routes; i++)
		if (a->routes[i].gsi == gsi)
			break;
	if (i == a->nr_routes) {
		TEST_ASSERT(i < AIA_MAX_ROUTES, "too many routes");
		a->routes[i].gsi = gsi;
		a->routes[i].efd = eventfd(0, 0);
		TEST_ASSERT(a->routes[i].efd >= 0, "eventfd: %s", strerror(errno));
		a->nr_routes++;
	}
	a->routes[i].vcpu = vcpu;
	a->routes[i].id = id;
	return i;
}

void aia_routes_commit(struct aia_vm *a)
{
	struct kvm_irq_routing *routing = kvm_gsi_routing_create();
	struct kvm_irq_routing_entry *e;
	struct aia_route *rt;
	u64 addr;
	int i;

	for (i = 0; i < a->nr_routes; i++) {
		rt = &a->routes[i];
		addr = aia_imsic_gpa(a, rt->vcpu);
		e = &routing->entries[routing->nr++];
		e->gsi = rt->gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = (u32)addr;
		e->u.msi.address_hi = (u32)(addr >> 32);
		e->u.msi.data = rt->id;
	}
	kvm_gsi_routing_write(a->vm, routing);

	for (i = 0; i < a->nr_routes; i++) {
		rt = &a->routes[i];
		if (rt->assigned)
			continue;
		kvm_assign_irqfd(a->vm, rt->gsi, rt->efd);
		rt->assigned = true;
	}
}

void aia_irqfd_fire(struct aia_vm *a, int route)
{
	u64 one = 1;
	ssize_t n = write(a->routes[route].efd, &one, sizeof(one));

	TEST_ASSERT(n == sizeof(one), "eventfd write: %s", strerror(errno));
}

static void aia_aplic_write(struct aia_vm *a, u64 reg, u32 val)
{
	kvm_device_attr_set(a->dev_fd, KVM_DEV_RISCV_AIA_GRP_APLIC, reg, &val);
}

void aia_aplic_route(struct aia_vm *a, u32 source, int vcpu, u32 id)
{
	TEST_ASSERT(source >= 1 && source <= a->nr_sources, "bad APLIC source %u", source);
	/* The hart index of vCPU i is i: its IMSIC is page i above the base. */
	aia_aplic_write(a, AIA_APLIC_DOMAINCFG, AIA_APLIC_DOMAINCFG_IE);
	aia_aplic_write(a, AIA_APLIC_SOURCECFG(source), AIA_APLIC_SM_EDGE_RISE);
	aia_aplic_write(a, AIA_APLIC_TARGET(source),
			((u32)vcpu << AIA_APLIC_TARGET_HART_SHIFT) | id);
	aia_aplic_write(a, AIA_APLIC_SETIENUM, source);
	a->aplic_vcpu[source] = vcpu;
	a->aplic_id[source] = id;
}

void aia_aplic_pulse(struct aia_vm *a, u32 source)
{
	kvm_irq_line(a->vm, source, 1);
	kvm_irq_line(a->vm, source, 0);
}

static void aia_resolve(struct aia_vm *a, const struct aia_msi *m, int *vcpu, u32 *id)
{
	*vcpu = -1;
	*id = 0;
	switch (m->how) {
	case AIA_SEND_SIGNAL_MSI:
	case AIA_SEND_SIGNAL_MSI_BE:
		*vcpu = m->vcpu;
		*id = m->id;
		break;
	case AIA_SEND_IRQFD:
		TEST_ASSERT(m->id < a->nr_routes, "no route %u", m->id);
		*vcpu = a->routes[m->id].vcpu;
		*id = a->routes[m->id].id;
		break;
	case AIA_SEND_GUEST:
		TEST_ASSERT(m->from >= 0 && m->from < a->nr_vcpus, "bad sender %d", m->from);
		*vcpu = m->vcpu;
		*id = m->id;
		break;
	case AIA_SEND_APLIC:
		TEST_ASSERT(m->id >= 1 && m->id <= AIA_NR_SOURCES &&
			    a->aplic_vcpu[m->id] >= 0, "APLIC source %u not routed", m->id);
		*vcpu = a->aplic_vcpu[m->id];
		*id = a->aplic_id[m->id];
		break;
	}
	TEST_ASSERT(*vcpu >= 0 && *vcpu < a->nr_vcpus && *id >= 1 && *id <= a->nr_ids,
		    "bad interrupt (vCPU %d, ID %u)", *vcpu, *id);
}

static void aia_send(struct aia_vm *a, const struct aia_msi *m)
{
	int r;

	switch (m->how) {
	case AIA_SEND_SIGNAL_MSI:
		aia_signal_msi(a, m->vcpu, m->id);
		break;
	case AIA_SEND_SIGNAL_MSI_BE:
		/* seteipnum_be (offset 4) takes the ID byte-swapped. */
		r = __aia_signal_msi(a, aia_imsic_gpa(a, m->vcpu) + 4, __builtin_bswap32(m->id));
		TEST_ASSERT(!r, "KVM_SIGNAL_MSI (big-endian) to vCPU %d, ID %u: %s",
			    m->vcpu, m->id, strerror(errno));
		break;
	case AIA_SEND_IRQFD:
		aia_irqfd_fire(a, m->id);
		break;
	case AIA_SEND_APLIC:
		aia_aplic_pulse(a, m->id);
		break;
	case AIA_SEND_GUEST:
		/* Queued by aia_queue_guest_sends(). */
		break;
	}
}

/* Hand each sender its AIA_SEND_GUEST entries of the batch. */
static void aia_queue_guest_sends(struct aia_vm *a, const struct aia_msi *msis, int n)
{
	u32 nr[AIA_MAX_VCPUS] = {};
	struct aia_guest_vcpu *g;
	int i, v;

	for (i = 0; i < n; i++) {
		if (msis[i].how != AIA_SEND_GUEST)
			continue;
		v = msis[i].from;
		g = aia_guest_hva(a, v);
		TEST_ASSERT(nr[v] < AIA_MAX_SENDS, "vCPU %d: too many sends in a batch", v);
		TEST_ASSERT(READ_ONCE(g->send_done) == READ_ONCE(g->send_seq),
			    "vCPU %d has not sent its previous list", v);
		g->send_vcpu[nr[v]] = msis[i].vcpu;
		g->send_id[nr[v]] = msis[i].id;
		nr[v]++;
	}
	for (v = 0; v < a->nr_vcpus; v++) {
		if (!nr[v])
			continue;
		TEST_ASSERT(a->runner[v].started, "sender vCPU %d is not running", v);
		g = aia_guest_hva(a, v);
		g->nr_sends = nr[v];
		/* The list before its sequence number (the guest reads it after). */
		__atomic_store_n(&g->send_seq, g->send_seq + 1, __ATOMIC_RELEASE);
	}
}

/* Print the IDs a guest claimed a wrong number of times; returns how many. */
static int aia_dump_counts(struct aia_vm *a, int v)
{
	struct aia_guest_vcpu *g = aia_guest_hva(a, v);
	int bad = 0;
	u32 id;

	for (id = 0; id < AIA_MAX_IDS; id++) {
		if (READ_ONCE(g->count[id]) == a->expect[v][id])
			continue;
		if (bad++ < 16)
			fprintf(stderr, "vCPU %d ID %u: claimed %u times, sent %u\n",
				v, id, g->count[id], a->expect[v][id]);
	}
	return bad;
}

void aia_check_counts(struct aia_vm *a)
{
	struct aia_guest_vcpu *g;
	int v, bad;

	for (v = 0; v < a->nr_vcpus; v++) {
		g = aia_guest_hva(a, v);
		bad = aia_dump_counts(a, v);
		TEST_ASSERT(!bad, "vCPU %d: %d IDs claimed a wrong number of times", v, bad);
		TEST_ASSERT(READ_ONCE(g->total) == a->expect_total[v],
			    "vCPU %d claimed %lu interrupts, %lu sent", v,
			    READ_ONCE(g->total), a->expect_total[v]);
		TEST_ASSERT(!READ_ONCE(g->spurious), "vCPU %d: %lu spurious external interrupts",
			    v, READ_ONCE(g->spurious));
	}
}

static void aia_sigusr1(int sig)
{
}

/* The hart a thread last ran on ("processor", field 39 of its stat). */
static int aia_thread_cpu(pid_t tid)
{
	char path[64], buf[1024], *p;
	int i, cpu = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* Field 3 (state) follows the ")" that ends the command name. */
	for (i = 3; p && i <= 39; i++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%d", &cpu);
	return cpu;
}

/* Where the vCPU's thread sleeps and, with the Rust provider, its lines. */
static void aia_dump_vcpu_place(struct aia_vm *a, int v)
{
	int lines[AIA_MAX_VCPUS], cpu;

	fprintf(stderr, "vCPU %d: its thread last ran on hart %d", v,
		aia_thread_cpu(a->runner[v].tid));
	if (aia_debugfs_present()) {
		for (cpu = 0; cpu < aia_nr_cpus(); cpu++) {
			aia_debugfs_owners(cpu, lines);
			if (lines[v])
				fprintf(stderr, "; owns line %d of hart %d", lines[v], cpu);
		}
	}
	fprintf(stderr, "\n");
}

/*
 * A guest did not claim everything in time: tell whether its vCPU sleeps in
 * WFI with the MSIs pending (a signal that kicks it out of KVM_RUN lets it
 * claim them: a lost wake-up) or whether they are gone.  Either fails the
 * test: no tolerance.
 */
static void aia_deliver_timeout(struct aia_vm *a, int v)
{
	struct aia_runner *r = &a->runner[v];
	struct kvm_vcpu *vcpu = a->vcpus[v];
	u64 claimed = READ_ONCE(aia_guest_hva(a, v)->total);
	struct sigaction sa = { .sa_handler = aia_sigusr1 };
	int timeout = a->timeout_s;
	bool kicked;

	aia_dump_counts(a, v);
	fprintf(stderr, "vCPU %d: blocking %lu, halt_wakeup %lu, wfi_exit_stat %lu, SGEIs %lu\n",
		v, vcpu_get_stat(vcpu, blocking), vcpu_get_stat(vcpu, halt_wakeup),
		vcpu_get_stat(vcpu, wfi_exit_stat), aia_sgei_irqs(-1));
	aia_dump_vcpu_place(a, v);
	sigaction(SIGUSR1, &sa, NULL);
	pthread_kill(r->thread, SIGUSR1);
	a->timeout_s = 5;
	kicked = aia_wait_until(a, r->sync_val >= a->expect_total[v] || r->exited);
	a->timeout_s = timeout;
	aia_dump_counts(a, v);
	TEST_FAIL("vCPU %d claimed %lu of %lu interrupts in %ds; %s", v, claimed,
		  a->expect_total[v], timeout,
		  kicked ? "once kicked out of KVM_RUN by a signal it claimed all: lost wake-up"
			 : "still missing after a signal kick: lost MSIs");
}

void aia_deliver(struct aia_vm *a, const struct aia_msi *msis, int n)
{
	u64 seen[AIA_MAX_VCPUS][AIA_EIE_WORDS] = {};
	bool touched[AIA_MAX_VCPUS] = {};
	struct aia_runner *r;
	int i, v;
	u64 t0;
	u32 id;

	for (i = 0; i < n; i++) {
		aia_resolve(a, &msis[i], &v, &id);
		TEST_ASSERT(!aia_test_id(seen[v], id),
			    "(vCPU %d, ID %u) twice in one batch would coalesce", v, id);
		seen[v][id / 64] |= 1ULL << (id % 64);
		a->expect[v][id]++;
		a->expect_total[v]++;
		touched[v] = true;
	}
	/* The target goes first: a guest waking up must see it. */
	for (v = 0; v < a->nr_vcpus; v++) {
		if (!touched[v])
			continue;
		TEST_ASSERT(a->runner[v].started, "vCPU %d is not running", v);
		WRITE_ONCE(aia_guest_hva(a, v)->target, a->expect_total[v]);
	}
	aia_queue_guest_sends(a, msis, n);
	t0 = aia_now_ns();
	for (i = 0; i < n; i++)
		aia_send(a, &msis[i]);

	for (v = 0; v < a->nr_vcpus; v++) {
		if (!touched[v])
			continue;
		r = &a->runner[v];
		if (!aia_wait_until(a, r->sync_val >= a->expect_total[v] || r->exited))
			aia_deliver_timeout(a, v);
		TEST_ASSERT(!r->exited, "vCPU %d exited (%s) while waiting for interrupts",
			    v, exit_reason_str(r->exit_reason));
	}
	a->deliver_ns = aia_now_ns() - t0;
	aia_check_counts(a);
}

/*
 * Count (@vcpu, @id) as sent without sending it: an MSI the host sent
 * itself earlier (held pending by the guest's eithreshold), which the next
 * aia_deliver() to @vcpu waits for too.
 */
void aia_expect(struct aia_vm *a, int vcpu, u32 id)
{
	TEST_ASSERT(vcpu >= 0 && vcpu < a->nr_vcpus && id && id < AIA_MAX_IDS,
		    "bad expectation (vCPU %d, ID %u)", vcpu, id);
	a->expect[vcpu][id]++;
	a->expect_total[vcpu]++;
}

struct aia_vm *aia_vm_on_hart(u32 mode, int cpu)
{
	struct aia_vm *a = aia_vm_create(mode, 1, NULL);

	aia_enable_all_ids(a);
	aia_vm_init(a);
	aia_runner_start(a, 0, cpu);
	aia_wait_ready(a, 0);
	TEST_ASSERT(!a->runner[0].exited, "the vCPU could not run on hart %d (exit %s)",
		    cpu, exit_reason_str(a->runner[0].exit_reason));
	return a;
}

void aia_move_vcpu(struct aia_vm *a, int vcpu, int cpu, u32 id)
{
	struct aia_runner *r = &a->runner[vcpu];
	struct aia_msi m = { AIA_SEND_SIGNAL_MSI, vcpu, id };
	u64 seen;

	TEST_ASSERT(r->started && !r->exited, "vCPU %d is not running", vcpu);
	aia_pin_thread(r->thread, cpu);
	pthread_mutex_lock(&a->lock);
	r->cpus_seen = 0;
	pthread_mutex_unlock(&a->lock);
	aia_deliver(a, &m, 1);
	pthread_mutex_lock(&a->lock);
	seen = r->cpus_seen;
	pthread_mutex_unlock(&a->lock);
	TEST_ASSERT(seen == 1ULL << cpu, "vCPU %d ran on harts %#lx, not on hart %d", vcpu,
		    seen, cpu);
}

/* ---- host: harts, time, /proc/interrupts ------------------------------ */

int aia_nr_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

void aia_pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "pinning to CPU %d: %s",
		    cpu, strerror(errno));
}

void aia_pin_thread(pthread_t thread, int cpu)
{
	cpu_set_t set;
	int r;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	r = pthread_setaffinity_np(thread, sizeof(set), &set);
	TEST_ASSERT(!r, "pinning a thread to CPU %d: %s", cpu, strerror(r));
}

u64 aia_ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

u64 aia_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return aia_ts_ns(&ts);
}

u64 aia_sgei_irqs(int cpu)
{
	char line[1024], *tok, *save;
	int col[64], ncol = 0, c;
	u64 sum = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	TEST_ASSERT(f, "/proc/interrupts: %s", strerror(errno));
	/* Header: the CPU of each column. */
	TEST_ASSERT(fgets(line, sizeof(line), f), "empty /proc/interrupts");
	for (tok = strtok_r(line, " \t\n", &save); tok && ncol < 64;
	     tok = strtok_r(NULL, " \t\n", &save))
		if (sscanf(tok, "CPU%d", &c) == 1)
			col[ncol++] = c;

	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "riscv-kvm"))
			continue;
		found = true;
		tok = strtok_r(line, " \t\n", &save);	/* "NN:" */
		for (c = 0; c < ncol; c++) {
			tok = strtok_r(NULL, " \t\n", &save);
			if (!tok)
				break;
			if (cpu < 0 || col[c] == cpu)
				sum += strtoull(tok, NULL, 10);
		}
		break;
	}
	fclose(f);
	TEST_ASSERT(found, "no riscv-kvm (SGEI) line in /proc/interrupts");
	return sum;
}

/* ---- host: kvm_riscv_aia debugfs ---------------------------------------- */

bool aia_debugfs_present(void)
{
	return !access(AIA_DEBUGFS "/cpu0/owners", R_OK);
}

static FILE *aia_debugfs_open(int cpu, const char *file)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), AIA_DEBUGFS "/cpu%d/%s", cpu, file);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %s", path, strerror(errno));
	return f;
}

static u64 aia_debugfs_u64(int cpu, const char *file)
{
	FILE *f = aia_debugfs_open(cpu, file);
	unsigned long long v;
	int n = fscanf(f, "%llu", &v);

	fclose(f);
	TEST_ASSERT(n == 1, "cpu%d/%s is not a number", cpu, file);
	return v;
}

int aia_debugfs_nr_hgei(int cpu)
{
	return aia_debugfs_u64(cpu, "nr_hgei");
}

u64 aia_debugfs_sgei_count(int cpu)
{
	return aia_debugfs_u64(cpu, "sgei_count");
}

int aia_debugfs_free_lines(int cpu)
{
	return aia_debugfs_u64(cpu, "free_lines");
}

int aia_debugfs_owners(int cpu, int lines_of_vcpu[AIA_MAX_VCPUS])
{
	char line[256], vm[64], self[64];
	FILE *f = aia_debugfs_open(cpu, "owners");
	int rows = 0, hgei, id;

	snprintf(self, sizeof(self), "kvm-%d", getpid());
	if (lines_of_vcpu)
		memset(lines_of_vcpu, 0, AIA_MAX_VCPUS * sizeof(int));
	while (fgets(line, sizeof(line), f)) {
		TEST_ASSERT(sscanf(line, "%d %63s %d", &hgei, vm, &id) == 3,
			    "cpu%d/owners: bad row '%s'", cpu, line);
		rows++;
		if (!lines_of_vcpu || strcmp(vm, self) || id < 0 || id >= AIA_MAX_VCPUS)
			continue;
		TEST_ASSERT(!lines_of_vcpu[id], "cpu%d: vCPU %d owns lines %d and %d", cpu,
			    id, lines_of_vcpu[id], hgei);
		lines_of_vcpu[id] = hgei;
	}
	fclose(f);
	return rows;
}

bool aia_debugfs_wait_empty(int timeout_s)
{
	u64 end = aia_now_ns() + timeout_s * 1000000000ULL;
	int cpu, rows;

	for (;;) {
		rows = 0;
		for (cpu = 0; cpu < aia_nr_cpus(); cpu++)
			rows += aia_debugfs_owners(cpu, NULL);
		if (!rows)
			return true;
		if (aia_now_ns() > end)
			return false;
		usleep(50000);
	}
}

/* ---- host: free lines ------------------------------------------------- */

int aia_probe_free_lines(int cpu, int max)
{
	struct aia_vm *a = aia_vm_create(KVM_DEV_RISCV_AIA_MODE_HWACCEL, max, NULL);
	struct aia_runner *r;
	int i, n = 0;

	aia_enable_all_ids(a);
	aia_vm_init(a);
	for (i = 0; i < max; i++) {
		r = &a->runner[i];
		aia_runner_start(a, i, cpu);
		aia_wait_ready(a, i);
		if (r->exited) {
			TEST_ASSERT(r->exit_reason == KVM_EXIT_FAIL_ENTRY,
				    "vCPU %d exited with %s", i, exit_reason_str(r->exit_reason));
			aia_runner_join(a, i);
			break;
		}
		n++;
	}
	aia_stop_all(a);
	aia_vm_free(a);
	return n;
}
