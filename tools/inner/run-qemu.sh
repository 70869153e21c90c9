#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the toolchain root: boot a flavour's kernel on QEMU's virt machine
# with AIA (aplic-imsic) and guest files, run a guest job, and turn its
# KAIA-RESULT lines into TAP on stdout.  A hang (timeout), a missing
# KAIA-END, or any WARN/BUG/Oops/lockdep/KASAN/kmemleak report on the
# console is a failure.  The console log is kept in /kaia/cache/logs/.
#
# usage: run-qemu.sh FLAVOUR JOB [-s SMP] [-g AIA_GUESTS] [-t TIMEOUT]
#                    [-a "extra kernel args"] [-m MEM] [-q (quiet console)]
#                    [-A aplic-imsic|none (machine AIA; none = PLIC, no AIA)]
#                    [-I (a non-retentive SBI idle state for every hart)]
#                    [-N NAME (log and counts name; default FLAVOUR-JOB)]
#                    [-T single|multi (TCG threads, default single: see Documentation/design.md)]
#                    [-i (deterministic: -icount shift=0, one instruction per
#                        virtual ns, so instret counts instructions)]
#                    [-S SOCKETS (the harts and memory split evenly into NUMA
#                        nodes: virt makes each a socket, with its own
#                        APLIC and IMSIC group)]
#                    [-B FIRMWARE (for -bios; default: QEMU's, Debian's OpenSBI)]
#                    [-C (no cpu-map in the device tree: Linux 7.3 parses it
#                        in O(harts^3) before the CPU devices exist, see
#                        Documentation/baseline.md "The most harts")]
#                    [-K SLOW (the guest's clock SLOW times slower than the
#                        machine's timer: the device tree's timebase-frequency
#                        times SLOW; for hundreds of harts under multi-threaded
#                        TCG, whose timer runs at host speed, see
#                        Documentation/baseline.md "The most harts")]
#                    [-X EXT (ISA extension EXT taken out of every hart's
#                        device tree node, e.g. ziccrse: Linux then takes
#                        ticket spinlocks instead of queued ones)]
# Every run has a QEMU monitor on /kaia/cache/logs/NAME.mon while it runs
# (e.g. "info registers -a" shows where each hart is in a long boot).
# Exit status: 0 when every result passed or skipped.
. /kaia/src/tools/kenv.sh

flavour=$1 job=$2
shift 2
smp=2 guests=5 tmo=1800 extra= mem=2G quiet=0 aia=aplic-imsic idle=0 tcg=${KAIA_TCG:-single}
icount=() sockets=1 bios=default nomap=0 slow=1 noext=
name=$flavour-$job
while getopts s:g:t:a:m:qA:IT:N:iS:B:CK:X: o; do
	case $o in
	s) smp=$OPTARG ;; g) guests=$OPTARG ;; t) tmo=$OPTARG ;;
	a) extra=$OPTARG ;; m) mem=$OPTARG ;; q) quiet=1 ;; A) aia=$OPTARG ;;
	I) idle=1 ;; T) tcg=$OPTARG ;; N) name=$OPTARG ;;
	i) icount=(-icount shift=0,sleep=off) ;;
	S) sockets=$OPTARG ;; B) bios=$OPTARG ;; C) nomap=1 ;; K) slow=$OPTARG ;;
	X) noext=$OPTARG ;;
	*) exit 2 ;;
	esac
done
case $slow in [1-9] | [1-9][0-9]) ;; *) echo "-K $slow: wants a factor from 1 to 99" >&2; exit 2 ;; esac
case $noext in '' | z[a-z0-9]* | s[a-z0-9]*) ;; *) echo "-X $noext: wants a multi-letter extension (z..., s...)" >&2; exit 2 ;; esac

