// SPDX-License-Identifier: GPL-2.0
/*
 * aia_bench - read the bench kernels' per-vCPU AIA instruction counts
 *
 * usage: aia_bench [-t] [CPU]
 *
 * Only on the "bench" kernels (patches/<series>-bench/: kvm.ko with the
 * debugfs files aia_bench_cpu and aia_bench_vcpu), under QEMU with
 * -icount shift=0, where the calibration must come out exact.  With -t
 * (timed) the counter need not be exact: under multi-threaded TCG
 * (no -icount) QEMU's instret reads the host's cycle counter, so every
 * figure is host time, the calibration loop's included, and only the
 * operations' outcomes are checked.  On hart CPU (default 0), with one
 * HWACCEL vCPU:
 *  1. before the vCPU ever ran (no line owned anywhere): aia_bench_cpu;
 *  2. the vCPU runs once (it takes a guest file of the hart, enables its
 *     IDs and returns to us), the host leaves MSI 1 pending in its guest
 *     file, then aia_bench_vcpu: the vCPU's operations on the hart that
 *     holds its file, and an SGEI that must find the line and kick it.
 * Prints "bench <op> <min> <max>" per operation (the first, "calibration",
 * a loop of known length that must count exactly) and fails when the
 * counter is not exact, an operation did not run as required, or a file is
 * absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aia_lib.h"

#define BENCH_OPS	16

/*
 * Timed (-t): each figure is host time less an empty measurement's, and a
 * run can come out below it: the kernel's unsigned difference then wraps
 * and becomes the file's maximum.  Such an operation's minimum reads 0
 * ("too short to time") and its maximum the other runs' minimum (a lower
 * bound: their maximum is lost).  The timed tables use minimums only.
 */
static bool timed;

struct bench_file {
	char key[BENCH_OPS][32];
	unsigned long long min[BENCH_OPS], max[BENCH_OPS];
	int nr;
	long long cpu, loop, alloc_error, pending, hgeip, sgei_left, rc;
};

static void bench_guest(void)
{
	aia_guest_imsic_init();
	/* The host's MSI stays pending in the guest file: never claimed. */
	local_irq_disable();
	GUEST_SYNC(0);
	GUEST_DONE();
}

static void bench_read(struct aia_vm *a, const char *file, struct bench_file *b)
{
	char path[128], key[32], line[128];
	/* The files' single values, by name. */
	const struct {
		const char *key;
		long long *val;
	} vals[] = {
		{ "cpu", &b->cpu }, { "loop", &b->loop }, { "alloc_error", &b->alloc_error },
		{ "pending", &b->pending }, { "hgeip", &b->hgeip },
		{ "sgei_left", &b->sgei_left }, { "rc", &b->rc },
	};
	unsigned long long x, y;
	size_t i;
	int n;
	FILE *f;

	memset(b, 0, sizeof(*b));
	b->cpu = -1;
	b->loop = -1;
	b->pending = -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/vcpu0/%s",
		 getpid(), a->vm->fd, file);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %s (not a bench kernel?)", path, strerror(errno));
	/* The file as read, for the log. */
	while (fgets(line, sizeof(line), f))
		printf("# %s: %s", file, line);
	rewind(f);
	while ((n = fscanf(f, "%31s %llu %llu", key, &x, &y)) >= 2) {
		for (i = 0; i < ARRAY_SIZE(vals); i++)
			if (!strcmp(key, vals[i].key))
				*vals[i].val = x;
		if (n == 3) {
			TEST_ASSERT(b->nr < BENCH_OPS, "too many operations in %s", file);
			if (timed && (long long)y < 0) {
				/* The wrapped run was the maximum: see timed. */
				y = (long long)x < 0 ? 0 : x;
				x = 0;
			}
			snprintf(b->key[b->nr], sizeof(b->key[b->nr]), "%s", key);
			b->min[b->nr] = x;
			b->max[b->nr] = y;
			b->nr++;
		}
	}
	TEST_ASSERT(!ferror(f), "reading %s: %s", path, strerror(errno));
	fclose(f);
}

/* Print the operations; @n of them must be there, each with a count. */
static void bench_print(const struct bench_file *b, const char *file, int n)
{
	int i;

	TEST_ASSERT(b->nr == n, "%s: %d operations, wanted %d", file, b->nr, n);
	for (i = 0; i < b->nr; i++) {
		TEST_ASSERT((b->min[i] > 0 || timed) && b->min[i] <= b->max[i],
			    "%s: %s counted %llu..%llu", file, b->key[i], b->min[i], b->max[i]);
		printf("bench %s %llu %llu\n", b->key[i], b->min[i], b->max[i]);
	}
}

int main(int argc, char **argv)
{
	struct bench_file b;
	struct ucall uc;
	struct aia_vm *a;
	int cpu;

	timed = argc > 1 && !strcmp(argv[1], "-t");
	cpu = argc > 1 + timed ? atoi(argv[1 + timed]) : 0;

	aia_pin_self(cpu);
	a = aia_vm_create(KVM_DEV_RISCV_AIA_MODE_HWACCEL, 1, bench_guest);
	aia_enable_all_ids(a);
	aia_vm_init(a);

	bench_read(a, "aia_bench_cpu", &b);
	TEST_ASSERT(b.cpu == cpu, "aia_bench_cpu ran on CPU %lld, not %d", b.cpu, cpu);
	TEST_ASSERT(b.nr > 0 && !strcmp(b.key[0], "calibration"), "no calibration line");
	/*
	 * instret counts every instruction of the loop, or nothing here is
	 * exact: on one hart every run counts the loop's length; on more,
	 * the fewest must, and a run may count more (seen on hart 0 of a
	 * 107-hart machine: one run of 16 counted 22243; the counter counts
	 * every privilege mode, and M-mode runs whatever S-mode's interrupt
	 * state): every figure is a minimum.  Timed (-t), the loop's
	 * figure is its host time, checked like every other figure.
	 */
	TEST_ASSERT(timed || (b.min[0] == (unsigned long long)b.loop &&
			      (b.max[0] == b.min[0] || aia_nr_cpus() > 1)),
		    "instret is not exact: a loop of %lld instructions counted %llu..%llu",
		    b.loop, b.min[0], b.max[0]);
	TEST_ASSERT(!b.alloc_error, "alloc_hgei on CPU %d failed: %lld", cpu, b.alloc_error);
	bench_print(&b, "aia_bench_cpu", 3);

	vcpu_run(a->vcpus[0]);
	TEST_ASSERT(get_ucall(a->vcpus[0], &uc) == UCALL_SYNC, "vCPU 0 did not report: exit %s",
		    exit_reason_str(a->vcpus[0]->run->exit_reason));
	aia_signal_msi(a, 0, 1);

	bench_read(a, "aia_bench_vcpu", &b);
	TEST_ASSERT(b.cpu == cpu, "aia_bench_vcpu ran on CPU %lld, not %d", b.cpu, cpu);
	TEST_ASSERT(!b.rc, "ONE_REG get/set failed: %lld", b.rc);
	TEST_ASSERT(b.pending == 1, "has_interrupts does not see the pending MSI");
	TEST_ASSERT(b.hgeip, "no guest file line pending on CPU %d after the MSI", cpu);
	TEST_ASSERT(!b.sgei_left, "the SGEI left lines %#llx enabled in HGEIE",
		    (unsigned long long)b.sgei_left);
	bench_print(&b, "aia_bench_vcpu", 6);

	aia_vm_free(a);
	return 0;
}
