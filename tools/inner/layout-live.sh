#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: after a guest run NAME of a module flavour,
# check with tools/imsic-layout that the module's view of the IMSIC (the
# debugfs layout the guest logged as KAIA-LAYOUT lines) agrees with the
# device tree of the machine that ran it (logs/NAME.dtb, kept by
# run-qemu.sh): geometry, every hart's S-level file and guest files, and
# the guest-file address of each line the module hands out.
#
# usage: layout-live.sh NAME
. /kaia/src/tools/kenv.sh

name=$1
logs=$KAIA_CACHE/logs
[ -f "$logs/$name.dtb" ] || { echo "no device tree of run $name" >&2; exit 1; }
sed -n -E 's/^(.*\[ *[0-9]+\.[0-9]+\] |)KAIA-LAYOUT //p' "$logs/$name.log" >"$logs/$name.layout"
[ -s "$logs/$name.layout" ] || { echo "run $name logged no KAIA-LAYOUT lines" >&2; exit 1; }
cd /kaia/src/tools/imsic-layout
cargo build --locked -q
bin=${CARGO_TARGET_DIR:-target}/debug/imsic-layout
"$bin" --dtb "$logs/$name.dtb"
"$bin" --compare --dtb "$logs/$name.dtb" --debugfs "$logs/$name.layout"
