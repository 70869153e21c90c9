#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fill Documentation/baseline.md's @@...@@ tables from a make check run.

usage: tools/fill-baseline.py CACHE_WORK_DIR MAKE_CHECK_OUTPUT [WARM_OUTPUT]
(CACHE_WORK_DIR is $KVM_AIA_CACHE/work, holding logs/ and logs/steps/.)
"""
import re
import subprocess
import sys

work, out = sys.argv[1], sys.argv[2]
warm = sys.argv[3] if len(sys.argv) > 3 else None
doc = "Documentation/baseline.md"


def results(log):
    r = {}
    for line in open(log, errors="replace"):
        m = re.match(r"KAIA-RESULT (\S+) (\S+) (\d+) ?(.*)", line)
        if m:
            r[m.group(1)] = (m.group(2), m.group(3), m.group(4).strip())
    return r


def steps(path):
    s = {}
    for line in open(path, errors="replace"):
        m = re.match(r"(not )?ok \d+ - (\S+) # (?:exit \d+ after )?(\d+)s", line)
        if m:
            s[m.group(2)] = int(m.group(3))
    return s


def total(path):
    for line in open(path, errors="replace"):
        m = re.match(r"# make check: (\d+)s", line)
        if m:
            return int(m.group(1))
    return None


def summary(path):
    for line in open(path, errors="replace"):
        if re.match(r"\d+ passed, \d+ failed, \d+ skipped", line):
            last = line.strip()
    return last


def table(cols, names, note_col=True):
    rows = ["| test | " + " | ".join(f"{c} | s" for c, _ in cols) + " | notes |",
            "|---|" + "---|---:|" * len(cols) + "---|"]
    for n in names:
        cells, notes = [], []
        for _, r in cols:
            st, secs, why = r.get(n, ("-", "", ""))
            cells.append(f"{st} | {secs}")
            if why and st != "pass" and why not in notes:
                notes.append(why)
        rows.append(f"| {n} | " + " | ".join(cells) + " | " + "; ".join(notes).replace("|", "\\|") + " |")
    return "\n".join(rows)


stock = results(f"{work}/logs/stock-check.log")
rust = results(f"{work}/logs/rust-check.log")
names = list(dict.fromkeys(list(stock) + list(rust)))
aia = [n for n in names if n.startswith("aia_") and n in ("aia_delivery", "aia_one_reg", "aia_exhaustion", "aia_wakeup", "aia_migration")]
life = [n for n in names if n.startswith("aia_") and n not in aia] + ["kmemleak"]
kvm = [n for n in names if n not in aia and n not in life]

s = steps(out)
t = [f"| step | empty cache (s) |" + (" warm cache (s) |" if warm else ""),
     "|---|---:|" + ("---:|" if warm else "")]
w = steps(warm) if warm else {}
for k, v in s.items():
    t.append(f"| {k} | {v} |" + (f" {w.get(k, '')} |" if warm else ""))
t.append(f"| **total** | **{total(out)}** |" + (f" **{total(warm)}** |" if warm else ""))
times = "\n".join(t) + f"\n\nEmpty cache: `{summary(out)}`" + (f"; warm cache: `{summary(warm)}`." if warm else ".")

debug = results(f"{work}/logs/rust-debug-stress.log")
noaia = results(f"{work}/logs/rust-noaia.log")
lif = table([("rust", rust)], life) + "\n\nNo-AIA machine (virt with the PLIC), rust kernel:\n\n" + \
    table([("rust", noaia)], list(noaia)) + "\n\nDebug kernel (`rust-debug`), 100 load/unload cycles:\n\n" + \
    table([("rust-debug", debug)], list(debug))
cycles = re.findall(r"# (\d+) cycles in (\d+) s", open(f"{work}/logs/rust-debug-stress.log", errors="replace").read())
if cycles:
    lif += f"\n\n{cycles[-1][0]} cycles took {cycles[-1][1]} s of guest time under KASAN and lockdep."

text = open(doc).read()
text = text.replace("@@TIMES@@", times)
text = text.replace("@@COMPARISON@@", table([("stock", stock), ("rust", rust)], kvm))
text = text.replace("@@AIA@@", table([("stock", stock), ("rust", rust)], aia))
text = text.replace("@@LIFECYCLE@@", lif)
open(doc, "w").write(text)
print("filled", doc)
