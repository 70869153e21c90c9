// SPDX-License-Identifier: GPL-2.0

//! Property tests: `rmw_iprio()` against a model holding 64 `u8` priorities.
//!
//! The model knows only which interrupts have a writable priority (the AIA
//! spec's list for `hviprio1`/`hviprio2`) and which of the two registers
//! holds them; it does not use the bit position table.

use kvm_riscv_aia_core::logic::iprio::{
    classify_isel, get_iprio8, hvictl_value, rmw_iprio, Hviprio, IllegalTrap, Isel, ISELECT_IPRIO0,
    ISELECT_IPRIO15,
};
use proptest::prelude::*;

/// Interrupts with a priority field (AIA spec, `hviprio1`/`hviprio2`):
/// 0, 1, 4, 5, 8 and 13..=15 in `hviprio1`, 16..=23 in `hviprio2`.
fn writable(irq: usize) -> bool {
    matches!(irq, 0 | 1 | 4 | 5 | 8 | 13..=23)
}

/// `true` if the priority of `irq` lives in `hviprio2`.
fn in_hviprio2(irq: usize) -> bool {
    (16..=23).contains(&irq)
}

#[derive(Clone, Debug)]
struct Model {
    prio: [u8; 64],
}

impl Model {
    fn rmw(
        &mut self,
        isel: u32,
        new_val: u64,
        wr_mask: u64,
    ) -> Result<(u64, bool, bool), IllegalTrap> {
        if !(0x30..=0x3f).contains(&isel) || isel % 2 == 1 {
            return Err(IllegalTrap);
        }
        let first = (isel as usize - 0x30) * 4;
        let mut old = 0u64;
        for i in 0..8 {
            old |= u64::from(self.prio[first + i]) << (8 * i);
        }
        let (mut w1, mut w2) = (false, false);
        if wr_mask != 0 {
            let new = (old & !wr_mask) | (new_val & wr_mask);
            for i in 0..8 {
                let irq = first + i;
                if writable(irq) {
                    self.prio[irq] = (new >> (8 * i)) as u8;
                    if in_hviprio2(irq) {
                        w2 = true;
                    } else {
                        w1 = true;
                    }
                }
            }
        }
        Ok((old, w1, w2))
    }
}

fn isel() -> impl Strategy<Value = u32> {
    prop_oneof![8 => ISELECT_IPRIO0..=ISELECT_IPRIO15, 1 => 0u32..0x200, 1 => any::<u32>()]
}

fn wr_mask() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0u64),
        Just(u64::MAX),
        any::<u64>(),
        (0u32..8).prop_map(|b| 0xffu64 << (8 * b))
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rmw_matches_model(
        ops in prop::collection::vec((isel(), any::<u64>(), wr_mask()), 1..100),
    ) {
        let mut regs = Hviprio::default();
        let mut m = Model { prio: [0; 64] };
        for (isel, new_val, mask) in ops {
            let before = regs;
            let r = rmw_iprio(&mut regs, isel, new_val, mask)
                .map(|r| (r.old_val, r.hviprio1_written, r.hviprio2_written));
            prop_assert_eq!(r, m.rmw(isel, new_val, mask), "isel {:#x}", isel);
            if r.is_err() {
                prop_assert_eq!(regs, before);
            }
            if let Ok((_, w1, w2)) = r {
                // Registers not flagged as written are unchanged.
                if !w1 {
                    prop_assert_eq!(regs.hviprio1, before.hviprio1);
                }
                if !w2 {
                    prop_assert_eq!(regs.hviprio2, before.hviprio2);
                }
            }
            for irq in 0..70u32 {
                let want = m.prio.get(irq as usize).copied().unwrap_or(0);
                prop_assert_eq!(get_iprio8(&regs, irq), want, "irq {}", irq);
            }
        }
    }

    /// A read (`wr_mask == 0`) never changes anything, and read-only zero
    /// priorities read as zero whatever the CSRs hold.
    #[test]
    fn read_only(h1 in any::<u64>(), h2 in any::<u64>(), even in 0u32..8, new_val in any::<u64>()) {
        let mut regs = Hviprio { hviprio1: h1, hviprio2: h2 };
        let isel = ISELECT_IPRIO0 + 2 * even;
        let r = rmw_iprio(&mut regs, isel, new_val, 0).unwrap();
        prop_assert_eq!(regs, Hviprio { hviprio1: h1, hviprio2: h2 });
        prop_assert!(!r.hviprio1_written && !r.hviprio2_written);
        let first = (isel - ISELECT_IPRIO0) as usize * 4;
        for i in 0..8 {
            if !writable(first + i) {
                prop_assert_eq!((r.old_val >> (8 * i)) & 0xff, 0);
            }
        }
    }

    #[test]
    fn classify_matches_ranges(isel in 0u32..0x400) {
        let want = match isel {
            0x30..=0x3f => Isel::Iprio,
            0x70..=0xff => Isel::Imsic,
            _ => Isel::Other,
        };
        prop_assert_eq!(classify_isel(isel), want);
    }
}

#[test]
fn hvictl_values() {
    // IRQ_S_EXT = 9 in HVICTL.IID (bits 27:16), IPRIO bit 0 = pending.
    assert_eq!(hvictl_value(false), 9 << 16);
    assert_eq!(hvictl_value(true), (9 << 16) | 1);
}
