// SPDX-License-Identifier: GPL-2.0

//! Per-CPU HGEI line control and the SGEI interrupt.
//!
//! C counterpart: `struct aia_hgei_control`, `aia_hgei_init()`,
//! `hgei_interrupt()`, `kvm_riscv_aia_enable()`/`_disable()`,
//! `kvm_riscv_aia_alloc_hgei()`/`_free_hgei()` in
//! [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c).
//!
//! Each hart has its own number of HGEI lines, `nr_hgei`: the width of its
//! HGEIE CSR, probed when KVM enables virtualization on it, clamped by the
//! number of IMSIC guest interrupt files behind its S-level file.  Line `n`
//! of a hart is its guest file `n`.  `kvm_riscv_aia_nr_hgei` in kvm.ko keeps
//! the minimum over the harts (non-zero means HGEI is usable); a hart with
//! more lines than the minimum still hands out all of its own.
//!
//! # Lock order
//!
//! `HgeiCpu::ctrl` (raw, irqsave) is the innermost lock.  It is never held
//! while calling into kvm.ko's IMSIC code: `disable` drops it around
//! `kvm_riscv_vcpu_aia_imsic_release()`, which takes the vCPU's IMSIC lock
//! and frees the line through [`Hgei::free`], as aia.c does.

use core::{ffi::c_void, ptr::NonNull};
use kernel::{
    c_str,
    prelude::*,
    sync::atomic::{Full, Relaxed},
};

use crate::{
    csr,
    glue::{self, KvmVcpu},
    logic::{
        geometry,
        hgei::{HgeiControl, HgeiError},
        iprio, probe,
    },
    percpu::{OnCpu, PerCpu, PinnedCpu, PossibleCpu},
    percpu_irq::{PerCpuIrq, PerCpuIrqHandler},
    raw_spinlock::RawSpinLockIrq,
};

/// The vCPU owning an HGEI line.
///
/// # Invariants
///
/// Points to a live `struct kvm_vcpu` while it owns a line: kvm.ko's IMSIC
/// code frees the line (`kvm_riscv_aia_free_hgei()`) before the vCPU goes
/// away.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner(NonNull<KvmVcpu>);

// SAFETY: an `Owner` is an identity plus a pointer that is only used to kick
// (or release) the vCPU, which kvm.ko allows from any CPU.
unsafe impl Send for Owner {}

impl Owner {
    /// The raw vCPU pointer.
    pub(crate) fn as_ptr(self) -> *mut KvmVcpu {
        self.0.as_ptr()
    }
}

/// What is behind one hart's HGEI lock.
pub(crate) struct HgeiState {
    /// Line bookkeeping (`nr_hgei`, `free_bitmap`, `owners`).
    pub(crate) ctrl: HgeiControl<Owner>,
    /// AIA is enabled on this hart (between `enable` and `disable`).
    pub(crate) enabled: bool,
    /// SGEI interrupts handled on this hart.
    pub(crate) sgei_count: u64,
    /// Frees refused (line out of range or not allocated).
    pub(crate) bad_frees: u64,
    /// HGEIE saved by `pm_enter` for `pm_exit` (`saved_hgeie`).
    pub(crate) saved_hgeie: u64,
    /// Non-retentive idle entries seen by `pm_enter` on this hart.
    pub(crate) pm_enters: u64,
}

/// The kernel error for `e`, the errno of [`HgeiError::to_errno`] as a
/// constant (`Error::from_errno()` is an out-of-line call that re-checks
/// its argument).  The KUnit case `hgei_error_matches_errno` checks that the
/// two agree.
impl From<HgeiError> for Error {
    #[inline(always)]
    fn from(e: HgeiError) -> Self {
        match e {
            HgeiError::NoFreeLine => ENOENT,
            HgeiError::OutOfRange | HgeiError::NotAllocated => EINVAL,
            HgeiError::Busy => EBUSY,
        }
    }
}

