#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Mutation check: plant one deliberate bug at a time in the module, rebuild
# it, run the guest jobs that should catch it, and report whether they did.
# Every mutation must make its jobs fail; a mutation that survives means a
# test is missing.  The module's sources are restored after each mutation
# (and on exit).  Uses the warm cache of make check (kernels built).
#
# usage: tools/mutation-check.sh [NAME...]   (default: all)
#        tools/mutation-check.sh --sites      (only check that every
#            mutation site occurs exactly once in the sources; lint runs it)
# Prints one TAP line per mutation and "N passed, N failed" (a passed line
# is a mutation that was caught).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
sites_only=0
if [ "${1:-}" = --sites ]; then
	sites_only=1
	shift
else
	. "$here/lib.sh"
fi

# Never plant bugs in the working tree: run from a throw-away worktree of
# HEAD (tools/in-root.sh binds the tree it is run from).  Do not run this
# while make check runs: both use the cache's module build directory.
if [ $sites_only = 0 ] && [ -z "${KAIA_MUTATION_TREE:-}" ]; then
	wt=$(mktemp -d /tmp/kaia-mutants.XXXXXX)
	git -C "$repo" worktree add -q --detach "$wt" HEAD || exit 1
	KAIA_MUTATION_TREE=1 bash "$wt/tools/mutation-check.sh" "$@"
	rc=$?
	git -C "$repo" worktree remove --force "$wt"
	# Leave a module built from the real sources behind.
	bash "$here/in-root.sh" bash /kaia/src/tools/inner/build-module.sh rust >/dev/null 2>&1
	exit $rc
fi
cd "$repo"
inroot() { bash "$here/in-root.sh" "$@"; }

M_name=() M_file=() M_jobs=() M_orig=() M_new=()
# add NAME FILE JOBS ORIGINAL MUTATED: JOBS are run-qemu.sh arguments,
# ';'-separated; ORIGINAL must occur exactly once in FILE.
add() { M_name+=("$1") M_file+=("$2") M_jobs+=("$3") M_orig+=("$4") M_new+=("$5"); }

add pm_exit_noop rust/hgei.rs "pm -I" \
'    pub(crate) fn pm_exit(&self, on: &PinnedCpu) {
        let hc' \
'    pub(crate) fn pm_exit(&self, on: &PinnedCpu) {
        if true {
            return;
        }
        let hc'
add guest_file_pa_line1 rust/hgei.rs "check -a kaia.only=aia_ipi;vmm -a kaia.vmm_tmo=60" \
'            Some(l.msi_pa.wrapping_add(off)),' \
'            Some(l.msi_pa.wrapping_add(0x1000)),'
add sgei_no_kick rust/hgei.rs "check -a kaia.only=aia_wakeup,aia_ipi" \
'            unsafe { glue::vcpu_kick(owner.as_ptr()) };
        }
        true' \
'            let _ = owner;
        }
        true'
add sgei_kicks_line1_only rust/hgei.rs "check -a kaia.only=aia_wakeup,aia_ipi" \
'        for owner in st.ctrl.owners_in(mask) {' \
'        for owner in st.ctrl.owners_in(mask & csr::bit(1)) {'
add disable_keeps_files rust/hgei.rs "check -a kaia.only=aia_hotplug" \
'            unsafe { glue::imsic_release(owner.as_ptr()) };' \
'            let _ = owner;
            continue;'
add shutdown_releases_files rust/hgei.rs "check -a kaia.only=aia_attrs" \
'        if glue::irqs_disabled() {' \
'        if false && glue::irqs_disabled() {'
add free_never_frees rust/hgei.rs "check -a kaia.only=aia_exhaustion,aia_migration" \
'        let freed = st.ctrl.free(hgei);' \
'        let freed = Ok::<(), HgeiError>(());'
add update_hvip_ignores_vseip rust/vcpu.rs "check -a kaia.only=aia_delivery" \
'csr::ncsr_write::<{ csr::HVICTL }>(iprio::hvictl_for_hvip(hvip));' \
'csr::ncsr_write::<{ csr::HVICTL }>(iprio::hvictl_for_hvip(hvip & 0));'
add one_reg_set_ignored rust/vcpu.rs "check -a kaia.only=aia_one_reg" \
'        unsafe { *self.csr().cast::<c_ulong>().add(i) = val };' \
'        let _ = (i, val);'
add has_interrupts_false rust/vcpu.rs "check -a kaia.only=aia_wakeup" \
'        if !self.aia_initialized() || seip == 0 {' \
'        if true || !self.aia_initialized() || seip == 0 {'
add hgeie_probe_one_more rust/hgei.rs "check -a kaia.only=aia_exhaustion" \
'            probe::nr_hgei_from_hgeie(readback),' \
'            probe::nr_hgei_from_hgeie(readback) + 1,'

