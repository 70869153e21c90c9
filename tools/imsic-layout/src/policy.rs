// SPDX-License-Identifier: GPL-2.0

//! IOMMU MSI reserved-region policies for an IMSIC (see the "iommu/riscv:
//! Map IMSIC addresses for paging domains" thread): what each maps for
//! device MSIs, and which guest interrupt files that exposes to device DMA.

use crate::layout::{Layout, PAGE};

/// 2 MiB: the superpage a coalesced region is aligned to.
pub const SUPERPAGE: u64 = 2 << 20;

/// A policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// (a) One 4 KiB region per hart's S-level file (the posted patch).
    PerHart,
    /// (b) One region per IMSIC group, aligned out to 2 MiB.
    PerGroup,
    /// (c) Per group as (b) where none of the group's harts has guest
    /// files, per hart as (a) elsewhere.
    PerGroupNoGuests,
}

impl Policy {
    /// All policies, in the order they are shown.
    pub const ALL: [Policy; 3] = [Policy::PerHart, Policy::PerGroup, Policy::PerGroupNoGuests];

    /// Short name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::PerHart => "per-hart-4k",
            Policy::PerGroup => "per-group-2m",
            Policy::PerGroupNoGuests => "per-group-2m-if-no-guest-files",
        }
    }
}

/// A reserved region: `[start, start + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// Bytes.
    pub size: u64,
}

impl Region {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.size)
    }

    /// Whether the page at `pa` lies inside.
    pub fn covers_page(&self, pa: u64) -> bool {
        pa >= self.start && pa.saturating_add(PAGE) <= self.end()
    }
}

/// A guest interrupt file: hart index into `Layout::harts`, guest file
/// number (1-based), address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuestFile {
    /// Index into `Layout::harts`.
    pub hart: usize,
    /// Guest file number, 1..=nr_guest_files.
    pub guest: u32,
    /// Its address.
    pub pa: u64,
}

/// What one policy gives for a layout.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The policy.
    pub policy: Policy,
    /// Its regions, sorted and merged where they overlap or touch (as the
    /// IOMMU core merges them).
    pub regions: Vec<Region>,
    /// Guest files inside some region, exposed to device DMA.
    pub exposed: Vec<GuestFile>,
    /// Other devices' MMIO ranges a region reaches into (node path).
    pub covers_others: Vec<String>,
}

impl Plan {
    /// Bytes mapped.
    pub fn bytes(&self) -> u64 {
        self.regions.iter().map(|r| r.size).sum()
    }

    /// Whether the page at `pa` lies in a region.
    pub fn covers_page(&self, pa: u64) -> bool {
        let i = self.regions.partition_point(|r| r.start <= pa);
        i > 0 && self.regions[i - 1].covers_page(pa)
    }
}

fn align_out(lo: u64, hi: u64, align: u64) -> Region {
    let start = lo & !(align - 1);
    let end = hi
        .checked_add(align - 1)
        .map_or(!(align - 1), |e| e & !(align - 1));
    Region {
        start,
        size: end - start,
    }
}

/// Sorts and merges overlapping or touching regions, as the IOMMU core does
/// with reserved regions of one type (`iommu_insert_resv_region()`).
fn merge(mut v: Vec<Region>) -> Vec<Region> {
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Region> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end() => {
                let end = last.end().max(r.end());
                last.size = end - last.start;
            }
            _ => out.push(r),
        }
    }
    out
}

/// Every guest file the layout describes.
pub fn guest_files(l: &Layout) -> Vec<GuestFile> {
    let mut v = Vec::new();
    for (hart, h) in l.harts.iter().enumerate() {
        for guest in 1..=h.nr_guest_files {
            if let Some(pa) = h.guest_pa(guest) {
                v.push(GuestFile { hart, guest, pa });
            }
        }
    }
    v
}

/// The plan of `policy` for `l`.
pub fn plan(l: &Layout, policy: Policy) -> Plan {
    let per_hart = |members: &[usize]| -> Vec<Region> {
        members
            .iter()
            .map(|&i| Region {
                start: l.harts[i].msi_pa,
                size: PAGE,
            })
            .collect()
    };
    let mut regions = Vec::new();
    // Harts outside the geometry have no group: always per hart.
    let grouped: Vec<usize> = l.groups().iter().flat_map(|(_, m)| m.clone()).collect();
    let ungrouped: Vec<usize> = (0..l.harts.len())
        .filter(|i| !grouped.contains(i))
        .collect();
    regions.extend(per_hart(&ungrouped));
    for (_, members) in l.groups() {
        let coalesce = match policy {
            Policy::PerHart => false,
            Policy::PerGroup => true,
            Policy::PerGroupNoGuests => members.iter().all(|&i| l.harts[i].nr_guest_files == 0),
        };
        if coalesce {
            let (lo, hi) = l.group_span(&members);
            regions.push(align_out(lo, hi, SUPERPAGE));
        } else {
            regions.extend(per_hart(&members));
        }
    }
    let mut p = Plan {
        policy,
        regions: merge(regions),
        exposed: Vec::new(),
        covers_others: Vec::new(),
    };
    p.exposed = guest_files(l)
        .into_iter()
        .filter(|f| p.covers_page(f.pa))
        .collect();
    for (path, s, len) in &l.others {
        let e = s.saturating_add(*len);
        if p.regions.iter().any(|r| *s < r.end() && r.start < e) && !p.covers_others.contains(path)
        {
            p.covers_others.push(path.clone());
        }
    }
    p
}
