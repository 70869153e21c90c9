// SPDX-License-Identifier: GPL-2.0

//! Device trees dumped from QEMU's virt machine by
//! tools/tests/test-imsic-layout.sh (`-M virt,aia=aplic-imsic,aia-guests=G,
//! dumpdtb=...` with C harts on S sockets), named `virt-cC-sS-gG.dtb` in
//! `$IMSIC_LAYOUT_QEMU_DTBS`; `$IMSIC_LAYOUT_QEMU_COUNT` says how many the
//! script dumped. Ignored by a plain `cargo test` (it needs QEMU).

use imsic_layout::{fdt::Fdt, layout::Layout, policy, warn::warnings};

fn parse_name(n: &str) -> Option<(u64, u32, u32)> {
    let rest = n.strip_prefix("virt-c")?.strip_suffix(".dtb")?;
    let (c, rest) = rest.split_once("-s")?;
    let (s, g) = rest.split_once("-g")?;
    Some((c.parse().ok()?, s.parse().ok()?, g.parse().ok()?))
}

#[test]
#[ignore = "needs the QEMU device trees of tools/tests/test-imsic-layout.sh"]
fn qemu_virt_machines() {
    let dir = std::env::var("IMSIC_LAYOUT_QEMU_DTBS").expect("IMSIC_LAYOUT_QEMU_DTBS unset");
    let want: usize = std::env::var("IMSIC_LAYOUT_QEMU_COUNT")
        .expect("IMSIC_LAYOUT_QEMU_COUNT unset")
        .parse()
        .unwrap();
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((cpus, sockets, guests)) = parse_name(&name) else {
            continue;
        };
        seen += 1;
        let b = std::fs::read(&path).unwrap();
        let l = Layout::from_fdt(&Fdt::parse(&b).unwrap(), &name).unwrap();
        // QEMU: imsic_num_bits(aia_guests + 1) guest index bits.
        let gbits = (guests + 1).next_power_of_two().trailing_zeros();
        let files = (1u32 << gbits) - 1;
        assert_eq!(l.geometry.guest_index_bits(), gbits, "{name}");
        assert_eq!(l.harts.len() as u64, cpus, "{name}: harts");
        let ids: Vec<u64> = l.harts.iter().map(|h| h.hartid).collect();
        assert_eq!(ids, (0..cpus).collect::<Vec<_>>(), "{name}: hart IDs");
        assert!(
            l.harts.iter().all(|h| h.nr_guest_files == files),
            "{name}: guest files"
        );
        assert_eq!(l.groups().len() as u32, sockets, "{name}: groups");
        assert_eq!(warnings(&l), Vec::<String>::new(), "{name}: warnings");
        let n = cpus as usize;
        let a = policy::plan(&l, policy::Policy::PerHart);
        assert_eq!(a.bytes(), 0x1000 * cpus, "{name}: (a) bytes");
        assert!(a.exposed.is_empty(), "{name}: (a) exposes");
        if guests > 0 {
            assert_eq!(a.regions.len(), n, "{name}: (a) regions");
        }
        let b = policy::plan(&l, policy::Policy::PerGroup);
        assert_eq!(b.regions.len() as u32, sockets, "{name}: (b) regions");
        assert_eq!(b.exposed.len(), n * files as usize, "{name}: (b) exposes");
        assert!(
            b.covers_others.is_empty(),
            "{name}: (b) covers {:?}",
            b.covers_others
        );
        let c = policy::plan(&l, policy::Policy::PerGroupNoGuests);
        if files == 0 {
            assert_eq!(c.regions, b.regions, "{name}: (c) without guest files");
        } else {
            assert_eq!(c.regions, a.regions, "{name}: (c) with guest files");
        }
        assert!(c.exposed.is_empty(), "{name}: (c) exposes");
    }
    assert_eq!(seen, want, "device trees read vs dumped");
}
