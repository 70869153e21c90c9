// SPDX-License-Identifier: GPL-2.0

//! Per-hart guest external interrupt (HGEI) line allocator.
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//! (`struct aia_hgei_control`, `kvm_riscv_aia_enable()`,
//! `kvm_riscv_aia_alloc_hgei()`, `kvm_riscv_aia_free_hgei()`,
//! `hgei_interrupt()`, `kvm_riscv_aia_disable()`).
//!
//! Each hart has `GEILEN` guest external interrupt lines, numbered `1..=GEILEN`
//! (bit 0 of `hgeie`/`hgeip` is read-only zero). Line `n` belongs to guest
//! interrupt file `n` of the hart's IMSIC; the S-level file sits where line 0
//! would be. A vCPU running on the hart with a hardware-backed IMSIC owns one
//! line.
//!
//! [`HgeiControl`] is `struct aia_hgei_control` without the lock: the kernel
//! module keeps one per CPU inside a raw spinlock and calls these methods with
//! the lock held.

/// `BITS_PER_LONG` on rv64; also the width of `hgeie`/`hgeip`.
pub const BITS_PER_LONG: u32 = 64;

/// The largest possible per-hart line count: `hgeie` is `XLEN` bits wide and
/// bit 0 is read-only zero, so `GEILEN <= XLEN - 1`.
pub const HGEI_MAX: u32 = BITS_PER_LONG - 1;

/// Number of entries of [`HgeiControl`]'s owner table (`BITS_PER_LONG`).
const NR_LINES: usize = 64;

/// `ENOENT`, "No such file or directory".
///
/// Matches [`include/uapi/asm-generic/errno-base.h`](srctree/include/uapi/asm-generic/errno-base.h).
pub const ENOENT: i32 = 2;

/// `EBUSY`, "Device or resource busy".
///
/// Matches [`include/uapi/asm-generic/errno-base.h`](srctree/include/uapi/asm-generic/errno-base.h).
pub const EBUSY: i32 = 16;

/// `EINVAL`, "Invalid argument".
///
/// Matches [`include/uapi/asm-generic/errno-base.h`](srctree/include/uapi/asm-generic/errno-base.h).
pub const EINVAL: i32 = 22;

/// `BIT(nr)` for a 64-bit word; 0 when `nr` is not a bit of the word.
pub const fn bit(nr: u32) -> u64 {
    match 1u64.checked_shl(nr) {
        Some(b) => b,
        None => 0,
    }
}

/// `GENMASK_ULL(h, l)`: bits `l..=h` set; 0 when `h > 63` or `l > h` (where
/// the C macro is a build error).
pub const fn genmask(h: u32, l: u32) -> u64 {
    if h >= BITS_PER_LONG || l > h {
        return 0;
    }
    // `HGEI_MAX - h` cannot wrap: `h <= 63` here.
    let upper = match u64::MAX.checked_shr(HGEI_MAX.wrapping_sub(h)) {
        Some(m) => m,
        None => 0,
    };
    let lower = match u64::MAX.checked_shl(l) {
        Some(m) => m,
        None => 0,
    };
    upper & lower
}

/// Iterator over the numbers of the set bits of a word, lowest first
/// (`for_each_set_bit()` on one `unsigned long`).
#[derive(Clone, Copy, Debug)]
pub struct SetBits(u64);

impl SetBits {
    /// Iterates over the set bits of `word`.
    pub const fn new(word: u64) -> Self {
        Self(word)
    }
}

impl Iterator for SetBits {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let nr = self.0.trailing_zeros();
        // Clear the lowest set bit; `self.0 != 0`, so this cannot wrap.
        self.0 &= self.0.wrapping_sub(1);
        Some(nr)
    }
}

/// Errors of the [`HgeiControl`] operations.
///
/// An operation that returns an error has not changed the [`HgeiControl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HgeiError {
    /// No free line left: `kvm_riscv_aia_alloc_hgei()` returns `-ENOENT`.
    NoFreeLine,
    /// The line number is not in `1..=nr_hgei` (or a probed count is above
    /// [`HGEI_MAX`]). `kvm_riscv_aia_free_hgei()` silently ignores this case.
    OutOfRange,
    /// The line is in range but not allocated (double free).
    /// `kvm_riscv_aia_free_hgei()` silently ignores this case.
    NotAllocated,
    /// A re-probe reported fewer lines than the highest line still owned.
    Busy,
}

