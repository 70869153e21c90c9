// SPDX-License-Identifier: GPL-2.0

//! Speculation-safe index clamping and the `KVM_REG_RISCV_CSR_AIA` register
//! index.
//!
//! C header: [`include/linux/nospec.h`](srctree/include/linux/nospec.h)
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//! (`kvm_riscv_vcpu_aia_get_csr()`, `kvm_riscv_vcpu_aia_set_csr()`)
//!
//! # Limits
//!
//! [`array_index_nospec`] computes the same branchless mask as the generic
//! `array_index_mask_nospec()` (riscv has no arch override, and
//! `barrier_nospec()` is a no-op on riscv). C hides the index from the
//! optimiser with `OPTIMIZER_HIDE_VAR()`, an empty inline asm, so the compiler
//! cannot use a preceding bounds check to fold the mask to all ones. Safe
//! Rust has no such asm; this uses [`core::hint::black_box`], which rustc
//! currently lowers to an opaque asm-like barrier too, but which is
//! documented as best effort and may not be relied on for security. Whether
//! the clamp survives must therefore be checked in the generated code of the
//! kernel build (the mask is computed with `or`, `sub`, `srl`/`sra` and `and`;
//! there must be no branch between the bounds check and the load). If that
//! ever fails, call the C helper through bindings instead.

use super::hgei::ENOENT;

/// `array_index_mask_nospec()`: `usize::MAX` when `index < size`, 0 otherwise,
/// computed without a branch.
///
/// Valid, like C, for `size <= isize::MAX` (any `index`). For larger `size`
/// the mask may be 0 for an in-bounds index, but it is never `usize::MAX` for
/// an out-of-bounds one.
pub fn array_index_mask_nospec(index: usize, size: usize) -> usize {
    let index = core::hint::black_box(index);
    // C: ~(long)(index | (size - 1UL - index)) >> (BITS_PER_LONG - 1).
    // The top bit of `index | (size - 1 - index)` is clear iff
    // `index < size` (given both are at most `LONG_MAX`); the arithmetic shift
    // spreads the inverted top bit, which is `0 - top` here.
    let t = index | size.wrapping_sub(1).wrapping_sub(index);
    let top = (!t).checked_shr(usize::BITS.saturating_sub(1)).unwrap_or(0);
    top.wrapping_neg()
}

/// `array_index_nospec()`: `index` if `index < size`, else 0, without a
/// branch that could be speculated past. Use it after the real bounds check.
///
/// See [`array_index_mask_nospec`] for the valid range of `size`.
pub fn array_index_nospec(index: usize, size: usize) -> usize {
    let index = core::hint::black_box(index);
    index & array_index_mask_nospec(index, size)
}

/// Number of `unsigned long` registers in `struct kvm_riscv_aia_csr`
/// (`sizeof(struct kvm_riscv_aia_csr) / sizeof(unsigned long)`), the same
/// layout as the in-kernel `struct kvm_vcpu_aia_csr`:
///
/// | index | uapi (`kvm_riscv_aia_csr`) | kernel (`kvm_vcpu_aia_csr`) |
/// |-------|----------------------------|-----------------------------|
/// | 0     | `siselect`                 | `vsiselect`                 |
/// | 1     | `iprio1`                   | `hviprio1`                  |
/// | 2     | `iprio2`                   | `hviprio2`                  |
/// | 3     | `sieh`                     | `vsieh`                     |
/// | 4     | `siph`                     | `hviph`                     |
/// | 5     | `iprio1h`                  | `hviprio1h`                 |
/// | 6     | `iprio2h`                  | `hviprio2h`                 |
///
/// C header: [`arch/riscv/include/uapi/asm/kvm.h`](srctree/arch/riscv/include/uapi/asm/kvm.h)
/// and [`arch/riscv/include/asm/kvm_aia.h`](srctree/arch/riscv/include/asm/kvm_aia.h)
pub const NR_AIA_CSR_REGS: usize = 7;