# The in-place reads of the hot paths (offsets from glue/offsets.c).
add tp_cpu_wrong rust/glue.rs "check -a kaia.only=aia_ipi" \
'    unsafe { (task.wrapping_add(offsets::TASK_TI_CPU) as *const u32).read() }' \
'    unsafe { (task.wrapping_add(offsets::TASK_TI_CPU) as *const u32).read() ^ 1 }'
add imsic_va_from_pa_field rust/glue.rs "check -a kaia.only=aia_ipi" \
'                msi_va: field::<_, *mut c_void>(lc, offsets::IMSIC_LC_MSI_VA).read(),' \
'                msi_va: field::<_, *mut c_void>(lc, offsets::IMSIC_LC_MSI_PA).read(),'
# The CPU check without the mask (PerCpu::possible): one past the dense
# bound reaches a slot that does not exist.
add percpu_dense_one_more rust/percpu.rs "check -a kaia.only=aia_ipi" \
'        if cpu < self.nr_dense {' \
'        if cpu <= self.nr_dense {'

if [ $sites_only = 1 ]; then
	bad=0
	for i in "${!M_name[@]}"; do
		n=$(python3 -c 'import sys; print(open(sys.argv[1]).read().count(sys.argv[2]))' \
			"${M_file[i]}" "${M_orig[i]}")
		if [ "$n" != 1 ]; then
			echo "mutation ${M_name[i]}: its site occurs $n times in ${M_file[i]} (must be 1)"
			bad=1
		fi
	done
	exit $bad
fi

logs=$KVM_AIA_CACHE/work/logs/mutations
mkdir -p "$logs"

restore() { git checkout -q -- rust/; }
trap restore EXIT

want=("$@")
n=0 caught=0 survived=0
for i in "${!M_name[@]}"; do
	name=${M_name[i]} file=${M_file[i]} jobs=${M_jobs[i]}
	orig=${M_orig[i]} mutated=${M_new[i]}
	if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -x "$name" >/dev/null; then
		continue
	fi
	n=$((n + 1))
	restore
	if ! python3 - "$file" "$orig" "$mutated" <<'EOF'
import sys
path, orig, new = sys.argv[1:]
s = open(path).read()
if s.count(orig) != 1:
    sys.exit("mutation site found %d times in %s" % (s.count(orig), path))
open(path, "w").write(s.replace(orig, new))
EOF
	then
		echo "not ok $n - $name # cannot apply (the code moved: update the mutation)"
		survived=$((survived + 1))
		continue
	fi
	if ! inroot bash /kaia/src/tools/inner/build-module.sh rust >"$logs/$name.build" 2>&1; then
		echo "not ok $n - $name # the mutant does not build ($logs/$name.build)"
		survived=$((survived + 1))
		continue
	fi
	failed_by=
	IFS=';' read -r -a runs <<<"$jobs"
	for r in "${runs[@]}"; do
		# shellcheck disable=SC2086
		set -- $r
		job=$1
		shift
		if ! inroot bash /kaia/src/tools/inner/run-qemu.sh rust "$job" -q -N "mutant-$name-$job" \
			-t 1500 "$@" >"$logs/$name-$job.tap" 2>/dev/null; then
			failed_by="$failed_by $(grep '^not ok' "$logs/$name-$job.tap" | sed 's/^not ok [0-9]* - rust\///; s/ #.*//' | tr '\n' ' ')"
		fi
		# As make check does: the module's debugfs layout against the
		# machine's device tree.
		if [ "$job" = check ] && ! inroot bash /kaia/src/tools/inner/layout-live.sh \
			"mutant-$name-$job" >"$logs/$name-layout.log" 2>&1; then
			failed_by="$failed_by imsic-layout-live"
		fi
	done
	if [ -n "$failed_by" ]; then
		echo "ok $n - $name # caught by:$failed_by"
		caught=$((caught + 1))
	else
		echo "not ok $n - $name # survived: $jobs all passed"
		survived=$((survived + 1))
	fi
done
restore
echo "1..$n"
echo "$caught passed, $survived failed"
[ $survived = 0 ]
