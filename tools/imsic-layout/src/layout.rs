// SPDX-License-Identifier: GPL-2.0

//! An IMSIC's S-level layout, read from a device tree (as Linux's
//! `imsic_setup_state()` reads it) or from `kvm_riscv_aia.ko`'s debugfs
//! `layout` file (what the running module uses).

use crate::fdt::Fdt;
use kvm_riscv_aia_core::logic::geometry::{
    self, default_hart_index_bits, ImsicFileIndex, ImsicGeometry, IMSIC_MMIO_PAGE_SZ,
};

/// `RV_IRQ_EXT` for S-mode: an `interrupts-extended` entry of the S-level
/// IMSIC (9; the M-level IMSIC uses 11).
const IRQ_S_EXT: u32 = 9;

/// One hart's interrupt files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hart {
    /// Position in the IMSIC's `interrupts-extended` (the parent irq index).
    pub index: u32,
    /// Hart ID (`reg` of the CPU node).
    pub hartid: u64,
    /// Logical CPU number (debugfs only).
    pub cpu: Option<u32>,
    /// S-level interrupt file address (`msi_pa`).
    pub msi_pa: u64,
    /// Guest interrupt files behind it (`nr_guest_files`).
    pub nr_guest_files: u32,
    /// HGEI lines KVM uses on this hart (debugfs only).
    pub nr_hgei: Option<u32>,
    /// Guest-file address of each HGEI line 1..=nr_hgei, as the module
    /// hands them out (debugfs only).
    pub line_pa: Vec<u64>,
    /// The S-level file's address fields, `None` if outside the geometry.
    pub file: Option<ImsicFileIndex>,
}

impl Hart {
    /// Address of guest file `g` (1-based).
    pub fn guest_pa(&self, g: u32) -> Option<u64> {
        geometry::guest_file_pa(self.msi_pa, g)
    }
}

/// An IMSIC's S-level layout.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Where it was read from.
    pub source: String,
    /// The address geometry.
    pub geometry: ImsicGeometry,
    /// The MMIO regions (`reg`), as (start, size); empty from debugfs.
    pub regs: Vec<(u64, u64)>,
    /// The harts, in parent irq order.
    pub harts: Vec<Hart>,
    /// Other devices' MMIO regions (device tree only): (node path, start, size).
    pub others: Vec<(String, u64, u64)>,
    /// What Linux would say while setting it up (`pr_warn`/`pr_err`).
    pub kernel_msgs: Vec<String>,
}

fn geometry_error(e: geometry::GeometryError) -> String {
    match e {
        geometry::GeometryError::GuestIndexBits => "guest index bits too big",
        geometry::GeometryError::HartIndexBits => "HART index bits too big",
        geometry::GeometryError::GroupIndexBits => "group index bits too big",
        geometry::GeometryError::GroupIndexShift => "group index shift too big",
    }
    .to_string()
}

impl Layout {
    /// Reads the S-level IMSIC (`riscv,imsics` whose parents are S-mode
    /// external interrupts) of a device tree.
    pub fn from_fdt(fdt: &Fdt, source: &str) -> Result<Self, String> {
        let imsic = (0..fdt.nodes.len())
            .filter(|&n| fdt.is_compatible(n, "riscv,imsics") && !fdt.is_disabled(n))
            .find(|&n| {
                fdt.cells(n, "interrupts-extended")
                    .is_some_and(|c| c.get(1) == Some(&IRQ_S_EXT))
            })
            .ok_or("no S-level IMSIC (riscv,imsics) in the device tree")?;
        let path = &fdt.nodes[imsic].path;
        // Parent irqs: (phandle, irq) pairs, counted up to the first one
        // that is not the S-level external interrupt (imsic_parse_fwnode()).
        let parents = fdt
            .cells(imsic, "interrupts-extended")
            .ok_or("IMSIC without interrupts-extended")?;
        let mut hartids = Vec::new();
        let mut i = 0;
        while i < parents.len() {
            let intc = fdt
                .by_phandle(parents[i])
                .ok_or_else(|| format!("{path}: unknown phandle {:#x}", parents[i]))?;
            let ncells = fdt.u32(intc, "#interrupt-cells").unwrap_or(1) as usize;
            let args = parents
                .get(i + 1..i + 1 + ncells)
                .ok_or("short interrupts-extended")?;
            if args[0] != IRQ_S_EXT {
                break;
            }
            let cpu = fdt.nodes[intc]
                .parent
                .ok_or("interrupt controller without a CPU node")?;
            let hartid = fdt
                .reg(cpu)
                .first()
                .map(|r| r.0)
                .ok_or_else(|| format!("{}: no hart ID", fdt.nodes[cpu].path))?;
            hartids.push(hartid);
            i += 1 + ncells;
        }
        let nr_parent_irqs = u32::try_from(hartids.len()).map_err(|_| "too many harts")?;
        let regs = fdt.reg(imsic);
        let first = regs.first().ok_or("IMSIC without reg")?.0;
        let guest_bits = fdt.u32(imsic, "riscv,guest-index-bits").unwrap_or(0);
        let hart_bits = fdt
            .u32(imsic, "riscv,hart-index-bits")
            .unwrap_or_else(|| default_hart_index_bits(nr_parent_irqs));
        let group_bits = fdt.u32(imsic, "riscv,group-index-bits").unwrap_or(0);
        let group_shift = fdt.u32(imsic, "riscv,group-index-shift").unwrap_or(24);
        let geometry = ImsicGeometry::new(first, guest_bits, hart_bits, group_bits, group_shift)
            .map_err(|e| format!("{path}: {}", geometry_error(e)))?;
        let mut kernel_msgs = Vec::new();
        for (j, r) in regs.iter().enumerate() {
            if geometry.reg_base(r.0) != geometry.base_addr() {
                kernel_msgs.push(format!(
                    "address mismatch for regset {j} ({:#x}): Linux refuses this IMSIC",
                    r.0
                ));
            }
        }
        let mut harts = Vec::new();
        for (index, &hartid) in (0u32..).zip(&hartids) {
            let Some((r, reloff)) =
                geometry::locate_hart(index, guest_bits, regs.iter().map(|r| r.1))
            else {
                kernel_msgs.push(format!(
                    "MMIO not found for parent irq{index} (hart {hartid})"
                ));
                continue;
            };
            let msi_pa = regs[r].0 + reloff;
            harts.push(Hart {
                index,
                hartid,
                cpu: None,
                msi_pa,
                nr_guest_files: geometry::nr_guest_files(regs[r].1, reloff, guest_bits),
                nr_hgei: None,
                line_pa: Vec::new(),
                file: geometry.decode(msi_pa),
            });
        }
        // Every other device's MMIO, to see what padding would cover.
        let mut others = Vec::new();
        for n in 0..fdt.nodes.len() {
            if n == imsic || fdt.is_disabled(n) || fdt.prop(n, "device_type") == Some(b"memory\0") {
                continue;
            }
            let parent_is_bus = fdt.nodes[n]
                .parent
                .is_some_and(|p| fdt.is_compatible(p, "simple-bus") || fdt.nodes[p].path == "/");
            if !parent_is_bus || fdt.prop(n, "device_type") == Some(b"cpu\0") {
                continue;
            }
            for (s, l) in fdt.reg(n) {
                others.push((fdt.nodes[n].path.clone(), s, l));
            }
        }
        Ok(Self {
            source: source.to_string(),
            geometry,
            regs,
            harts,
            others,
            kernel_msgs,
        })
    }

