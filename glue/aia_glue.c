// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of kvm_riscv_aia.ko.
 *
 * One-line wrappers around kernel macros and inline helpers that Rust
 * cannot call (per-CPU accessors, raw spinlocks, the NACL shared-memory
 * accessors of asm/kvm_nacl.h, KVM structure fields), in the spirit of
 * rust/helpers/.  No logic lives here: every decision is made in Rust.
 *
 * The layouts Rust mirrors are pinned down with static asserts below, so a
 * change on the C side breaks the build instead of the guest.
 */

#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqchip/riscv-imsic.h>
#include <linux/irqdomain.h>
#include <linux/kvm_host.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/kvm_aia.h>
#include <asm/kvm_nacl.h>

#include "kvm_riscv_aia_glue.h"

/* Rust's VcpuAiaCsr (rust/vcpu.rs) is this structure, field for field. */
static_assert(sizeof(struct kvm_vcpu_aia_csr) == 7 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, vsiselect) == 0 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, hviprio1) == 1 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, hviprio2) == 2 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, vsieh) == 3 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, hviph) == 4 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, hviprio1h) == 5 * sizeof(unsigned long));
static_assert(offsetof(struct kvm_vcpu_aia_csr, hviprio2h) == 6 * sizeof(unsigned long));
/* ONE_REG indexes the vCPU context with the UAPI layout. */
static_assert(sizeof(struct kvm_riscv_aia_csr) == sizeof(struct kvm_vcpu_aia_csr));
/* Rust's CSR numbers and IRQ numbers (rust/csr.rs). */
static_assert(CSR_VSISELECT == 0x250 && CSR_HIE == 0x604 && CSR_HGEIE == 0x607);
static_assert(CSR_HVIEN == 0x608 && CSR_HVICTL == 0x609 && CSR_HGEIP == 0xe12);
static_assert(CSR_HVIPRIO1 == 0x646 && CSR_HVIPRIO2 == 0x647);
static_assert(IRQ_S_GEXT == 12 && IRQ_PMU_OVF == 13 && IRQ_S_EXT == 9 && IRQ_VS_EXT == 10);
static_assert(IMSIC_MMIO_PAGE_SZ == 4096);

/* CPUs */

unsigned int kvm_riscv_aia_glue_get_cpu(void)
{
	return get_cpu();
}

void kvm_riscv_aia_glue_put_cpu(void)
{
	put_cpu();
}

bool kvm_riscv_aia_glue_has_sxaia(void)
{
	return riscv_isa_extension_available(NULL, SxAIA);
}

bool kvm_riscv_aia_glue_has_sscofpmf(void)
{
	return __riscv_isa_extension_available(NULL, RISCV_ISA_EXT_SSCOFPMF);
}

/* Per-CPU data */

void __percpu *kvm_riscv_aia_glue_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void kvm_riscv_aia_glue_free_percpu(void __percpu *ptr)
{
	free_percpu(ptr);
}

/* Raw spinlocks */

void kvm_riscv_aia_glue_raw_spin_lock_init(raw_spinlock_t *lock)
{
	raw_spin_lock_init(lock);
}

/* Per-CPU interrupts */

int kvm_riscv_aia_glue_map_sgei(void)
{
	struct irq_domain *domain;
	unsigned int irq;

	domain = irq_find_matching_fwnode(riscv_get_intc_hwnode(), DOMAIN_BUS_ANY);
	if (!domain)
		return -ENOENT;
	irq = irq_create_mapping(domain, IRQ_S_GEXT);
	return irq ? irq : -ENOMEM;
}

int kvm_riscv_aia_glue_request_percpu_irq(unsigned int irq, irq_handler_t handler,
					  const char *name, void __percpu *dev_id)
{
	return request_percpu_irq(irq, handler, name, dev_id);
}

void kvm_riscv_aia_glue_free_percpu_irq(unsigned int irq, void __percpu *dev_id)
{
	free_percpu_irq(irq, dev_id);
}

unsigned int kvm_riscv_aia_glue_irq_get_trigger_type(unsigned int irq)
{
	return irq_get_trigger_type(irq);
}

/* SBI nested acceleration (asm/kvm_nacl.h) */

unsigned long kvm_riscv_aia_glue_nacl_csr_read(unsigned int csr)
{
	return nacl_csr_read(nacl_shmem(), csr);
}

