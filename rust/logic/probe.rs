// SPDX-License-Identifier: GPL-2.0

//! Per-hart and global HGEI line counts.
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//! (`kvm_riscv_aia_enable()`, `kvm_riscv_aia_init()`)
//!
//! `kvm_riscv_aia_enable()` runs on every hart (at KVM init and on CPU
//! hotplug online). It probes how many `hgeie` bits are implemented, clamps
//! that by the number of IMSIC guest interrupt files of the hart, and lowers
//! the global `kvm_riscv_aia_nr_hgei` to that value. The global starts at the
//! IMSIC's global `nr_guest_files` (`kvm_riscv_aia_init()`).
//!
//! The global value is a capability, not a count of free lines:
//! `aia_device.c` only tests it for non-zero to offer hardware-accelerated
//! (`KVM_DEV_RISCV_AIA_MODE_HWACCEL`/`AUTO`) IMSIC virtualisation. As Anup
//! Patel put it in review, `kvm_riscv_aia_nr_hgei` is the minimum across all
//! harts, and non-zero means HGEI is enabled.

use super::hgei::BITS_PER_LONG;

/// `fls_long()` on rv64: 1-based position of the most significant set bit,
/// 0 for 0.
pub const fn fls_long(x: u64) -> u32 {
    // `leading_zeros() <= 64`, so the subtraction cannot wrap.
    BITS_PER_LONG.saturating_sub(x.leading_zeros())
}

/// Number of HGEI lines from the `hgeie` readback after writing all ones.
///
/// As `aia.c`: `fls_long(readback)`, minus one when non-zero (bit 0 is not a
/// line). So 0 and 1 give 0, `0b11` gives 1, all ones give 63.
///
/// The privileged spec makes the implemented bits exactly `GEILEN:1`, so
/// the readback is contiguous. A sparse readback is counted up to its
/// highest bit, as in C (e.g. `0b1000_0010` gives 7).
pub const fn nr_hgei_from_hgeie(readback: u64) -> u32 {
    fls_long(readback).saturating_sub(1)
}

/// Usable per-hart line count: the minimum of the `hgeie` count and the
/// hart's IMSIC guest interrupt files.
///
/// `nr_guest_files` is `lc->nr_guest_files`, or `None` when there is no IMSIC
/// local config for the hart (`lc == NULL`), which gives 0 as in C.
pub fn clamp_nr_hgei(nr_hgei: u32, nr_guest_files: Option<u32>) -> u32 {
    match nr_guest_files {
        Some(files) => nr_hgei.min(files),
        None => 0,
    }
}

/// Initial value of the global `kvm_riscv_aia_nr_hgei`
/// (`kvm_riscv_aia_init()`): the IMSIC global config's `nr_guest_files`, or
/// 0 when there is no IMSIC global config.
pub fn initial_global(gc_nr_guest_files: Option<u32>) -> u32 {
    gc_nr_guest_files.unwrap_or(0)
}

/// One step of the `atomic_try_cmpxchg()` loop of `kvm_riscv_aia_enable()`.
///
/// Returns `Some(local)` when the global minimum `global` must be lowered to
/// this hart's count `local`, `None` when it must stay.
///
/// As in 7.2 the global is lowered whenever `local < global`, including to 0:
/// a hart without guest interrupt files (no IMSIC local config, or no `hgeie`
/// bits) turns hardware-accelerated IMSIC off for every VM. Folding this over
/// all harts, in any order, gives the minimum over the initial value and all
/// per-hart counts.
///
/// The kernel keeps the compare-exchange loop:
///
/// ```text
/// let mut cur = global.load();
/// while let Some(new) = lower_global(cur, local) {
///     match global.compare_exchange(cur, new) {
///         Ok(_) => break,
///         Err(seen) => cur = seen,
///     }
/// }
/// ```
pub fn lower_global(global: u32, local: u32) -> Option<u32> {
    (local < global).then_some(local)
}

/// Converts a count to the `int` stored in the C `atomic_t
/// kvm_riscv_aia_nr_hgei`, saturating at `i32::MAX` (counts are at most
/// `HGEI_MAX` once a hart has probed).
pub fn global_as_atomic(count: u32) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hgeie_readbacks() {
        assert_eq!(nr_hgei_from_hgeie(0), 0);
        assert_eq!(nr_hgei_from_hgeie(1), 0);
        assert_eq!(nr_hgei_from_hgeie(0b10), 1);
        assert_eq!(nr_hgei_from_hgeie(0b11), 1);
        assert_eq!(nr_hgei_from_hgeie(0b1110), 3);
        assert_eq!(nr_hgei_from_hgeie(u64::MAX), 63);
        assert_eq!(nr_hgei_from_hgeie(!1), 63);
        assert_eq!(nr_hgei_from_hgeie(0b1000_0010), 7);
        assert_eq!(nr_hgei_from_hgeie(1 << 63), 63);
    }

    #[test]
    fn fls() {
        assert_eq!(fls_long(0), 0);
        assert_eq!(fls_long(1), 1);
        assert_eq!(fls_long(0x80), 8);
        assert_eq!(fls_long(u64::MAX), 64);
    }

    #[test]
    fn clamp() {
        assert_eq!(clamp_nr_hgei(5, None), 0);
        assert_eq!(clamp_nr_hgei(5, Some(3)), 3);
        assert_eq!(clamp_nr_hgei(5, Some(7)), 5);
        assert_eq!(clamp_nr_hgei(0, Some(7)), 0);
        assert_eq!(clamp_nr_hgei(63, Some(u32::MAX)), 63);
    }

    #[test]
    fn global() {
        assert_eq!(initial_global(None), 0);
        assert_eq!(initial_global(Some(7)), 7);
        assert_eq!(lower_global(7, 5), Some(5));
        assert_eq!(lower_global(7, 0), Some(0));
        assert_eq!(lower_global(5, 5), None);
        assert_eq!(lower_global(5, 7), None);
        assert_eq!(lower_global(0, 0), None);
        assert_eq!(global_as_atomic(63), 63);
        assert_eq!(global_as_atomic(u32::MAX), i32::MAX);
    }
}
