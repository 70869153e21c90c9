// SPDX-License-Identifier: GPL-2.0

//! Guest `siselect`/`sireg` emulation of the major interrupt priorities
//! (`iprio0`..`iprio15`) and the `hvictl` value.
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//! (`aia_irq2bitpos[]`, `aia_get_iprio8()`, `aia_set_iprio8()`,
//! `aia_rmw_iprio()`, `kvm_riscv_vcpu_aia_rmw_ireg()`, `aia_hvictl_value()`)
//!
//! C header: [`arch/riscv/include/asm/csr.h`](srctree/arch/riscv/include/asm/csr.h)
//! and [`include/linux/irqchip/riscv-imsic.h`](srctree/include/linux/irqchip/riscv-imsic.h)
//!
//! A VS-mode guest reads and writes its interrupt priorities through
//! `vsiselect = iprio0..iprio15` and `vsireg`; the hardware traps these to
//! KVM, which keeps the priorities in `hviprio1`/`hviprio2`. Each 64-bit
//! `iprioN` register (even `N` only on rv64) holds the 8-bit priorities of
//! the 8 interrupts `4 * (N - 0x30)..+8`; only the interrupts that have a
//! field in `hviprio1`/`hviprio2` are writable, the others read as zero.
//!
//! The functions here work on a [`Hviprio`] copy of the two CSRs; the kernel
//! reads them, calls [`rmw_iprio`], and writes back the ones flagged in
//! [`IprioRmw`] (the same CSR writes as C).

use super::hgei::genmask;

/// `IRQ_S_EXT`: supervisor external interrupt (`csr.h`).
pub const IRQ_S_EXT: u32 = 9;

/// `IRQ_VS_EXT`: virtual supervisor external interrupt (`csr.h`).
pub const IRQ_VS_EXT: u32 = 10;

/// `TOPI_IPRIO_MASK`: mask of one 8-bit priority (`csr.h`).
pub const TOPI_IPRIO_MASK: u64 = 0xff;

/// `TOPI_IPRIO_BITS`: width of one priority (`csr.h`).
pub const TOPI_IPRIO_BITS: u32 = 8;

/// `ISELECT_IPRIO0`: first `iselect` value of the priority array (`csr.h`).
pub const ISELECT_IPRIO0: u32 = 0x30;

/// `ISELECT_IPRIO15`: last `iselect` value of the priority array (`csr.h`).
pub const ISELECT_IPRIO15: u32 = 0x3f;

/// `ISELECT_MASK`: `GENMASK(8, 0)`, the implemented `iselect` bits (`csr.h`).
pub const ISELECT_MASK: u64 = 0x1ff;

/// `IMSIC_FIRST` (= `IMSIC_EIDELIVERY`): first IMSIC `iselect` value
/// (`riscv-imsic.h`).
pub const IMSIC_FIRST: u32 = 0x70;

/// `IMSIC_LAST` (= `IMSIC_EIE63`): last IMSIC `iselect` value
/// (`riscv-imsic.h`).
pub const IMSIC_LAST: u32 = 0xff;

/// `HVICTL_IID_SHIFT` (`csr.h`).
pub const HVICTL_IID_SHIFT: u32 = 16;

/// `HVICTL_IID`: `GENMASK(27, 16)` (`csr.h`).
pub const HVICTL_IID: u64 = genmask(27, 16);

/// Number of interrupts covered by one `iprioN` register on rv64
/// (`4 * (BITS_PER_LONG / 32)`).
const NIRQS: u32 = 8;

