// SPDX-License-Identifier: GPL-2.0

//! debugfs view of the provider: `/sys/kernel/debug/kvm_riscv_aia/`.
//!
//! ```text
//! nr_hgei             kvm_riscv_aia_nr_hgei: minimum lines across harts
//! max_ids             kvm_riscv_aia_max_ids
//! cpuN/nr_hgei        lines of hart N (its HGEIE width clamped by its guest files)
//! cpuN/free_lines     "<count> <bitmap>" of its free lines
//! cpuN/owners         one "<line> <vm> <vcpu id>" row per owned line
//! cpuN/sgei_count     SGEI interrupts handled on hart N
//! cpuN/bad_frees      refused frees (bad line, double free) on hart N
//! cpuN/pm_enters      non-retentive idle entries (CPU PM) on hart N
//! cpuN/state          "<nr_hgei> <free> <sgei_count>" and one "<line> <vm>
//!                     <vcpu id>" row per owned line, all under one lock hold
//! layout              the IMSIC geometry, then per possible CPU its hart ID,
//!                     S-level file, guest files, lines and each line's
//!                     guest-file address (read by tools/imsic-layout)
//! ```
//!
//! Each file holds only its CPU number; its contents are read from the
//! published provider (see [`crate::ops`]) under the hart's HGEI lock.

use core::fmt::{self, Write};
use kernel::{
    debugfs::{Dir, File},
    fmt::Formatter,
    prelude::*,
    str::CStr,
    sync::atomic::Relaxed,
};

use crate::{glue, hgei::HgeiState, ops};

/// The debugfs directory and its files; removed on drop.
pub(crate) struct Debugfs {
    _files: KVec<Pin<KBox<File<u32>>>>,
    _dir: Dir,
}

/// Formats one hart's state with `f`, or says the provider is gone.
fn with_cpu(
    cpu: u32,
    out: &mut Formatter<'_>,
    f: impl Fn(&HgeiState, &mut Formatter<'_>) -> fmt::Result,
) -> fmt::Result {
    match ops::provider().and_then(|p| p.hgei.cpus().get(cpu)) {
        Some(hc) => f(&hc.ctrl.lock_irqsave(), out),
        None => writeln!(out, "unavailable"),
    }
}

fn nr_hgei(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| writeln!(f, "{}", st.ctrl.nr_hgei()))
}

fn free_lines(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| {
        writeln!(f, "{} {:#x}", st.ctrl.nr_free(), st.ctrl.free_bitmap())
    })
}

fn owners(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| {
        for (line, owner) in st.ctrl.iter() {
            owner_row(f, line, owner)?;
        }
        Ok(())
    })
}

/// One owner row: "<line> <vm> <vcpu id>".
fn owner_row(f: &mut Formatter<'_>, line: u32, owner: crate::hgei::Owner) -> fmt::Result {
    // SAFETY: an owner is a live vCPU while it owns the line, and the
    // caller holds the hart's HGEI lock, which keeps it from freeing the
    // line; `stats_id` is a NUL-terminated array inside the VM.
    let (vm, id) = unsafe {
        (
            CStr::from_char_ptr(glue::vcpu_vm_name(owner.as_ptr())),
            glue::vcpu_id(owner.as_ptr()),
        )
    };
    writeln!(f, "{line} {} {id}", vm.to_str().unwrap_or("?"))
}

fn state(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| {
        writeln!(
            f,
            "{} {} {}",
            st.ctrl.nr_hgei(),
            st.ctrl.nr_free(),
            st.sgei_count
        )?;
        for (line, owner) in st.ctrl.iter() {
            owner_row(f, line, owner)?;
        }
        Ok(())
    })
}

fn sgei_count(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| writeln!(f, "{}", st.sgei_count))
}

fn bad_frees(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| writeln!(f, "{}", st.bad_frees))
}

fn pm_enters(cpu: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    with_cpu(*cpu, f, |st, f| writeln!(f, "{}", st.pm_enters))
}