impl HgeiError {
    /// Returns the negative errno for this error: `-ENOENT` for
    /// [`HgeiError::NoFreeLine`] (as `kvm_riscv_aia_alloc_hgei()`), `-EBUSY`
    /// for [`HgeiError::Busy`], `-EINVAL` otherwise.
    pub const fn to_errno(self) -> i32 {
        match self {
            HgeiError::NoFreeLine => -ENOENT,
            HgeiError::OutOfRange | HgeiError::NotAllocated => -EINVAL,
            HgeiError::Busy => -EBUSY,
        }
    }
}

/// What [`HgeiControl::probe_done`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HgeiProbe {
    /// First probe on this hart: lines `1..=nr_hgei` are now free.
    Initialized,
    /// Same count as before (e.g. CPU hotplug re-online): nothing changed.
    Unchanged,
    /// The count grew; lines `old + 1..=new` were added as free lines.
    Grown {
        /// The previous count.
        old: u32,
        /// The new count.
        new: u32,
    },
    /// The count shrank; the free lines `new + 1..=old` were withdrawn.
    Shrunk {
        /// The previous count.
        old: u32,
        /// The new count.
        new: u32,
    },
}

/// Per-hart HGEI line bookkeeping: `struct aia_hgei_control` minus the lock.
///
/// `O` identifies the owner of a line; in the kernel it is a wrapper around
/// the owning `struct kvm_vcpu *`.
///
/// # Invariants
///
/// - `nr_hgei <= HGEI_MAX` (63).
/// - Bit 0 of `free_bitmap` is clear and `owners[0]` is `None`: line 0 is the
///   S-level interrupt file, never a guest line.
/// - Every line `1..=nr_hgei` is either free (bit set in `free_bitmap`, owner
///   `None`) or owned (bit clear, owner `Some`).
/// - No line above `nr_hgei` is free or owned.
/// - Until the first [`HgeiControl::probe_done`] (`free_bitmap_initialized`
///   false), `nr_hgei` is 0, so nothing is free or owned.
#[derive(Clone, Debug)]
pub struct HgeiControl<O> {
    nr_hgei: u32,
    free_bitmap_initialized: bool,
    free_bitmap: u64,
    owners: [Option<O>; NR_LINES],
}

impl<O: Copy + PartialEq> Default for HgeiControl<O> {
    fn default() -> Self {
        Self::new()
    }
}

impl<O: Copy + PartialEq> HgeiControl<O> {
    /// Creates an unprobed control with no lines, as `aia_hgei_init()` leaves
    /// it (`free_bitmap_initialized = false`, `free_bitmap = 0`).
    pub const fn new() -> Self {
        // INVARIANT: `nr_hgei == 0`, nothing free, nothing owned.
        Self {
            nr_hgei: 0,
            free_bitmap_initialized: false,
            free_bitmap: 0,
            owners: [None; NR_LINES],
        }
    }

