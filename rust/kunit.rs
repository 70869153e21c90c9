// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of what needs a kernel and a hart: the unsafe wrappers, the
//! HGEIE probe on real hardware, and line allocation through the registered
//! provider.  They run when the module is loaded with `kunit.enable=1`
//! (the suite starts once the module is live, i.e. registered).

#[kernel::macros::kunit_tests(kvm_riscv_aia)]
mod tests {
    use core::ptr::NonNull;
    use kernel::prelude::*;

    use crate::{
        csr,
        glue::{self, KvmVcpu},
        logic::{geometry, probe},
        ops,
        percpu::{CpuGuard, OnCpu, PerCpu, PinnedCpu, PossibleCpu},
        raw_spinlock::RawSpinLockIrq,
    };

    /// Every possible CPU's slot is initialised with its own value and only
    /// possible CPUs are reachable.
    #[test]
    fn percpu_slots() -> Result {
        let p = PerCpu::try_new(|cpu| cpu.wrapping_mul(3))?;
        for cpu in 0..glue::nr_cpu_ids() {
            if glue::cpu_possible(cpu) {
                assert_eq!(p.get(cpu).copied(), Some(cpu.wrapping_mul(3)));
            }
        }
        // The check without the mask (CPUs below the dense bound) says
        // what the mask says, for every CPU number.
        for cpu in Iterator::chain(0..=kernel::bindings::NR_CPUS, [u32::MAX]) {
            assert_eq!(p.possible(cpu).is_some(), glue::cpu_possible(cpu));
            assert_eq!(p.get(cpu).is_some(), glue::cpu_possible(cpu));
        }
        assert!(p.get(glue::nr_cpu_ids()).is_none());
        let g = CpuGuard::new();
        assert_eq!(*p.this_cpu(&g), g.cpu().wrapping_mul(3));
        assert_eq!(PossibleCpu::this(&g).as_u32(), g.cpu());
        assert_eq!(*p.at(PossibleCpu::this(&g)), g.cpu().wrapping_mul(3));
        Ok(())
    }

    /// The inline `cpu_possible()`, which reads only the mask, agrees with
    /// C's `cpumask_test_cpu(cpu, cpu_possible_mask)` for every CPU number
    /// the kernel knows (`CpuId`: below `nr_cpu_ids`) and is false at and
    /// above `nr_cpu_ids`, up to `NR_CPUS` and beyond.
    #[test]
    fn cpu_possible_matches_c() -> Result {
        // SAFETY: `__cpu_possible_mask` is a valid cpumask for the kernel's
        // lifetime; it is only read here.
        let possible = unsafe {
            kernel::cpumask::Cpumask::from_raw(core::ptr::addr_of!(
                kernel::bindings::__cpu_possible_mask
            ))
        };
        let nr = glue::nr_cpu_ids();
        let mut seen = 0;
        for cpu in 0..=kernel::bindings::NR_CPUS {
            match kernel::cpu::CpuId::from_u32(cpu) {
                Some(id) => {
                    assert_eq!(glue::cpu_possible(cpu), possible.test(id));
                    seen += u32::from(glue::cpu_possible(cpu));
                }
                None => assert!(cpu >= nr && !glue::cpu_possible(cpu)),
            }
        }
        assert!(!glue::cpu_possible(u32::MAX));
        assert_eq!(seen, possible.weight());
        Ok(())
    }

    /// The constant errors of the hot paths are the errnos of the pure
    /// logic (`HgeiError::to_errno`).
    #[test]
    fn hgei_error_matches_errno() -> Result {
        use crate::logic::hgei::HgeiError::*;
        for e in [NoFreeLine, OutOfRange, NotAllocated, Busy] {
            assert_eq!(Error::from(e).to_errno(), e.to_errno());
        }
        Ok(())
    }

    /// The guard disables local interrupts and restores them; data written
    /// under the lock is seen by the next holder.
    #[test]
    fn raw_spinlock_irqsave() -> Result {
        let lock = KBox::pin_init(RawSpinLockIrq::new(1u64), GFP_KERNEL)?;
        let before = glue::irqs_disabled();
        {
            let mut g = lock.lock_irqsave();
            assert!(glue::irqs_disabled());
            *g += 41;
        }
        assert_eq!(glue::irqs_disabled(), before);
        // KUnit runs its cases in a task with interrupts on.
        assert!(!before);
        assert_eq!(*lock.lock_irqsave(), 42);
        Ok(())
    }

