// SPDX-License-Identifier: GPL-2.0

//! Property tests: `HgeiControl` against a simple reference model.
//!
//! The model is an owner table plus a line count; a line is free iff it is in
//! `1..=nr` and has no owner. Random sequences of operations must give the
//! same results on both, and the type invariants must hold after every step.

use kvm_riscv_aia_core::logic::hgei::{HgeiControl, HgeiError, HgeiProbe, HGEI_MAX};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Probe(u32),
    Alloc(u8),
    Free(i32),
    Find(u8),
    Owner(u32),
    OwnersIn(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => prop_oneof![0u32..=8, 60u32..=66].prop_map(Op::Probe),
        6 => (0u8..8).prop_map(Op::Alloc),
        4 => prop_oneof![-2i32..=10, 60i32..=66, any::<i32>()].prop_map(Op::Free),
        2 => (0u8..10).prop_map(Op::Find),
        2 => prop_oneof![0u32..=10, 60u32..=66, any::<u32>()].prop_map(Op::Owner),
        1 => any::<u64>().prop_map(Op::OwnersIn),
    ]
}

#[derive(Clone, Debug)]
struct Model {
    initialized: bool,
    nr: u32,
    owners: [Option<u8>; 64],
}

impl Model {
    fn new() -> Self {
        Model {
            initialized: false,
            nr: 0,
            owners: [None; 64],
        }
    }

    fn is_free(&self, line: u32) -> bool {
        self.initialized && line >= 1 && line <= self.nr && self.owners[line as usize].is_none()
    }

    fn free_bitmap(&self) -> u64 {
        (0..64u32)
            .filter(|&l| self.is_free(l))
            .fold(0, |m, l| m | (1u64 << l))
    }

    fn probe(&mut self, n: u32) -> Result<HgeiProbe, HgeiError> {
        if n > 63 {
            return Err(HgeiError::OutOfRange);
        }
        if !self.initialized {
            self.initialized = true;
            self.nr = n;
            return Ok(HgeiProbe::Initialized);
        }
        let old = self.nr;
        if n == old {
            Ok(HgeiProbe::Unchanged)
        } else if n > old {
            self.nr = n;
            Ok(HgeiProbe::Grown { old, new: n })
        } else if self.owners[(n as usize + 1)..].iter().any(Option::is_some) {
            Err(HgeiError::Busy)
        } else {
            self.nr = n;
            Ok(HgeiProbe::Shrunk { old, new: n })
        }
    }

    fn alloc(&mut self, o: u8) -> Result<u32, HgeiError> {
        let line = (1..=self.nr)
            .find(|&l| self.is_free(l))
            .ok_or(HgeiError::NoFreeLine)?;
        self.owners[line as usize] = Some(o);
        Ok(line)
    }

    fn free(&mut self, h: i32) -> Result<u8, HgeiError> {
        if h <= 0 || h as i64 > self.nr as i64 {
            return Err(HgeiError::OutOfRange);
        }
        self.owners[h as usize]
            .take()
            .ok_or(HgeiError::NotAllocated)
    }

    fn find(&self, o: u8) -> Option<u32> {
        (0..64u32).find(|&l| self.owners[l as usize] == Some(o))
    }

    fn owner(&self, l: u32) -> Option<u8> {
        if l < 64 {
            self.owners[l as usize]
        } else {
            None
        }
    }

    fn owners_in(&self, mask: u64) -> Vec<u8> {
        (1..64u32)
            .filter(|&l| mask & (1 << l) != 0)
            .filter_map(|l| self.owners[l as usize])
            .collect()
    }

    fn owned(&self) -> Vec<(u32, u8)> {
        (0..64u32)
            .filter_map(|l| self.owners[l as usize].map(|o| (l, o)))
            .collect()
    }
}

fn same_state(c: &HgeiControl<u8>, m: &Model) -> Result<(), TestCaseError> {
    prop_assert!(c.invariants_hold(), "invariants broken: {c:?}");
    prop_assert_eq!(c.is_initialized(), m.initialized);
    prop_assert_eq!(c.nr_hgei(), m.nr);
    prop_assert_eq!(c.free_bitmap(), m.free_bitmap());
    prop_assert_eq!(c.nr_free(), m.free_bitmap().count_ones());
    prop_assert_eq!(c.iter().collect::<Vec<_>>(), m.owned());
    prop_assert!(c.nr_hgei() <= HGEI_MAX);
    prop_assert_eq!(c.free_bitmap() & 1, 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn matches_model(ops in prop::collection::vec(op(), 1..200)) {
        let mut c = HgeiControl::<u8>::new();
        let mut m = Model::new();
        for op in ops {
            let before = c.clone();
            let failed = match op {
                Op::Probe(n) => {
                    let r = c.probe_done(n);
                    prop_assert_eq!(r, m.probe(n), "probe_done({})", n);
                    r.is_err()
                }
                Op::Alloc(o) => {
                    let r = c.alloc(o);
                    prop_assert_eq!(r, m.alloc(o), "alloc({})", o);
                    if let Ok(line) = r {
                        prop_assert!(line >= 1 && line <= c.nr_hgei());
                        prop_assert_eq!(c.owner(line), Some(o));
                    }
                    r.is_err()
                }
                Op::Free(h) => {
                    let r = c.free(h);
                    prop_assert_eq!(r, m.free(h), "free({})", h);
                    r.is_err()
                }
                Op::Find(o) => {
                    prop_assert_eq!(c.find(o), m.find(o), "find({})", o);
                    false
                }
                Op::Owner(l) => {
                    prop_assert_eq!(c.owner(l), m.owner(l), "owner({})", l);
                    false
                }
                Op::OwnersIn(mask) => {
                    prop_assert_eq!(c.owners_in(mask).collect::<Vec<_>>(), m.owners_in(mask));
                    false
                }
            };
            if failed {
                // An error changes nothing.
                prop_assert_eq!(c.free_bitmap(), before.free_bitmap());
                prop_assert_eq!(c.nr_hgei(), before.nr_hgei());
                prop_assert_eq!(c.is_initialized(), before.is_initialized());
                prop_assert_eq!(c.iter().collect::<Vec<_>>(), before.iter().collect::<Vec<_>>());
            }
            same_state(&c, &m)?;
        }
    }

    /// CPU hotplug: any number of re-probes with the same count keeps every
    /// owned and every free line.
    #[test]
    fn reprobe_same_count_is_identity(
        nr in 0u32..=63,
        allocs in 0usize..64,
        frees in prop::collection::vec(1i32..=63, 0..32),
        reprobes in 1usize..4,
    ) {
        let mut c = HgeiControl::<u8>::new();
        prop_assert_eq!(c.probe_done(nr), Ok(HgeiProbe::Initialized));
        for i in 0..allocs {
            let _ = c.alloc(i as u8);
        }
        for h in frees {
            let _ = c.free(h);
        }
        let bitmap = c.free_bitmap();
        let owned: Vec<_> = c.iter().collect();
        for _ in 0..reprobes {
            prop_assert_eq!(c.probe_done(nr), Ok(HgeiProbe::Unchanged));
        }
        prop_assert_eq!(c.free_bitmap(), bitmap);
        prop_assert_eq!(c.iter().collect::<Vec<_>>(), owned);
        prop_assert!(c.invariants_hold());
    }
}