/// One hart's HGEI control (`struct aia_hgei_control`), its lock first as
/// there, so that the hart's control and its lock share one address.
#[pin_data]
#[repr(C)]
pub(crate) struct HgeiCpu {
    #[pin]
    pub(crate) ctrl: RawSpinLockIrq<HgeiState>,
}

impl HgeiCpu {
    fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ctrl <- RawSpinLockIrq::new(HgeiState {
                ctrl: HgeiControl::new(),
                enabled: false,
                sgei_count: 0,
                bad_frees: 0,
                saved_hgeie: 0,
                pm_enters: 0,
            }),
        })
    }
}

impl PerCpuIrqHandler for HgeiCpu {
    /// `hgei_interrupt()`: kick the owners of the pending, enabled lines.
    fn handle(&self, _irq: u32) -> bool {
        let mask = csr::read::<{ csr::HGEIP }>() & csr::read::<{ csr::HGEIE }>();
        csr::clear::<{ csr::HGEIE }>(mask);

        let mut st = self.ctrl.lock_irqsave();
        st.sgei_count += 1;
        for owner in st.ctrl.owners_in(mask) {
            // SAFETY: an owner is a live vCPU (`Owner` invariant), and the
            // lock keeps it from freeing its line under us.
            unsafe { glue::vcpu_kick(owner.as_ptr()) };
        }
        true
    }
}

/// A line handed out by [`Hgei::alloc`].
pub(crate) struct Line {
    /// The line number, `1..=nr_hgei` of its hart.
    pub(crate) hgei: u32,
    /// Kernel mapping of its guest file, if the hart has an IMSIC.
    pub(crate) va: Option<*mut c_void>,
    /// Physical address of its guest file, if the hart has an IMSIC.
    pub(crate) pa: Option<u64>,
}

/// All harts' HGEI control plus the SGEI interrupt that drives it.
pub(crate) struct Hgei {
    irq: PerCpuIrq<HgeiCpu>,
    /// The harts have Sscofpmf (`__riscv_isa_extension_available(NULL,
    /// RISCV_ISA_EXT_SSCOFPMF)`): the ISA bitmap common to all harts is
    /// final once the kernel has booted, so it is read once here instead
    /// of on every `enable`, `disable` and CPU PM transition.
    sscofpmf: bool,
    /// The debug-only line cap, `(cpu, cap)` (see [`crate::debug_hgei_limit`]).
    debug_limit: Option<(u32, u32)>,
    /// The IMSIC driver's configuration, `None` without an IMSIC: where
    /// `enable` reads a hart's guest files and `alloc` their addresses,
    /// without a call.
    imsic: Option<glue::ImsicConfig>,
}

/// Line `hgei` of the hart whose IMSIC files are `lc`, with its guest
/// file's addresses: `msi_va`/`msi_pa` of the hart plus `hgei` pages
/// (`kvm_riscv_aia_alloc_hgei()`).
///
/// The sums cannot wrap: `hgei` is at most the hart's `nr_hgei`, which
/// `enable` clamps to its number of guest files, so the page lies inside the
/// hart's IMSIC region, which the driver mapped at both addresses.  (KUnit
/// `alloc_free_this_cpu` checks the address against the overflow-checked
/// [`geometry::guest_file_pa`].)
fn guest_file_of(lc: Option<glue::ImsicLocal>, hgei: u32) -> Line {
    let (va, pa) = match (lc, geometry::guest_file_offset(hgei)) {
        (Some(l), Some(off)) => (
            usize::try_from(off)
                .ok()
                .map(|off| l.msi_va.wrapping_byte_add(off)),
            Some(l.msi_pa.wrapping_add(off)),
        ),
        _ => (None, None),
    };
    Line { hgei, va, pa }
}