    /// What the hot paths read in place, without a call, is what the C
    /// functions return: each CPU's IMSIC files (fields at offsets.c's
    /// offsets) and the current CPU (`thread_info.cpu` through `tp`).
    #[test]
    fn inline_reads_match_c() -> Result {
        let Some(p) = ops::provider() else {
            return Ok(());
        };
        let files = |l: Option<glue::ImsicLocal>| l.map(|l| (l.msi_pa, l.msi_va, l.nr_guest_files));
        let mut seen = 0;
        for cpu in (0..glue::nr_cpu_ids()).filter(|&c| glue::cpu_possible(c)) {
            assert_eq!(
                files(p.hgei.imsic_local(cpu)),
                files(glue::imsic_local(cpu))
            );
            seen += 1;
        }
        assert!(seen > 0);
        assert!(p.hgei.imsic_local(glue::nr_cpu_ids()).is_none());
        assert!(p.hgei.imsic_local(u32::MAX).is_none());
        let (by_get_cpu, by_tp) = {
            let g = CpuGuard::new();
            // SAFETY: `g` keeps preemption disabled while `on` lives.
            let on = unsafe { PinnedCpu::assume() };
            (g.cpu(), on.cpu())
        };
        assert_eq!(by_get_cpu, by_tp);
        Ok(())
    }

    /// Probing HGEIE on this hart now gives the line count the provider
    /// recorded when it enabled AIA here.
    ///
    /// A failed KUnit assertion ends the test thread where it stands: no
    /// guard may be alive then (a held lock or a disabled preemption would
    /// never be given back), so the tests below gather what they check
    /// first and assert once the guards are gone.
    #[test]
    fn hgeie_probe_matches_provider() {
        let Some(p) = ops::provider() else {
            return;
        };
        let (cpu, probed) = {
            let g = CpuGuard::new();
            let cpu = g.cpu();
            let probed = p.hgei.cpus().get(cpu).map(|hc| {
                // With the lock held interrupts are off: no SGEI while
                // HGEIE is borrowed, and it is put back before unlocking.
                let st = hc.ctrl.lock_irqsave();
                let saved = csr::read::<{ csr::HGEIE }>();
                csr::write::<{ csr::HGEIE }>(u64::MAX);
                let readback = csr::read::<{ csr::HGEIE }>();
                csr::write::<{ csr::HGEIE }>(saved);
                (readback, st.ctrl.nr_hgei())
            });
            (cpu, probed)
        };
        // Every CPU has an HGEI control.
        assert!(probed.is_some());
        let Some((readback, recorded)) = probed else {
            return;
        };
        let local = glue::imsic_local(cpu);
        let mut nr = probe::clamp_nr_hgei(
            probe::nr_hgei_from_hgeie(readback),
            local.map(|l| l.nr_guest_files),
        );
        if let Some(limit) = crate::debug_hgei_limit(cpu) {
            nr = nr.min(limit);
        }
        assert_eq!(nr, recorded);
        if local.is_some_and(|l| l.nr_guest_files > 0) && crate::debug_hgei_limit(cpu).is_none() {
            assert!(nr > 0);
        }
    }

    /// A line of a hart comes with its guest file's address; bad frees
    /// (double, out of range, bad CPU) are refused and change nothing.
    #[test]
    fn alloc_free_this_cpu() -> Result {
        let Some(p) = ops::provider() else {
            return Ok(());
        };
        // Any CPU's lines can be handed out from anywhere: this one has an
        // IMSIC for sure.
        let cpu = CpuGuard::new().cpu();
        let hc = p.hgei.cpus().get(cpu).ok_or(ENODEV)?;
        let (nr, free_before) = {
            let st = hc.ctrl.lock_irqsave();
            (st.ctrl.nr_hgei(), st.ctrl.free_bitmap())
        };
        if nr == 0 {
            return Ok(());
        }
        // Never dereferenced: no VM exists (registration requires it), so
        // no HGEIE bit is set and the SGEI handler cannot kick this owner.
        let fake = NonNull::<KvmVcpu>::dangling();
        let icpu = i32::try_from(cpu)?;
        let past = i32::try_from(glue::nr_cpu_ids())?;
        let too_high = i32::try_from(nr)? + 1;

        // Everything first, with the line given back, then the checks.
        let line = p.hgei.alloc(icpu, fake)?;
        let hgei = i32::try_from(line.hgei)?;
        let freed = p.hgei.free(icpu, hgei);
        let double = p.hgei.free(icpu, hgei);
        let zero = p.hgei.free(icpu, 0);
        let above = p.hgei.free(icpu, too_high);
        let bad_cpu = p.hgei.free(-1, hgei);
        let alloc_neg = p.hgei.alloc(-1, fake).map(|l| l.hgei);
        let alloc_past = p.hgei.alloc(past, fake).map(|l| l.hgei);
        let free_after = hc.ctrl.lock_irqsave().ctrl.free_bitmap();

        assert!(line.hgei >= 1 && line.hgei <= nr);
        if let Some(l) = glue::imsic_local(cpu) {
            assert_eq!(line.pa, geometry::guest_file_pa(l.msi_pa, line.hgei));
            assert!(line.va.is_some());
        }
        assert_eq!(freed, Ok(()));
        assert_eq!(double, Err(EINVAL));
        assert_eq!(zero, Err(EINVAL));
        assert_eq!(above, Err(EINVAL));
        assert_eq!(bad_cpu, Err(EINVAL));
        assert!(matches!(alloc_neg, Err(e) if e == ENODEV));
        assert!(matches!(alloc_past, Err(e) if e == ENODEV));
        assert_eq!(free_after, free_before);
        Ok(())
    }
}
