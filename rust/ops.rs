// SPDX-License-Identifier: GPL-2.0

//! The callbacks of `struct kvm_riscv_aia_ops`, called by kvm.ko.
//!
//! C header: [`arch/riscv/include/asm/kvm_aia.h`](srctree/arch/riscv/include/asm/kvm_aia.h)
//! (`struct kvm_riscv_aia_ops`, added by `patches/`).  The table itself is in
//! `glue/aia_glue.c`, so the C compiler checks each callback's type.
//!
//! kvm.ko only calls these between `kvm_riscv_aia_register()` and the return
//! of `kvm_riscv_aia_unregister()`.  The provider state is published in
//! [`PROVIDER`] before registering and withdrawn after unregistering, so
//! every callback finds it.

use core::{
    ffi::{c_int, c_ulong, c_void},
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::prelude::*;

use crate::{glue::KvmVcpu, percpu::PinnedCpu, vcpu::Vcpu, Provider};

/// The registered provider, or null.
///
/// Set (Release) before `kvm_riscv_aia_register()`, cleared after
/// `kvm_riscv_aia_unregister()` returned; read (Acquire) by the callbacks.
static PROVIDER: AtomicPtr<Provider> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes `p` for the callbacks.
///
/// # Safety
///
/// `p` stays valid until [`withdraw`] is called, which happens only after
/// kvm.ko stopped calling the callbacks.
pub(crate) unsafe fn publish(p: &Provider) {
    PROVIDER.store(core::ptr::from_ref(p).cast_mut(), Ordering::Release);
}

/// Withdraws the provider published by [`publish`].
pub(crate) fn withdraw() {
    PROVIDER.store(core::ptr::null_mut(), Ordering::Release);
}

/// The published provider.
pub(crate) fn provider() -> Option<&'static Provider> {
    let p = PROVIDER.load(Ordering::Acquire);
    // SAFETY: a non-null pointer was published by `publish`, whose caller
    // keeps it valid while kvm.ko can call us, i.e. for this whole callback.
    unsafe { p.as_ref() }
}

/// `ops->enable`: `kvm_riscv_aia_enable()` on the calling CPU.
#[no_mangle]
pub(crate) extern "C" fn kvm_riscv_aia_rs_enable() {
    if let Some(p) = provider() {
        // SAFETY: kvm.ko calls @enable and @disable on the CPU concerned with
        // preemption disabled (`struct kvm_riscv_aia_ops`), for
        // the whole callback.
        let on = unsafe { PinnedCpu::assume() };
        p.hgei.enable(&on);
    }
}

/// `ops->disable`: `kvm_riscv_aia_disable()` on the calling CPU.
#[no_mangle]
pub(crate) extern "C" fn kvm_riscv_aia_rs_disable() {
    if let Some(p) = provider() {
        // SAFETY: kvm.ko calls @enable and @disable on the CPU concerned with
        // preemption disabled (`struct kvm_riscv_aia_ops`), for
        // the whole callback.
        let on = unsafe { PinnedCpu::assume() };
        p.hgei.disable(&on);
    }
}

/// `ops->pm_enter`: `kvm_riscv_aia_pm_enter()` on the calling CPU.
#[no_mangle]
pub(crate) extern "C" fn kvm_riscv_aia_rs_pm_enter() {
    if let Some(p) = provider() {
        // SAFETY: kvm.ko calls @pm_enter and @pm_exit with interrupts
        // disabled, from the CPU PM notifier (`struct kvm_riscv_aia_ops`), for
        // the whole callback.
        let on = unsafe { PinnedCpu::assume() };
        p.hgei.pm_enter(&on);
    }
}

/// `ops->pm_exit`: `kvm_riscv_aia_pm_exit()` on the calling CPU.
#[no_mangle]
pub(crate) extern "C" fn kvm_riscv_aia_rs_pm_exit() {
    if let Some(p) = provider() {
        // SAFETY: kvm.ko calls @pm_enter and @pm_exit with interrupts
        // disabled, from the CPU PM notifier (`struct kvm_riscv_aia_ops`), for
        // the whole callback.
        let on = unsafe { PinnedCpu::assume() };
        p.hgei.pm_exit(&on);
    }
}

