// SPDX-License-Identifier: GPL-2.0

//! IMSIC layout inspector and IOMMU MSI-region planner.
//!
//! Reads an IMSIC description (a device tree blob, the running system's
//! `/sys/firmware/fdt`, or `kvm_riscv_aia.ko`'s debugfs `layout` file) and
//! shows per hart its S-level and guest interrupt files and HGEI lines, the
//! groups and index fields, the reserved regions each IOMMU MSI policy would
//! create and which guest files each exposes to device DMA, and warnings for
//! layouts that break assumptions. The address geometry is the module's own
//! (`rust/logic/geometry.rs`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod compare;
pub mod fdt;
pub mod layout;
pub mod policy;
pub mod report;
pub mod warn;
