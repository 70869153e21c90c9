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

# The machine, for the allowed skips: online harts, and guest files per
# hart (the smallest hart's: the module's debugfs, else what the kernel said
# at load, saved by the job in /tmp/kaia-files, else what QEMU was given).
machine_files() {
	if [ -f /sys/kernel/debug/kvm_riscv_aia/nr_hgei ]; then
		cat /sys/kernel/debug/kvm_riscv_aia/nr_hgei
	elif [ -s /tmp/kaia-files ]; then
		cat /tmp/kaia-files
	else
		kparam kaia.guests
	fi
}

# skip_allowed TEST[:SUBTEST]: is this skip in /kaia/allowed-skips for this
# kernel and machine?  Prints the list's reason.
skip_allowed() {
	flv=$(cat /kaia/flavour) harts=$(nproc) files=$(machine_files) lng=$(kparam kaia.long)
	test=${1%%:*} sub=
	case $1 in *:*) sub=${1#*:} ;; esac
	grep -v '^#' /kaia/allowed-skips | while read -r fglob cond what why; do
		[ -n "$what" ] || continue
		case $flv in $fglob) ;; *) continue ;; esac
		case $cond in
		-) ;;
		harts\<*) [ "$harts" -lt "${cond#harts<}" ] || continue ;;
		files\<*) [ "${files:-0}" -lt "${cond#files<}" ] || continue ;;
		files\>*) [ "${files:-0}" -gt "${cond#files>}" ] || continue ;;
		!long) [ "$lng" != 1 ] || continue ;;
		*) continue ;;
		esac
		wtest=${what%%:*} wsub=
		case $what in *:*) wsub=${what#*:} ;; esac
		# shellcheck disable=SC2254
		case $test in $wtest) ;; *) continue ;; esac
		if [ -n "$sub" ] || [ -n "$wsub" ]; then
			# shellcheck disable=SC2254
			case $sub in $wsub) ;; *) continue ;; esac
		fi
		echo "$why"
		return 0
	done | grep .
}

# Through the kernel log (see init): a whole line on the console.  A skip
# that /kaia/allowed-skips does not allow here is a failure.
result() {
	r_status=$2 r_reason=$4
	case $r_reason in "XFAIL "*) r_xfail=1 ;; *) r_xfail= ;; esac
	if [ "$r_status" = skip ] && [ -z "$r_xfail" ] && ! skip_allowed "$1" >/dev/null; then
		r_status=fail r_reason="skip not allowed on this kernel and machine: $4"
	fi
	echo "KAIA-RESULT $1 $r_status $3 $r_reason" >/dev/kmsg 2>/dev/null ||
		echo "KAIA-RESULT $1 $r_status $3 $r_reason"
}

# Clear the kernel log ring so the next check only sees new lines (they were
# already printed on the console).
klog_mark() { dmesg -c >/dev/null; rm -f /tmp/klog.drained; }

# Move what the ring holds since klog_mark to /tmp/klog.drained (so that a
# long check can look at one part of the log and klog_bad still sees all).
klog_drain() { dmesg -c >>/tmp/klog.drained; }

# Print the first bad kernel log line since klog_mark, if any.
klog_bad() { { cat /tmp/klog.drained 2>/dev/null; dmesg; } | grep -E -m1 "$KAIA_BAD"; }

