// SPDX-License-Identifier: GPL-2.0

//! RISC-V KVM AIA provider.
//!
//! Bench skeleton: loads, reads one value through the C glue and logs it.
//! The real provider (HGEI lines, IMSIC guest files, SGEI, vCPU AIA CSR
//! context) replaces this file's body.
//!
//! C counterpart: [`arch/riscv/kvm/aia.c`](srctree/arch/riscv/kvm/aia.c)

use kernel::prelude::*;

module! {
    type: KvmRiscvAia,
    name: "kvm_riscv_aia",
    authors: ["kvm-aia-rs developers"],
    description: "RISC-V KVM AIA provider (HGEI, IMSIC guest files, SGEI)",
    license: "GPL",
}

mod glue {
    extern "C" {
        /// Returns `nr_cpu_ids`; implemented in `glue/aia_glue.c`.
        pub(crate) fn kvm_riscv_aia_glue_nr_cpu_ids() -> core::ffi::c_uint;
    }
}

struct KvmRiscvAia;

impl kernel::Module for KvmRiscvAia {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `kvm_riscv_aia_glue_nr_cpu_ids` takes no arguments and only
        // reads `nr_cpu_ids`, which is set before modules can load.
        let nr_cpu_ids = unsafe { glue::kvm_riscv_aia_glue_nr_cpu_ids() };
        pr_info!("bench module loaded, nr_cpu_ids={}\n", nr_cpu_ids);
        Ok(KvmRiscvAia)
    }
}

impl Drop for KvmRiscvAia {
    fn drop(&mut self) {
        pr_info!("bench module unloaded\n");
    }
}
