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
}