# run_test NAME BUDGET_SECS CMD...: run with a hard time limit; exit 0 is a
# pass, 4 (KSFT_SKIP) a skip, a kill or anything else a failure; a bad kernel
# log line during the test is a failure too.  A kselftest sub-test SKIP
# ("ok N sub # SKIP ...") that /kaia/allowed-skips does not allow for
# NAME:sub fails the test.  KAIA_XFAIL (why) and KAIA_XFAIL_SIG (an ERE the
# output must match) mark an expected failure: only a failure showing that
# signature, and neither a kernel report nor a timeout or kill, becomes an
# XFAIL (reported as a skip); a pass is an XPASS, which fails.
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
	# Sub-test skips inside the binary.
	if [ $status = pass ] || [ $status = skip ]; then
		bad_skip=$(sed -n 's/^ok [0-9]* \([^ ]*\) # SKIP\(.*\)$/\1\2/p' /tmp/test.log |
			while read -r sub why; do
				skip_allowed "$name:$sub" >/dev/null || echo "$sub ($why)"
			done | head -1)
		[ -z "$bad_skip" ] || status=fail reason="sub-test skip not allowed here: $bad_skip"
	fi
	if [ $status != pass ]; then
		tail -n 25 /tmp/test.log | sed "s/^/# $name: /"
	fi
	if [ -n "${KAIA_XFAIL:-}" ]; then
		case $status/$reason in
		fail/kernel:* | fail/timeout* | fail/killed*) ;;
		fail/*)
			if grep -q -E "${KAIA_XFAIL_SIG:-^$}" /tmp/test.log; then
				status=skip reason="XFAIL $KAIA_XFAIL"
			else
				reason="fails, but not as expected (XFAIL signature '${KAIA_XFAIL_SIG:-}' not seen): $reason"
			fi
			;;
		pass/*) status=fail reason="XPASS: passes now, drop its xfail mark" ;;
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

# kunit_passed LOG: the module's KUnit suite ran in LOG and every test of
# it passed: "# kvm_riscv_aia: pass:N fail:0 skip:0 total:N", N > 0.
kunit_passed() {
	grep -q '# kvm_riscv_aia: pass:\([1-9][0-9]*\) fail:0 skip:0 total:\1$' "$1" ||
		{ grep -E 'kvm_riscv_aia|not ok' "$1" | grep -v 'KAIA-' | tail -20; return 1; }
}

# The suite ran at the load just done (klog_drain before the insmod).
aia_kunit_loaded() {
	dmesg -c >/tmp/klog.load
	cat /tmp/klog.load >>/tmp/klog.drained
	kunit_passed /tmp/klog.load
}

# The suite ran at the first load (kunit.enable=1) and passed.
aia_kunit_check() {
	dmesg >/tmp/klog.all
	grep -E -q 'ok [0-9]+ kvm_riscv_aia$' /tmp/klog.all || { echo "suite did not run"; return 1; }
	kunit_passed /tmp/klog.all
}

# cpu_topology_check: every online hart's topology as the kernel took it
# from the device tree's cpu-map (drivers/base/arch_topology.c): the hart
# of [socketS/]...clusterC/coreK[/threadT] has physical_package_id S (0
# without sockets, as QEMU's virt machine describes them), cluster_id C
# (the innermost cluster) and core_id K.  A cpu-map the kernel did not
# take leaves cluster_id -1 and core_id the CPU number.  A fixed handful
# of processes for all harts, none per hart: with hundreds of harts on a
# host of two cores every fork wakes an idle hart, and their wake-ups
# queue on the kernel's locks (Documentation/baseline.md, the most harts).
# KAIA_DT and KAIA_SYS move the device tree and sysfs roots (tools/tests/).
cpu_topology_check() {
	ct_map=${KAIA_DT:-/sys/firmware/devicetree/base}/cpus/cpu-map
	ct_sys=${KAIA_SYS:-/sys}/devices/system/cpu
	ct_harts=
	ct_hph=
	for d in "$ct_sys"/cpu[0-9]*; do
		[ -f "$d/of_node/phandle" ] || continue
		o=1
		[ -f "$d/online" ] && read -r o <"$d/online"
		[ "$o" = 1 ] || continue
		ct_harts="$ct_harts ${d##*/cpu}"
		ct_hph="$ct_hph $d/of_node/phandle"
	done
	[ -n "$ct_harts" ] || { echo "no online hart has a device tree node"; return 1; }
	ct_leaves=$(cd "$ct_map" && find . -name cpu -type f | sort)
	[ -n "$ct_leaves" ] || { echo "the cpu-map names no hart"; return 1; }
	# Lines "H harts", the harts' phandle bytes, "M leaves", the leaves'
	# phandle bytes; od reads each list as one stream of 4-byte values.
	# shellcheck disable=SC2086
	{
		echo H $ct_harts
		od -An -v -tx1 $ct_hph
		echo M $ct_leaves
		(cd "$ct_map" && od -An -v -tx1 $ct_leaves)
	} | awk -v sys="$ct_sys" '
	function val(f,  v) {
		v = ""
		if ((getline v < f) <= 0) v = "none"
		close(f)
		return v
	}
	$1 == "H" { sec = "H"; nh = split(substr($0, 3), hart, " "); next }
	$1 == "M" { sec = "M"; nl = split(substr($0, 3), leaf, " "); next }
	{ for (i = 1; i <= NF; i++) bytes[sec] = bytes[sec] $i }
	END {
		if (length(bytes["H"]) != 8 * nh || length(bytes["M"]) != 8 * nl) {
			print "phandles: read " length(bytes["H"]) / 8 " for " nh " harts, " \
				length(bytes["M"]) / 8 " for " nl " cpu-map leaves"
			exit 1
		}
		for (i = 1; i <= nh; i++) of[substr(bytes["H"], 8 * i - 7, 8)] = hart[i]
		for (i = 1; i <= nl; i++) {
			p = substr(leaf[i], 2)
			ph = substr(bytes["M"], 8 * i - 7, 8)
			if (!(ph in of)) {
				print "cpu-map" p ": no online hart has phandle " ph
				exit 1
			}
			c = of[ph]
			# socketS, clusterC (the last one is the innermost), coreK
			s = 0; cl = -1; k = ""
			n = split(p, part, "/")
			for (j = 1; j <= n; j++) {
				if (part[j] ~ /^socket[0-9]+$/) s = substr(part[j], 7)
				else if (part[j] ~ /^cluster[0-9]+$/) cl = substr(part[j], 8)
				else if (part[j] ~ /^core[0-9]+$/) k = substr(part[j], 5)
			}
			want = s " " cl " " k
			t = sys "/cpu" c "/topology/"
			gcl = val(t "cluster_id")
			if (gcl == "none") gcl = cl
			got = val(t "physical_package_id") " " gcl " " val(t "core_id")
			if (got != want) {
				print "cpu" c " (cpu-map" p "): package, cluster, core " got \
					"; the cpu-map says " want
				exit 1
			}
		}
		if (nl != nh) {
			print "the cpu-map has " nl " harts, " nh " are online"
			exit 1
		}
		print nl " harts as the cpu-map describes them"
	}'
}