/// `aia_irq2bitpos[]`: bit position of each interrupt's priority in the
/// 128-bit `hviprio2:hviprio1` pair, or -1 if the priority is read-only zero.
///
/// External interrupts (9, 10, 11, 12) have none: the default order is always
/// used for them unless `hvictl.IID == 9` and `hvictl.IPRIO != 0`.
pub const AIA_IRQ2BITPOS: [i32; 64] = [
    0, 8, -1, -1, 16, 24, -1, -1, // 0 - 7
    32, -1, -1, -1, -1, 40, 48, 56, // 8 - 15
    64, 72, 80, 88, 96, 104, 112, 120, // 16 - 23
    -1, -1, -1, -1, -1, -1, -1, -1, // 24 - 31
    -1, -1, -1, -1, -1, -1, -1, -1, // 32 - 39
    -1, -1, -1, -1, -1, -1, -1, -1, // 40 - 47
    -1, -1, -1, -1, -1, -1, -1, -1, // 48 - 55
    -1, -1, -1, -1, -1, -1, -1, -1, // 56 - 63
];

/// Bit position of the priority of `irq` in `hviprio2:hviprio1`, or `None`
/// if it is read-only zero or `irq > 63`.
pub fn irq2bitpos(irq: u32) -> Option<u32> {
    let idx = usize::try_from(irq).ok()?;
    let pos = *AIA_IRQ2BITPOS.get(idx)?;
    u32::try_from(pos).ok()
}

/// Copy of the guest's `hviprio1` and `hviprio2` CSRs (rv64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hviprio {
    /// `hviprio1`: priorities at bit positions 0..=63.
    pub hviprio1: u64,
    /// `hviprio2`: priorities at bit positions 64..=127.
    pub hviprio2: u64,
}

/// One of the two priority CSRs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HviprioReg {
    /// `CSR_HVIPRIO1`.
    Hviprio1,
    /// `CSR_HVIPRIO2`.
    Hviprio2,
}

impl Hviprio {
    /// Returns the register holding bit position `bitpos` and the shift
    /// within it (`bitpos / BITS_PER_LONG`, `bitpos % BITS_PER_LONG`).
    fn locate(bitpos: u32) -> Option<(HviprioReg, u32)> {
        let shift = bitpos & 63;
        match bitpos >> 6 {
            0 => Some((HviprioReg::Hviprio1, shift)),
            1 => Some((HviprioReg::Hviprio2, shift)),
            _ => None,
        }
    }

    fn reg_mut(&mut self, reg: HviprioReg) -> &mut u64 {
        match reg {
            HviprioReg::Hviprio1 => &mut self.hviprio1,
            HviprioReg::Hviprio2 => &mut self.hviprio2,
        }
    }

    fn reg(&self, reg: HviprioReg) -> u64 {
        match reg {
            HviprioReg::Hviprio1 => self.hviprio1,
            HviprioReg::Hviprio2 => self.hviprio2,
        }
    }
}

/// `aia_get_iprio8()`: priority of `irq`, 0 if it has none.
pub fn get_iprio8(regs: &Hviprio, irq: u32) -> u8 {
    let Some((reg, shift)) = irq2bitpos(irq).and_then(Hviprio::locate) else {
        return 0;
    };
    let field = regs.reg(reg).checked_shr(shift).unwrap_or(0) & TOPI_IPRIO_MASK;
    // Masked to 8 bits, so the conversion always succeeds.
    u8::try_from(field).unwrap_or(0)
}

/// `aia_set_iprio8()`: sets the priority of `irq` to `prio`.
///
/// Returns the register written (C writes it back even if the value did not
/// change), or `None` if `irq` has no priority and nothing was written.
pub fn set_iprio8(regs: &mut Hviprio, irq: u32, prio: u8) -> Option<HviprioReg> {
    let (reg, shift) = irq2bitpos(irq).and_then(Hviprio::locate)?;
    let field = TOPI_IPRIO_MASK.checked_shl(shift).unwrap_or(0);
    let value = u64::from(prio).checked_shl(shift).unwrap_or(0);
    let hviprio = regs.reg_mut(reg);
    *hviprio = (*hviprio & !field) | value;
    Some(reg)
}

