// SPDX-License-Identifier: GPL-2.0

//! RISC-V hypervisor CSR access.
//!
//! C header: [`arch/riscv/include/asm/csr.h`](srctree/arch/riscv/include/asm/csr.h)
//!
//! The CSR number is a const generic, so every access is one `csrr`/`csrw`/
//! `csrs`/`csrc` instruction with the number as an immediate, as with the C
//! `csr_read()` family.  [`ncsr_read`]/[`ncsr_write`] go through the SBI
//! nested-acceleration (NACL) shared memory when KVM uses it, like the C
//! `ncsr_read()`/`ncsr_write()` in `asm/kvm_nacl.h`.
//!
//! Only the CSRs that the AIA provider touches are named here.  Accessing
//! them is sound in any context this module runs in: kvm.ko only loads with
//! the H extension, and every one of them is an HS-mode CSR that the kernel
//! owns while no guest runs on this hart (vCPU load/put and the KVM exit
//! paths run with preemption disabled, between guest runs).

use core::arch::asm;

/// `CSR_SSTATUS`, only read (for `SR_SIE`).
pub(crate) const SSTATUS: u16 = 0x100;
/// `SR_SIE`: supervisor interrupts enabled.
pub(crate) const SR_SIE: u64 = 1 << 1;
/// `CSR_VSISELECT`.
pub(crate) const VSISELECT: u16 = 0x250;
/// `CSR_HIE`.
pub(crate) const HIE: u16 = 0x604;
/// `CSR_HGEIE`.
pub(crate) const HGEIE: u16 = 0x607;
/// `CSR_HVIEN`.
pub(crate) const HVIEN: u16 = 0x608;
/// `CSR_HVICTL`.
pub(crate) const HVICTL: u16 = 0x609;
/// `CSR_HVIPRIO1`.
pub(crate) const HVIPRIO1: u16 = 0x646;
/// `CSR_HVIPRIO2`.
pub(crate) const HVIPRIO2: u16 = 0x647;
/// `CSR_HGEIP`.
pub(crate) const HGEIP: u16 = 0xe12;

/// `IRQ_S_GEXT`: supervisor guest external interrupt (SGEI).
pub(crate) const IRQ_S_GEXT: u32 = 12;
/// `IRQ_PMU_OVF`: Sscofpmf counter overflow interrupt.
pub(crate) const IRQ_PMU_OVF: u32 = 13;

/// Reads CSR `N` (`csr_read()`).
#[inline(always)]
pub(crate) fn read<const N: u16>() -> u64 {
    let v: u64;
    // SAFETY: reading one of the hypervisor CSRs named above has no side
    // effect on memory; see the module documentation for why it is allowed.
    unsafe { asm!("csrr {0}, {csr}", out(reg) v, csr = const N, options(nomem, nostack)) };
    v
}

/// Writes CSR `N` (`csr_write()`).
#[inline(always)]
pub(crate) fn write<const N: u16>(v: u64) {
    // SAFETY: see the module documentation; the CSRs named above only
    // control interrupt delivery to guests and never alias kernel memory.
    unsafe { asm!("csrw {csr}, {0}", in(reg) v, csr = const N, options(nostack)) };
}

/// Sets bits in CSR `N` (`csr_set()`).
#[inline(always)]
pub(crate) fn set<const N: u16>(mask: u64) {
    // SAFETY: as for `write`.
    unsafe { asm!("csrs {csr}, {0}", in(reg) mask, csr = const N, options(nostack)) };
}

/// Clears bits in CSR `N` (`csr_clear()`).
#[inline(always)]
pub(crate) fn clear<const N: u16>(mask: u64) {
    // SAFETY: as for `write`.
    unsafe { asm!("csrc {csr}, {0}", in(reg) mask, csr = const N, options(nostack)) };
}

/// Reads CSR `N` through the NACL shared memory when KVM uses SBI nested
/// acceleration, directly otherwise (`ncsr_read()`).
///
/// Must be called with preemption disabled (the shared memory is per CPU).
#[inline(always)]
pub(crate) fn ncsr_read<const N: u16>() -> u64 {
    if crate::glue::nacl_available() {
        // SAFETY: NACL is available, so every possible CPU has a shared
        // memory (allocated by kvm.ko's NACL init); with preemption
        // disabled it is this CPU's.
        unsafe { crate::glue::nacl_csr_read(N) }
    } else {
        read::<N>()
    }
}

/// Writes CSR `N` through the NACL shared memory when KVM uses SBI nested
/// acceleration with CSR synchronisation, directly otherwise (`ncsr_write()`;
/// note the C macro checks `kvm_riscv_nacl_sync_csr_available()` here, not
/// `kvm_riscv_nacl_available()` as `ncsr_read()` does).
///
/// Must be called with preemption disabled (the shared memory is per CPU).
#[inline(always)]
pub(crate) fn ncsr_write<const N: u16>(v: u64) {
    if crate::glue::nacl_sync_csr_available() {
        // SAFETY: CSR synchronisation implies NACL is available; see
        // `ncsr_read`.
        unsafe { crate::glue::nacl_csr_write(N, v) }
    } else {
        write::<N>(v)
    }
}

/// The bit of interrupt `irq` in `hie`/`hvien`/`hgeie`-style masks.
#[inline(always)]
pub(crate) const fn bit(irq: u32) -> u64 {
    1u64 << irq
}
