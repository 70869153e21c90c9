// SPDX-License-Identifier: GPL-2.0

//! A small reader of flattened device tree blobs (devicetree specification
//! v0.4, chapter 5): the structure block as a list of nodes and properties.

use std::collections::HashMap;

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// One node of the tree.
#[derive(Debug)]
pub struct Node {
    /// Full path, e.g. `/soc/interrupt-controller@28000000`.
    pub path: String,
    /// Index of the parent node, `None` for the root.
    pub parent: Option<usize>,
    /// Properties in blob order.
    pub props: Vec<(String, Vec<u8>)>,
}

/// A parsed device tree.
#[derive(Debug)]
pub struct Fdt {
    /// Nodes in blob order; node 0 is the root.
    pub nodes: Vec<Node>,
    phandles: HashMap<u32, usize>,
}

fn be32(b: &[u8], off: usize) -> Result<u32, String> {
    b.get(off..off + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| format!("blob truncated at offset {off:#x}"))
}

fn cstr(b: &[u8], off: usize) -> Result<(String, usize), String> {
    let rest = b.get(off..).ok_or("string offset out of the blob")?;
    let len = rest
        .iter()
        .position(|&c| c == 0)
        .ok_or("unterminated string")?;
    Ok((String::from_utf8_lossy(&rest[..len]).into_owned(), len))
}

impl Fdt {
    /// Parses a blob.
    pub fn parse(b: &[u8]) -> Result<Self, String> {
        if be32(b, 0)? != FDT_MAGIC {
            return Err("not a device tree blob (bad magic)".into());
        }
        let total = be32(b, 4)? as usize;
        if total > b.len() {
            return Err(format!("blob truncated: {} of {total} bytes", b.len()));
        }
        let off_struct = be32(b, 8)? as usize;
        let off_strings = be32(b, 12)? as usize;
        let strings = b.get(off_strings..total).ok_or("bad strings offset")?;
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut off = off_struct;
        loop {
            let tok = be32(b, off)?;
            off += 4;
            match tok {
                FDT_BEGIN_NODE => {
                    let (name, len) = cstr(b, off)?;
                    off = (off + len + 1 + 3) & !3;
                    let parent = stack.last().copied();
                    let path = match parent {
                        None => "/".to_string(),
                        Some(p) if nodes[p].path == "/" => format!("/{name}"),
                        Some(p) => format!("{}/{name}", nodes[p].path),
                    };
                    nodes.push(Node {
                        path,
                        parent,
                        props: Vec::new(),
                    });
                    stack.push(nodes.len() - 1);
                }
                FDT_END_NODE => {
                    stack.pop().ok_or("unbalanced END_NODE")?;
                }
                FDT_PROP => {
                    let len = be32(b, off)? as usize;
                    let nameoff = be32(b, off + 4)? as usize;
                    off += 8;
                    let val = b.get(off..off + len).ok_or("property value truncated")?;
                    off = (off + len + 3) & !3;
                    let (name, _) = cstr(strings, nameoff)?;
                    let cur = *stack.last().ok_or("property outside a node")?;
                    nodes[cur].props.push((name, val.to_vec()));
                }
                FDT_NOP => {}
                FDT_END => break,
                t => return Err(format!("bad token {t:#x} at offset {:#x}", off - 4)),
            }
        }
        if !stack.is_empty() || nodes.is_empty() {
            return Err("unbalanced structure block".into());
        }
        let mut phandles = HashMap::new();
        for (i, _) in nodes.iter().enumerate() {
            if let Some(p) = Self::prop_in(&nodes[i], "phandle")
                .or_else(|| Self::prop_in(&nodes[i], "linux,phandle"))
            {
                if p.len() == 4 {
                    phandles.insert(u32::from_be_bytes([p[0], p[1], p[2], p[3]]), i);
                }
            }
        }
        Ok(Self { nodes, phandles })
    }

    fn prop_in<'a>(n: &'a Node, name: &str) -> Option<&'a [u8]> {
        n.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Property `name` of node `n`.
    pub fn prop(&self, n: usize, name: &str) -> Option<&[u8]> {
        Self::prop_in(&self.nodes[n], name)
    }

    /// Property `name` of node `n` as big-endian cells.
    pub fn cells(&self, n: usize, name: &str) -> Option<Vec<u32>> {
        let p = self.prop(n, name)?;
        if p.len() % 4 != 0 {
            return None;
        }
        Some(
            p.chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    /// Property `name` of node `n` as one cell.
    pub fn u32(&self, n: usize, name: &str) -> Option<u32> {
        match self.cells(n, name)?.as_slice() {
            [v] => Some(*v),
            _ => None,
        }
    }

    /// Whether node `n` lists `compat` in its `compatible`.
    pub fn is_compatible(&self, n: usize, compat: &str) -> bool {
        self.prop(n, "compatible")
            .is_some_and(|p| p.split(|&c| c == 0).any(|s| s == compat.as_bytes()))
    }

    /// The node with phandle `ph`.
    pub fn by_phandle(&self, ph: u32) -> Option<usize> {
        self.phandles.get(&ph).copied()
    }

    /// Whether node `n` is disabled (`status` other than "okay"/"ok").
    pub fn is_disabled(&self, n: usize) -> bool {
        self.prop(n, "status")
            .is_some_and(|s| !matches!(s, b"okay\0" | b"ok\0" | b"okay" | b"ok"))
    }

    /// Node `n`'s `reg` as (address, size) pairs, with its parent's
    /// `#address-cells` and `#size-cells` (2 and 1 when absent).
    pub fn reg(&self, n: usize) -> Vec<(u64, u64)> {
        let parent = self.nodes[n].parent;
        let ac = parent
            .and_then(|p| self.u32(p, "#address-cells"))
            .unwrap_or(2) as usize;
        let sc = parent.and_then(|p| self.u32(p, "#size-cells")).unwrap_or(1) as usize;
        let Some(cells) = self.cells(n, "reg") else {
            return Vec::new();
        };
        if ac == 0 || ac > 2 || sc > 2 || cells.len() % (ac + sc) != 0 {
            return Vec::new();
        }
        let num = |c: &[u32]| c.iter().fold(0u64, |v, &x| (v << 32) | u64::from(x));
        cells
            .chunks_exact(ac + sc)
            .map(|c| (num(&c[..ac]), num(&c[ac..])))
            .collect()
    }
}
