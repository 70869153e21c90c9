// SPDX-License-Identifier: GPL-2.0

//! Scale benchmark of the module's pure HGEI logic (`make bench`, host part).
//!
//! Two operations, on 1 to 4096 harts with 1 to 63 lines per hart:
//!
//! - `enable`: what `kvm_riscv_aia_enable()` computes on every hart: the line
//!   count from the `hgeie` readback, clamped by the hart's guest files, the
//!   hart's [`HgeiControl::probe_done`], and the global minimum lowered by the
//!   compare-exchange loop the module runs on its `AtomicI32`;
//! - `line`: one guest-file line's life on a full hart: alloc, one SGEI
//!   dispatch round over every line of the hart (`owners_in(hgeip & hgeie)`),
//!   free.
//!
//! The host has no instruction counter, so the figures are nanoseconds per
//! hart (`enable`) and per line (`line`), the fastest of 9 trials (the
//! least disturbed by the rest of the machine), and each one's ratio to the
//! same operation on one hart measured in the same run:
//! a ratio near 1 means the cost per hart or per line does not grow with
//! the number of harts. Every trial also checks the result (the global is
//! the minimum over the harts, every owner is dispatched once, every line
//! is free again) and the program exits non-zero if one is wrong.
//!
//! `--quick` runs a small matrix once (make check runs it so that it cannot
//! rot).

use kvm_riscv_aia_core::logic::hgei::HgeiControl;
use kvm_riscv_aia_core::logic::probe::{
    clamp_nr_hgei, global_as_atomic, initial_global, lower_global, nr_hgei_from_hgeie,
};
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

/// A line owner: hart and line, as the module's vCPU pointer stands for one.
type Owner = (u32, u32);

/// The `hgeie` readback of a hart with `geilen` lines (bits `geilen:1`).
fn readback(geilen: u32) -> u64 {
    if geilen == 0 {
        0
    } else {
        (u64::MAX >> (63 - geilen)) & !1
    }
}

/// `kvm_riscv_aia_enable()` on every hart, in hart order, from scratch.
/// Hart `h` has `lines` lines and `lines + h % 3` guest files, so that the
/// clamp keeps the `hgeie` count. Returns the global count.
fn enable_all(ctl: &mut [HgeiControl<Owner>], lines: u32, files0: u32) -> Result<i32, String> {
    let global = AtomicI32::new(global_as_atomic(initial_global(Some(files0))));
    for (h, c) in ctl.iter_mut().enumerate() {
        *c = HgeiControl::new();
        let files = lines + (h % 3) as u32;
        let local = clamp_nr_hgei(nr_hgei_from_hgeie(readback(black_box(lines))), Some(files));
        c.probe_done(local)
            .map_err(|e| format!("hart {h}: probe_done: {e:?}"))?;
        let mut cur = global.load(Ordering::Relaxed);
        while let Some(new) = lower_global(u32::try_from(cur).unwrap_or(0), local) {
            match global.compare_exchange(
                cur,
                global_as_atomic(new),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(seen) => cur = seen,
            }
        }
    }
    Ok(global.load(Ordering::Relaxed))
}

/// Every line of every hart: alloc all, one SGEI round per hart, free all.
/// Returns the number of owners dispatched.
fn lines_all(ctl: &mut [HgeiControl<Owner>], lines: u32) -> Result<u64, String> {
    let mut kicked = 0u64;
    for (h, c) in ctl.iter_mut().enumerate() {
        let h = h as u32;
        for n in 1..=lines {
            let line = c
                .alloc((h, n))
                .map_err(|e| format!("hart {h}: alloc: {e:?}"))?;
            if line != n {
                return Err(format!("hart {h}: alloc gave line {line}, want {n}"));
            }
        }
        // hgeip & hgeie with every line pending.
        for (k, o) in c.owners_in(black_box(readback(lines))).enumerate() {
            if o != (h, k as u32 + 1) {
                return Err(format!(
                    "hart {h}: SGEI dispatched {o:?} for line {}",
                    k + 1
                ));
            }
            kicked += 1;
        }
        for n in 1..=lines {
            let o = c
                .free(n as i32)
                .map_err(|e| format!("hart {h}: free: {e:?}"))?;
            if o != (h, n) {
                return Err(format!("hart {h}: line {n} was owned by {o:?}"));
            }
        }
        if c.nr_free() != lines {
            return Err(format!(
                "hart {h}: {} lines free, want {lines}",
                c.nr_free()
            ));
        }
    }
    Ok(kicked)
}

/// Fewest nanoseconds per unit of `f` over `trials` trials of `reps` calls,
/// `units` units per call.
fn min_ns(
    trials: usize,
    reps: usize,
    units: usize,
    mut f: impl FnMut() -> Result<(), String>,
) -> Result<f64, String> {
    let mut t = Vec::with_capacity(trials);
    for _ in 0..trials {
        let start = Instant::now();
        for _ in 0..reps {
            f()?;
        }
        t.push(start.elapsed().as_nanos() as f64 / (reps * units) as f64);
    }
    Ok(t.into_iter().fold(f64::INFINITY, f64::min))
}

fn run(quick: bool) -> Result<(), String> {
    let harts: &[usize] = if quick {
        &[1, 64, 4096]
    } else {
        &[1, 2, 4, 8, 16, 64, 256, 512, 1024, 4096]
    };
    let lines_set: &[u32] = if quick {
        &[1, 63]
    } else {
        &[1, 5, 7, 15, 31, 63]
    };
    let trials = if quick { 1 } else { 9 };
    // About this many line operations per trial, whatever the size.
    let budget = if quick { 1 << 12 } else { 1 << 20 };

    println!("| harts | lines | enable ns/hart | ratio | line ns/line | ratio |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for &lines in lines_set {
        let mut base: Option<(f64, f64)> = None;
        for &n in harts {
            let mut ctl = vec![HgeiControl::<Owner>::new(); n];
            let reps = (budget / (n * lines as usize)).max(1);
            let files0 = lines + 2;
            let enable = min_ns(trials, reps, n, || {
                let global = enable_all(&mut ctl, lines, files0)?;
                // Every hart's count is `lines` (its files are >= lines).
                if global != lines as i32 {
                    return Err(format!("{n} harts: global {global}, want {lines}"));
                }
                Ok(())
            })?;
            let want = (n as u64) * u64::from(lines);
            let line = min_ns(trials, reps, n * lines as usize, || {
                let kicked = lines_all(&mut ctl, lines)?;
                if kicked != want {
                    return Err(format!("{n} harts: {kicked} owners kicked, want {want}"));
                }
                Ok(())
            })?;
            let (be, bl) = *base.get_or_insert((enable, line));
            println!(
                "| {n} | {lines} | {enable:.1} | {:.2} | {line:.1} | {:.2} |",
                enable / be,
                line / bl
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    match run(quick) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: {e}");
            ExitCode::FAILURE
        }
    }
}