impl Hgei {
    /// Maps the SGEI from the INTC domain and requests it per CPU
    /// (`aia_hgei_init()`).  The lines are set up per hart by `enable`.
    pub(crate) fn new() -> Result<Self> {
        let irq = glue::map_sgei();
        if irq == ENOENT.to_errno() {
            pr_err!("unable to find INTC domain\n");
            return Err(ENOENT);
        }
        if irq <= 0 {
            pr_err!("unable to map SGEI IRQ\n");
            return Err(ENOMEM);
        }
        // `irq` is positive here.
        let irq = irq as u32;
        let data = PerCpu::try_new(|_cpu| HgeiCpu::new())?;
        let irq = PerCpuIrq::request(irq, c_str!("riscv-kvm"), data).inspect_err(|_| {
            pr_err!("failed to request SGEI IRQ\n");
        })?;
        Ok(Self {
            irq,
            sscofpmf: glue::has_sscofpmf(),
            debug_limit: crate::debug_hgei_limit_param(),
            imsic: glue::ImsicConfig::get(),
        })
    }

    /// The IMSIC files of `cpu` (`per_cpu_ptr(gc->local, cpu)`), or `None`
    /// without an IMSIC or for a CPU out of range.
    #[inline(always)]
    pub(crate) fn imsic_local(&self, cpu: u32) -> Option<glue::ImsicLocal> {
        let cpu = PossibleCpu::new(cpu)?;
        self.imsic.and_then(|gc| gc.local(cpu))
    }

    /// Line `hgei` of `cpu` with its guest file's addresses, as
    /// [`Hgei::alloc`] hands them out (debugfs `layout` shows them).
    pub(crate) fn guest_file(&self, cpu: u32, hgei: u32) -> Line {
        guest_file_of(self.imsic_local(cpu), hgei)
    }

    /// The per-CPU controls.
    pub(crate) fn cpus(&self) -> &PerCpu<HgeiCpu> {
        self.irq.data()
    }

    /// `kvm_riscv_aia_enable()` on the calling CPU: probe this hart's lines,
    /// lower the global minimum, set up the free lines once, reset HVICTL
    /// and HVIPRIO, enable the SGEI, and filter the Sscofpmf overflow
    /// interrupt.  Called with preemption disabled (`on`); idempotent.
    pub(crate) fn enable(&self, on: &PinnedCpu) {
        let cpu = on.cpu();
        let hc = self.cpus().this_cpu(on);
        {
            // One hold of the hart's lock for the check and the update:
            // nothing below sleeps or takes another lock.
            let mut st = hc.ctrl.lock_irqsave();
            if st.enabled {
                return;
            }

            // Figure out the number of bits in HGEIE.
            csr::write::<{ csr::HGEIE }>(u64::MAX);
            let readback = csr::read::<{ csr::HGEIE }>();
            csr::write::<{ csr::HGEIE }>(0);
            // Usable lines: the minimum of the HGEIE width and the hart's
            // IMSIC guest files.
            let imsic = self.imsic.and_then(|gc| gc.local(PossibleCpu::this(on)));
            let mut nr_hgei = probe::clamp_nr_hgei(
                probe::nr_hgei_from_hgeie(readback),
                imsic.map(|l| l.nr_guest_files),
            );
            // Debug/testing only: emulate a hart with fewer lines (QEMU
            // gives every hart the same HGEIE width and guest files).
            if let Some((_, limit)) = self.debug_limit.filter(|&(c, _)| c == cpu) {
                nr_hgei = nr_hgei.min(limit);
            }
            lower_global_nr_hgei(nr_hgei);

            if let Err(e) = st.ctrl.probe_done(nr_hgei) {
                // Lines still owned above a smaller re-probed count keep the
                // old count (see `HgeiControl::probe_done`).
                pr_warn!(
                    "cpu{}: keeping {} HGEI lines: {:?}\n",
                    cpu,
                    st.ctrl.nr_hgei(),
                    e
                );
            }
            st.enabled = true;
        }

        csr::write::<{ csr::HVICTL }>(iprio::hvictl_value(false));
        csr::write::<{ csr::HVIPRIO1 }>(0);
        csr::write::<{ csr::HVIPRIO2 }>(0);

        // Enable the per-CPU SGEI interrupt.
        self.irq.enable_this_cpu();
        csr::set::<{ csr::HIE }>(csr::bit(csr::IRQ_S_GEXT));
        // Filter the overflow interrupt only if Sscofpmf is present.
        if self.sscofpmf {
            csr::set::<{ csr::HVIEN }>(csr::bit(csr::IRQ_PMU_OVF));
        }
    }

