// SPDX-License-Identifier: GPL-2.0

//! Property tests for `array_index_nospec()` and the AIA CSR index.

use kvm_riscv_aia_core::logic::nospec::{
    aia_csr_index, array_index_mask_nospec, array_index_nospec, NoEnt, NR_AIA_CSR_REGS,
};
use proptest::prelude::*;

/// `(index, size)` with `size` in `1..=usize::MAX / 2` and `index` either
/// random or close to `size` or to the top of the range.
fn index_and_size() -> impl Strategy<Value = (usize, usize)> {
    (1..=usize::MAX / 2, any::<usize>(), -3isize..=3, 0u8..3).prop_map(|(size, any, d, kind)| {
        let index = match kind {
            0 => any,
            1 => size.wrapping_add_signed(d),
            _ => (usize::MAX / 2).wrapping_add_signed(d),
        };
        (index, size)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    #[test]
    fn clamps_like_bounds_check((index, size) in index_and_size()) {
        let want = if index < size { index } else { 0 };
        prop_assert_eq!(array_index_nospec(index, size), want);
        let mask = if index < size { usize::MAX } else { 0 };
        prop_assert_eq!(array_index_mask_nospec(index, size), mask);
    }

    /// Outside the documented range the result may differ from the bounds
    /// check, but it is never out of bounds.
    #[test]
    fn never_out_of_bounds(index in any::<usize>(), size in 1..=usize::MAX) {
        prop_assert!(array_index_nospec(index, size) < size);
    }

    #[test]
    fn csr_index(reg_num in prop_oneof![0u64..16, any::<u64>()]) {
        let want = if reg_num < NR_AIA_CSR_REGS as u64 { Ok(reg_num as usize) } else { Err(NoEnt) };
        prop_assert_eq!(aia_csr_index(reg_num), want);
    }
}
