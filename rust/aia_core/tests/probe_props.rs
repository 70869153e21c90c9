// SPDX-License-Identifier: GPL-2.0

//! Property tests for the HGEI probe, the global minimum and the IMSIC
//! geometry.

use kvm_riscv_aia_core::logic::geometry::{guest_file_pa, nr_guest_files, IMSIC_MMIO_PAGE_SZ};
use kvm_riscv_aia_core::logic::probe::{
    clamp_nr_hgei, initial_global, lower_global, nr_hgei_from_hgeie,
};
use proptest::prelude::*;

fn fold(initial: u32, counts: &[u32]) -> u32 {
    counts.iter().fold(initial, |global, &local| {
        lower_global(global, local).unwrap_or(global)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    /// `kvm_riscv_aia_enable()` on every hart, in any order, leaves the
    /// global at the minimum of the initial value and all per-hart counts.
    #[test]
    fn global_is_minimum(
        gc in prop::option::of(0u32..=63),
        counts in prop::collection::vec(prop_oneof![0u32..=63, any::<u32>()], 0..32)
            .prop_shuffle(),
        seed in any::<u64>(),
    ) {
        let initial = initial_global(gc);
        let want = counts.iter().copied().fold(initial, u32::min);
        prop_assert_eq!(fold(initial, &counts), want);
        // Another order (rotation chosen by `seed`) gives the same result.
        let mut other = counts.clone();
        if !other.is_empty() {
            let k = (seed % other.len() as u64) as usize;
            other.rotate_left(k);
            other.reverse();
        }
        prop_assert_eq!(fold(initial, &other), want);
        if gc.is_none() {
            prop_assert_eq!(want, 0);
        }
    }

    /// `lower_global` only ever lowers, and only to `local`.
    #[test]
    fn lower_only(global in any::<u32>(), local in any::<u32>()) {
        match lower_global(global, local) {
            Some(new) => prop_assert!(new == local && local < global),
            None => prop_assert!(local >= global),
        }
    }

    /// A contiguous readback `GENMASK(g, 1)` (bit 0 may read back either way)
    /// gives `g` lines; the clamp never exceeds the guest files.
    #[test]
    fn contiguous_readback(g in 0u32..=63, bit0 in any::<bool>(), files in prop::option::of(any::<u32>())) {
        let readback = if g == 0 { 0 } else { (u64::MAX >> (63 - g)) & !1 } | u64::from(bit0);
        let nr = nr_hgei_from_hgeie(readback);
        prop_assert_eq!(nr, g);
        let clamped = clamp_nr_hgei(nr, files);
        prop_assert!(clamped <= nr);
        prop_assert_eq!(clamped, files.map_or(0, |f| f.min(nr)));
    }

    /// Page-aligned regions: `min(BIT(gib) - 1, pages - 1)`; anything: no
    /// panic and never more than `BIT(gib) - 1`.
    #[test]
    fn guest_files(
        pages in 1u64..1024,
        hart in 0u64..64,
        gib in 0u32..=8,
        size in any::<u64>(),
        reloff in any::<u64>(),
        any_gib in any::<u32>(),
    ) {
        let per_hart = (1u64 << gib) * IMSIC_MMIO_PAGE_SZ;
        let reloff_aligned = hart * per_hart;
        let region = reloff_aligned + pages * IMSIC_MMIO_PAGE_SZ;
        let want = ((1u64 << gib) - 1).min(pages - 1) as u32;
        prop_assert_eq!(nr_guest_files(region, reloff_aligned, gib), want);
        // Up to one page less at the end does not add a file.
        prop_assert_eq!(nr_guest_files(region + IMSIC_MMIO_PAGE_SZ - 1, reloff_aligned, gib), want);
        let n = nr_guest_files(size, reloff, any_gib);
        if any_gib < 32 {
            prop_assert!(u64::from(n) < (1u64 << any_gib));
        }
        prop_assert!(u64::from(n) <= (size.saturating_sub(reloff) / IMSIC_MMIO_PAGE_SZ).saturating_sub(1));
    }

    #[test]
    fn guest_pa(msi_pa in any::<u64>(), hgei in any::<u32>()) {
        let want = if (1..=63).contains(&hgei) {
            msi_pa.checked_add(u64::from(hgei) * IMSIC_MMIO_PAGE_SZ)
        } else {
            None
        };
        prop_assert_eq!(guest_file_pa(msi_pa, hgei), want);
    }
}