/// `ops->alloc_hgei`: `kvm_riscv_aia_alloc_hgei()`.
///
/// Returns the line (`> 0`), `-ENODEV` (no such CPU, or no provider) or
/// `-ENOENT` (no free line).  On success `*hgei_va`/`*hgei_pa` (when
/// non-null) receive the guest file's addresses if the hart has an IMSIC,
/// and are left alone otherwise, as in aia.c.
///
/// # Safety
///
/// `owner` is a live vCPU; `hgei_va` and `hgei_pa` are null or valid for
/// writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_alloc_hgei(
    cpu: c_int,
    owner: *mut KvmVcpu,
    hgei_va: *mut *mut c_void,
    hgei_pa: *mut u64,
) -> c_int {
    let (Some(p), Some(owner)) = (provider(), NonNull::new(owner)) else {
        return ENODEV.to_errno();
    };
    match p.hgei.alloc(cpu, owner) {
        Ok(line) => {
            if let (Some(va), false) = (line.va, hgei_va.is_null()) {
                // SAFETY: non-null `hgei_va` is valid for writes (caller).
                unsafe { *hgei_va = va };
            }
            if let (Some(pa), false) = (line.pa, hgei_pa.is_null()) {
                // SAFETY: non-null `hgei_pa` is valid for writes (caller).
                unsafe { *hgei_pa = pa };
            }
            // A line number is at most 63.
            line.hgei as c_int
        }
        Err(e) => e.to_errno(),
    }
}

/// `ops->free_hgei`: `kvm_riscv_aia_free_hgei()`.  A bad CPU or line, or a
/// double free, changes nothing (and is counted in debugfs).
#[no_mangle]
pub(crate) extern "C" fn kvm_riscv_aia_rs_free_hgei(cpu: c_int, hgei: c_int) {
    if let Some(p) = provider() {
        // kvm.ko's callers cannot act on an error; it is counted instead.
        let _ = p.hgei.free(cpu, hgei);
    }
}

/// `ops->vcpu_has_interrupts`.
///
/// # Safety
///
/// `vcpu` is a live vCPU.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_has_interrupts(
    vcpu: *mut KvmVcpu,
    mask: u64,
) -> bool {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.has_interrupts(mask)
}

/// `ops->vcpu_update_hvip`.
///
/// # Safety
///
/// `vcpu` is a live vCPU, loaded on this CPU.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_update_hvip(vcpu: *mut KvmVcpu) {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.update_hvip()
}

/// `ops->vcpu_load`.
///
/// # Safety
///
/// `vcpu` is a live vCPU being loaded on `cpu`, preemption disabled.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_load(vcpu: *mut KvmVcpu, cpu: c_int) {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.load(cpu)
}

/// `ops->vcpu_put`.
///
/// # Safety
///
/// `vcpu` is a live vCPU being put, preemption disabled.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_put(vcpu: *mut KvmVcpu) {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.put()
}

/// `ops->vcpu_get_csr`: ONE_REG read of AIA CSR `reg_num`; `-ENOENT` for a
/// vCPU without Ssaia or a register out of range.
///
/// # Safety
///
/// `vcpu` is a live vCPU (its mutex held); `out_val` is valid for writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_get_csr(
    vcpu: *mut KvmVcpu,
    reg_num: c_ulong,
    out_val: *mut c_ulong,
) -> c_int {
    // SAFETY: guaranteed by the caller for this call.
    match unsafe { Vcpu::from_raw(vcpu) }.get_csr(reg_num) {
        Ok(v) => {
            // SAFETY: `out_val` is valid for writes (caller).
            unsafe { *out_val = v };
            0
        }
        Err(e) => e,
    }
}

/// `ops->vcpu_set_csr`: ONE_REG write; errors as for the read, and then
/// nothing changes.
///
/// # Safety
///
/// `vcpu` is a live vCPU (its mutex held).
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_set_csr(
    vcpu: *mut KvmVcpu,
    reg_num: c_ulong,
    val: c_ulong,
) -> c_int {
    // SAFETY: guaranteed by the caller for this call.
    match unsafe { Vcpu::from_raw(vcpu) }.set_csr(reg_num, val) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

/// `ops->vcpu_rmw_topei`: guest `stopei` access.
///
/// # Safety
///
/// `vcpu` is a live vCPU running on this CPU; `val` is null or valid for
/// writes.
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_rmw_topei(
    vcpu: *mut KvmVcpu,
    _csr_num: core::ffi::c_uint,
    val: *mut c_ulong,
    new_val: c_ulong,
    wr_mask: c_ulong,
) -> c_int {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.rmw_topei(val, new_val, wr_mask)
}

/// `ops->vcpu_rmw_ireg`: guest `sireg` access.
///
/// # Safety
///
/// As for [`kvm_riscv_aia_rs_vcpu_rmw_topei`].
#[no_mangle]
pub(crate) unsafe extern "C" fn kvm_riscv_aia_rs_vcpu_rmw_ireg(
    vcpu: *mut KvmVcpu,
    _csr_num: core::ffi::c_uint,
    val: *mut c_ulong,
    new_val: c_ulong,
    wr_mask: c_ulong,
) -> c_int {
    // SAFETY: guaranteed by the caller for this call.
    unsafe { Vcpu::from_raw(vcpu) }.rmw_ireg(val, new_val, wr_mask)
}
