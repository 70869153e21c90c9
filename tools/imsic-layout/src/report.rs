// SPDX-License-Identifier: GPL-2.0

//! The report, as text or JSON.

use crate::layout::Layout;
use crate::policy::{plan, Plan, Policy};
use crate::warn::warnings;
use std::fmt::Write;

/// Guest files of `p` grouped per hart, harts with the same files folded:
/// "harts 0-511: 1-7" or "hart 0: 1-7; hart 3: 2".
fn exposed_text(l: &Layout, p: &Plan) -> String {
    // (hart index, its exposed guest files as ranges)
    let mut per_hart: Vec<(usize, String)> = Vec::new();
    let mut i = 0;
    while i < p.exposed.len() {
        let h = p.exposed[i].hart;
        let files: Vec<u32> = p.exposed[i..]
            .iter()
            .take_while(|f| f.hart == h)
            .map(|f| f.guest)
            .collect();
        i += files.len();
        let mut ranges: Vec<String> = Vec::new();
        let mut j = 0;
        while j < files.len() {
            let mut k = j;
            while k + 1 < files.len() && files[k + 1] == files[k] + 1 {
                k += 1;
            }
            ranges.push(if j == k {
                files[j].to_string()
            } else {
                format!("{}-{}", files[j], files[k])
            });
            j = k + 1;
        }
        per_hart.push((h, ranges.join(",")));
    }
    let mut out: Vec<String> = Vec::new();
    let mut a = 0;
    while a < per_hart.len() {
        let mut b = a;
        while b + 1 < per_hart.len()
            && per_hart[b + 1].1 == per_hart[a].1
            && l.harts[per_hart[b + 1].0].hartid == l.harts[per_hart[b].0].hartid + 1
        {
            b += 1;
        }
        let (first, last) = (l.harts[per_hart[a].0].hartid, l.harts[per_hart[b].0].hartid);
        out.push(if a == b {
            format!("hart {first}: {}", per_hart[a].1)
        } else {
            format!("harts {first}-{last}: {}", per_hart[a].1)
        });
        a = b + 1;
    }
    out.join("; ")
}

