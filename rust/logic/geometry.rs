// SPDX-License-Identifier: GPL-2.0

//! IMSIC guest interrupt file geometry.
//!
//! C header: [`include/linux/irqchip/riscv-imsic.h`](srctree/include/linux/irqchip/riscv-imsic.h)
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//! (`kvm_riscv_aia_alloc_hgei()`, `kvm_riscv_aia_init()`) and
//! [`drivers/irqchip/irq-riscv-imsic-state.c`](srctree/drivers/irqchip/irq-riscv-imsic-state.c)
//! (`imsic_setup_state()`).
//!
//! Each hart's IMSIC occupies `BIT(guest_index_bits)` pages: page 0 is the
//! S-level interrupt file and page `n` (`1..BIT(guest_index_bits)`) is guest
//! interrupt file `n`, used through HGEI line `n`.

use super::hgei::HGEI_MAX;

/// `IMSIC_MMIO_PAGE_SHIFT`.
pub const IMSIC_MMIO_PAGE_SHIFT: u32 = 12;

/// `IMSIC_MMIO_PAGE_SZ`: one interrupt file per page.
pub const IMSIC_MMIO_PAGE_SZ: u64 = 4096;

/// `IMSIC_MAX_ID`: number of guest MSI identities when there is no IMSIC
/// global config.
pub const IMSIC_MAX_ID: u32 = 2048;

/// Offset of guest interrupt file `hgei` from the hart's S-level file
/// (`hgei * IMSIC_MMIO_PAGE_SZ`).
///
/// Returns `None` for line 0 (the S-level file, never a guest line) and for
/// lines above [`HGEI_MAX`].
pub fn guest_file_offset(hgei: u32) -> Option<u64> {
    if hgei == 0 || hgei > HGEI_MAX {
        return None;
    }
    u64::from(hgei).checked_mul(IMSIC_MMIO_PAGE_SZ)
}

/// Physical address of guest interrupt file `hgei` of a hart whose S-level
/// file is at `msi_pa` (`lc->msi_pa + hgei * IMSIC_MMIO_PAGE_SZ` in
/// `kvm_riscv_aia_alloc_hgei()`).
///
/// Returns `None` if `hgei` is not a guest line (see [`guest_file_offset`])
/// or the address overflows.
pub fn guest_file_pa(msi_pa: u64, hgei: u32) -> Option<u64> {
    msi_pa.checked_add(guest_file_offset(hgei)?)
}

/// Number of guest interrupt files of one hart (`local->nr_guest_files` in
/// `imsic_setup_state()`).
///
/// `region_size` is the size of the MMIO region holding the hart's files and
/// `reloff` the offset of its S-level file in it. The result is
/// `min(BIT(guest_index_bits) - 1, (region_size - reloff) / IMSIC_MMIO_PAGE_SZ - 1)`.
///
/// Unlike C, every step saturates: less than one page left after `reloff`
/// gives 0 (C wraps `0 - 1` and ends up with `BIT(guest_index_bits) - 1`
/// files that do not exist), `guest_index_bits >= 64` is treated as "no
/// limit" (undefined `BIT()` in C), and the result saturates at `u32::MAX`
/// where C truncates to `u32`.
pub fn nr_guest_files(region_size: u64, reloff: u64, guest_index_bits: u32) -> u32 {
    let by_index_bits = match 1u64.checked_shl(guest_index_bits) {
        Some(files) => files.saturating_sub(1),
        None => u64::MAX,
    };
    // `IMSIC_MMIO_PAGE_SZ` is non-zero, so `checked_div` always succeeds.
    let pages = region_size
        .saturating_sub(reloff)
        .checked_div(IMSIC_MMIO_PAGE_SZ)
        .unwrap_or(0);
    let by_region = pages.saturating_sub(1);
    u32::try_from(by_index_bits.min(by_region)).unwrap_or(u32::MAX)
}

/// `kvm_riscv_aia_max_ids`: number of guest MSI identities plus one
/// (`kvm_riscv_aia_init()`).
///
/// `nr_guest_ids` is the IMSIC global config's `nr_guest_ids`, or `None`
/// when there is no global config, which gives [`IMSIC_MAX_ID`]. The `+ 1`
/// saturates.
pub fn max_ids(nr_guest_ids: Option<u32>) -> u32 {
    match nr_guest_ids {
        Some(ids) => ids.saturating_add(1),
        None => IMSIC_MAX_ID,
    }
}

/// Position of an interrupt file in the IMSIC address space: the fields of
/// its physical address (AIA specification, "Memory region for an interrupt
/// file": `base | group << group_index_shift | hart << (guest_index_bits + 12)
/// | guest << 12`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImsicFileIndex {
    /// Group index (a socket on QEMU virt).
    pub group: u32,
    /// Hart index within the group.
    pub hart: u32,
    /// Interrupt file: 0 is the S-level file, `n` is guest file `n`.
    pub guest: u32,
}