    /// Reads the module's debugfs `layout` file:
    ///
    /// ```text
    /// geometry base_addr=0x28000000 guest_index_bits=3 hart_index_bits=1 group_index_bits=0 group_index_shift=24
    /// cpu=0 hartid=0 msi_pa=0x28000000 nr_guest_files=7 nr_hgei=5 lines=0x28001000,...
    /// ```
    pub fn from_debugfs(text: &str, source: &str) -> Result<Self, String> {
        fn field<'a>(line: &'a str, key: &str) -> Result<&'a str, String> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
                .ok_or_else(|| format!("no {key}= in '{line}'"))
        }
        fn num(s: &str) -> Result<u64, String> {
            let r = match s.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => s.parse(),
            };
            r.map_err(|_| format!("bad number '{s}'"))
        }
        fn num32(s: &str) -> Result<u32, String> {
            u32::try_from(num(s)?).map_err(|_| format!("'{s}' out of range"))
        }
        let mut geometry = None;
        let mut harts = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if line.starts_with("geometry ") {
                let g = ImsicGeometry::new(
                    num(field(line, "base_addr")?)?,
                    num32(field(line, "guest_index_bits")?)?,
                    num32(field(line, "hart_index_bits")?)?,
                    num32(field(line, "group_index_bits")?)?,
                    num32(field(line, "group_index_shift")?)?,
                )
                .map_err(geometry_error)?;
                geometry = Some(g);
            } else if line.starts_with("cpu=") {
                let g = geometry.ok_or("a cpu line before the geometry line")?;
                let msi_pa = num(field(line, "msi_pa")?)?;
                let lines = field(line, "lines")?;
                let line_pa = if lines == "-" {
                    Vec::new()
                } else {
                    lines.split(',').map(num).collect::<Result<_, _>>()?
                };
                harts.push(Hart {
                    index: u32::try_from(harts.len()).map_err(|_| "too many harts")?,
                    hartid: num(field(line, "hartid")?)?,
                    cpu: Some(num32(field(line, "cpu")?)?),
                    msi_pa,
                    nr_guest_files: num32(field(line, "nr_guest_files")?)?,
                    nr_hgei: Some(num32(field(line, "nr_hgei")?)?),
                    line_pa,
                    file: g.decode(msi_pa),
                });
            } else {
                return Err(format!("unexpected line '{line}'"));
            }
        }
        let geometry = geometry.ok_or("no geometry line")?;
        if harts.is_empty() {
            return Err("no cpu lines".into());
        }
        Ok(Self {
            source: source.to_string(),
            geometry,
            regs: Vec::new(),
            harts,
            others: Vec::new(),
            kernel_msgs: Vec::new(),
        })
    }

    /// The groups present, sorted, each with its harts (indices into
    /// `harts`); harts outside the geometry are in no group.
    pub fn groups(&self) -> Vec<(u32, Vec<usize>)> {
        let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
        for (i, h) in self.harts.iter().enumerate() {
            let Some(f) = h.file else { continue };
            match groups.iter_mut().find(|(g, _)| *g == f.group) {
                Some((_, v)) => v.push(i),
                None => groups.push((f.group, vec![i])),
            }
        }
        groups.sort_by_key(|(g, _)| *g);
        groups
    }

    /// The address range a group's harts' files occupy: from its first
    /// S-level file to the end of its last hart's stride.
    pub fn group_span(&self, members: &[usize]) -> (u64, u64) {
        let stride = self.geometry.hart_stride();
        let lo = members
            .iter()
            .map(|&i| self.harts[i].msi_pa)
            .min()
            .unwrap_or(0);
        let hi = members
            .iter()
            .map(|&i| self.harts[i].msi_pa.saturating_add(stride))
            .max()
            .unwrap_or(0);
        (lo, hi)
    }
}

/// Page size of an interrupt file, for the other modules.
pub const PAGE: u64 = IMSIC_MMIO_PAGE_SZ;
