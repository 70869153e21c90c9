// SPDX-License-Identifier: GPL-2.0

//! Hand-made device trees: symmetric, asymmetric, with holes, misaligned,
//! overlapping, and broken blobs.

mod common;

use common::{tree, Imsic};
use imsic_layout::{compare::compare, fdt::Fdt, layout::Layout, policy, warn::warnings};

const P: u64 = 0x1000;

fn read(imsic: &Imsic, others: &[(&str, u64, u64)]) -> Layout {
    let b = tree(imsic, others);
    Layout::from_fdt(&Fdt::parse(&b).unwrap(), "test").unwrap()
}

fn has(w: &[String], pat: &str) -> bool {
    w.iter().any(|x| x.contains(pat))
}

#[test]
fn symmetric_two_harts() {
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P)],
            hartids: vec![0, 1],
            props: vec![("riscv,guest-index-bits", 3)],
        },
        &[],
    );
    assert_eq!(l.geometry.hart_index_bits(), 1, "default hart index bits");
    assert_eq!(l.harts.len(), 2);
    assert_eq!(l.harts[1].msi_pa, 0x2800_8000);
    assert_eq!(l.harts[1].nr_guest_files, 7);
    assert!(warnings(&l).is_empty(), "{:?}", warnings(&l));
    let a = policy::plan(&l, policy::Policy::PerHart);
    assert_eq!((a.regions.len(), a.bytes(), a.exposed.len()), (2, 2 * P, 0));
    let b = policy::plan(&l, policy::Policy::PerGroup);
    assert_eq!(
        (b.regions.len(), b.bytes(), b.exposed.len()),
        (1, 2 << 20, 14)
    );
}

#[test]
fn asymmetric_guest_files() {
    // The second hart's stride is cut short: 3 guest files instead of 7.
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 12 * P)],
            hartids: vec![0, 1],
            props: vec![("riscv,guest-index-bits", 3)],
        },
        &[],
    );
    assert_eq!(l.harts[0].nr_guest_files, 7);
    assert_eq!(l.harts[1].nr_guest_files, 3);
    assert!(has(
        &warnings(&l),
        "asymmetric guest files: harts have 3, 7 guest files"
    ));
    let b = policy::plan(&l, policy::Policy::PerGroup);
    assert_eq!(b.exposed.len(), 10);
}

#[test]
fn hole_between_harts() {
    // Hart index 1 has no IMSIC: the second region starts at hart index 2.
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 8 * P), (0x2801_0000, 8 * P)],
            hartids: vec![0, 2],
            props: vec![("riscv,guest-index-bits", 3), ("riscv,hart-index-bits", 2)],
        },
        &[],
    );
    assert_eq!(l.harts[1].msi_pa, 0x2801_0000);
    assert_eq!(l.harts[1].file.unwrap().hart, 2);
    assert!(has(
        &warnings(&l),
        "non-contiguous harts in group 0: no hart at hart index 1"
    ));
}

#[test]
fn misaligned_base() {
    let l = read(
        &Imsic {
            regs: vec![(0x2800_1000, 16 * P)],
            hartids: vec![0, 1],
            props: vec![("riscv,guest-index-bits", 3)],
        },
        &[],
    );
    let w = warnings(&l);
    assert!(has(&w, "misaligned base: region 0 at 0x28001000"), "{w:?}");
    assert!(has(&w, "decodes as guest file 1"), "{w:?}");
}

#[test]
fn overlapping_groups() {
    // Group shift 14 is inside the hart field (12 + 3 + 1 = 16 bits).
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P), (0x2800_4000, 16 * P)],
            hartids: vec![0, 1, 2, 3],
            props: vec![
                ("riscv,guest-index-bits", 3),
                ("riscv,hart-index-bits", 1),
                ("riscv,group-index-bits", 1),
                ("riscv,group-index-shift", 14),
            ],
        },
        &[],
    );
    let w = warnings(&l);
    assert!(has(&w, "overlapping groups: group-index-shift 14"), "{w:?}");
    assert!(
        has(&w, "overlapping groups: groups 0 and 1 share addresses"),
        "{w:?}"
    );
    assert!(has(&w, "MMIO regions 0 and 1 overlap"), "{w:?}");
}