/// Why an IMSIC description is refused (the sanity checks of
/// `imsic_parse_fwnode()`, rv64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryError {
    /// "guest index bits too big".
    GuestIndexBits,
    /// "HART index bits too big".
    HartIndexBits,
    /// "group index bits too big".
    GroupIndexBits,
    /// "group index shift too big".
    GroupIndexShift,
}

/// The IMSIC's address geometry: the address fields of
/// `struct imsic_global_config`.
///
/// # Invariants
///
/// The sanity checks of `imsic_parse_fwnode()` hold: the page offset and the
/// guest, hart and group index fields fit in 64 bits, and so do the group
/// field at its shift; `base_addr` has none of the index bits set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImsicGeometry {
    base_addr: u64,
    guest_index_bits: u32,
    hart_index_bits: u32,
    group_index_bits: u32,
    group_index_shift: u32,
}

/// `BIT(bits) - 1` as a mask, all ones for `bits >= 64`.
fn low_mask(bits: u32) -> u64 {
    1u64.checked_shl(bits)
        .map_or(u64::MAX, |b| b.wrapping_sub(1))
}

/// The default `riscv,hart-index-bits` for `nr_parent_irqs` harts
/// (`imsic_populate_global_dt()`): bits enough to index every hart.
pub fn default_hart_index_bits(nr_parent_irqs: u32) -> u32 {
    // ceil(log2(n)), 0 for 0 and 1.
    u32::BITS.saturating_sub(nr_parent_irqs.saturating_sub(1).leading_zeros())
}

impl ImsicGeometry {
    /// Checks the index fields like `imsic_parse_fwnode()` and computes
    /// `base_addr` from the first MMIO region's start, `first_reg`.
    pub fn new(
        first_reg: u64,
        guest_index_bits: u32,
        hart_index_bits: u32,
        group_index_bits: u32,
        group_index_shift: u32,
    ) -> Result<Self, GeometryError> {
        let page = IMSIC_MMIO_PAGE_SHIFT;
        let left = u64::BITS.saturating_sub(page);
        if left < guest_index_bits {
            return Err(GeometryError::GuestIndexBits);
        }
        let left = left.saturating_sub(guest_index_bits);
        if left < hart_index_bits {
            return Err(GeometryError::HartIndexBits);
        }
        let left = left.saturating_sub(hart_index_bits);
        if left < group_index_bits {
            return Err(GeometryError::GroupIndexBits);
        }
        // C: group_index_bits + group_index_shift - 1 >= BITS_PER_LONG.
        match group_index_bits.checked_add(group_index_shift) {
            Some(end) if end <= u64::BITS => {}
            _ => return Err(GeometryError::GroupIndexShift),
        }
        let mut g = Self {
            base_addr: 0,
            guest_index_bits,
            hart_index_bits,
            group_index_bits,
            group_index_shift,
        };
        g.base_addr = g.reg_base(first_reg);
        Ok(g)
    }

    /// `first_reg` with the guest, hart and group index bits cleared: the
    /// base that every MMIO region of the IMSIC must share ("address
    /// mismatch for regset" otherwise).
    pub fn reg_base(&self, reg_start: u64) -> u64 {
        reg_start & !self.fields_mask()
    }

    /// All address bits that index a file (page offset included).
    fn fields_mask(&self) -> u64 {
        let hart_guest = low_mask(
            self.guest_index_bits
                .saturating_add(self.hart_index_bits)
                .saturating_add(IMSIC_MMIO_PAGE_SHIFT),
        );
        let group = low_mask(self.group_index_bits)
            .checked_shl(self.group_index_shift)
            .unwrap_or(0);
        hart_guest | group
    }

    /// `base_addr`.
    pub fn base_addr(&self) -> u64 {
        self.base_addr
    }

    /// `guest_index_bits`.
    pub fn guest_index_bits(&self) -> u32 {
        self.guest_index_bits
    }

    /// `hart_index_bits`.
    pub fn hart_index_bits(&self) -> u32 {
        self.hart_index_bits
    }

    /// `group_index_bits`.
    pub fn group_index_bits(&self) -> u32 {
        self.group_index_bits
    }

    /// `group_index_shift`.
    pub fn group_index_shift(&self) -> u32 {
        self.group_index_shift
    }

    /// Bytes between two consecutive harts' S-level files:
    /// `BIT(guest_index_bits) * IMSIC_MMIO_PAGE_SZ`.
    pub fn hart_stride(&self) -> u64 {
        // Invariant: guest_index_bits + 12 <= 64; 1 << 64 saturates.
        1u64.checked_shl(self.guest_index_bits.saturating_add(IMSIC_MMIO_PAGE_SHIFT))
            .unwrap_or(u64::MAX)
    }

