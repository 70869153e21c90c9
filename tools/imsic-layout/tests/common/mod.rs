// SPDX-License-Identifier: GPL-2.0

//! A tiny device tree blob writer, for hand-made trees in the tests.

/// Builds a blob node by node.
pub struct Writer {
    structs: Vec<u8>,
    strings: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self {
            structs: Vec::new(),
            strings: Vec::new(),
        }
    }

    fn word(&mut self, v: u32) {
        self.structs.extend_from_slice(&v.to_be_bytes());
    }

    fn pad(&mut self) {
        while self.structs.len() % 4 != 0 {
            self.structs.push(0);
        }
    }

    pub fn begin(&mut self, name: &str) -> &mut Self {
        self.word(1);
        self.structs.extend_from_slice(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self
    }

    pub fn end(&mut self) -> &mut Self {
        self.word(2);
        self
    }

    pub fn prop(&mut self, name: &str, val: &[u8]) -> &mut Self {
        let off = match self
            .strings
            .windows(name.len() + 1)
            .position(|w| &w[..name.len()] == name.as_bytes() && w[name.len()] == 0)
        {
            Some(o) => o,
            None => {
                let o = self.strings.len();
                self.strings.extend_from_slice(name.as_bytes());
                self.strings.push(0);
                o
            }
        };
        self.word(3);
        self.word(val.len() as u32);
        self.word(off as u32);
        self.structs.extend_from_slice(val);
        self.pad();
        self
    }

    pub fn cells(&mut self, name: &str, v: &[u32]) -> &mut Self {
        let b: Vec<u8> = v.iter().flat_map(|x| x.to_be_bytes()).collect();
        self.prop(name, &b)
    }

    pub fn str(&mut self, name: &str, v: &str) -> &mut Self {
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        self.prop(name, &b)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        self.word(9);
        let off_struct = 40 + 16; // header, one empty reservation entry
        let off_strings = off_struct + self.structs.len();
        let total = off_strings + self.strings.len();
        let mut b = Vec::new();
        for v in [
            0xd00d_feed,
            total as u32,
            off_struct as u32,
            off_strings as u32,
            40,
            17,
            16,
            0,
            self.strings.len() as u32,
            self.structs.len() as u32,
        ] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&self.structs);
        b.extend_from_slice(&self.strings);
        b
    }
}

/// An IMSIC for [`tree`].
pub struct Imsic {
    /// MMIO regions (start, size).
    pub regs: Vec<(u64, u64)>,
    /// Harts (hart IDs) in parent irq order.
    pub hartids: Vec<u32>,
    /// `riscv,*` properties besides num-ids.
    pub props: Vec<(&'static str, u32)>,
}

fn reg_cells(regs: &[(u64, u64)]) -> Vec<u32> {
    regs.iter()
        .flat_map(|&(s, l)| [(s >> 32) as u32, s as u32, (l >> 32) as u32, l as u32])
        .collect()
}

/// A QEMU-virt-like tree: CPUs with interrupt controllers (phandle
/// 0x100 + hart ID), an M-level IMSIC at 0x24000000 (irq 11, must be
/// ignored), the S-level `imsic`, and `others` (name, start, size) on /soc.
pub fn tree(imsic: &Imsic, others: &[(&str, u64, u64)]) -> Vec<u8> {
    let mut w = Writer::new();
    w.begin("")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[2]);
    w.begin("cpus")
        .cells("#address-cells", &[1])
        .cells("#size-cells", &[0]);
    let mut ids = imsic.hartids.clone();
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        w.begin(&format!("cpu@{id:x}"))
            .str("device_type", "cpu")
            .cells("reg", &[*id]);
        w.begin("interrupt-controller")
            .str("compatible", "riscv,cpu-intc")
            .cells("#interrupt-cells", &[1])
            .cells("phandle", &[0x100 + id])
            .end();
        w.end();
    }
    w.end();
    w.begin("soc")
        .str("compatible", "simple-bus")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[2]);
    let m_parents: Vec<u32> = imsic
        .hartids
        .iter()
        .flat_map(|&h| [0x100 + h, 11])
        .collect();
    w.begin("interrupt-controller@24000000")
        .str("compatible", "riscv,imsics")
        .cells(
            "reg",
            &reg_cells(&[(0x2400_0000, 0x1000 * imsic.hartids.len() as u64)]),
        )
        .cells("interrupts-extended", &m_parents)
        .cells("riscv,num-ids", &[255])
        .end();
    let s_parents: Vec<u32> = imsic.hartids.iter().flat_map(|&h| [0x100 + h, 9]).collect();
    w.begin(&format!("interrupt-controller@{:x}", imsic.regs[0].0))
        .str("compatible", "riscv,imsics")
        .cells("reg", &reg_cells(&imsic.regs))
        .cells("interrupts-extended", &s_parents)
        .cells("riscv,num-ids", &[255]);
    for (k, v) in &imsic.props {
        w.cells(k, &[*v]);
    }
    w.end();
    for (name, s, l) in others {
        w.begin(&format!("{name}@{s:x}"))
            .str("compatible", name)
            .cells("reg", &reg_cells(&[(*s, *l)]))
            .end();
    }
    w.end();
    w.end();
    w.finish()
}
