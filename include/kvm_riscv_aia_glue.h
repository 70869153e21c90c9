/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue of kvm_riscv_aia.ko (glue/aia_glue.c), called from Rust.
 *
 * rust/glue.rs declares the same functions in an extern "C" block; keep the
 * two in sync.  Every function is a one-line wrapper of a kernel macro or
 * inline helper; see glue/aia_glue.c.
 */
#ifndef KVM_RISCV_AIA_GLUE_H
#define KVM_RISCV_AIA_GLUE_H

#include <linux/compiler_types.h>
#include <linux/interrupt.h>
#include <linux/spinlock_types_raw.h>
#include <linux/types.h>

struct kvm_vcpu;
struct kvm_vcpu_aia_csr;

/* CPUs */
unsigned int kvm_riscv_aia_glue_get_cpu(void);
void kvm_riscv_aia_glue_put_cpu(void);
bool kvm_riscv_aia_glue_has_sxaia(void);
bool kvm_riscv_aia_glue_has_sscofpmf(void);

/* Per-CPU data */
void __percpu *kvm_riscv_aia_glue_alloc_percpu(size_t size, size_t align);
void kvm_riscv_aia_glue_free_percpu(void __percpu *ptr);

/* Raw spinlocks */
void kvm_riscv_aia_glue_raw_spin_lock_init(raw_spinlock_t *lock);

/* Per-CPU interrupts */
int kvm_riscv_aia_glue_map_sgei(void);
int kvm_riscv_aia_glue_request_percpu_irq(unsigned int irq, irq_handler_t handler,
					  const char *name, void __percpu *dev_id);
void kvm_riscv_aia_glue_free_percpu_irq(unsigned int irq, void __percpu *dev_id);
unsigned int kvm_riscv_aia_glue_irq_get_trigger_type(unsigned int irq);

/* SBI nested acceleration */
unsigned long kvm_riscv_aia_glue_nacl_csr_read(unsigned int csr);
void kvm_riscv_aia_glue_nacl_csr_write(unsigned int csr, unsigned long val);

/* IMSIC */
bool kvm_riscv_aia_glue_imsic_global(u32 *nr_guest_files, u32 *nr_guest_ids);
const void *kvm_riscv_aia_glue_imsic_config(void);
bool kvm_riscv_aia_glue_imsic_local(unsigned int cpu, phys_addr_t *msi_pa,
				    void __iomem **msi_va, u32 *nr_guest_files);
bool kvm_riscv_aia_glue_imsic_geometry(u64 *base_addr, u32 *guest_index_bits,
				       u32 *hart_index_bits, u32 *group_index_bits,
				       u32 *group_index_shift);
unsigned long kvm_riscv_aia_glue_hartid(unsigned int cpu);

/* KVM */
int kvm_riscv_aia_glue_vcpu_id(struct kvm_vcpu *vcpu);
const char *kvm_riscv_aia_glue_vcpu_vm_name(struct kvm_vcpu *vcpu);

/* Registration with kvm.ko (the ops table lives in glue/aia_glue.c) */
int kvm_riscv_aia_glue_register(unsigned int nr_hgei, unsigned int max_ids);
void kvm_riscv_aia_glue_unregister(void);

/* The callbacks of struct kvm_riscv_aia_ops, implemented in Rust (rust/ops.rs). */
void kvm_riscv_aia_rs_enable(void);
void kvm_riscv_aia_rs_disable(void);
void kvm_riscv_aia_rs_pm_enter(void);
void kvm_riscv_aia_rs_pm_exit(void);
int kvm_riscv_aia_rs_alloc_hgei(int cpu, struct kvm_vcpu *owner,
				void __iomem **hgei_va, phys_addr_t *hgei_pa);
void kvm_riscv_aia_rs_free_hgei(int cpu, int hgei);
bool kvm_riscv_aia_rs_vcpu_has_interrupts(struct kvm_vcpu *vcpu, u64 mask);
void kvm_riscv_aia_rs_vcpu_update_hvip(struct kvm_vcpu *vcpu);
void kvm_riscv_aia_rs_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void kvm_riscv_aia_rs_vcpu_put(struct kvm_vcpu *vcpu);
int kvm_riscv_aia_rs_vcpu_get_csr(struct kvm_vcpu *vcpu, unsigned long reg_num,
				  unsigned long *out_val);
int kvm_riscv_aia_rs_vcpu_set_csr(struct kvm_vcpu *vcpu, unsigned long reg_num,
				  unsigned long val);
int kvm_riscv_aia_rs_vcpu_rmw_topei(struct kvm_vcpu *vcpu, unsigned int csr_num,
				    unsigned long *val, unsigned long new_val,
				    unsigned long wr_mask);
int kvm_riscv_aia_rs_vcpu_rmw_ireg(struct kvm_vcpu *vcpu, unsigned int csr_num,
				   unsigned long *val, unsigned long new_val,
				   unsigned long wr_mask);

#endif /* KVM_RISCV_AIA_GLUE_H */