    /// Whether the group field overlaps the hart and guest fields
    /// (`group_index_shift < 12 + guest_index_bits + hart_index_bits` with
    /// groups): two files could then share an address.
    pub fn group_overlaps_harts(&self) -> bool {
        self.group_index_bits > 0
            && self.group_index_shift
                < IMSIC_MMIO_PAGE_SHIFT
                    .saturating_add(self.guest_index_bits)
                    .saturating_add(self.hart_index_bits)
    }

    /// The file at `pa`, or `None` if `pa` is not page aligned or lies
    /// outside the IMSIC address space (bits outside the index fields differ
    /// from `base_addr`).
    pub fn decode(&self, pa: u64) -> Option<ImsicFileIndex> {
        if pa & low_mask(IMSIC_MMIO_PAGE_SHIFT) != 0 || self.reg_base(pa) != self.base_addr {
            return None;
        }
        let field = |shift: u32, bits: u32| -> u32 {
            let v = pa.checked_shr(shift).unwrap_or(0) & low_mask(bits);
            u32::try_from(v).unwrap_or(u32::MAX)
        };
        let guest_shift = IMSIC_MMIO_PAGE_SHIFT;
        let hart_shift = guest_shift.saturating_add(self.guest_index_bits);
        Some(ImsicFileIndex {
            group: field(self.group_index_shift, self.group_index_bits),
            hart: field(hart_shift, self.hart_index_bits),
            guest: field(guest_shift, self.guest_index_bits),
        })
    }

    /// The address of file `idx`, or `None` if a field does not fit its bits.
    pub fn file_pa(&self, idx: ImsicFileIndex) -> Option<u64> {
        let put = |v: u32, bits: u32, shift: u32| -> Option<u64> {
            let v = u64::from(v);
            if v & !low_mask(bits) != 0 {
                return None;
            }
            v.checked_shl(shift)
        };
        let guest_shift = IMSIC_MMIO_PAGE_SHIFT;
        let hart_shift = guest_shift.saturating_add(self.guest_index_bits);
        let guest = put(idx.guest, self.guest_index_bits, guest_shift)?;
        let hart = put(idx.hart, self.hart_index_bits, hart_shift)?;
        let group = put(idx.group, self.group_index_bits, self.group_index_shift)?;
        Some(self.base_addr | guest | hart | group)
    }
}

