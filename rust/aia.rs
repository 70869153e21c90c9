// SPDX-License-Identifier: GPL-2.0

//! RISC-V KVM AIA provider: `arch/riscv/kvm/aia.c` as a module.
//!
//! C counterpart: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)
//!
//! kvm.ko keeps the AIA users (the in-kernel APLIC/IMSIC emulation, the AIA
//! device, ONE_REG) and a small registration point (`patches/`); this module
//! registers an ops table with it that provides:
//!
//! - per-CPU HGEI control ([`hgei`]): each hart's line count probed from its
//!   HGEIE and clamped by its IMSIC guest files, a per-hart free-line bitmap
//!   with owners, and the global minimum across harts in kvm.ko's
//!   `kvm_riscv_aia_nr_hgei`;
//! - IMSIC guest-file allocation: a line with its guest file's VA/PA;
//! - the SGEI per-CPU interrupt, which kicks the owning vCPUs;
//! - the vCPU AIA CSR context ([`vcpu`]): load/put (NACL or plain CSRs),
//!   ONE_REG, `stopei`/`sireg`/`iprio` emulation, `hvictl`.
//!
//! Layout: the kernel-independent logic is in [`logic`] (also built for host
//! `cargo test` by `rust/aia_core`); `unsafe` is confined to the wrappers
//! [`csr`], [`percpu`], [`percpu_irq`], [`raw_spinlock`] and the C glue
//! bindings in [`glue`]; [`ops`] holds the C-ABI callbacks.

use kernel::prelude::*;

mod csr;
mod debugfs;
mod glue;
mod hgei;
mod kunit;
pub mod logic;
mod ops;
mod percpu;
mod percpu_irq;
mod raw_spinlock;
mod vcpu;

use logic::{geometry, probe};

module! {
    type: KvmRiscvAia,
    name: "kvm_riscv_aia",
    authors: ["kvm-aia-rs developers"],
    description: "RISC-V KVM AIA provider (HGEI lines, IMSIC guest files, SGEI, vCPU AIA CSRs)",
    license: "GPL",
    params: {
        debug_hgei_limit_cpu: i32 {
            default: -1,
            description: "Debug/testing only: CPU whose HGEI line count is capped by debug_hgei_limit (-1: none). Emulates heterogeneous harts on machines (QEMU) where every hart has the same HGEIE width",
        },
        debug_hgei_limit: u32 {
            default: 0,
            description: "Debug/testing only: line count cap for debug_hgei_limit_cpu",
        },
    },
}

/// The line cap of the `debug_hgei_limit_cpu`/`debug_hgei_limit` module
/// parameters for `cpu`, if any (debug/testing only; see `module!`).
pub(crate) fn debug_hgei_limit(cpu: u32) -> Option<u32> {
    debug_hgei_limit_param().and_then(|(limit_cpu, limit)| (limit_cpu == cpu).then_some(limit))
}

/// The `debug_hgei_limit_cpu`/`debug_hgei_limit` module parameters as
/// `(cpu, cap)`, if a CPU is named.  They are read-only once the module is
/// loaded, so [`hgei::Hgei`] reads them once.
pub(crate) fn debug_hgei_limit_param() -> Option<(u32, u32)> {
    let limit_cpu = u32::try_from(module_parameters::debug_hgei_limit_cpu.value()).ok()?;
    Some((limit_cpu, module_parameters::debug_hgei_limit.value()))
}

/// Provider state, published to the callbacks while registered.
pub(crate) struct Provider {
    /// Per-CPU HGEI control and the SGEI interrupt.
    pub(crate) hgei: hgei::Hgei,
    /// `kvm_riscv_aia_max_ids`: guest MSI IDs per IMSIC file, plus one.
    pub(crate) max_ids: u32,
}

struct KvmRiscvAia {
    // Dropped first: the files read the provider.
    _debugfs: Option<debugfs::Debugfs>,
    // Published to the callbacks; kept alive (and pinned) until unloaded.
    _provider: Pin<KBox<Provider>>,
}

impl kernel::Module for KvmRiscvAia {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        if !glue::has_sxaia() {
            pr_err!("no Ssaia/Smaia on this machine: refusing to load\n");
            return Err(ENODEV);
        }

        let gc = glue::imsic_global();
        // Initial IMSIC guest files across all harts; each hart's enable
        // lowers it to its own count if smaller.
        let nr_hgei = probe::initial_global(gc.map(|(files, _)| files));
        let max_ids = geometry::max_ids(gc.map(|(_, ids)| ids));

        let provider = KBox::pin(
            Provider {
                hgei: hgei::Hgei::new()?,
                max_ids,
            },
            GFP_KERNEL,
        )?;

        // SAFETY: `provider` is pinned in its box and outlives the
        // registration: `drop` unregisters before the box is freed.
        unsafe { ops::publish(&provider) };
        let rc = glue::register(nr_hgei, max_ids);
        if rc < 0 {
            ops::withdraw();
            pr_err!("kvm.ko refused the AIA provider: {}\n", rc);
            return Err(Error::from_errno(rc));
        }

        let debugfs = debugfs::Debugfs::new()
            .inspect_err(|e| pr_warn!("no debugfs: {:?}\n", e))
            .ok();

        // kvm.ko logs "AIA available with N guest external interrupts" on
        // registration, the line users know from aia.c.
        Ok(KvmRiscvAia {
            _debugfs: debugfs,
            _provider: provider,
        })
    }
}

impl Drop for KvmRiscvAia {
    fn drop(&mut self) {
        // Fields drop after this: debugfs first, then the provider.
        glue::unregister();
        ops::withdraw();
    }
}