out=$(out_dir "$flavour")
[ -f "$out/.kaia-built" ] || { echo "kernel $flavour not built" >&2; exit 1; }
mkdir -p "$KAIA_CACHE/logs"
log=$KAIA_CACHE/logs/$name.log
# A second run of the same name must not clobber a running one.
exec 9>"$log.lock"
flock -n 9 || { echo "another $flavour/$job run is using $log" >&2; exit 1; }
# The initramfs is the run's own (runs of one flavour may go in parallel)
# and goes away with it.
trap 'rm -rf "$KAIA_CACHE/initramfs/$name"' EXIT
initrd=$(bash /kaia/src/tools/inner/mkinitramfs.sh "$flavour" "$job" "$name" | tail -1)
[ -f "$initrd" ] || { echo "no initramfs for $name" >&2; exit 1; }
if [ "$aia" = none ]; then
	machine=virt
else
	machine=virt,aia=$aia,aia-guests=$guests
fi

cpu=rv64,h=true,sscofpmf=true
# Sockets: QEMU's virt machine has one per NUMA node (-smp's sockets= only
# changes the cpu-map), each with its own memory here.
numa=()
if [ "$sockets" != 1 ]; then
	mib=$(numfmt --from=iec "$mem")
	mib=$((mib / 1048576))
	[ $((smp % sockets)) = 0 ] && [ $((mib % sockets)) = 0 ] ||
		{ echo "-S $sockets: $smp harts and $mem must split evenly" >&2; exit 2; }
	per=$((smp / sockets))
	for ((n = 0; n < sockets; n++)); do
		numa+=(-object "memory-backend-ram,id=kaia-mem$n,size=$((mib / sockets))M"
			-numa "node,nodeid=$n,cpus=$((n * per))-$((n * per + per - 1)),memdev=kaia-mem$n")
	done
fi
# The machine's own device tree, kept with the log (NAME.dtb: the layout
# check reads it); with -I, plus a non-retentive idle state (SBI HSM
# default non-retentive suspend) for every hart, so that the
# cpuidle-riscv-sbi driver runs the CPU PM notifiers around it; with -C,
# without its cpu-map (the scheduler's cluster topology; the harts, IMSICs
# and APLICs stay as they are); with -K, with its timebase-frequency
# multiplied; with -X, without that extension in any hart's riscv,isa and
# riscv,isa-extensions.  Either way QEMU's own is NAME.orig.dtb and the
# guest boots NAME.dtb.
d=$KAIA_CACHE/logs/$name
rm -f "$d.dtb"
qemu-system-riscv64 -M "$machine,dumpdtb=$d.dtb" -cpu "$cpu" -smp "$smp" \
	-m "$mem" "${numa[@]}" -nographic >/dev/null
dtb=()
rm -f "$d.orig.dtb"
if [ $idle = 1 ] || [ $nomap = 1 ] || [ "$slow" != 1 ] || [ -n "$noext" ]; then
	cp "$d.dtb" "$d.orig.dtb"
	dtb=(-dtb "$d.dtb")