/// Index of `siselect`/`vsiselect`.
pub const AIA_CSR_SISELECT: usize = 0;
/// Index of `iprio1`/`hviprio1`.
pub const AIA_CSR_IPRIO1: usize = 1;
/// Index of `iprio2`/`hviprio2`.
pub const AIA_CSR_IPRIO2: usize = 2;
/// Index of `sieh`/`vsieh` (meaningful on rv32 only).
pub const AIA_CSR_SIEH: usize = 3;
/// Index of `siph`/`hviph` (meaningful on rv32 only).
pub const AIA_CSR_SIPH: usize = 4;
/// Index of `iprio1h`/`hviprio1h` (meaningful on rv32 only).
pub const AIA_CSR_IPRIO1H: usize = 5;
/// Index of `iprio2h`/`hviprio2h` (meaningful on rv32 only).
pub const AIA_CSR_IPRIO2H: usize = 6;

/// The register does not exist: `-ENOENT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoEnt;

impl NoEnt {
    /// Returns `-ENOENT`.
    pub const fn to_errno(self) -> i32 {
        -ENOENT
    }
}

/// Checks a `KVM_REG_RISCV_CSR_AIA` register number and returns it as an
/// index below [`NR_AIA_CSR_REGS`], clamped with [`array_index_nospec`]
/// (as `kvm_riscv_vcpu_aia_get_csr()`/`kvm_riscv_vcpu_aia_set_csr()`).
///
/// Returns [`NoEnt`] (`-ENOENT`) for `reg_num >= NR_AIA_CSR_REGS`.
pub fn aia_csr_index(reg_num: u64) -> Result<usize, NoEnt> {
    let index = usize::try_from(reg_num).map_err(|_| NoEnt)?;
    if index >= NR_AIA_CSR_REGS {
        return Err(NoEnt);
    }
    Ok(array_index_nospec(index, NR_AIA_CSR_REGS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask() {
        assert_eq!(array_index_mask_nospec(0, 1), usize::MAX);
        assert_eq!(array_index_mask_nospec(1, 1), 0);
        assert_eq!(array_index_mask_nospec(6, 7), usize::MAX);
        assert_eq!(array_index_mask_nospec(7, 7), 0);
        assert_eq!(array_index_mask_nospec(usize::MAX, 7), 0);
        assert_eq!(array_index_mask_nospec(0, 0), 0);
        let max = usize::MAX / 2;
        assert_eq!(array_index_mask_nospec(max - 1, max), usize::MAX);
        assert_eq!(array_index_mask_nospec(max, max), 0);
        assert_eq!(array_index_mask_nospec(max + 1, max), 0);
    }

    #[test]
    fn nospec() {
        assert_eq!(array_index_nospec(3, 7), 3);
        assert_eq!(array_index_nospec(7, 7), 0);
        assert_eq!(array_index_nospec(1 << 63, 7), 0);
    }

    #[test]
    fn csr_index() {
        assert_eq!(aia_csr_index(0), Ok(AIA_CSR_SISELECT));
        assert_eq!(aia_csr_index(4), Ok(AIA_CSR_SIPH));
        assert_eq!(aia_csr_index(6), Ok(AIA_CSR_IPRIO2H));
        assert_eq!(aia_csr_index(7), Err(NoEnt));
        assert_eq!(aia_csr_index(u64::MAX), Err(NoEnt));
        assert_eq!(NoEnt.to_errno(), -2);
        let regs = [
            AIA_CSR_SISELECT,
            AIA_CSR_IPRIO1,
            AIA_CSR_IPRIO2,
            AIA_CSR_SIEH,
            AIA_CSR_SIPH,
            AIA_CSR_IPRIO1H,
            AIA_CSR_IPRIO2H,
        ];
        assert_eq!(regs.len(), NR_AIA_CSR_REGS);
        for (i, r) in regs.into_iter().enumerate() {
            assert_eq!(r, i);
        }
    }
}