    /// `kvm_riscv_aia_disable()` on the calling CPU: stop the SGEI, make
    /// every vCPU owning a line of this hart give its guest file back, and
    /// kick those blocked on a line so they run elsewhere; with interrupts
    /// off (shutdown, suspend) only stop the lines.  Called with preemption
    /// disabled; idempotent.
    pub(crate) fn disable(&self, on: &PinnedCpu) {
        let hc = self.cpus().this_cpu(on);
        // No check that the hart is enabled first (aia.c has none either):
        // everything below is harmless on a hart that is not, and it finds
        // no owners there.  kvm.ko pairs the calls anyway.
        if self.sscofpmf {
            csr::clear::<{ csr::HVIEN }>(csr::bit(csr::IRQ_PMU_OVF));
        }
        // Disable the per-CPU SGEI interrupt.
        csr::clear::<{ csr::HIE }>(csr::bit(csr::IRQ_S_GEXT));
        self.irq.disable_this_cpu();
        csr::write::<{ csr::HVICTL }>(iprio::hvictl_value(false));

        // kvm_shutdown() disables virtualization on every CPU with
        // interrupts off (from its IPI, and on the calling CPU directly)
        // before reboot or power-off, while VMs may still exist; suspend
        // does so too.  Releasing a VS-file takes `kvm->mmu_lock` and reads
        // the file with a cross-CPU call, which needs interrupts on.  Only
        // stop this hart's lines then (patch 2/5 of the KVM core series
        // does the same in aia.c); CPU hotplug still releases the files.
        if glue::irqs_disabled() {
            csr::write::<{ csr::HGEIE }>(0);
            hc.ctrl.lock_irqsave().enabled = false;
            return;
        }

        let mut from = 1;
        loop {
            // The guard goes at the end of this block: it must not be held
            // below.  The hold that finds no more owners also marks the
            // hart disabled.
            let next = {
                let mut st = hc.ctrl.lock_irqsave();
                let next = st.ctrl.next_owned(from);
                if next.is_none() {
                    st.enabled = false;
                }
                next
            };
            let Some((line, owner)) = next else { break };
            from = line + 1;
            // The lock is dropped: notifying the IMSIC takes its own locks
            // and frees the line through `free`.
            // SAFETY: the owner is a live vCPU (`Owner` invariant); no HGEI
            // lock is held.
            unsafe { glue::imsic_release(owner.as_ptr()) };
            // Wake the vCPU if it was blocked on this line so that it can
            // run on another hart.
            if csr::read::<{ csr::HGEIE }>() & csr::bit(line) != 0 {
                csr::clear::<{ csr::HGEIE }>(csr::bit(line));
                // SAFETY: as above.
                unsafe { glue::vcpu_kick(owner.as_ptr()) };
            }
        }
    }

    /// `kvm_riscv_aia_pm_enter()` on the calling CPU, about to enter a
    /// non-retentive idle state that loses the H-extension CSRs: stop the
    /// overflow filter, reset HVICTL and save HGEIE for [`Self::pm_exit`].
    /// Called with interrupts disabled, only between `enable` and `disable`.
    pub(crate) fn pm_enter(&self, on: &PinnedCpu) {
        let hc = self.cpus().this_cpu(on);
        if self.sscofpmf {
            csr::clear::<{ csr::HVIEN }>(csr::bit(csr::IRQ_PMU_OVF));
        }
        csr::write::<{ csr::HVICTL }>(iprio::hvictl_value(false));

        let mut st = hc.ctrl.lock_irqsave();
        st.saved_hgeie = csr::read::<{ csr::HGEIE }>();
        st.pm_enters += 1;
    }