#[test]
fn missing_mmio_and_mismatched_regset() {
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P), (0x3000_0000, 8 * P)],
            hartids: vec![0, 1, 2, 3],
            props: vec![("riscv,guest-index-bits", 3), ("riscv,hart-index-bits", 2)],
        },
        &[],
    );
    let w = warnings(&l);
    assert!(has(&w, "address mismatch for regset 1"), "{w:?}");
    assert!(has(&w, "MMIO not found for parent irq3"), "{w:?}");
    assert_eq!(l.harts.len(), 3);
}

#[test]
fn padding_covers_another_device() {
    // No guest files: policy (c) coalesces, and its 2 MiB window reaches a
    // UART 1 MiB above the IMSIC.
    let l = read(
        &Imsic {
            regs: vec![(0x2800_0000, 4 * P)],
            hartids: vec![0, 1, 2, 3],
            props: vec![],
        },
        &[("ns16550a", 0x2810_0000, 0x100)],
    );
    let c = policy::plan(&l, policy::Policy::PerGroupNoGuests);
    assert_eq!(
        (c.regions.len(), c.bytes(), c.exposed.len()),
        (1, 2 << 20, 0)
    );
    assert_eq!(c.covers_others, vec!["/soc/ns16550a@28100000".to_string()]);
    let a = policy::plan(&l, policy::Policy::PerHart);
    assert!(a.covers_others.is_empty());
    assert_eq!(a.regions.len(), 1, "adjacent 4 KiB files merge");
}

#[test]
fn broken_blobs_are_errors() {
    assert!(Fdt::parse(b"not a dtb at all, certainly not").is_err());
    let good = tree(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P)],
            hartids: vec![0, 1],
            props: vec![],
        },
        &[],
    );
    assert!(Fdt::parse(&good[..good.len() - 20]).is_err());
    let mut w = common::Writer::new();
    w.begin("").end();
    let empty = w.finish();
    assert!(Layout::from_fdt(&Fdt::parse(&empty).unwrap(), "x").is_err());
    // Index bits the kernel refuses.
    let bad = tree(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P)],
            hartids: vec![0, 1],
            props: vec![("riscv,guest-index-bits", 53)],
        },
        &[],
    );
    let e = Layout::from_fdt(&Fdt::parse(&bad).unwrap(), "x").unwrap_err();
    assert!(e.contains("guest index bits too big"), "{e}");
}

#[test]
fn debugfs_agrees_and_disagrees() {
    let dt = read(
        &Imsic {
            regs: vec![(0x2800_0000, 16 * P)],
            hartids: vec![0, 1],
            props: vec![("riscv,guest-index-bits", 3)],
        },
        &[],
    );
    let good = "geometry base_addr=0x28000000 guest_index_bits=3 hart_index_bits=1 group_index_bits=0 group_index_shift=24\n\
                cpu=0 hartid=0 msi_pa=0x28000000 nr_guest_files=7 nr_hgei=2 lines=0x28001000,0x28002000\n\
                cpu=1 hartid=1 msi_pa=0x28008000 nr_guest_files=7 nr_hgei=1 lines=0x28009000\n";
    let m = Layout::from_debugfs(good, "debugfs").unwrap();
    assert_eq!(compare(&dt, &m), Vec::<String>::new());
    // Every line at line 1's address (a real module bug once).
    let bad = good.replace("0x28002000", "0x28001000");
    let d = compare(&dt, &Layout::from_debugfs(&bad, "debugfs").unwrap());
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains("line 2 at 0x28001000"), "{d:?}");
    let missing = good.lines().take(2).collect::<Vec<_>>().join("\n");
    let d = compare(&dt, &Layout::from_debugfs(&missing, "debugfs").unwrap());
    assert!(
        has(&d, "hart 1: in the device tree, not in the module"),
        "{d:?}"
    );
    assert!(Layout::from_debugfs("cpu=0 hartid=0", "x").is_err());
    assert!(Layout::from_debugfs(&good.replace("msi_pa=0x28008000", "msi_pa=zz"), "x").is_err());
}
