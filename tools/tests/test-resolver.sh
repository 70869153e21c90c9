#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of tools/resolve-versions.sh on recorded "apt-cache madison"
# outputs (tools/tests/resolver/):
#   today-2026-12-01      recorded on 2026-12-01: rustc 1.96.1 (the old pin)
#                         has left trixie-backports, 1.97.1 is served
#   archive-2026-11-22    the archive as the 2026-11-22 notes describe it
#   rust-src-lags         rustc/rustfmt/clippy/cargo 1.98.0 uploaded, rust-src
#                         still at 1.97.1: the group stays at 1.97.1
#   rust-incoherent       only 1.98.0 of rustc served, no rust-src 1.98.0
#   qemu-too-old          QEMU 9.2 only: below the 10.0 floor
#   series-7.2            four 7.2 patch releases served, unordered
# Prints TAP and "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
resolve=$here/../resolve-versions.sh
floors=$here/../toolchain.floors
d=$here/resolver
n=0 passed=0 failed=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	sed 's/^/#   /' "$out" "$err"
}

# expect NAME MADISON KERNEL RC [PATTERN...]: exit status RC, and each
# PATTERN (an ERE) matches a line of stdout (RC 0) or of stderr.
expect() {
	local name=$1 m=$2 k=$3 want=$4 rc pat where
	shift 4
	bash "$resolve" "$floors" "$d/$m.madison" "$k" >"$out" 2>"$err"
	rc=$?
	if [ "$rc" != "$want" ]; then nok "$name: exit $rc, wanted $want"; return; fi
	where=$out
	[ "$want" = 0 ] || where=$err
	for pat in "$@"; do
		grep -Eq -- "$pat" "$where" || { nok "$name: no line matches '$pat'"; return; }
	done
	if [ "$want" = 0 ]; then
		# One line per package of the floors file, each with a version.
		local want_n
		want_n=$(grep -Ev '^(#|$)' "$floors" | wc -l)
		[ "$(wc -l <"$out")" = "$want_n" ] ||
			{ nok "$name: $(wc -l <"$out") packages resolved, wanted $want_n"; return; }
		! awk 'NF != 2' "$out" | grep . >/dev/null ||
			{ nok "$name: a package without a version"; return; }
	fi
	ok "$name"
}

rust_all() { # the five rustc packages at one version
	local v=$1 p
	for p in rustc rust-src rustfmt rust-clippy cargo; do echo "^$p ${v//+/\\+}\$"; done
}

expect "old pin 1.96.1 gone: newest served 1.97.1 is picked" today-2026-12-01 7.3 0 \
	$(rust_all '1.97.1+dfsg1-1~bpo13+1') \
	'^linux-source-7.3 7\.3\.4-1~bpo13\+1$' \
	'^qemu-system-riscv 1:10\.0\.13\+ds-0\+deb13u1$' \
	'^busybox-static:riscv64 1:1\.37\.0-6\+b9$' \
	'^bindgen 0\.71\.1-6$'
expect "the 2026-11-22 archive resolves to its 1.96.1" archive-2026-11-22 7.3 0 \
	$(rust_all '1.96.1+dfsg1-2~bpo13+1')
expect "rust-src behind rustc: the group stays coherent at 1.97.1" rust-src-lags 7.3 0 \
	$(rust_all '1.97.1+dfsg1-1~bpo13+1')
expect "no coherent rust group: an error naming the group and rust-src" rust-incoherent 7.3 1 \
	"group 'rust'" '^resolve: rust-src: needs >= 1\.85\.0 from trixie-backports; trixie-backports serves: 1\.97\.1'
expect "QEMU below its floor: an error naming package, floor and what is served" qemu-too-old 7.3 1 \
	'^resolve: qemu-system-riscv: needs >= 1:10\.0 from trixie; trixie serves: 1:9\.2\.1\+ds-1\+deb13u1$'
expect "series 7.2: the newest patch release in dpkg order" series-7.2 7.2 0 \
	'^linux-source-7.2 7\.2\.12-1~bpo13\+1$'
expect "a series the archive does not serve is an error naming it" today-2026-12-01 7.2 1 \
	'^resolve: linux-source-7\.2: needs >= 7\.2 from trixie-backports; trixie-backports serves: nothing$'
# The versions of another suite never count: rustc 1.85.1 in trixie is not
# taken for trixie-backports.
expect "only the stated suite counts" today-2026-12-01 7.3 0 '^rustc 1\.97'

echo "1..$n"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
