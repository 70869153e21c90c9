// SPDX-License-Identifier: GPL-2.0

//! Dynamically allocated per-CPU data.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)
//!
//! [`PerCpu<T>`] is the Rust counterpart of `alloc_percpu(T)`: one `T` per
//! possible CPU, initialised in place and never moved until the whole area
//! is freed.  Shared references to a CPU's `T` are handed out, so `T`
//! provides its own interior mutability (a [`RawSpinLockIrq`] for the HGEI
//! control).  The raw `__percpu` pointer is also what `request_percpu_irq()`
//! takes as its per-CPU cookie (see [`crate::percpu_irq`]).
//!
//! [`RawSpinLockIrq`]: crate::raw_spinlock::RawSpinLockIrq

use core::{ffi::c_void, marker::PhantomData, ptr::NonNull};
use kernel::{bindings, prelude::*};
use pin_init::PinInit;

use crate::glue;

/// Something that keeps the current task on one CPU and knows which:
/// [`CpuGuard`] (it disables preemption itself) or [`PinnedCpu`] (the
/// caller's context already does).
///
/// # Safety
///
/// For as long as a value lives, the current task does not migrate and
/// [`OnCpu::cpu`] returns the CPU it runs on.
pub(crate) unsafe trait OnCpu {
    /// The current CPU.
    fn cpu(&self) -> u32;
}

/// A CPU on which preemption is disabled for the lifetime of the guard
/// (`get_cpu()` / `put_cpu()`).
///
/// # Invariants
///
/// Preemption is disabled from construction to drop, so `cpu` is the CPU
/// the current task runs on for as long as the guard lives.
pub(crate) struct CpuGuard {
    cpu: u32,
    /// Not `Send`: the guard must be dropped on the CPU that created it.
    _not_send: PhantomData<*mut ()>,
}

impl CpuGuard {
    /// Disables preemption and returns the current CPU (`get_cpu()`).
    pub(crate) fn new() -> Self {
        // INVARIANT: `get_cpu` disables preemption; `Drop` re-enables it.
        Self {
            cpu: glue::get_cpu(),
            _not_send: PhantomData,
        }
    }
}

// SAFETY: preemption is disabled while the guard lives (type invariant).
unsafe impl OnCpu for CpuGuard {
    fn cpu(&self) -> u32 {
        self.cpu
    }
}

impl Drop for CpuGuard {
    fn drop(&mut self) {
        glue::put_cpu();
    }
}

/// The current CPU of a caller that already runs with preemption (or
/// interrupts) disabled, as kvm.ko calls the provider's `enable`,
/// `disable` and CPU PM callbacks: what C's `this_cpu_ptr()` relies on,
/// without [`CpuGuard`]'s preemption count update.
///
/// # Invariants
///
/// The current task does not migrate while the value lives, so `cpu` is
/// the CPU it runs on.
pub(crate) struct PinnedCpu {
    cpu: u32,
    /// Not `Send`: it describes the CPU of the task that made it.
    _not_send: PhantomData<*mut ()>,
}

impl PinnedCpu {
    /// The current CPU (`smp_processor_id()`).
    ///
    /// # Safety
    ///
    /// Preemption or interrupts are disabled, and stay so for as long as
    /// the value lives.
    #[inline(always)]
    pub(crate) unsafe fn assume() -> Self {
        // INVARIANT: the caller keeps the task on this CPU.
        Self {
            cpu: glue::raw_smp_processor_id(),
            _not_send: PhantomData,
        }
    }
}

// SAFETY: the task does not migrate while the value lives (type invariant).
unsafe impl OnCpu for PinnedCpu {
    #[inline(always)]
    fn cpu(&self) -> u32 {
        self.cpu
    }
}

/// A possible CPU (`cpu_possible(cpu)`): one whose slots of per-CPU areas
/// exist.  The possible mask is fixed at boot, so the number stays valid.
///
/// # Invariants
///
/// `self.0` is in `cpu_possible_mask`, hence below `nr_cpu_ids` and
/// `NR_CPUS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PossibleCpu(u32);

impl PossibleCpu {
    /// `cpu`, if the possible mask has it.
    #[inline(always)]
    pub(crate) fn new(cpu: u32) -> Option<Self> {
        // INVARIANT: just checked.
        glue::cpu_possible(cpu).then_some(Self(cpu))
    }

    /// The CPU `guard` keeps us on, without reading the mask.
    #[inline(always)]
    pub(crate) fn this<G: OnCpu>(guard: &G) -> Self {
        // INVARIANT: the current CPU is online, hence possible.
        Self(guard.cpu())
    }

    /// The CPU number.
    #[inline(always)]
    pub(crate) fn as_u32(self) -> u32 {
        let cpu = self.0;
        // SAFETY: a possible CPU is below `NR_CPUS` (type invariant).  Said
        // so that the compiler drops the bound checks of arrays of
        // `NR_CPUS` entries (`__per_cpu_offset[]`) indexed with it.
        unsafe { core::hint::assert_unchecked(cpu < bindings::NR_CPUS) };
        cpu
    }
}