    /// `kvm_riscv_aia_pm_exit()` on the calling CPU, back from a
    /// non-retentive idle state (or from a failed entry): restore HGEIE, so
    /// that vCPUs blocked on this hart's lines are woken by their guest
    /// files again, and redo what `enable` set up in the other CSRs.
    /// Called with interrupts disabled, after [`Self::pm_enter`].
    pub(crate) fn pm_exit(&self, on: &PinnedCpu) {
        let hc = self.cpus().this_cpu(on);
        let saved = hc.ctrl.lock_irqsave().saved_hgeie;
        csr::write::<{ csr::HGEIE }>(saved);

        csr::write::<{ csr::HVICTL }>(iprio::hvictl_value(false));
        csr::write::<{ csr::HVIPRIO1 }>(0);
        csr::write::<{ csr::HVIPRIO2 }>(0);
        csr::set::<{ csr::HIE }>(csr::bit(csr::IRQ_S_GEXT));
        if self.sscofpmf {
            csr::set::<{ csr::HVIEN }>(csr::bit(csr::IRQ_PMU_OVF));
        }
    }

    /// `kvm_riscv_aia_alloc_hgei()`: the lowest free line of `cpu` for
    /// `owner`, with its guest file's addresses.
    ///
    /// Errors: `ENODEV` for a CPU that is not possible (aia.c's "no control
    /// for this CPU"), `ENOENT` when no line is free.
    ///
    /// Always inlined (into the C entry point and the KUnit test), so that
    /// the [`Line`] is not returned through memory and the entry point does
    /// not save registers twice.
    #[inline(always)]
    pub(crate) fn alloc(&self, cpu: i32, owner: NonNull<KvmVcpu>) -> Result<Line> {
        let cpus = self.cpus();
        let cpu = u32::try_from(cpu)
            .ok()
            .and_then(|cpu| cpus.possible(cpu))
            .ok_or(ENODEV)?;
        let hc = cpus.at(cpu);
        // Where the hart's files are described, found before the lock is
        // taken (it does not depend on the line), so that less is live
        // across the lock calls.
        let lc = self.imsic.and_then(|gc| gc.local_ref(cpu));
        // The guard is dropped at the end of this statement: nothing but
        // the allocation runs under the lock, so the saved interrupt state
        // need not live across another call.
        let hgei = hc.ctrl.lock_irqsave().ctrl.alloc(Owner(owner));
        Ok(guest_file_of(lc.map(glue::ImsicLocalRef::read), hgei?))
    }

    /// `kvm_riscv_aia_free_hgei()`: gives `hgei` of `cpu` back.
    ///
    /// Errors (nothing changes): `EINVAL` for a CPU that is not possible, a
    /// line out of `1..=nr_hgei` or a line that is not allocated.  kvm.ko's
    /// callers ignore the result, as with aia.c; refusals are counted in
    /// debugfs.  Inlined into the C entry point, as [`Hgei::alloc`].
    #[inline(always)]
    pub(crate) fn free(&self, cpu: i32, hgei: i32) -> Result {
        let cpu = u32::try_from(cpu).map_err(|_| EINVAL)?;
        let hc = self.cpus().get(cpu).ok_or(EINVAL)?;
        let mut st = hc.ctrl.lock_irqsave();
        let freed = st.ctrl.free(hgei);
        if freed.is_err() {
            st.bad_frees += 1;
        }
        drop(st);
        freed.map(drop).map_err(Error::from)
    }
}

/// Lowers `kvm_riscv_aia_nr_hgei`, the minimum number of lines across harts,
/// to `local` if that is smaller (the `atomic_try_cmpxchg()` loop of
/// `kvm_riscv_aia_enable()`).
fn lower_global_nr_hgei(local: u32) {
    let global = glue::nr_hgei();
    let mut old = global.load(Relaxed);
    loop {
        // The global count is never negative; treat a corrupt value as 0.
        let cur = u32::try_from(old).unwrap_or(0);
        let Some(new) = probe::lower_global(cur, local) else {
            return;
        };
        match global.cmpxchg(old, probe::global_as_atomic(new), Full) {
            Ok(_) => return,
            Err(seen) => old = seen,
        }
    }
}