/// The text report.
pub fn text(l: &Layout) -> String {
    let g = &l.geometry;
    let mut s = String::new();
    let _ = writeln!(s, "IMSIC (S-level) from {}", l.source);
    let _ = writeln!(
        s,
        "geometry: base {:#x}; guest index bits {} (shift 12), hart index bits {} (shift {}), \
         group index bits {} (shift {}); hart stride {:#x}",
        g.base_addr(),
        g.guest_index_bits(),
        g.hart_index_bits(),
        12 + g.guest_index_bits(),
        g.group_index_bits(),
        g.group_index_shift(),
        g.hart_stride()
    );
    for (j, r) in l.regs.iter().enumerate() {
        let _ = writeln!(s, "region {j}: {:#x}..{:#x}", r.0, r.0.saturating_add(r.1));
    }
    let _ = writeln!(s, "harts: {}", l.harts.len());
    let _ = writeln!(
        s,
        "  {:>5} {:>6} {:>4} {:>5} {:>5} {:>18} {:>6} {:>39} {:>5}",
        "irq", "hartid", "cpu", "group", "hart", "s-file", "guests", "guest files", "hgei"
    );
    for h in &l.harts {
        let opt = |v: Option<u32>| v.map_or("-".to_string(), |v| v.to_string());
        let files = match (h.guest_pa(1), h.guest_pa(h.nr_guest_files)) {
            (Some(a), Some(b)) => format!("{a:#x}..{b:#x}"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "  {:>5} {:>6} {:>4} {:>5} {:>5} {:>#18x} {:>6} {:>39} {:>5}",
            h.index,
            h.hartid,
            opt(h.cpu),
            opt(h.file.map(|f| f.group)),
            opt(h.file.map(|f| f.hart)),
            h.msi_pa,
            h.nr_guest_files,
            files,
            opt(h.nr_hgei)
        );
    }
    for (grp, m) in l.groups() {
        let (lo, hi) = l.group_span(&m);
        let _ = writeln!(s, "group {grp}: {} harts, {lo:#x}..{hi:#x}", m.len());
    }
    let _ = writeln!(s, "reserved regions for device MSIs:");
    let _ = writeln!(
        s,
        "  {:<31} {:>7} {:>12} {:>8}  exposed guest files",
        "policy", "regions", "bytes", "exposed"
    );
    for p in Policy::ALL.map(|p| plan(l, p)) {
        let _ = writeln!(
            s,
            "  {:<31} {:>7} {:>#12x} {:>8}  {}",
            p.policy.name(),
            p.regions.len(),
            p.bytes(),
            p.exposed.len(),
            exposed_text(l, &p)
        );
        if !p.covers_others.is_empty() {
            let _ = writeln!(s, "    also covers: {}", p.covers_others.join(", "));
        }
    }
    let w = warnings(l);
    let _ = writeln!(s, "warnings: {}", w.len());
    for x in w {
        let _ = writeln!(s, "  - {x}");
    }
    s
}

/// A JSON string.
fn js(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn jopt(v: Option<u32>) -> String {
    v.map_or("null".into(), |v| v.to_string())
}

/// The JSON report: one object; addresses are hex strings (64-bit values
/// do not survive every JSON reader as numbers).
pub fn json(l: &Layout) -> String {
    let g = &l.geometry;
    let hex = |v: u64| js(&format!("{v:#x}"));
    let mut s = String::from("{\n");
    let _ = writeln!(s, "  \"source\": {},", js(&l.source));
    let _ = writeln!(
        s,
        "  \"geometry\": {{\"base_addr\": {}, \"guest_index_bits\": {}, \"hart_index_bits\": {}, \
         \"group_index_bits\": {}, \"group_index_shift\": {}, \"hart_stride\": {}}},",
        hex(g.base_addr()),
        g.guest_index_bits(),
        g.hart_index_bits(),
        g.group_index_bits(),
        g.group_index_shift(),
        hex(g.hart_stride())
    );
    let regs: Vec<String> = l
        .regs
        .iter()
        .map(|r| format!("{{\"start\": {}, \"size\": {}}}", hex(r.0), hex(r.1)))
        .collect();
    let _ = writeln!(s, "  \"regions\": [{}],", regs.join(", "));
    let harts: Vec<String> = l
        .harts
        .iter()
        .map(|h| {
            let files: Vec<String> = (1..=h.nr_guest_files)
                .filter_map(|n| h.guest_pa(n))
                .map(hex)
                .collect();
            let lines: Vec<String> = h.line_pa.iter().map(|&v| hex(v)).collect();
            format!(
                "    {{\"irq\": {}, \"hartid\": {}, \"cpu\": {}, \"group\": {}, \"hart\": {}, \
                 \"s_file\": {}, \"nr_guest_files\": {}, \"guest_files\": [{}], \"nr_hgei\": {}, \
                 \"lines\": [{}]}}",
                h.index,
                h.hartid,
                jopt(h.cpu),
                jopt(h.file.map(|f| f.group)),
                jopt(h.file.map(|f| f.hart)),
                hex(h.msi_pa),
                h.nr_guest_files,
                files.join(", "),
                jopt(h.nr_hgei),
                lines.join(", ")
            )
        })
        .collect();
    let _ = writeln!(s, "  \"harts\": [\n{}\n  ],", harts.join(",\n"));
    let groups: Vec<String> = l
        .groups()
        .iter()
        .map(|(grp, m)| {
            let (lo, hi) = l.group_span(m);
            let ids: Vec<String> = m.iter().map(|&i| l.harts[i].hartid.to_string()).collect();
            format!(
                "    {{\"group\": {grp}, \"hartids\": [{}], \"start\": {}, \"end\": {}}}",
                ids.join(", "),
                hex(lo),
                hex(hi)
            )
        })
        .collect();
    let _ = writeln!(s, "  \"groups\": [\n{}\n  ],", groups.join(",\n"));
    let plans: Vec<String> = Policy::ALL
        .map(|p| plan(l, p))
        .iter()
        .map(|p| {
            let regions: Vec<String> = p
                .regions
                .iter()
                .map(|r| format!("{{\"start\": {}, \"size\": {}}}", hex(r.start), hex(r.size)))
                .collect();
            let exposed: Vec<String> = p
                .exposed
                .iter()
                .map(|f| {
                    format!(
                        "{{\"hartid\": {}, \"guest\": {}, \"pa\": {}}}",
                        l.harts[f.hart].hartid,
                        f.guest,
                        hex(f.pa)
                    )
                })
                .collect();
            let others: Vec<String> = p.covers_others.iter().map(|o| js(o)).collect();
            format!(
                "    {{\"policy\": {}, \"regions\": [{}], \"bytes\": {}, \"exposed\": [{}], \
                 \"covers_other_devices\": [{}]}}",
                js(p.policy.name()),
                regions.join(", "),
                hex(p.bytes()),
                exposed.join(", "),
                others.join(", ")
            )
        })
        .collect();
    let _ = writeln!(s, "  \"policies\": [\n{}\n  ],", plans.join(",\n"));
    let w: Vec<String> = warnings(l).iter().map(|x| js(x)).collect();
    let _ = writeln!(s, "  \"warnings\": [{}]", w.join(", "));
    s.push_str("}\n");
    s
}
