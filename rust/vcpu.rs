// SPDX-License-Identifier: GPL-2.0

//! The vCPU AIA CSR context and its emulation.
//!
//! C counterpart: `kvm_riscv_vcpu_aia_*()` in
//! [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c).
//!
//! kvm.ko calls these through the ops table only while this provider is
//! registered (AIA available), from the vCPU's own context: load/put and
//! the CSR emulation with preemption disabled on the CPU running the vCPU,
//! ONE_REG with the vCPU mutex held.

use core::ffi::{c_int, c_ulong};

use crate::{
    csr,
    glue::{self, KvmVcpu, VcpuAiaCsr},
    logic::{
        iprio::{self, Hviprio, Isel},
        nospec,
    },
};

/// `KVM_INSN_EXIT_TO_USER_SPACE`.
pub(crate) const KVM_INSN_EXIT_TO_USER_SPACE: c_int = 0;
/// `KVM_INSN_CONTINUE_NEXT_SEPC`.
pub(crate) const KVM_INSN_CONTINUE_NEXT_SEPC: c_int = 1;
/// `KVM_INSN_ILLEGAL_TRAP`.
pub(crate) const KVM_INSN_ILLEGAL_TRAP: c_int = 3;
/// `KVM_RISCV_AIA_IMSIC_TOPEI`: the pseudo-`isel` of `stopei` for kvm.ko's
/// IMSIC emulation (`ISELECT_MASK + 1`).
const KVM_RISCV_AIA_IMSIC_TOPEI: u64 = iprio::ISELECT_MASK + 1;

/// A vCPU that kvm.ko handed to one of our callbacks.
///
/// # Invariants
///
/// `0` is a live `struct kvm_vcpu` for as long as this value exists (the
/// callbacks build it from kvm.ko's argument and drop it before
/// returning).
#[derive(Clone, Copy)]
pub(crate) struct Vcpu(*mut KvmVcpu);

