// SPDX-License-Identifier: GPL-2.0

//! Host build of the kernel-independent logic of `kvm_riscv_aia.ko`.
//!
//! The module sources live in `rust/logic/` and are compiled twice:
//!
//! - into the kernel module, via `mod logic;` in `rust/kvm_riscv_aia.rs`;
//! - into this `no_std` host crate, so that `cargo test` (unit tests inside the
//!   logic files plus the property tests in `tests/`), clippy, rustfmt and rustdoc
//!   can check them without a kernel build.
//!
//! See [`logic`] for what the logic covers and how it maps to
//! `arch/riscv/kvm/aia.c` of Linux 7.2.

#![no_std]
#![forbid(unsafe_code)]
// Same lint set as `rust_common_flags` in the kernel's top-level Makefile,
// made fatal here (kernel builds with CONFIG_WERROR turn them fatal too).
#![deny(missing_docs)]
#![deny(
    non_ascii_idents,
    rust_2018_idioms,
    unreachable_pub,
    clippy::all,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ignored_unit_patterns,
    clippy::mut_mut,
    clippy::needless_bitwise_bool,
    clippy::undocumented_unsafe_blocks,
    rustdoc::missing_crate_level_docs,
    rustdoc::unescaped_backticks
)]
// Stricter than the kernel: prove that no caller input can panic (Rust for
// Linux builds with CONFIG_RUST_OVERFLOW_CHECKS, so an overflow is a panic)
// and that there is no silently truncating `as` cast. Unit tests may index
// and unwrap freely.
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::todo,
        clippy::unimplemented,
        clippy::unreachable,
        clippy::unwrap_used
    )
)]

#[cfg(test)]
extern crate std;

#[path = "../../logic/mod.rs"]
pub mod logic;