fi
if [ $idle = 1 ]; then
	dtc -q -I dtb -O dts "$d.orig.dtb" | awk '
		/^\tcpus \{/ { print; in_cpus = 1; next }
		in_cpus && !done && /^\t\tcpu@[0-9a-f]+ \{/ {
			print "\t\tidle-states {"
			print "\t\t\tCPU_NONRET: cpu-nonret {"
			print "\t\t\t\tcompatible = \"riscv,idle-state\";"
			print "\t\t\t\triscv,sbi-suspend-param = <0x80000000>;"
			print "\t\t\t\tentry-latency-us = <1>;"
			print "\t\t\t\texit-latency-us = <1>;"
			print "\t\t\t\tmin-residency-us = <2>;"
			print "\t\t\t};"
			print "\t\t};"
			done = 1
		}
		/^\t\tcpu@[0-9a-f]+ \{/ { print; print "\t\t\tcpu-idle-states = <&CPU_NONRET>;"; next }
		/^\t};/ { in_cpus = 0 }
		{ print }' >"$d.dts"
	grep -q CPU_NONRET "$d.dts" || { echo "cannot add idle states to the device tree" >&2; exit 1; }
	dtc -q -I dts -O dtb -o "$d.dtb" "$d.dts"
fi
[ $nomap = 0 ] || fdtput -r "$d.dtb" /cpus/cpu-map
[ "$slow" = 1 ] ||
	fdtput -t u "$d.dtb" /cpus timebase-frequency \
		$(($(fdtget -t u "$d.dtb" /cpus timebase-frequency) * slow))
if [ -n "$noext" ]; then
	dtc -q -I dtb -O dts "$d.dtb" | sed -E "s/\"$noext\", //; s/_$noext([_\"])/\\1/" >"$d.dts"
	! grep -qE "\"$noext\"|_$noext[_\"]" "$d.dts" && grep -q riscv,isa-extensions "$d.dts" ||
		{ echo "cannot take $noext out of the device tree" >&2; exit 1; }
	dtc -q -I dts -O dtb -o "$d.dtb" "$d.dts"
fi

echo "[kvm-aia] booting $flavour on $machine -smp $smp in $sockets socket(s) (job $job, timeout ${tmo}s)" >&2
t0=$(date +%s)
set +e
# A kernel oops, a stall or a task that died holding a lock can leave the
# guest hung for the whole timeout: stop QEMU KAIA_FATAL_GRACE seconds
# after the first such report.
# The run has failed already (console_clean); what was reported until then
# is kept.
fatal='Oops|Unable to handle kernel|Kernel panic|BUG: (soft|hard) lockup|detected stalls|self-detected stall|BUG: scheduling while atomic'
grace=${KAIA_FATAL_GRACE:-60}
rm -f "$d.pid" "$d.fatal" "$d.mon"
: >"$log"
(
	while sleep 2; do
		qpid=$(cat "$d.pid" 2>/dev/null) || continue
		kill -0 "$qpid" 2>/dev/null || break
		grep -a -q -E "$fatal" "$log" || continue
		sleep "$grace"
		kill -0 "$qpid" 2>/dev/null && echo "$grace" >"$d.fatal" && kill -KILL "$qpid"
		break
	done
) &
watch=$!
# TCG's translation cache: 2 GiB instead of QEMU's 1 GiB when the host has
# the memory for two of them beside two guests (12 GiB).  Nested KVM runs
# three kernels' and QEMU's code, and at 1 GiB the cache fills and is
# flushed: the same guest jobs took 13-30% longer (2026-12-02, QEMU 10.0.13;
# the first L2 boot of a vmm job 33 s instead of 12 s).  KAIA_TB sets the
# size in MiB, 0 for QEMU's default.
tb=${KAIA_TB:-}
if [ -z "$tb" ]; then
	tb=0
	[ "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)" -ge $((12 * 1024 * 1024)) ] && tb=2048
fi
case $tb in 0) tb= ;; *[!0-9]*) echo "KAIA_TB=$tb: not a size in MiB" >&2; exit 2 ;; *) tb=,tb-size=$tb ;; esac
# The console goes to the log; our result lines are echoed live on stderr.
timeout -s KILL "$tmo" qemu-system-riscv64 -accel "tcg,thread=$tcg$tb" "${icount[@]}" \
	-pidfile "$d.pid" -monitor "unix:$d.mon,server=on,wait=off" -M "$machine" -cpu "$cpu" "${dtb[@]}" \
	-smp "$smp" -m "$mem" "${numa[@]}" -nographic -no-reboot -bios "$bios" \
	-kernel "$out/arch/riscv/boot/Image" -initrd "$initrd" \
	-append "console=ttyS0 rdinit=/init panic=-1 printk.devkmsg=on kunit.enable=1 kunit.autorun=1 kaia.job=$job kaia.guests=$guests $extra" \
	</dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" |
	if [ $quiet = 1 ]; then grep --line-buffered -E '^(\[ *[0-9.]+\] )?KAIA-' >&2; else cat >&2; fi
qrc=${PIPESTATUS[0]}
rm -f "$d.mon"
kill "$watch" 2>/dev/null
wait "$watch" 2>/dev/null
set -e
dt=$(( $(date +%s) - t0 ))

