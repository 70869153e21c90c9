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
#include <linux/kvm_host.h>

int main(void);

int main(void)
{
	DEFINE(VCPU_KVM, offsetof(struct kvm_vcpu, kvm));
	DEFINE(VCPU_AIA_CSR, offsetof(struct kvm_vcpu, arch.aia_context.guest_csr));
	DEFINE(VCPU_VSIE, offsetof(struct kvm_vcpu, arch.guest_csr.vsie));
	DEFINE(VCPU_HVIP, offsetof(struct kvm_vcpu, arch.guest_csr.hvip));
	DEFINE(VCPU_ISA, offsetof(struct kvm_vcpu, arch.isa));
	DEFINE(KVM_AIA_INITIALIZED, offsetof(struct kvm, arch.aia.initialized));
	DEFINE(ISA_EXT_SSAIA, RISCV_ISA_EXT_SSAIA);
	return 0;
}
