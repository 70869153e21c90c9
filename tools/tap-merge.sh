# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tools/check.sh (and tools/tests/test-tap-merge.sh).
#
# merge_guest_tap NAME TAP COUNTS RC: add one guest run's TAP (run-qemu.sh's
# stdout, file TAP), or a lane of make check's, to the caller's TAP stream.
# Comment lines ("# ...") pass through. Its ok / not ok lines are
# renumbered after the caller's n and counted into the caller's passed,
# failed and skipped from the lines themselves. The run's own summary
# (COUNTS, "P F S SECS", written as its last act) must exist and agree with
# those lines, and an exit status RC other than 0 needs a failed line: else
# the run died half-way or its summary is wrong, and one more failed line,
# named NAME, says which.
merge_guest_tap() {
	local name=$1 tap=$2 counts=$3 rc=$4 l p f s tp=0 tf=0 ts=0 why=
	while IFS= read -r l; do
		case $l in
		"not ok "*) tf=$((tf + 1)) ;;
		"ok "*"# SKIP"*) ts=$((ts + 1)) ;;
		"ok "*) tp=$((tp + 1)) ;;
		"#"*) echo "$l"; continue ;;
		*) continue ;;
		esac
		n=$((n + 1))
		echo "$l" | sed "s/^\(not \)\?ok [0-9]* /\1ok $n /"
	done <"$tap"
	if [ ! -f "$counts" ] || ! IFS=" " read -r p f s _ <"$counts"; then
		why="the run left no summary ($counts): it died before the end"
	elif [ "$p $f $s" != "$tp $tf $ts" ]; then
		why="its summary ($p/$f/$s) disagrees with its TAP ($tp/$tf/$ts)"
	elif [ $((tp + tf + ts)) = 0 ]; then
		why="no results"
	elif [ "$rc" != 0 ] && [ "$tf" = 0 ]; then
		why="exit $rc with no failed result"
	fi
	passed=$((passed + tp)) failed=$((failed + tf)) skipped=$((skipped + ts))
	if [ -n "$why" ]; then
		n=$((n + 1)) failed=$((failed + 1))
		echo "not ok $n - $name # $why"
	fi
	return 0
}