# TAP.
n=0 failed=0 passed=0 skipped=0
tap=$(mktemp)
emit() { # status name secs reason
	n=$((n + 1))
	case $1 in
	pass) echo "ok $n - $flavour/$2 # ${3}s" ; passed=$((passed + 1)) ;;
	skip) echo "ok $n - $flavour/$2 # SKIP ${4:-no reason given}" ; skipped=$((skipped + 1)) ;;
	*) echo "not ok $n - $flavour/$2 # ${3}s ${4}" ; failed=$((failed + 1)) ;;
	esac >>"$tap"
}
# The guest writes its KAIA- lines to the kernel log: "[  1.23] KAIA-...".
# printk writes a record whole, but it can land after a job's partial line
# on the console ("# running demand[  46.0] KAIA-RESULT ..."), so a
# timestamped record counts wherever it starts. Jobs never echo KAIA-
# lines of the kernel log (they filter them out), so nothing counts twice.
kaia_lines() {
	sed -n -E 's/^(.*\[ *[0-9]+\.[0-9]+\] |)(KAIA-[A-Z]+ .*)$/\2/p' "$log" | grep "^$1" || true
}
if [ -n "$(kaia_lines KAIA-BOOT)" ]; then emit pass boot "$dt"; else emit fail boot "$dt" "guest never reached /init"; fi
while read -r _ rname status secs reason; do
	emit "$status" "$rname" "$secs" "$reason"
done < <(kaia_lines 'KAIA-RESULT ')
# The job's results against its plan (KAIA-PLAN, declared first): each
# declared result exactly once, nothing undeclared.
planned=$(kaia_lines 'KAIA-PLAN ' | awk '{ print $2 }')
reported=$(kaia_lines 'KAIA-RESULT ' | awk '{ print $2 }')
if [ -z "$planned" ]; then
	emit fail plan 0 "the job declared no results (KAIA-PLAN)"
else
	# The first five problems (sed reads on: head would end the
	# pipeline early, and under pipefail SIGPIPE would end this script).
	bad=$( {
		printf '%s\n' "$planned" | sort | uniq -d | sed 's/^/declared twice: /'
		printf '%s\n' "$reported" | sort | uniq -d | sed 's/^/reported twice: /'
		comm -23 <(printf '%s\n' "$planned" | sort -u) <(printf '%s\n' "$reported" | sort -u) |
			sed 's/^/declared, never reported: /'
		comm -13 <(printf '%s\n' "$planned" | sort -u) <(printf '%s\n' "$reported" | sort -u) |
			sed 's/^/reported, not declared: /'
	} | sed -n 1,5p | tr '\n' ';')
	if [ -n "$bad" ]; then emit fail plan 0 "$bad"; else emit pass plan 0; fi
fi
end=$(kaia_lines KAIA-END | tail -1)
if [ -f "$d.fatal" ]; then
	emit fail completed "$dt" "QEMU stopped $(cat "$d.fatal")s after a kernel oops"
elif [ "$qrc" = 137 ]; then
	emit fail completed "$dt" "QEMU killed after ${tmo}s (hang)"
elif [ -z "$end" ]; then
	emit fail completed "$dt" "guest job did not finish (QEMU exit $qrc)"
elif [ "$end" != "KAIA-END rc=0" ]; then
	emit fail completed "$dt" "guest job stopped early ($end)"
else
	emit pass completed "$dt"
fi
# The same list as the guest's klog_bad (selftests/guest/bad-patterns).
bad=$(grep -a -E -m1 -f /kaia/src/selftests/guest/bad-patterns "$log" || true)
if [ -n "$bad" ]; then emit fail console_clean 0 "console: $bad"; else emit pass console_clean 0; fi

echo "TAP version 13"
echo "1..$n"
cat "$tap"
rm -f "$tap"
echo "# $flavour/$job: $passed passed, $failed failed, $skipped skipped in ${dt}s (log: $log)"
echo "$passed $failed $skipped $dt" >"$KAIA_CACHE/logs/$name.counts"
[ $failed = 0 ]