void kvm_riscv_aia_glue_nacl_csr_write(unsigned int csr, unsigned long val)
{
	nacl_csr_write(nacl_shmem(), csr, val);
}

/* IMSIC */

bool kvm_riscv_aia_glue_imsic_global(u32 *nr_guest_files, u32 *nr_guest_ids)
{
	const struct imsic_global_config *gc = imsic_get_global_config();

	if (!gc)
		return false;
	*nr_guest_files = gc->nr_guest_files;
	*nr_guest_ids = gc->nr_guest_ids;
	return true;
}

const void *kvm_riscv_aia_glue_imsic_config(void)
{
	return imsic_get_global_config();
}

bool kvm_riscv_aia_glue_imsic_local(unsigned int cpu, phys_addr_t *msi_pa,
				    void __iomem **msi_va, u32 *nr_guest_files)
{
	const struct imsic_global_config *gc = imsic_get_global_config();
	const struct imsic_local_config *lc;

	if (!gc || cpu >= nr_cpu_ids)
		return false;
	lc = per_cpu_ptr(gc->local, cpu);
	*msi_pa = lc->msi_pa;
	*msi_va = lc->msi_va;
	*nr_guest_files = lc->nr_guest_files;
	return true;
}

bool kvm_riscv_aia_glue_imsic_geometry(u64 *base_addr, u32 *guest_index_bits,
				       u32 *hart_index_bits, u32 *group_index_bits,
				       u32 *group_index_shift)
{
	const struct imsic_global_config *gc = imsic_get_global_config();

	if (!gc)
		return false;
	*base_addr = gc->base_addr;
	*guest_index_bits = gc->guest_index_bits;
	*hart_index_bits = gc->hart_index_bits;
	*group_index_bits = gc->group_index_bits;
	*group_index_shift = gc->group_index_shift;
	return true;
}

unsigned long kvm_riscv_aia_glue_hartid(unsigned int cpu)
{
	return cpu < nr_cpu_ids ? cpuid_to_hartid_map(cpu) : INVALID_HARTID;
}

/* KVM */

int kvm_riscv_aia_glue_vcpu_id(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id;
}

const char *kvm_riscv_aia_glue_vcpu_vm_name(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm->stats_id;
}

/* The ops table kvm.ko calls; every callback is implemented in Rust. */

static_assert(KVM_INSN_EXIT_TO_USER_SPACE == 0 && KVM_INSN_CONTINUE_NEXT_SEPC == 1);
static_assert(KVM_INSN_ILLEGAL_TRAP == 3);
static_assert(KVM_RISCV_AIA_IMSIC_TOPEI == 0x200);

static const struct kvm_riscv_aia_ops kvm_riscv_aia_rs_ops = {
	.owner			= THIS_MODULE,
	.enable			= kvm_riscv_aia_rs_enable,
	.disable		= kvm_riscv_aia_rs_disable,
	.pm_enter		= kvm_riscv_aia_rs_pm_enter,
	.pm_exit		= kvm_riscv_aia_rs_pm_exit,
	.alloc_hgei		= kvm_riscv_aia_rs_alloc_hgei,
	.free_hgei		= kvm_riscv_aia_rs_free_hgei,
	.vcpu_has_interrupts	= kvm_riscv_aia_rs_vcpu_has_interrupts,
	.vcpu_update_hvip	= kvm_riscv_aia_rs_vcpu_update_hvip,
	.vcpu_load		= kvm_riscv_aia_rs_vcpu_load,
	.vcpu_put		= kvm_riscv_aia_rs_vcpu_put,
	.vcpu_get_csr		= kvm_riscv_aia_rs_vcpu_get_csr,
	.vcpu_set_csr		= kvm_riscv_aia_rs_vcpu_set_csr,
	.vcpu_rmw_topei		= kvm_riscv_aia_rs_vcpu_rmw_topei,
	.vcpu_rmw_ireg		= kvm_riscv_aia_rs_vcpu_rmw_ireg,
};

int kvm_riscv_aia_glue_register(unsigned int nr_hgei, unsigned int max_ids)
{
	return kvm_riscv_aia_register(&kvm_riscv_aia_rs_ops, nr_hgei, max_ids);
}

void kvm_riscv_aia_glue_unregister(void)
{
	kvm_riscv_aia_unregister();
}
