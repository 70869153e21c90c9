// SPDX-License-Identifier: GPL-2.0

//! Layouts that break what Linux, KVM or an IOMMU MSI policy assume.

use crate::layout::Layout;

/// Warnings about `l`, one sentence each.
pub fn warnings(l: &Layout) -> Vec<String> {
    let mut w: Vec<String> = l.kernel_msgs.clone();
    let g = &l.geometry;
    let stride = g.hart_stride();
    if g.group_overlaps_harts() {
        w.push(format!(
            "overlapping groups: group-index-shift {} is below the hart and guest fields ({} bits)",
            g.group_index_shift(),
            12 + g.guest_index_bits() + g.hart_index_bits()
        ));
    }
    for (j, r) in l.regs.iter().enumerate() {
        if r.0 % stride != 0 {
            w.push(format!(
                "misaligned base: region {j} at {:#x} is not aligned to the hart stride {stride:#x}",
                r.0
            ));
        }
    }
    for (a, ra) in l.regs.iter().enumerate() {
        for (b, rb) in l.regs.iter().enumerate().skip(a + 1) {
            if ra.0 < rb.0.saturating_add(rb.1) && rb.0 < ra.0.saturating_add(ra.1) {
                w.push(format!("MMIO regions {a} and {b} overlap"));
            }
        }
    }
    for (i, h) in l.harts.iter().enumerate() {
        if h.file.is_none() {
            w.push(format!(
                "hart {}: S-level file {:#x} lies outside the IMSIC geometry",
                h.hartid, h.msi_pa
            ));
        }
        if h.file.is_some_and(|f| f.guest != 0) {
            w.push(format!(
                "misaligned base: hart {}'s S-level file {:#x} decodes as guest file {}",
                h.hartid,
                h.msi_pa,
                h.file.map_or(0, |f| f.guest)
            ));
        }
        if let Some(j) = l.harts[..i].iter().position(|o| o.msi_pa == h.msi_pa) {
            w.push(format!(
                "harts {} and {} share the S-level file {:#x}",
                l.harts[j].hartid, h.hartid, h.msi_pa
            ));
        }
        if let Some(n) = h.nr_hgei {
            if n > h.nr_guest_files {
                w.push(format!(
                    "hart {}: {n} HGEI lines but only {} guest files",
                    h.hartid, h.nr_guest_files
                ));
            }
        }
    }
    let groups = l.groups();
    for (grp, members) in &groups {
        let mut idx: Vec<u32> = members
            .iter()
            .filter_map(|&i| l.harts[i].file.map(|f| f.hart))
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let missing: Vec<String> = (0..idx.last().map_or(0, |&m| m + 1))
            .filter(|x| idx.binary_search(x).is_err())
            .map(|x| x.to_string())
            .collect();
        if !missing.is_empty() {
            w.push(format!(
                "non-contiguous harts in group {grp}: no hart at hart index {}",
                missing.join(", ")
            ));
        }
    }
    for (a, (ga, ma)) in groups.iter().enumerate() {
        let (la, ha) = l.group_span(ma);
        for (gb, mb) in &groups[a + 1..] {
            let (lb, hb) = l.group_span(mb);
            if la < hb && lb < ha {
                w.push(format!(
                    "overlapping groups: groups {ga} and {gb} share addresses"
                ));
            }
        }
    }
    let mut counts: Vec<u32> = l.harts.iter().map(|h| h.nr_guest_files).collect();
    counts.sort_unstable();
    counts.dedup();
    if counts.len() > 1 {
        let min = counts[0];
        w.push(format!(
            "asymmetric guest files: harts have {} guest files; KVM's global count is the minimum, {min}",
            counts.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    w
}