/// One `T` for every possible CPU, allocated with `alloc_percpu()`.
///
/// # Invariants
///
/// - `ptr` was returned by `__alloc_percpu(size_of::<T>(), align_of::<T>())`
///   and is freed only in `drop`.
/// - For every possible CPU, `per_cpu_ptr(ptr, cpu)` points to an
///   initialised `T` that is never moved (it is pinned) until `drop`.
/// - Every CPU below `nr_dense` is possible (so `nr_dense <= nr_cpu_ids
///   <= NR_CPUS`).
pub(crate) struct PerCpu<T> {
    ptr: NonNull<c_void>,
    /// How many CPUs from 0 up are all possible.  The possible mask is
    /// fixed at boot, and RISC-V numbers its harts densely from 0
    /// (`of_parse_and_init_cpus()`), so this is `nr_cpu_ids` there and
    /// [`PerCpu::get`] checks a CPU against it instead of reading the mask,
    /// at the same cost whatever `NR_CPUS` is.
    nr_dense: u32,
    _p: PhantomData<T>,
}

// SAFETY: `PerCpu<T>` owns the `T`s; sending it sends them.
unsafe impl<T: Send> Send for PerCpu<T> {}
// SAFETY: only shared references to the `T`s are handed out, from any CPU.
unsafe impl<T: Sync> Sync for PerCpu<T> {}

impl<T> PerCpu<T> {
    /// Allocates the per-CPU area and initialises each possible CPU's `T`
    /// in place with `init(cpu)`.
    ///
    /// On failure the slots already initialised are dropped and the area is
    /// freed.
    pub(crate) fn try_new<I, E, F>(mut init: F) -> Result<Self>
    where
        I: PinInit<T, E>,
        Error: From<E>,
        F: FnMut(u32) -> I,
    {
        let ptr = NonNull::new(glue::alloc_percpu(
            core::mem::size_of::<T>(),
            core::mem::align_of::<T>(),
        ))
        .ok_or(ENOMEM)?;
        let nr = glue::nr_cpu_ids();
        for cpu in (0..nr).filter(|&c| glue::cpu_possible(c)) {
            let slot = glue::per_cpu_ptr(ptr.as_ptr(), cpu).cast::<T>();
            // SAFETY: `slot` is this CPU's uninitialised, suitably sized and
            // aligned slot of the area just allocated; it is not moved
            // before it is dropped (in the error path below or in `drop`).
            if let Err(e) = unsafe { init(cpu).__init(slot) } {
                for done in (0..cpu).filter(|&c| glue::cpu_possible(c)) {
                    // SAFETY: every possible CPU below `cpu` was initialised.
                    unsafe {
                        core::ptr::drop_in_place(glue::per_cpu_ptr(ptr.as_ptr(), done).cast::<T>())
                    };
                }
                glue::free_percpu(ptr.as_ptr());
                return Err(e.into());
            }
        }
        let mut nr_dense = 0;
        while nr_dense < nr && glue::cpu_possible(nr_dense) {
            nr_dense += 1;
        }
        // INVARIANT: allocated by `alloc_percpu`, every possible CPU's slot
        // initialised in place; CPUs `0..nr_dense` were just seen possible.
        Ok(Self {
            ptr,
            nr_dense,
            _p: PhantomData,
        })
    }

    /// `cpu` if it is possible: below `nr_dense` without reading the mask.
    #[inline(always)]
    pub(crate) fn possible(&self, cpu: u32) -> Option<PossibleCpu> {
        if cpu < self.nr_dense {
            // INVARIANT: CPUs below `nr_dense` are possible (type invariant).
            return Some(PossibleCpu(cpu));
        }
        PossibleCpu::new(cpu)
    }

    /// The `T` of a possible CPU.
    #[inline(always)]
    pub(crate) fn at(&self, cpu: PossibleCpu) -> &T {
        // SAFETY: by the type invariants a possible CPU's slot holds an
        // initialised `T` that lives as long as `self`.
        unsafe { &*glue::per_cpu_ptr(self.ptr.as_ptr(), cpu.as_u32()).cast::<T>() }
    }

    /// The `T` of `cpu`, or `None` if `cpu` is not a possible CPU.
    #[inline(always)]
    pub(crate) fn get(&self, cpu: u32) -> Option<&T> {
        self.possible(cpu).map(|cpu| self.at(cpu))
    }

    /// The `T` of the CPU `guard` pins us to.
    #[inline(always)]
    pub(crate) fn this_cpu<'a, G: OnCpu>(&'a self, guard: &'a G) -> &'a T {
        // SAFETY: the current CPU is online, hence possible; by the type
        // invariants its slot holds an initialised `T` living as long as
        // `self`.
        unsafe { &*glue::per_cpu_ptr(self.ptr.as_ptr(), guard.cpu()).cast::<T>() }
    }

    /// The raw `__percpu` pointer, e.g. for `request_percpu_irq()`.
    pub(crate) fn as_raw(&self) -> *mut c_void {
        self.ptr.as_ptr()
    }
}

impl<T> Drop for PerCpu<T> {
    fn drop(&mut self) {
        for cpu in (0..glue::nr_cpu_ids()).filter(|&c| glue::cpu_possible(c)) {
            // SAFETY: by the type invariants each possible CPU's slot holds
            // an initialised `T`; nothing can use it after this point.
            unsafe {
                core::ptr::drop_in_place(glue::per_cpu_ptr(self.ptr.as_ptr(), cpu).cast::<T>())
            };
        }
        glue::free_percpu(self.ptr.as_ptr());
    }
}