    /// Records the line count probed on this hart and sets up the free
    /// bitmap, like the tail of `kvm_riscv_aia_enable()`.
    ///
    /// `nr_hgei` is the value computed by [`super::probe::nr_hgei_from_hgeie`]
    /// and [`super::probe::clamp_nr_hgei`].
    ///
    /// - First call: lines `1..=nr_hgei` become free (`GENMASK(nr_hgei, 1)`, or
    ///   nothing when `nr_hgei == 0`), exactly as 7.2.
    /// - Later call with the same count, e.g. `kvm_riscv_aia_enable()` again
    ///   after the CPU went offline and came back: nothing changes. Owned
    ///   lines stay owned, as 7.2's `free_bitmap_initialized` ensures.
    /// - Later call with a larger count: the new lines become free.
    /// - Later call with a smaller count: the free lines above it are
    ///   withdrawn. If a line above it is still owned, nothing changes and
    ///   [`HgeiError::Busy`] is returned: the owner still uses that guest file
    ///   and will free the line, and the SGEI handler must still be able to
    ///   kick it, so the old count stays in force. The caller may probe again
    ///   once the line is free. (7.2 instead overwrites `nr_hgei` and keeps the
    ///   old bitmap, so later frees of such lines are ignored and the line
    ///   leaks with a stale owner.)
    ///
    /// The hardware count of a hart does not change across hotplug, so only
    /// the first two cases happen in practice.
    ///
    /// Returns [`HgeiError::OutOfRange`] if `nr_hgei > HGEI_MAX`, changing
    /// nothing.
    pub fn probe_done(&mut self, nr_hgei: u32) -> Result<HgeiProbe, HgeiError> {
        if nr_hgei > HGEI_MAX {
            return Err(HgeiError::OutOfRange);
        }
        if !self.free_bitmap_initialized {
            // INVARIANT: nothing was owned (unprobed), lines 1..=nr_hgei are now
            // free, nothing above is free; `nr_hgei <= HGEI_MAX` checked above.
            self.nr_hgei = nr_hgei;
            self.free_bitmap = genmask(nr_hgei, 1);
            self.free_bitmap_initialized = true;
            return Ok(HgeiProbe::Initialized);
        }
        let old = self.nr_hgei;
        if nr_hgei == old {
            return Ok(HgeiProbe::Unchanged);
        }
        if nr_hgei > old {
            // INVARIANT: lines old+1..=nr_hgei were neither free nor owned
            // (above the old count); they become free.
            self.free_bitmap |= genmask(nr_hgei, old.saturating_add(1));
            self.nr_hgei = nr_hgei;
            return Ok(HgeiProbe::Grown { old, new: nr_hgei });
        }
        if self.iter().any(|(line, _)| line > nr_hgei) {
            return Err(HgeiError::Busy);
        }
        // INVARIANT: nothing above `nr_hgei` is owned (checked above) and the
        // free lines above it are dropped.
        self.free_bitmap &= genmask(nr_hgei, 1);
        self.nr_hgei = nr_hgei;
        Ok(HgeiProbe::Shrunk { old, new: nr_hgei })
    }

    /// Allocates the lowest free line for `owner` (`__ffs(free_bitmap)` in
    /// `kvm_riscv_aia_alloc_hgei()`).
    ///
    /// Returns the line number, in `1..=nr_hgei`, or
    /// [`HgeiError::NoFreeLine`] (`-ENOENT`).
    pub fn alloc(&mut self, owner: O) -> Result<u32, HgeiError> {
        if self.free_bitmap == 0 {
            return Err(HgeiError::NoFreeLine);
        }
        let line = self.free_bitmap.trailing_zeros();
        // A set bit is below 64, so the slot exists; the `?` is never taken.
        let slot = Self::slot_index(line)
            .and_then(|i| self.owners.get_mut(i))
            .ok_or(HgeiError::NoFreeLine)?;
        // INVARIANT: the line was free, so it was in 1..=nr_hgei with no owner;
        // it is now owned with its bit clear.
        *slot = Some(owner);
        self.free_bitmap &= !bit(line);
        Ok(line)
    }

    /// Frees line `hgei` and returns its former owner
    /// (`kvm_riscv_aia_free_hgei()`).
    ///
    /// `hgei` is an `int` as in C, where negative values mean "no line".
    ///
    /// Returns [`HgeiError::OutOfRange`] for `hgei <= 0` or `hgei > nr_hgei`
    /// and [`HgeiError::NotAllocated`] for a line that is already free. C
    /// ignores both silently; here too nothing changes.
    pub fn free(&mut self, hgei: i32) -> Result<O, HgeiError> {
        let line = u32::try_from(hgei).map_err(|_| HgeiError::OutOfRange)?;
        // The slot first: finding it bounds `line` below 64, which the
        // compiler then knows for the shifts below.
        let slot = Self::slot_index(line)
            .and_then(|i| self.owners.get_mut(i))
            .ok_or(HgeiError::OutOfRange)?;
        if line == 0 || line > self.nr_hgei {
            return Err(HgeiError::OutOfRange);
        }
        if self.free_bitmap & bit(line) != 0 {
            return Err(HgeiError::NotAllocated);
        }
        // By the invariants an in-range line with a clear bit is owned; if it
        // were not, `take()` leaves `None` and nothing changes.
        let owner = slot.take().ok_or(HgeiError::NotAllocated)?;
        // INVARIANT: the line is now free with its bit set.
        self.free_bitmap |= bit(line);
        Ok(owner)
    }