/// `layout`: one `geometry` line, then one line per possible CPU.
fn layout(_: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    let Some(g) = glue::imsic_geometry() else {
        return writeln!(f, "unavailable");
    };
    writeln!(
        f,
        "geometry base_addr={:#x} guest_index_bits={} hart_index_bits={} group_index_bits={} \
         group_index_shift={}",
        g.base_addr(),
        g.guest_index_bits(),
        g.hart_index_bits(),
        g.group_index_bits(),
        g.group_index_shift()
    )?;
    for cpu in (0..glue::nr_cpu_ids()).filter(|&c| glue::cpu_possible(c)) {
        let Some(lc) = glue::imsic_local(cpu) else {
            continue;
        };
        let provider = ops::provider();
        let nr_hgei = match provider.and_then(|p| p.hgei.cpus().get(cpu)) {
            Some(hc) => hc.ctrl.lock_irqsave().ctrl.nr_hgei(),
            None => 0,
        };
        write!(
            f,
            "cpu={cpu} hartid={} msi_pa={:#x} nr_guest_files={} nr_hgei={nr_hgei} lines=",
            glue::hartid(cpu),
            lc.msi_pa,
            lc.nr_guest_files
        )?;
        if nr_hgei == 0 {
            write!(f, "-")?;
        }
        for hgei in 1..=nr_hgei {
            let sep = if hgei > 1 { "," } else { "" };
            match provider.and_then(|p| p.hgei.guest_file(cpu, hgei).pa) {
                Some(pa) => write!(f, "{sep}{pa:#x}")?,
                None => write!(f, "{sep}none")?,
            }
        }
        writeln!(f)?;
    }
    Ok(())
}

fn global_nr_hgei(_: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", glue::nr_hgei().load(Relaxed))
}

fn global_max_ids(_: &u32, f: &mut Formatter<'_>) -> fmt::Result {
    match ops::provider() {
        Some(p) => writeln!(f, "{}", p.max_ids),
        None => writeln!(f, "unavailable"),
    }
}

/// Creates `name` in `dir`, formatted by `f` from `data`, and keeps it.
fn add_file<F>(
    files: &mut KVec<Pin<KBox<File<u32>>>>,
    dir: &Dir,
    name: &CStr,
    data: u32,
    f: &'static F,
) -> Result
where
    F: Fn(&u32, &mut Formatter<'_>) -> fmt::Result + Send + Sync,
{
    files.push(
        KBox::pin_init(dir.read_callback_file(name, data, f), GFP_KERNEL)?,
        GFP_KERNEL,
    )?;
    Ok(())
}

impl Debugfs {
    /// Creates `kvm_riscv_aia/` with the global and per-CPU files.
    pub(crate) fn new() -> Result<Self> {
        let dir = Dir::new(c"kvm_riscv_aia");
        let mut files = KVec::new();
        add_file(&mut files, &dir, c"nr_hgei", 0u32, &global_nr_hgei)?;
        add_file(&mut files, &dir, c"max_ids", 0u32, &global_max_ids)?;
        add_file(&mut files, &dir, c"layout", 0u32, &layout)?;

        let mut name = [0u8; 16];
        for cpu in (0..glue::nr_cpu_ids()).filter(|&c| glue::cpu_possible(c)) {
            let mut w = NameBuf {
                buf: &mut name,
                len: 0,
            };
            write!(w, "cpu{cpu}\0").map_err(|_| EINVAL)?;
            let len = w.len;
            let sub = dir.subdir(CStr::from_bytes_with_nul(&name[..len]).map_err(|_| EINVAL)?);
            add_file(&mut files, &sub, c"nr_hgei", cpu, &nr_hgei)?;
            add_file(&mut files, &sub, c"free_lines", cpu, &free_lines)?;
            add_file(&mut files, &sub, c"owners", cpu, &owners)?;
            add_file(&mut files, &sub, c"sgei_count", cpu, &sgei_count)?;
            add_file(&mut files, &sub, c"bad_frees", cpu, &bad_frees)?;
            add_file(&mut files, &sub, c"pm_enters", cpu, &pm_enters)?;
            add_file(&mut files, &sub, c"state", cpu, &state)?;
        }
        Ok(Self {
            _files: files,
            _dir: dir,
        })
    }
}

/// A small stack buffer for directory names.
struct NameBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for NameBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