impl Vcpu {
    /// Wraps kvm.ko's vCPU argument.
    ///
    /// # Safety
    ///
    /// `vcpu` is live for as long as the returned value is used.
    pub(crate) unsafe fn from_raw(vcpu: *mut KvmVcpu) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self(vcpu)
    }

    /// The saved AIA CSRs (`vcpu->arch.aia_context.guest_csr`).
    fn csr(self) -> *mut VcpuAiaCsr {
        // SAFETY: the vCPU is live (type invariant).
        unsafe { glue::vcpu_aia_csr(self.0) }
    }

    /// `kvm_riscv_aia_initialized(vcpu->kvm)`.
    fn aia_initialized(self) -> bool {
        // SAFETY: the vCPU is live (type invariant).
        unsafe { glue::aia_initialized(self.0) }
    }

    /// `kvm_riscv_vcpu_aia_has_interrupts()`: is a VS-level external
    /// interrupt enabled by `mask` and the guest, and pending in its IMSIC?
    pub(crate) fn has_interrupts(self, mask: u64) -> bool {
        // SAFETY: the vCPU is live (type invariant).
        let vsie = unsafe { glue::vcpu_vsie(self.0) };
        let seip = vsie & mask & csr::bit(iprio::IRQ_S_EXT);
        if !self.aia_initialized() || seip == 0 {
            return false;
        }
        // SAFETY: live vCPU of a VM with initialised AIA.
        unsafe { glue::imsic_has_interrupt(self.0) }
    }

    /// `kvm_riscv_vcpu_aia_update_hvip()`: mirror `hvip.VSEIP` into HVICTL.
    pub(crate) fn update_hvip(self) {
        // SAFETY: the vCPU is live (type invariant).
        let hvip = unsafe { glue::vcpu_hvip(self.0) };
        csr::ncsr_write::<{ csr::HVICTL }>(iprio::hvictl_for_hvip(hvip));
    }

    /// `kvm_riscv_vcpu_aia_load()`.
    pub(crate) fn load(self, cpu: c_int) {
        // SAFETY: the vCPU is live and, being loaded, not accessed by anyone
        // else; the fields are plain integers.
        let (vsiselect, hviprio1, hviprio2) = unsafe {
            let c = &*self.csr();
            (c.vsiselect, c.hviprio1, c.hviprio2)
        };
        csr::ncsr_write::<{ csr::VSISELECT }>(vsiselect);
        csr::ncsr_write::<{ csr::HVIPRIO1 }>(hviprio1);
        csr::ncsr_write::<{ csr::HVIPRIO2 }>(hviprio2);
        if self.aia_initialized() {
            // SAFETY: live vCPU of a VM with initialised AIA, load path.
            unsafe { glue::imsic_load(self.0, cpu) };
        }
    }

    /// `kvm_riscv_vcpu_aia_put()`.
    pub(crate) fn put(self) {
        if self.aia_initialized() {
            // SAFETY: live vCPU of a VM with initialised AIA, put path.
            unsafe { glue::imsic_put(self.0) };
        }
        let vsiselect = csr::ncsr_read::<{ csr::VSISELECT }>();
        let hviprio1 = csr::ncsr_read::<{ csr::HVIPRIO1 }>();
        let hviprio2 = csr::ncsr_read::<{ csr::HVIPRIO2 }>();
        // SAFETY: as in `load`.
        unsafe {
            let c = &mut *self.csr();
            c.vsiselect = vsiselect;
            c.hviprio1 = hviprio1;
            c.hviprio2 = hviprio2;
        }
    }

    /// Index of ONE_REG AIA CSR `reg_num` in the saved context, after the
    /// checks of 7.2: `ENOENT` without Ssaia or out of range, then clamped
    /// under speculation (`array_index_nospec()`).
    fn csr_index(self, reg_num: c_ulong) -> Result<usize, c_int> {
        // SAFETY: the vCPU is live (type invariant).
        if !unsafe { glue::vcpu_has_ssaia(self.0) } {
            return Err(-(kernel::bindings::ENOENT as c_int));
        }
        nospec::aia_csr_index(reg_num).map_err(|_| -(kernel::bindings::ENOENT as c_int))
    }

    /// `kvm_riscv_vcpu_aia_get_csr()`.
    pub(crate) fn get_csr(self, reg_num: c_ulong) -> Result<u64, c_int> {
        let i = self.csr_index(reg_num)?;
        // SAFETY: `VcpuAiaCsr` is `repr(C)` with `NR_AIA_CSR_REGS` fields of
        // type `c_ulong` (asserted on the C side), and `i` is below that.
        Ok(unsafe { *self.csr().cast::<c_ulong>().add(i) })
    }

    /// `kvm_riscv_vcpu_aia_set_csr()`.
    pub(crate) fn set_csr(self, reg_num: c_ulong, val: c_ulong) -> Result<(), c_int> {
        let i = self.csr_index(reg_num)?;
        // SAFETY: as in `get_csr`; the vCPU mutex is held by the ONE_REG
        // ioctl, so nobody else accesses the context.
        unsafe { *self.csr().cast::<c_ulong>().add(i) = val };
        Ok(())
    }

    /// `kvm_riscv_vcpu_aia_rmw_topei()`.
    pub(crate) fn rmw_topei(self, val: *mut c_ulong, new_val: u64, wr_mask: u64) -> c_int {
        // If AIA is not initialised then forward to user space.
        if !self.aia_initialized() {
            return KVM_INSN_EXIT_TO_USER_SPACE;
        }
        // SAFETY: live vCPU of a VM with initialised AIA; `val` comes from
        // kvm.ko's CSR emulation (null or valid).
        unsafe { glue::imsic_rmw(self.0, KVM_RISCV_AIA_IMSIC_TOPEI, val, new_val, wr_mask) }
    }

    /// `kvm_riscv_vcpu_aia_rmw_ireg()`: `sireg` accesses, emulated here for
    /// the major interrupt priorities, by kvm.ko's IMSIC for the IMSIC
    /// registers, by user space otherwise.
    pub(crate) fn rmw_ireg(self, val: *mut c_ulong, new_val: u64, wr_mask: u64) -> c_int {
        let isel = iprio::isel_from_vsiselect(csr::ncsr_read::<{ csr::VSISELECT }>());
        match iprio::classify_isel(isel) {
            Isel::Iprio => {
                let mut regs = Hviprio {
                    hviprio1: csr::ncsr_read::<{ csr::HVIPRIO1 }>(),
                    hviprio2: csr::ncsr_read::<{ csr::HVIPRIO2 }>(),
                };
                let Ok(rmw) = iprio::rmw_iprio(&mut regs, isel, new_val, wr_mask) else {
                    return KVM_INSN_ILLEGAL_TRAP;
                };
                if !val.is_null() {
                    // SAFETY: non-null `val` is valid for writes (kvm.ko's
                    // CSR emulation passes its own variable).
                    unsafe { *val = rmw.old_val };
                }
                if rmw.hviprio1_written {
                    csr::ncsr_write::<{ csr::HVIPRIO1 }>(regs.hviprio1);
                }
                if rmw.hviprio2_written {
                    csr::ncsr_write::<{ csr::HVIPRIO2 }>(regs.hviprio2);
                }
                KVM_INSN_CONTINUE_NEXT_SEPC
            }
            Isel::Imsic if self.aia_initialized() => {
                // SAFETY: live vCPU of a VM with initialised AIA; `val` as in
                // `rmw_topei`.
                unsafe { glue::imsic_rmw(self.0, isel.into(), val, new_val, wr_mask) }
            }
            // We can't handle it here so redirect to user space.
            _ => KVM_INSN_EXIT_TO_USER_SPACE,
        }
    }
}
