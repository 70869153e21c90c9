// SPDX-License-Identifier: GPL-2.0

//! `imsic-layout`: see the crate documentation and `--help`.

use imsic_layout::{compare, fdt::Fdt, layout::Layout, report};
use std::process::ExitCode;

const USAGE: &str = "\
usage: imsic-layout [--json] SOURCE
       imsic-layout --compare DTB-SOURCE DEBUGFS-SOURCE
SOURCE is one of:
  --dtb FILE        a device tree blob (e.g. QEMU's -M virt,...,dumpdtb=FILE)
  --live            the running system's device tree (/sys/firmware/fdt)
  --debugfs PATH    kvm_riscv_aia.ko's debugfs layout file, or its directory
                    (default /sys/kernel/debug/kvm_riscv_aia)
--compare exits 1 and lists the differences when the module's view does not
agree with the device tree's.";

fn read(kind: &str, arg: Option<&str>) -> Result<Layout, String> {
    match kind {
        "--dtb" | "--live" => {
            let path = if kind == "--live" {
                "/sys/firmware/fdt"
            } else {
                arg.ok_or("--dtb needs a file")?
            };
            let b = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
            let fdt = Fdt::parse(&b).map_err(|e| format!("{path}: {e}"))?;
            Layout::from_fdt(&fdt, path)
        }
        "--debugfs" => {
            let mut path =
                std::path::PathBuf::from(arg.unwrap_or("/sys/kernel/debug/kvm_riscv_aia"));
            if path.is_dir() {
                path.push("layout");
            }
            let t =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            Layout::from_debugfs(&t, &path.display().to_string())
                .map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => Err(format!("unknown source '{kind}'\n{USAGE}")),
    }
}

/// Takes one SOURCE off the front of `args`.
fn take_source(args: &mut Vec<String>) -> Result<Layout, String> {
    if args.is_empty() {
        return Err(USAGE.to_string());
    }
    let kind = args.remove(0);
    let arg = match kind.as_str() {
        "--dtb" | "--debugfs" if args.first().is_some_and(|a| !a.starts_with("--")) => {
            Some(args.remove(0))
        }
        _ => None,
    };
    read(&kind, arg.as_deref())
}

fn run() -> Result<ExitCode, String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    if args.first().map(String::as_str) == Some("--compare") {
        args.remove(0);
        let dt = take_source(&mut args)?;
        let m = take_source(&mut args)?;
        let d = compare::compare(&dt, &m);
        for x in &d {
            println!("differs: {x}");
        }
        println!(
            "{} harts compared ({} vs {}): {}",
            dt.harts.len(),
            dt.source,
            m.source,
            if d.is_empty() { "agree" } else { "DIFFER" }
        );
        return Ok(if d.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let json = args.first().map(String::as_str) == Some("--json");
    if json {
        args.remove(0);
    }
    let l = take_source(&mut args)?;
    if !args.is_empty() {
        return Err(format!("unexpected '{}'\n{USAGE}", args[0]));
    }
    print!(
        "{}",
        if json {
            report::json(&l)
        } else {
            report::text(&l)
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    match run() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("imsic-layout: {e}");
            ExitCode::from(2)
        }
    }
}