    /// Returns the owner of line `hgei`, or `None` if it is free, line 0 or
    /// out of range.
    pub fn owner(&self, hgei: u32) -> Option<O> {
        Self::slot_index(hgei).and_then(|i| self.owners.get(i).copied().flatten())
    }

    /// Returns the lowest owned line at or above `from`, with its owner
    /// (the next step of the owner walk of `kvm_riscv_aia_disable()`,
    /// which drops the lock for each owner it finds).
    pub fn next_owned(&self, from: u32) -> Option<(u32, O)> {
        // Owned: in 1..=nr_hgei and not free (type invariants).
        let owned = genmask(self.nr_hgei, from.max(1)) & !self.free_bitmap;
        let line = SetBits::new(owned).next()?;
        self.owner(line).map(|o| (line, o))
    }

    /// Returns the lowest line owned by `owner`, if any.
    pub fn find(&self, owner: O) -> Option<u32> {
        self.iter().find(|&(_, o)| o == owner).map(|(line, _)| line)
    }

    /// Returns the free line bitmap (bit `n` set: line `n` is free).
    pub const fn free_bitmap(&self) -> u64 {
        self.free_bitmap
    }

    /// Returns the number of free lines.
    pub const fn nr_free(&self) -> u32 {
        self.free_bitmap.count_ones()
    }

    /// Returns the usable line count of this hart (0 until probed).
    pub const fn nr_hgei(&self) -> u32 {
        self.nr_hgei
    }

    /// Returns whether [`HgeiControl::probe_done`] has succeeded once
    /// (`free_bitmap_initialized`).
    pub const fn is_initialized(&self) -> bool {
        self.free_bitmap_initialized
    }

