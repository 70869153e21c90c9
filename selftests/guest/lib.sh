# SPDX-License-Identifier: GPL-2.0
# Helpers for the guest jobs (sourced).

# Kernel log lines that fail a test whatever its exit status: one list,
# bad-patterns (EREs), also used by run-qemu.sh on the whole console.
KAIA_BAD=$(tr '\n' '|' </kaia/bad-patterns | sed 's/|$//')

kparam() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# plan NAME...: the results this job will emit, declared before the first
# of them.  run-qemu.sh fails a run whose results differ from its plan: a
# declared result missing (the job died or skipped a part), one reported
# twice, or one not declared.
plan() {
	for n in "$@"; do
		echo "KAIA-PLAN $n" >/dev/kmsg 2>/dev/null || echo "KAIA-PLAN $n"
	done
}

# Through the kernel log (see init): a whole line on the console.
result() { echo "KAIA-RESULT $1 $2 $3 $4" >/dev/kmsg 2>/dev/null || echo "KAIA-RESULT $1 $2 $3 $4"; }

# Clear the kernel log ring so the next check only sees new lines (they were
# already printed on the console).
klog_mark() { dmesg -c >/dev/null; }

# Print the first bad kernel log line since klog_mark, if any.
klog_bad() { dmesg | grep -E -m1 "$KAIA_BAD"; }

# run_test NAME BUDGET_SECS CMD...: run with a hard time limit; exit 0 is a
# pass, 4 (KSFT_SKIP) a skip, a kill or anything else a failure; a bad kernel
# log line during the test is a failure too.
run_test() {
	name=$1 budget=$2
	shift 2
	klog_mark
	t0=$(date +%s)
	timeout -s KILL "$budget" "$@" >/tmp/test.log 2>&1
	rc=$?
	dt=$(( $(date +%s) - t0 ))
	bad=$(klog_bad)
	if [ -n "$bad" ]; then
		status=fail reason="kernel: $bad"
	elif [ $rc = 0 ]; then
		status=pass reason=
	elif [ $rc = 4 ]; then
		status=skip
		reason=$(grep -m1 -iE 'skip|not supported|requires' /tmp/test.log | tr -s ' \t' ' ' | cut -c1-160)
	elif [ $rc = 137 ] && dmesg | grep -q 'Out of memory: Killed process'; then
		status=fail reason="killed by the OOM killer after ${dt}s"
	elif [ $rc = 137 ] && [ "$dt" -lt "$budget" ]; then
		status=fail reason="killed by SIGKILL after ${dt}s"
	elif [ $rc = 137 ] || [ $rc = 124 ]; then
		status=fail reason="timeout after ${budget}s"
	else
		status=fail reason="exit $rc: $(grep -m1 -iE 'assert|fail|error' /tmp/test.log | tr -s ' \t' ' ' | cut -c1-160)"
	fi
	if [ $status != pass ]; then
		tail -n 25 /tmp/test.log | sed "s/^/# $name: /"
	fi
	# An expected failure (KAIA_XFAIL holds why) is reported as a skip with
	# that reason; if it passes, the list is out of date: that fails.
	if [ -n "${KAIA_XFAIL:-}" ]; then
		case $status in
		fail) status=skip reason="XFAIL $KAIA_XFAIL ($reason)" ;;
		pass) status=fail reason="XPASS: passes now, drop its xfail mark" ;;
		esac
	fi
	result "$name" "$status" "$dt" "$reason"
}

# check NAME CONDITION-DESCRIPTION CMD...: a one-shot assertion.
check() {
	name=$1 what=$2
	shift 2
	if "$@" >/tmp/check.log 2>&1; then
		result "$name" pass 0 ""
	else
		sed "s/^/# $name: /" /tmp/check.log | tail -n 15
		result "$name" fail 0 "$what"
	fi
}

# The module's KUnit suite ran at load (kunit.enable=1) and every test of
# it passed: "# kvm_riscv_aia: pass:N fail:0 skip:0 total:N", N > 0.
aia_kunit_check() {
	dmesg | grep -E -q 'ok [0-9]+ kvm_riscv_aia$' || { echo "suite did not run"; return 1; }
	dmesg | grep -q '# kvm_riscv_aia: pass:\([1-9][0-9]*\) fail:0 skip:0 total:\1$' ||
		{ dmesg | grep -E 'kvm_riscv_aia|not ok' | tail -20; return 1; }
}
