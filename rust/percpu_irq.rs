// SPDX-License-Identifier: GPL-2.0

//! Per-CPU interrupts (`request_percpu_irq()`).
//!
//! C header: [`include/linux/interrupt.h`](srctree/include/linux/interrupt.h)
//!
//! A per-CPU interrupt has one handler for all CPUs and a per-CPU cookie:
//! the handler receives the cookie of the CPU it runs on.  [`PerCpuIrq`]
//! owns that cookie, a [`PerCpu<T>`], so the handler gets this CPU's `&T`.
//! The line must still be enabled on each CPU ([`PerCpuIrq::enable_this_cpu`]),
//! as `enable_percpu_irq()` does in C.

use core::ffi::{c_int, c_void};
use kernel::{bindings, prelude::*, str::CStr};

use crate::{glue, percpu::PerCpu};

/// What a per-CPU interrupt does on the CPU it fires on.
pub(crate) trait PerCpuIrqHandler: Sync {
    /// Handles the interrupt with this CPU's data.  Runs in hard interrupt
    /// context with interrupts disabled.
    fn handle(&self, irq: u32) -> bool;
}

/// A requested per-CPU interrupt and its per-CPU data.
///
/// # Invariants
///
/// `irq` was requested with `request_percpu_irq(irq, handler::<T>, name,
/// data.as_raw())` and is freed only in `drop`, before `data` is.
pub(crate) struct PerCpuIrq<T: PerCpuIrqHandler> {
    irq: u32,
    /// `irq_get_trigger_type(irq)`, fixed once the interrupt is mapped.
    trigger: u32,
    // Dropped after `drop()` has freed the interrupt.
    data: PerCpu<T>,
}

/// The C handler: finds this CPU's `T` in the cookie and calls it.
///
/// # Safety
///
/// Only to be registered by [`PerCpuIrq::request`], so that `dev_id` is this
/// CPU's slot of a live `PerCpu<T>`.
unsafe extern "C" fn handler<T: PerCpuIrqHandler>(
    irq: c_int,
    dev_id: *mut c_void,
) -> bindings::irqreturn_t {
    // SAFETY: the IRQ core passes `this_cpu_ptr(percpu_dev_id)` as `dev_id`;
    // by the invariants of `PerCpuIrq` it is an initialised `T` that
    // outlives the registration.
    let data = unsafe { &*dev_id.cast::<T>() };
    // A Linux IRQ number is never negative.
    if data.handle(irq as u32) {
        bindings::irqreturn::IRQ_HANDLED
    } else {
        bindings::irqreturn::IRQ_NONE
    }
}

impl<T: PerCpuIrqHandler> PerCpuIrq<T> {
    /// Requests `irq` as a per-CPU interrupt named `name` with `data` as the
    /// per-CPU cookie.  The interrupt starts disabled on every CPU.
    pub(crate) fn request(irq: u32, name: &'static CStr, data: PerCpu<T>) -> Result<Self> {
        // SAFETY: `handler::<T>` matches `irq_handler_t` and expects exactly
        // this cookie; `name` is a static NUL-terminated string; on success
        // the registration is undone in `drop` before `data` goes away.
        let rc = unsafe {
            glue::request_percpu_irq(irq, handler::<T>, name.as_char_ptr(), data.as_raw())
        };
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        // INVARIANT: requested above with `data`'s cookie.
        Ok(Self {
            irq,
            trigger: glue::irq_get_trigger_type(irq),
            data,
        })
    }

    /// The per-CPU data.
    pub(crate) fn data(&self) -> &PerCpu<T> {
        &self.data
    }

    /// Enables the interrupt on the current CPU with its configured trigger
    /// type (`enable_percpu_irq(irq, irq_get_trigger_type(irq))`).
    pub(crate) fn enable_this_cpu(&self) {
        glue::enable_percpu_irq(self.irq, self.trigger);
    }

    /// Disables the interrupt on the current CPU (`disable_percpu_irq()`).
    pub(crate) fn disable_this_cpu(&self) {
        glue::disable_percpu_irq(self.irq);
    }
}

impl<T: PerCpuIrqHandler> Drop for PerCpuIrq<T> {
    fn drop(&mut self) {
        // SAFETY: requested with this cookie (type invariant); after this no
        // handler runs, so `data` may be dropped next.
        unsafe { glue::free_percpu_irq(self.irq, self.data.as_raw()) };
    }
}
