// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm.ko structure fields that the module's hot paths read, as byte
 * offsets for Rust: Kbuild compiles this file to assembly and turns each
 * DEFINE() into a constant of offsets.rs (rust/glue.rs includes it), the
 * way the kernel makes asm-offsets.h.  The module is built against the
 * kernel whose headers define these structures, so the offsets are the
 * ones kvm.ko uses, without a call to read a field.
 */
#include <linux/kbuild.h>
#include <linux/irqchip/riscv-imsic.h>
#include <linux/kvm_host.h>
#include <linux/sched.h>

int main(void);

/* The Rust side reads these fields with these types. */
static_assert(sizeof(((struct imsic_local_config *)0)->msi_pa) == 8);
static_assert(sizeof(((struct imsic_local_config *)0)->msi_va) == sizeof(void *));
static_assert(sizeof(((struct imsic_local_config *)0)->nr_guest_files) == 4);
static_assert(sizeof(((struct task_struct *)0)->thread_info.cpu) == 4);

int main(void)
{
	DEFINE(VCPU_KVM, offsetof(struct kvm_vcpu, kvm));
	DEFINE(VCPU_AIA_CSR, offsetof(struct kvm_vcpu, arch.aia_context.guest_csr));
	DEFINE(VCPU_VSIE, offsetof(struct kvm_vcpu, arch.guest_csr.vsie));
	DEFINE(VCPU_HVIP, offsetof(struct kvm_vcpu, arch.guest_csr.hvip));
	DEFINE(VCPU_ISA, offsetof(struct kvm_vcpu, arch.isa));
	DEFINE(KVM_AIA_INITIALIZED, offsetof(struct kvm, arch.aia.initialized));
	DEFINE(ISA_EXT_SSAIA, RISCV_ISA_EXT_SSAIA);
	DEFINE(IMSIC_GC_LOCAL, offsetof(struct imsic_global_config, local));
	DEFINE(IMSIC_LC_MSI_PA, offsetof(struct imsic_local_config, msi_pa));
	DEFINE(IMSIC_LC_MSI_VA, offsetof(struct imsic_local_config, msi_va));
	DEFINE(IMSIC_LC_NR_GUEST_FILES, offsetof(struct imsic_local_config, nr_guest_files));
	DEFINE(TASK_TI_CPU, offsetof(struct task_struct, thread_info.cpu));
	return 0;
}