/// `KVM_INSN_ILLEGAL_TRAP`: the access must raise an illegal instruction
/// exception in the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTrap;

/// Result of [`rmw_iprio`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IprioRmw {
    /// The register value before the write (returned to the guest).
    pub old_val: u64,
    /// `hviprio1` was written and must be written back to the CSR.
    pub hviprio1_written: bool,
    /// `hviprio2` was written and must be written back to the CSR.
    pub hviprio2_written: bool,
}

/// `aia_rmw_iprio()`: read-modify-write of `iprio` register `isel`.
///
/// Reads the 8 priorities of the register into `old_val`; if `wr_mask` is
/// non-zero, writes `(old_val & !wr_mask) | (new_val & wr_mask)` back, one
/// priority at a time (read-only zero priorities are not written).
///
/// Returns [`IllegalTrap`] for odd `isel` (rv64 has only the even `iprio`
/// registers) and for `isel` outside `ISELECT_IPRIO0..=ISELECT_IPRIO15`
/// (never passed by [`classify_isel`] users; C would index out of bounds).
/// On error `regs` is unchanged.
pub fn rmw_iprio(
    regs: &mut Hviprio,
    isel: u32,
    new_val: u64,
    wr_mask: u64,
) -> Result<IprioRmw, IllegalTrap> {
    if isel & 1 != 0 || !(ISELECT_IPRIO0..=ISELECT_IPRIO15).contains(&isel) {
        return Err(IllegalTrap);
    }
    // `isel - ISELECT_IPRIO0 <= 15`, so `first_irq <= 60`.
    let first_irq = isel
        .checked_sub(ISELECT_IPRIO0)
        .and_then(|n| n.checked_mul(4))
        .ok_or(IllegalTrap)?;

    let irqs = first_irq..first_irq.saturating_add(NIRQS);
    let mut old = [0u8; 8];
    for (irq, prio) in irqs.clone().zip(old.iter_mut()) {
        *prio = get_iprio8(regs, irq);
    }
    // Priority `i` is at bits `8 * i..8 * i + 8` (`TOPI_IPRIO_BITS * i`).
    let old_val = u64::from_le_bytes(old);

    let mut rmw = IprioRmw {
        old_val,
        hviprio1_written: false,
        hviprio2_written: false,
    };
    if wr_mask != 0 {
        let new_val = (old_val & !wr_mask) | (new_val & wr_mask);
        for (irq, prio) in irqs.zip(new_val.to_le_bytes()) {
            match set_iprio8(regs, irq, prio) {
                Some(HviprioReg::Hviprio1) => rmw.hviprio1_written = true,
                Some(HviprioReg::Hviprio2) => rmw.hviprio2_written = true,
                None => {}
            }
        }
    }
    Ok(rmw)
}

/// Who handles a guest `vsiselect` value in `kvm_riscv_vcpu_aia_rmw_ireg()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isel {
    /// `ISELECT_IPRIO0..=ISELECT_IPRIO15`: emulated by [`rmw_iprio`].
    Iprio,
    /// `IMSIC_FIRST..=IMSIC_LAST`: IMSIC register, emulated in the kernel
    /// when the VM's AIA is initialised, else by user space.
    Imsic,
    /// Anything else: exit to user space.
    Other,
}

/// `vsiselect & ISELECT_MASK`, the `isel` of `kvm_riscv_vcpu_aia_rmw_ireg()`.
pub fn isel_from_vsiselect(vsiselect: u64) -> u32 {
    // Masked to 9 bits, so the conversion always succeeds.
    u32::try_from(vsiselect & ISELECT_MASK).unwrap_or(0)
}

/// Classifies a masked `isel` (see [`isel_from_vsiselect`]) as
/// `kvm_riscv_vcpu_aia_rmw_ireg()` does.
pub fn classify_isel(isel: u32) -> Isel {
    if (ISELECT_IPRIO0..=ISELECT_IPRIO15).contains(&isel) {
        Isel::Iprio
    } else if (IMSIC_FIRST..=IMSIC_LAST).contains(&isel) {
        Isel::Imsic
    } else {
        Isel::Other
    }
}

