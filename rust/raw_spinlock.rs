// SPDX-License-Identifier: GPL-2.0

//! A raw spinlock taken with interrupts saved and disabled.
//!
//! C header: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h)
//!
//! `kernel::sync::SpinLock` wraps `spinlock_t`, which sleeps on PREEMPT_RT
//! and has no irqsave variant.  The HGEI control is taken from the SGEI hard
//! interrupt handler and from the KVM run loop with interrupts enabled, so,
//! as in aia.c, it needs `raw_spinlock_t` with `raw_spin_lock_irqsave()`.

use core::{cell::UnsafeCell, marker::PhantomData};
use kernel::{bindings, prelude::*, types::Opaque};

use crate::glue;

/// Data protected by a `raw_spinlock_t`, locked with
/// `raw_spin_lock_irqsave()`.
///
/// The lock comes first (`#[repr(C)]`), as in C structures that embed one,
/// so that a pointer to the whole is also the lock's.
///
/// # Invariants
///
/// `lock` was initialised by `raw_spin_lock_init()` and `data` is only
/// accessed through a [`RawSpinLockIrqGuard`], i.e. with `lock` held.
#[pin_data]
#[repr(C)]
pub(crate) struct RawSpinLockIrq<T> {
    #[pin]
    lock: Opaque<bindings::raw_spinlock>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serialises all access to `data`, so the lock can be
// shared and sent between CPUs as long as `T` itself can be sent.
unsafe impl<T: Send> Send for RawSpinLockIrq<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for RawSpinLockIrq<T> {}

impl<T> RawSpinLockIrq<T> {
    /// Initialises the lock in place around `data`.
    pub(crate) fn new(data: T) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes and pinned; the lock is
            // initialised before anybody can take it.
            lock <- Opaque::ffi_init(|slot| unsafe { glue::raw_spin_lock_init(slot) }),
            data: UnsafeCell::new(data),
        })
    }

    /// Takes the lock, saving and disabling local interrupts.
    pub(crate) fn lock_irqsave(&self) -> RawSpinLockIrqGuard<'_, T> {
        // SAFETY: by the type invariants `lock` is initialised.
        let flags = unsafe { glue::raw_spin_lock_irqsave(self.lock.get()) };
        // INVARIANT: the lock is held until the guard is dropped.
        RawSpinLockIrqGuard {
            lock: self,
            flags,
            _not_send: PhantomData,
        }
    }
}

/// Holds a [`RawSpinLockIrq`]; restores the saved interrupt state on drop.
///
/// # Invariants
///
/// `lock.lock` is held, with `flags` saved by `raw_spin_lock_irqsave()`.
pub(crate) struct RawSpinLockIrqGuard<'a, T> {
    lock: &'a RawSpinLockIrq<T>,
    flags: kernel::ffi::c_ulong,
    /// Must be released on the CPU (and with the IRQ state) it was taken on.
    _not_send: PhantomData<*mut ()>,
}

impl<T> core::ops::Deref for RawSpinLockIrqGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the lock is held (type invariant), so no one else accesses
        // `data`.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> core::ops::DerefMut for RawSpinLockIrqGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the lock is held (type invariant), so this is the only
        // reference to `data`.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for RawSpinLockIrqGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the lock is held with `flags` saved (type invariant).
        unsafe { glue::raw_spin_unlock_irqrestore(self.lock.lock.get(), self.flags) };
    }
}
