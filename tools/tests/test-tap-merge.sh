#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of tools/tap-merge.sh, the step of make check that adds a guest
# run's TAP to its own, and of where run-qemu.sh writes the run's summary.
# A lost summary once turned a green CI run into "10 failed"; a merge that
# trusted the summary alone would turn a red one green.
# Prints TAP and "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap-merge.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t=0 tpassed=0 tfailed=0

check() { # NAME CONDITION-DESCRIPTION: from $got (output) and globals
	t=$((t + 1))
	if [ "$1" = 1 ]; then tpassed=$((tpassed + 1)); echo "ok $t - $2"
	else tfailed=$((tfailed + 1)); echo "not ok $t - $2"; sed 's/^/#   /' "$tmp/out"; fi
}

# merge TAPLINES COUNTS RC: run the merge with n=10, nothing counted yet.
merge() {
	printf '%s\n' "TAP version 13" "1..x" $1 >"$tmp/tap"
	rm -f "$tmp/counts"
	[ "$2" = none ] || echo "$2" >"$tmp/counts"
	n=10 passed=0 failed=0 skipped=0
	merge_guest_tap job "$tmp/tap" "$tmp/counts" "$3" >"$tmp/out"
}
IFS_SAVE=$IFS
IFS=$'\n'
ok3=$'ok 1 - a # 1s\nok 2 - b # SKIP no PMU\nnot ok 3 - c # 2s boom'

merge "$ok3" "1 1 1 40" 1
check "$([ "$n/$passed/$failed/$skipped" = 13/1/1/1 ] && echo 1)" \
	"counts come from the lines: 1 passed, 1 failed, 1 skipped"
check "$(grep -qx 'not ok 13 - c # 2s boom' "$tmp/out" && grep -qx 'ok 11 - a # 1s' "$tmp/out" && echo 1)" \
	"lines are renumbered after the caller's"

merge "$ok3" none 1
check "$([ "$failed" = 2 ] && grep -q '^not ok 14 - job # the run left no summary' "$tmp/out" && echo 1)" \
	"no summary: one more failure, named"

merge "ok 1 - a # 1s" none 0
check "$([ "$passed/$failed" = 1/1 ] && echo 1)" \
	"no summary fails even when every line that arrived passed"

merge "ok 1 - a # 1s" "2 0 0 5" 0
check "$([ "$failed" = 1 ] && grep -q 'disagrees' "$tmp/out" && echo 1)" \
	"a summary that disagrees with the lines fails"

merge "ok 1 - a # 1s" "1 0 0 5" 137
check "$([ "$failed" = 1 ] && grep -q 'exit 137 with no failed result' "$tmp/out" && echo 1)" \
	"a failing exit status without a failed line fails"

merge "" "0 0 0 5" 0
check "$([ "$failed" = 1 ] && grep -q 'no results' "$tmp/out" && echo 1)" \
	"a run with no results fails"

merge $'ok 1 - a # 1s\nok 2 - b # 1s' "2 0 0 5" 0
check "$([ "$n/$passed/$failed/$skipped" = 12/2/0/0 ] && echo 1)" \
	"a clean run adds its passes and nothing else"

merge $'ok 1 - a # 1s\nnot ok 2 - b # exit 1\n# why b failed\n1..2' "1 1 0 5" 1
check "$([ "$(cat "$tmp/out")" = $'ok 11 - a # 1s\nnot ok 12 - b # exit 1\n# why b failed' ] && echo 1)" \
	"comment lines pass through in place; plan lines do not"
IFS=$IFS_SAVE

# run-qemu.sh writes its summary under the run's name (-N), whatever its
# result lines are called: the TAP section, fed a log, must leave
# NAME.counts. (A result loop that reused $name once wrote ".counts".)
sec=$(sed -n '/^# TAP\.$/,/counts"$/p' "$here/../inner/run-qemu.sh")
mkdir -p "$tmp/cache/logs"
: >"$tmp/patterns"
sec=${sec//\/kaia\/src\/selftests\/guest\/bad-patterns/$tmp/patterns}
# tap_section LOGLINES...: run the section on a log of these lines, with
# run-qemu.sh's shell options; its output goes to $tmp/out.
tap_section() {
	printf '%s\n' "$@" >"$tmp/cache/logs/runname.log"
	rm -f "$tmp/cache/logs/runname.counts" "$tmp/cache/logs/.counts"
	(
		set -euo pipefail
		flavour=f job=j name=runname KAIA_CACHE=$tmp/cache log=$tmp/cache/logs/runname.log
		d=$tmp/cache/logs/runname
		qrc=0 dt=4 tmo=10
		eval "$sec"
	) >"$tmp/out" 2>&1
}
# A record can land after a job's partial line on the console (z).
tap_section "[    1.0] KAIA-BOOT job=j" "[    1.1] KAIA-PLAN x" "[    1.2] KAIA-PLAN y" \
	"[    1.3] KAIA-PLAN z" "[    2.0] KAIA-RESULT x pass 1" "[    3.0] KAIA-RESULT y skip 0 no reason" \
	"# running demand[    3.5] KAIA-RESULT z pass 1" "[    4.0] KAIA-END rc=0"
check "$([ -f "$tmp/cache/logs/runname.counts" ] && [ ! -e "$tmp/cache/logs/.counts" ] &&
	[ "$(cat "$tmp/cache/logs/runname.counts")" = "6 0 1 4" ] && echo 1)" \
	"run-qemu.sh writes NAME.counts and counts every record, also one after a partial line"

# More than five plan problems (the message keeps five) must still give a
# failed plan line and a summary, not kill the section (SIGPIPE under
# pipefail once did, leaving no TAP at all).
tap_section "[    1.0] KAIA-BOOT job=j" "[    1.1] KAIA-PLAN a" "[    1.1] KAIA-PLAN b" \
	"[    1.1] KAIA-PLAN c" "[    1.1] KAIA-PLAN d" "[    1.1] KAIA-PLAN e" "[    1.1] KAIA-PLAN f" \
	"[    2.0] KAIA-RESULT h pass 1" "[    2.1] KAIA-RESULT h pass 1" "[    4.0] KAIA-END rc=0"
check "$(grep -q '^not ok [0-9]* - f/plan .*reported twice: h' "$tmp/out" &&
	[ "$(cut -d' ' -f2 "$tmp/cache/logs/runname.counts" 2>/dev/null)" = 1 ] && echo 1)" \
	"run-qemu.sh reports more than five plan problems as one failed plan line"

echo "1..$t"
echo "$tpassed passed, $tfailed failed"
[ $tfailed = 0 ]