/// `hvictl.IID = IRQ_S_EXT`, `hvictl.IPRIO = 0`: "no interrupt" in `hvictl`.
// Lossless `u32` to `u64` widening; `u64::from()` is not `const`.
#[allow(clippy::as_conversions)]
const HVICTL_NO_IRQ: u64 = (IRQ_S_EXT as u64) << HVICTL_IID_SHIFT & HVICTL_IID;

/// `aia_hvictl_value()`: `hvictl` with `IID = 9` and `IPRIO` bit 0 set iff a
/// VS-level external interrupt is pending.
pub fn hvictl_value(ext_irq_pending: bool) -> u64 {
    HVICTL_NO_IRQ | u64::from(ext_irq_pending)
}

/// The `hvictl` value `kvm_riscv_vcpu_aia_update_hvip()` writes for the
/// guest's `hvip`: [`hvictl_value`] of its `IRQ_VS_EXT` bit.
pub fn hvictl_for_hvip(hvip: u64) -> u64 {
    let vs_ext = 1u64.checked_shl(IRQ_VS_EXT).unwrap_or(0);
    hvictl_value(hvip & vs_ext != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_csr_h() {
        assert_eq!(HVICTL_IID, 0x0fff_0000);
        assert_eq!(ISELECT_MASK, (1 << 9) - 1);
        assert_eq!(IMSIC_FIRST, 0x70);
        assert_eq!(IMSIC_LAST, 0xff);
    }

    #[test]
    fn table_spot_checks() {
        assert_eq!(irq2bitpos(0), Some(0));
        assert_eq!(irq2bitpos(1), Some(8));
        assert_eq!(irq2bitpos(2), None);
        assert_eq!(irq2bitpos(5), Some(24));
        assert_eq!(irq2bitpos(8), Some(32));
        for ext in 9..=12 {
            assert_eq!(irq2bitpos(ext), None, "irq {ext}");
        }
        assert_eq!(irq2bitpos(13), Some(40));
        assert_eq!(irq2bitpos(15), Some(56));
        assert_eq!(irq2bitpos(16), Some(64));
        assert_eq!(irq2bitpos(23), Some(120));
        assert_eq!(irq2bitpos(24), None);
        assert_eq!(irq2bitpos(63), None);
        assert_eq!(irq2bitpos(64), None);
        assert_eq!(irq2bitpos(u32::MAX), None);
        let writable = (0..64).filter(|&i| irq2bitpos(i).is_some()).count();
        assert_eq!(writable, 16);
    }

    #[test]
    fn get_set_iprio8() {
        let mut r = Hviprio::default();
        assert_eq!(set_iprio8(&mut r, 1, 0xab), Some(HviprioReg::Hviprio1));
        assert_eq!(r.hviprio1, 0xab00);
        assert_eq!(set_iprio8(&mut r, 23, 0x12), Some(HviprioReg::Hviprio2));
        assert_eq!(r.hviprio2, 0x12 << 56);
        assert_eq!(set_iprio8(&mut r, 9, 0xff), None);
        assert_eq!(get_iprio8(&r, 1), 0xab);
        assert_eq!(get_iprio8(&r, 23), 0x12);
        assert_eq!(get_iprio8(&r, 9), 0);
        assert_eq!(get_iprio8(&r, 100), 0);
        assert_eq!(set_iprio8(&mut r, 1, 0x01), Some(HviprioReg::Hviprio1));
        assert_eq!(r.hviprio1, 0x0100);
    }

    #[test]
    fn rmw_each_iselect() {
        let mut r = Hviprio {
            hviprio1: 0x0807_0605_0403_0201,
            hviprio2: 0x1817_1615_1413_1211,
        };
        // iprio0: irqs 0..7 -> bitpos 0, 8, -, -, 16, 24, -, -.
        let rmw = rmw_iprio(&mut r, 0x30, 0, 0).unwrap();
        assert_eq!(rmw.old_val, 0x0000_0403_0000_0201);
        assert!(!rmw.hviprio1_written && !rmw.hviprio2_written);
        // iprio2: irqs 8..15 -> 32, -, -, -, -, 40, 48, 56.
        let rmw = rmw_iprio(&mut r, 0x32, 0, 0).unwrap();
        assert_eq!(rmw.old_val, 0x0807_0600_0000_0005);
        // iprio4: irqs 16..23 -> hviprio2.
        let rmw = rmw_iprio(&mut r, 0x34, 0, 0).unwrap();
        assert_eq!(rmw.old_val, 0x1817_1615_1413_1211);
        for isel in (0x36..=0x3e).step_by(2) {
            let rmw = rmw_iprio(&mut r, isel, u64::MAX, u64::MAX).unwrap();
            assert_eq!(rmw.old_val, 0, "isel {isel:#x}");
            assert!(!rmw.hviprio1_written && !rmw.hviprio2_written);
        }
        for isel in (0x31..=0x3f).step_by(2) {
            assert_eq!(rmw_iprio(&mut r, isel, 0, u64::MAX), Err(IllegalTrap));
        }
        for isel in [0, 0x2f, 0x40, 0x70, u32::MAX] {
            assert_eq!(rmw_iprio(&mut r, isel, 0, u64::MAX), Err(IllegalTrap));
        }
        assert_eq!(r.hviprio1, 0x0807_0605_0403_0201);
        assert_eq!(r.hviprio2, 0x1817_1615_1413_1211);
    }

    #[test]
    fn rmw_partial_mask() {
        let mut r = Hviprio {
            hviprio1: 0x0807_0605_0403_0201,
            hviprio2: 0,
        };
        // Write irq 1's byte and irq 2's (read-only) byte only.
        let rmw = rmw_iprio(&mut r, 0x30, 0xffff_ffff_ffcc_bb00, 0x0000_0000_00ff_ff00).unwrap();
        assert_eq!(rmw.old_val, 0x0000_0403_0000_0201);
        assert!(rmw.hviprio1_written && !rmw.hviprio2_written);
        assert_eq!(r.hviprio1, 0x0807_0605_0403_bb01);
        assert_eq!(get_iprio8(&r, 2), 0);
        let rmw = rmw_iprio(&mut r, 0x34, 0x77, 0xf0).unwrap();
        assert_eq!(rmw.old_val, 0);
        assert!(!rmw.hviprio1_written && rmw.hviprio2_written);
        assert_eq!(r.hviprio2, 0x70);
    }

    #[test]
    fn classify() {
        assert_eq!(classify_isel(0x2f), Isel::Other);
        assert_eq!(classify_isel(0x30), Isel::Iprio);
        assert_eq!(classify_isel(0x3f), Isel::Iprio);
        assert_eq!(classify_isel(0x40), Isel::Other);
        assert_eq!(classify_isel(0x6f), Isel::Other);
        assert_eq!(classify_isel(0x70), Isel::Imsic);
        assert_eq!(classify_isel(0xff), Isel::Imsic);
        assert_eq!(classify_isel(0x100), Isel::Other);
        assert_eq!(isel_from_vsiselect(0xffff_ffff_0000_0230), 0x30);
        assert_eq!(isel_from_vsiselect(u64::MAX), 0x1ff);
    }

    #[test]
    fn hvictl() {
        assert_eq!(hvictl_value(false), 0x90000);
        assert_eq!(hvictl_value(true), 0x90001);
        assert_eq!(hvictl_for_hvip(1 << 10), 0x90001);
        assert_eq!(hvictl_for_hvip(!(1 << 10)), 0x90000);
    }
}
