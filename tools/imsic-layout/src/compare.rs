// SPDX-License-Identifier: GPL-2.0

//! Whether the module's view (debugfs) agrees with the platform description
//! (device tree) of the same machine.

use crate::layout::{Layout, PAGE};

/// Differences between the device tree's layout `dt` and the module's `m`;
/// empty when they agree.
///
/// They agree when the geometry is the same, both list the same harts
/// (matched by hart ID) with the same S-level file and guest file count,
/// each hart's HGEI lines are at most its guest files, and the module's
/// address of line `n` is the hart's guest file `n`.
pub fn compare(dt: &Layout, m: &Layout) -> Vec<String> {
    let mut d = Vec::new();
    if dt.geometry != m.geometry {
        d.push(format!(
            "geometry: device tree {:?}, module {:?}",
            dt.geometry, m.geometry
        ));
    }
    for h in &dt.harts {
        let Some(mh) = m.harts.iter().find(|x| x.hartid == h.hartid) else {
            d.push(format!(
                "hart {}: in the device tree, not in the module",
                h.hartid
            ));
            continue;
        };
        if mh.msi_pa != h.msi_pa {
            d.push(format!(
                "hart {}: S-level file {:#x} in the device tree, {:#x} in the module",
                h.hartid, h.msi_pa, mh.msi_pa
            ));
        }
        if mh.nr_guest_files != h.nr_guest_files {
            d.push(format!(
                "hart {}: {} guest files in the device tree, {} in the module",
                h.hartid, h.nr_guest_files, mh.nr_guest_files
            ));
        }
        let nr_hgei = mh.nr_hgei.unwrap_or(0);
        if nr_hgei > h.nr_guest_files {
            d.push(format!(
                "hart {}: {nr_hgei} HGEI lines for {} guest files",
                h.hartid, h.nr_guest_files
            ));
        }
        if mh.line_pa.len() != nr_hgei as usize {
            d.push(format!(
                "hart {}: {} line addresses for {nr_hgei} lines",
                h.hartid,
                mh.line_pa.len()
            ));
        }
        for (n, &pa) in (1u64..).zip(&mh.line_pa) {
            let want = h.msi_pa + n * PAGE;
            if pa != want {
                d.push(format!(
                    "hart {}: line {n} at {pa:#x}, its guest file {n} is at {want:#x}",
                    h.hartid
                ));
            }
        }
    }
    for mh in &m.harts {
        if !dt.harts.iter().any(|h| h.hartid == mh.hartid) {
            d.push(format!(
                "hart {}: in the module, not in the device tree",
                mh.hartid
            ));
        }
    }
    d
}