/// Where parent interrupt (hart) number `i` of the IMSIC finds its S-level
/// file, as `imsic_setup_state()` computes it: walking the MMIO regions in
/// order, each taking `region size` rounded up to whole hart strides.
/// Returns `(region index, offset in that region)`, or `None` ("MMIO not
/// found for parent irq").
pub fn locate_hart<I>(i: u32, guest_index_bits: u32, region_sizes: I) -> Option<(usize, u64)>
where
    I: IntoIterator<Item = u64>,
{
    let stride = 1u64.checked_shl(guest_index_bits.checked_add(IMSIC_MMIO_PAGE_SHIFT)?)?;
    let mut reloff = u64::from(i).checked_mul(stride)?;
    for (index, size) in region_sizes.into_iter().enumerate() {
        if reloff < size {
            return Some((index, reloff));
        }
        // ALIGN(size, stride); a stride is a power of two.
        let aligned = size.checked_add(stride.wrapping_sub(1))? & !stride.wrapping_sub(1);
        reloff = reloff.checked_sub(aligned)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `imsic_num_bits()` of QEMU's hw/riscv/virt.c: bits needed for `count`
    /// files.
    fn qemu_num_bits(count: u32) -> u32 {
        let mut bits = 0;
        while (1u32 << bits) < count {
            bits += 1;
        }
        bits
    }

    #[test]
    fn page_size() {
        assert_eq!(1u64 << IMSIC_MMIO_PAGE_SHIFT, IMSIC_MMIO_PAGE_SZ);
    }

    #[test]
    fn offsets() {
        assert_eq!(guest_file_offset(0), None);
        assert_eq!(guest_file_offset(1), Some(0x1000));
        assert_eq!(guest_file_offset(63), Some(63 * 0x1000));
        assert_eq!(guest_file_offset(64), None);
        assert_eq!(guest_file_pa(0x2800_0000, 3), Some(0x2800_3000));
        assert_eq!(guest_file_pa(u64::MAX - 0xfff, 1), None);
        assert_eq!(guest_file_pa(0x2800_0000, 0), None);
    }

    #[test]
    fn qemu_virt() {
        // -machine virt,aia=aplic-imsic,aia-guests=5
        let gib = qemu_num_bits(5 + 1);
        assert_eq!(gib, 3);
        let per_hart = (1u64 << gib) * IMSIC_MMIO_PAGE_SZ;
        // Second hart of a 4-hart S-level IMSIC region.
        assert_eq!(nr_guest_files(4 * per_hart, per_hart, gib), 7);
        // Exactly one hart's 8 pages.
        assert_eq!(nr_guest_files(8 * IMSIC_MMIO_PAGE_SZ, 0, gib), 7);
        // A region shrunk to 4 pages.
        assert_eq!(nr_guest_files(4 * IMSIC_MMIO_PAGE_SZ, 0, gib), 3);
    }

    #[test]
    fn degenerate_regions() {
        assert_eq!(nr_guest_files(IMSIC_MMIO_PAGE_SZ, 0, 3), 0);
        assert_eq!(nr_guest_files(IMSIC_MMIO_PAGE_SZ - 1, 0, 3), 0);
        assert_eq!(nr_guest_files(0x1800, 0x1000, 3), 0);
        assert_eq!(nr_guest_files(0, 0x1000, 3), 0);
        assert_eq!(nr_guest_files(u64::MAX, 0, 0), 0);
        assert_eq!(nr_guest_files(u64::MAX, 0, 64), u32::MAX);
        assert_eq!(nr_guest_files(u64::MAX, 0, 40), u32::MAX);
        assert_eq!(nr_guest_files(u64::MAX, 0, 6), 63);
    }

    #[test]
    fn max_ids_values() {
        assert_eq!(max_ids(None), 2048);
        assert_eq!(max_ids(Some(255)), 256);
        assert_eq!(max_ids(Some(2047)), 2048);
        assert_eq!(max_ids(Some(u32::MAX)), u32::MAX);
    }

    #[test]
    fn geometry_qemu_virt_two_sockets() {
        // -M virt,aia=aplic-imsic,aia-guests=5 -smp 4,sockets=2: S-level
        // IMSIC regions at 0x28000000 and 0x29000000, 2 harts each.
        let g = ImsicGeometry::new(0x2800_0000, 3, 1, 1, 24).unwrap();
        assert_eq!(g.base_addr(), 0x2800_0000);
        assert_eq!(g.hart_stride(), 0x8000);
        assert_eq!(g.reg_base(0x2900_0000), 0x2800_0000);
        let f = g.decode(0x2900_b000).unwrap();
        assert_eq!(
            f,
            ImsicFileIndex {
                group: 1,
                hart: 1,
                guest: 3
            }
        );
        assert_eq!(g.file_pa(f), Some(0x2900_b000));
        assert_eq!(g.decode(0x2900_b004), None);
        assert_eq!(g.decode(0x3800_0000), None);
        assert!(!g.group_overlaps_harts());
        assert_eq!(
            g.file_pa(ImsicFileIndex {
                group: 2,
                hart: 0,
                guest: 0
            }),
            None
        );
        assert_eq!(
            g.file_pa(ImsicFileIndex {
                group: 0,
                hart: 0,
                guest: 8
            }),
            None
        );
    }

    #[test]
    fn geometry_sanity_checks() {
        assert_eq!(
            ImsicGeometry::new(0, 53, 0, 0, 24),
            Err(GeometryError::GuestIndexBits)
        );
        assert_eq!(
            ImsicGeometry::new(0, 52, 1, 0, 24),
            Err(GeometryError::HartIndexBits)
        );
        assert_eq!(
            ImsicGeometry::new(0, 40, 10, 3, 24),
            Err(GeometryError::GroupIndexBits)
        );
        assert_eq!(
            ImsicGeometry::new(0, 3, 1, 8, 57),
            Err(GeometryError::GroupIndexShift)
        );
        assert!(ImsicGeometry::new(0, 3, 1, 8, 56).is_ok());
        assert!(ImsicGeometry::new(0, 3, 10, 1, 20)
            .unwrap()
            .group_overlaps_harts());
    }

    #[test]
    fn default_hart_bits() {
        let want = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (512, 9),
            (513, 10),
        ];
        for (n, bits) in want {
            assert_eq!(default_hart_index_bits(n), bits, "{n} harts");
        }
    }

    #[test]
    fn locate_harts() {
        // Two regions of 2 harts with 8 pages each.
        let regs = [0x10000u64, 0x10000];
        assert_eq!(locate_hart(0, 3, regs), Some((0, 0)));
        assert_eq!(locate_hart(1, 3, regs), Some((0, 0x8000)));
        assert_eq!(locate_hart(2, 3, regs), Some((1, 0)));
        assert_eq!(locate_hart(3, 3, regs), Some((1, 0x8000)));
        assert_eq!(locate_hart(4, 3, regs), None);
        // A region with a hole at its end still counts whole strides.
        let regs = [0xc000u64, 0x8000];
        assert_eq!(locate_hart(1, 3, regs), Some((0, 0x8000)));
        assert_eq!(locate_hart(2, 3, regs), Some((1, 0)));
        assert_eq!(locate_hart(u32::MAX, 63, regs), None);
    }
}
