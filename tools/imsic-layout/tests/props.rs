// SPDX-License-Identifier: GPL-2.0

//! Property tests of the policies on generated layouts: any geometry, groups
//! with holes, asymmetric guest files, groups without guest files.

use imsic_layout::layout::{Hart, Layout, PAGE};
use imsic_layout::policy::{guest_files, plan, Policy, SUPERPAGE};
use kvm_riscv_aia_core::logic::geometry::{ImsicFileIndex, ImsicGeometry};
use proptest::prelude::*;

/// (guest bits, hart bits, group bits, group shift, per group: per hart
/// slot: Some(guest files) or None for a hole).
type Spec = (u32, u32, u32, u32, Vec<Vec<Option<u32>>>);

fn spec() -> impl Strategy<Value = Spec> {
    (0u32..=4, 0u32..=4, 0u32..=2).prop_flat_map(|(gb, hb, grb)| {
        let min_shift = 12 + gb + hb;
        let harts = 1usize << hb;
        let files = (1u32 << gb) - 1;
        (
            Just(gb),
            Just(hb),
            Just(grb),
            min_shift.max(16)..=30,
            prop::collection::vec(
                prop::collection::vec(
                    prop_oneof![3 => (0..=files).prop_map(Some), 1 => Just(None)],
                    1..=harts,
                ),
                1..=(1usize << grb),
            ),
        )
    })
}

fn layout(s: &Spec) -> Layout {
    let (gb, hb, grb, shift, groups) = s;
    let base = 1u64 << 32;
    let geometry = ImsicGeometry::new(base, *gb, *hb, *grb, *shift).unwrap();
    let mut harts = Vec::new();
    for (group, slots) in (0u32..).zip(groups) {
        for (hart, files) in (0u32..).zip(slots) {
            let Some(nr_guest_files) = *files else {
                continue;
            };
            let file = ImsicFileIndex {
                group,
                hart,
                guest: 0,
            };
            let msi_pa = geometry.file_pa(file).unwrap();
            harts.push(Hart {
                index: harts.len() as u32,
                hartid: harts.len() as u64,
                cpu: None,
                msi_pa,
                nr_guest_files,
                nr_hgei: None,
                line_pa: Vec::new(),
                file: geometry.decode(msi_pa),
            });
        }
    }
    Layout {
        source: "generated".into(),
        geometry,
        regs: Vec::new(),
        harts,
        others: Vec::new(),
        kernel_msgs: Vec::new(),
    }
}

proptest! {
    #[test]
    fn every_policy_covers_every_s_level_file(s in spec()) {
        let l = layout(&s);
        for p in Policy::ALL.map(|p| plan(&l, p)) {
            for h in &l.harts {
                prop_assert!(p.covers_page(h.msi_pa), "{:?} misses hart {}", p.policy, h.hartid);
            }
            for w in p.regions.windows(2) {
                prop_assert!(w[0].start + w[0].size < w[1].start, "{:?}: regions not merged", p.policy);
            }
            for r in &p.regions {
                prop_assert_eq!(r.start % PAGE, 0);
                prop_assert_eq!(r.size % PAGE, 0);
            }
        }
    }

    #[test]
    fn per_hart_exposes_no_guest_file(s in spec()) {
        let l = layout(&s);
        let p = plan(&l, Policy::PerHart);
        prop_assert!(p.exposed.is_empty());
        // Adjacent S-level files (no guest files at all) merge, as the
        // IOMMU core merges adjacent regions of one type.
        if l.geometry.guest_index_bits() > 0 {
            prop_assert_eq!(p.regions.len(), l.harts.len());
        } else {
            prop_assert!(p.regions.len() <= l.harts.len());
        }
        prop_assert_eq!(p.bytes(), PAGE * l.harts.len() as u64);
        for f in guest_files(&l) {
            prop_assert!(!p.covers_page(f.pa));
        }
    }

    #[test]
    fn per_group_exposes_every_guest_file(s in spec()) {
        let l = layout(&s);
        let p = plan(&l, Policy::PerGroup);
        prop_assert_eq!(&p.exposed, &guest_files(&l));
        for r in &p.regions {
            prop_assert_eq!(r.start % SUPERPAGE, 0);
            prop_assert_eq!(r.size % SUPERPAGE, 0);
        }
        prop_assert!(p.bytes() >= plan(&l, Policy::PerHart).bytes());
    }

    #[test]
    fn no_guest_policy_exposes_only_through_padding(s in spec()) {
        let l = layout(&s);
        let p = plan(&l, Policy::PerGroupNoGuests);
        // The 2 MiB windows of the groups without guest files.
        let windows: Vec<(u64, u64)> = l
            .groups()
            .into_iter()
            .filter(|(_, m)| m.iter().all(|&i| l.harts[i].nr_guest_files == 0))
            .map(|(_, m)| {
                let (lo, hi) = l.group_span(&m);
                (lo & !(SUPERPAGE - 1), (hi + SUPERPAGE - 1) & !(SUPERPAGE - 1))
            })
            .collect();
        for f in &p.exposed {
            prop_assert!(windows.iter().any(|&(lo, hi)| f.pa >= lo && f.pa < hi),
                "guest file {:#x} exposed outside a no-guest group's window", f.pa);
        }
        for f in guest_files(&l) {
            let in_window = windows.iter().any(|&(lo, hi)| f.pa >= lo && f.pa < hi);
            prop_assert_eq!(p.exposed.contains(&f), in_window);
        }
        if windows.is_empty() {
            prop_assert_eq!(p.regions, plan(&l, Policy::PerHart).regions);
        }
    }

    #[test]
    fn geometry_round_trips(s in spec()) {
        let l = layout(&s);
        for h in &l.harts {
            for g in 0..=h.nr_guest_files {
                let pa = h.msi_pa + u64::from(g) * PAGE;
                let f = l.geometry.decode(pa).unwrap();
                prop_assert_eq!(f.guest, g);
                prop_assert_eq!(l.geometry.file_pa(f), Some(pa));
            }
        }
    }
}
