// SPDX-License-Identifier: GPL-2.0

//! Kernel-independent ("pure") logic of the RISC-V KVM AIA support.
//!
//! C source: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c) (Linux 7.2)
//!
//! `kvm_riscv_aia.ko` replaces `aia.c`. Everything in that file that only
//! computes, i.e. that touches neither a CSR, a lock, a per-CPU variable nor a
//! `struct kvm_vcpu`, lives here as safe Rust that uses `core` only (no `alloc`,
//! no `unsafe`, no panics reachable from any input). The same files are
//! compiled into the kernel module (`mod logic;` in `rust/kvm_riscv_aia.rs`)
//! and into the host crate `rust/aia_core`, where `cargo test` runs unit tests
//! and property tests against simple reference models.
//!
//! The kernel side keeps the glue: CSR accesses (`csr_read`/`ncsr_read`/NACL),
//! the per-CPU `raw_spinlock_t`, the static key, IRQ domain and per-CPU IRQ
//! setup, and the atomic `kvm_riscv_aia_nr_hgei`.
//!
//! # Map from `aia.c` to this module
//!
//! | C (`aia.c`)                                    | Rust                                             |
//! |------------------------------------------------|--------------------------------------------------|
//! | `struct aia_hgei_control` (minus the lock)     | [`hgei::HgeiControl`]                            |
//! | `kvm_riscv_aia_alloc_hgei()` bitmap part       | [`hgei::HgeiControl::alloc`]                     |
//! | `kvm_riscv_aia_free_hgei()`                    | [`hgei::HgeiControl::free`]                      |
//! | `hgei_interrupt()` owner loop                  | [`hgei::HgeiControl::owners_in`]                 |
//! | `kvm_riscv_aia_disable()` owner loop           | [`hgei::HgeiControl::iter`]                      |
//! | `kvm_riscv_aia_enable()` HGEIE probe           | [`probe::nr_hgei_from_hgeie`], [`probe::clamp_nr_hgei`] |
//! | `kvm_riscv_aia_enable()` `try_cmpxchg` loop    | [`probe::lower_global`]                          |
//! | `kvm_riscv_aia_enable()` free bitmap init      | [`hgei::HgeiControl::probe_done`]                |
//! | `kvm_riscv_aia_init()` initial values          | [`probe::initial_global`], [`geometry::max_ids`] |
//! | `lc->msi_pa + hgei * IMSIC_MMIO_PAGE_SZ`       | [`geometry::guest_file_pa`]                      |
//! | `aia_irq2bitpos[]`, `aia_{get,set}_iprio8()`   | [`iprio::irq2bitpos`], [`iprio::get_iprio8`], [`iprio::set_iprio8`] |
//! | `aia_rmw_iprio()`                              | [`iprio::rmw_iprio`]                             |
//! | `kvm_riscv_vcpu_aia_rmw_ireg()` dispatch       | [`iprio::classify_isel`]                         |
//! | `aia_hvictl_value()`                           | [`iprio::hvictl_value`]                          |
//! | `array_index_nospec()` in `*_aia_{get,set}_csr()` | [`nospec::aia_csr_index`]                     |
//!
//! Only rv64 is covered (`BITS_PER_LONG == 64`, `unsigned long` CSR values are
//! [`u64`]); the `CONFIG_32BIT` paths of `aia.c` (`hviph`, `vsieh`,
//! `hviprio1h`/`hviprio2h`, odd `iselect` values) are not reproduced, except
//! that odd `iselect` values trap as on rv64.
//!
//! # Differences from the C code
//!
//! These are deliberate and each is covered by a test:
//!
//! - [`hgei::HgeiControl::free`] reports what C silently ignores (line out of
//!   range, double free) as an error; the state is unchanged in both, so a
//!   caller that ignores the error behaves like C.
//! - [`hgei::HgeiControl::probe_done`]: a re-probe that reports the same count
//!   (the CPU hotplug re-online case) keeps the bitmap and the owners exactly
//!   like 7.2. If the count changes, 7.2 overwrites `nr_hgei` but keeps the old
//!   bitmap, so it can hand out lines above the new count, or leak a line (and
//!   keep a stale `struct kvm_vcpu *` that the SGEI handler would kick) because
//!   `kvm_riscv_aia_free_hgei()` ignores lines above the new count. Here the
//!   bitmap follows the new count, and a shrink below an owned line is refused
//!   with [`hgei::HgeiError::Busy`] without changing anything.
//! - [`geometry::nr_guest_files`] saturates where `irq-riscv-imsic-state.c`
//!   wraps: when less than one page is left after `reloff`, C computes
//!   `0 - 1` and ends up claiming `BIT(guest_index_bits) - 1` guest files
//!   that do not exist; here the result is 0.
//! - [`geometry::max_ids`] saturates instead of wrapping `nr_guest_ids + 1`.
//! - [`nospec::array_index_nospec`] hides the index with
//!   [`core::hint::black_box`], which is best effort where C's
//!   `OPTIMIZER_HIDE_VAR()` is an inline-asm barrier; see [`nospec`].
//!
//! # Visibility
//!
//! Items are `pub` so that the host crate's integration tests can reach them.
//! The kernel crate is built with `-Wunreachable_pub -Wmissing_docs`, so it
//! should declare this module `pub mod logic;` (every public item is
//! documented).

pub mod geometry;
pub mod hgei;
pub mod iprio;
pub mod nospec;
pub mod probe;