    /// Iterates over the owned lines as `(line, owner)`, lowest line first
    /// (the owner walk of `kvm_riscv_aia_disable()`).
    pub fn iter(&self) -> impl Iterator<Item = (u32, O)> + '_ {
        (0..BITS_PER_LONG).filter_map(move |line| self.owner(line).map(|o| (line, o)))
    }

    /// Iterates over the owners of the lines whose bit is set in `mask`,
    /// lowest line first: the vCPUs `hgei_interrupt()` kicks for
    /// `mask = hgeip & hgeie`. Bit 0 and lines without owner are skipped.
    pub fn owners_in(&self, mask: u64) -> impl Iterator<Item = O> + '_ {
        SetBits::new(mask & !bit(0)).filter_map(move |line| self.owner(line))
    }

    /// Checks the type invariants; meant for tests and debugging.
    pub fn invariants_hold(&self) -> bool {
        if self.nr_hgei > HGEI_MAX {
            return false;
        }
        if !self.free_bitmap_initialized
            && (self.nr_hgei != 0 || self.free_bitmap != 0 || self.iter().next().is_some())
        {
            return false;
        }
        (0..BITS_PER_LONG).all(|line| {
            let free = self.free_bitmap & bit(line) != 0;
            let owned = Self::slot_index(line)
                .and_then(|i| self.owners.get(i))
                .is_some_and(Option::is_some);
            if line == 0 || line > self.nr_hgei {
                !free && !owned
            } else {
                free != owned
            }
        })
    }

    /// Index into `owners` for a line number.
    fn slot_index(line: u32) -> Option<usize> {
        usize::try_from(line).ok().filter(|&i| i < NR_LINES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Ctl = HgeiControl<u8>;

    fn probed(nr: u32) -> Ctl {
        let mut c = Ctl::new();
        assert_eq!(c.probe_done(nr), Ok(HgeiProbe::Initialized));
        assert!(c.invariants_hold());
        c
    }

    #[test]
    fn genmask_and_bit() {
        assert_eq!(genmask(7, 1), 0xfe);
        assert_eq!(genmask(63, 1), !1u64);
        assert_eq!(genmask(63, 0), u64::MAX);
        assert_eq!(genmask(0, 1), 0);
        assert_eq!(genmask(64, 1), 0);
        assert_eq!(bit(63), 1 << 63);
        assert_eq!(bit(64), 0);
    }

    #[test]
    fn set_bits() {
        let mut it = SetBits::new(0x8000_0000_0000_0105);
        assert_eq!(it.next(), Some(0));
        assert_eq!(it.next(), Some(2));
        assert_eq!(it.next(), Some(8));
        assert_eq!(it.next(), Some(63));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn unprobed_has_nothing() {
        let mut c = Ctl::new();
        assert!(!c.is_initialized());
        assert_eq!(c.alloc(1), Err(HgeiError::NoFreeLine));
        assert_eq!(c.free(1), Err(HgeiError::OutOfRange));
        assert!(c.invariants_hold());
    }

    #[test]
    fn initial_bitmap_matches_genmask() {
        assert_eq!(probed(0).free_bitmap(), 0);
        assert_eq!(probed(1).free_bitmap(), 0b10);
        assert_eq!(probed(7).free_bitmap(), 0xfe);
        assert_eq!(probed(63).free_bitmap(), !1u64);
        assert_eq!(probed(63).nr_free(), 63);
        let mut c = Ctl::new();
        assert_eq!(c.probe_done(64), Err(HgeiError::OutOfRange));
        assert!(!c.is_initialized());
    }

    #[test]
    fn alloc_until_exhaustion() {
        let mut c = probed(5);
        for (i, line) in (1..=5u32).enumerate() {
            assert_eq!(c.alloc(10 + i as u8), Ok(line));
            assert!(c.invariants_hold());
        }
        assert_eq!(c.nr_free(), 0);
        assert_eq!(c.alloc(99), Err(HgeiError::NoFreeLine));
        assert_eq!(HgeiError::NoFreeLine.to_errno(), -2);
        assert_eq!(c.find(12), Some(3));
        assert_eq!(c.owner(3), Some(12));
    }

    #[test]
    fn alloc_takes_lowest_free() {
        let mut c = probed(4);
        for o in 1..=4 {
            c.alloc(o).unwrap();
        }
        assert_eq!(c.free(3), Ok(3));
        assert_eq!(c.free(2), Ok(2));
        assert_eq!(c.alloc(7), Ok(2));
        assert_eq!(c.alloc(8), Ok(3));
    }

    #[test]
    fn free_errors_change_nothing() {
        let mut c = probed(3);
        c.alloc(1).unwrap();
        let before = c.clone();
        for bad in [0, -1, i32::MIN, 4, 64, i32::MAX] {
            assert_eq!(c.free(bad), Err(HgeiError::OutOfRange), "free({bad})");
        }
        assert_eq!(c.free(2), Err(HgeiError::NotAllocated));
        assert_eq!(c.free_bitmap(), before.free_bitmap());
        assert_eq!(c.owner(1), Some(1));
        assert_eq!(c.free(1), Ok(1));
        assert_eq!(c.free(1), Err(HgeiError::NotAllocated), "double free");
        assert_eq!(HgeiError::NotAllocated.to_errno(), -22);
        assert_eq!(HgeiError::OutOfRange.to_errno(), -22);
        assert!(c.invariants_hold());
    }

    #[test]
    fn reprobe_same_count_keeps_owned_lines() {
        let mut c = probed(7);
        assert_eq!(c.alloc(1), Ok(1));
        assert_eq!(c.alloc(2), Ok(2));
        assert_eq!(c.free(1), Ok(1));
        // CPU offline/online: kvm_riscv_aia_enable() runs again.
        assert_eq!(c.probe_done(7), Ok(HgeiProbe::Unchanged));
        assert_eq!(c.owner(2), Some(2));
        assert_eq!(c.free_bitmap(), 0xfe & !0b100);
        assert!(c.invariants_hold());
    }

    #[test]
    fn reprobe_grow_and_shrink() {
        let mut c = probed(3);
        assert_eq!(c.alloc(1), Ok(1));
        assert_eq!(c.probe_done(5), Ok(HgeiProbe::Grown { old: 3, new: 5 }));
        assert_eq!(c.free_bitmap(), 0b111100);
        assert_eq!(c.owner(1), Some(1));
        assert!(c.invariants_hold());
        assert_eq!(c.probe_done(2), Ok(HgeiProbe::Shrunk { old: 5, new: 2 }));
        assert_eq!(c.free_bitmap(), 0b100);
        assert_eq!(c.owner(1), Some(1));
        assert!(c.invariants_hold());
    }

    #[test]
    fn reprobe_shrink_below_owned_line_is_busy() {
        let mut c = probed(4);
        for o in 1..=4 {
            c.alloc(o).unwrap();
        }
        c.free(2).unwrap();
        let bitmap = c.free_bitmap();
        assert_eq!(c.probe_done(3), Err(HgeiError::Busy));
        assert_eq!(HgeiError::Busy.to_errno(), -16);
        assert_eq!(c.nr_hgei(), 4);
        assert_eq!(c.free_bitmap(), bitmap);
        assert_eq!(c.owner(4), Some(4));
        assert_eq!(c.free(4), Ok(4));
        assert_eq!(c.probe_done(3), Ok(HgeiProbe::Shrunk { old: 4, new: 3 }));
        assert_eq!(c.probe_done(0), Err(HgeiError::Busy));
        assert!(c.invariants_hold());
    }

    #[test]
    fn next_owned_walks_owned_lines_only() {
        let mut c = probed(6);
        assert_eq!(c.next_owned(0), None);
        for o in [11, 12, 13, 14] {
            c.alloc(o).unwrap();
        }
        c.free(2).unwrap();
        c.free(4).unwrap();
        assert_eq!(c.next_owned(0), Some((1, 11)));
        assert_eq!(c.next_owned(1), Some((1, 11)));
        assert_eq!(c.next_owned(2), Some((3, 13)));
        assert_eq!(c.next_owned(4), None);
        assert_eq!(c.next_owned(63), None);
        assert_eq!(c.next_owned(64), None);
        assert_eq!(c.next_owned(u32::MAX), None);
        // The walk disable() makes finds exactly the owners, in order.
        let mut all = c.iter();
        let mut from = 1;
        while let Some((line, o)) = c.next_owned(from) {
            assert_eq!(all.next(), Some((line, o)));
            from = line + 1;
        }
        assert_eq!(all.next(), None);
    }

    #[test]
    fn owners_in_skips_bit0_and_unowned() {
        let mut c = probed(6);
        for o in [11, 12, 13] {
            c.alloc(o).unwrap();
        }
        c.free(2).unwrap();
        let mut it = c.owners_in(u64::MAX);
        assert_eq!(it.next(), Some(11));
        assert_eq!(it.next(), Some(13));
        assert_eq!(it.next(), None);
        assert_eq!(c.owners_in(0b1).count(), 0);
        assert_eq!(c.owners_in(0b100).count(), 0);
        assert_eq!(c.owners_in(0b1000).next(), Some(13));
        let mut all = c.iter();
        assert_eq!(all.next(), Some((1, 11)));
        assert_eq!(all.next(), Some((3, 13)));
        assert_eq!(all.next(), None);
    }

    #[test]
    fn find_and_owner_bounds() {
        let mut c = probed(63);
        for o in 0..63u8 {
            c.alloc(o).unwrap();
        }
        assert_eq!(c.owner(63), Some(62));
        assert_eq!(c.owner(64), None);
        assert_eq!(c.owner(u32::MAX), None);
        assert_eq!(c.owner(0), None);
        assert_eq!(c.find(62), Some(63));
        assert_eq!(c.find(200), None);
        assert!(c.invariants_hold());
    }
}
