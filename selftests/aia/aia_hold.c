// SPDX-License-Identifier: GPL-2.0
/*
 * aia_hold - hold a VM whose vCPUs own guest interrupt files, until killed.
 *
 * usage: aia_hold READY_FILE
 *
 * Not a test of its own: the guest jobs' lifecycle checks (unload refused
 * while a VM exists, unload/load cycles, hotplug) run it so that a VM
 * really holds HGEI lines meanwhile.  One vCPU per online hart (at most
 * AIA_MAX_VCPUS), each pinned to its hart, in AUTO mode (EMUL on a host
 * without HGEI lines, which refuses AUTO), sleeping in WFI.  AUTO, not
 * HWACCEL: a vCPU whose hart goes offline must be able to run on a hart
 * whose lines are all taken (one guest file per hart), on a SW file.
 * READY_FILE is created once every vCPU has run and, with the Rust
 * provider's debugfs and lines, owns a line of its hart.  SIGTERM or
 * SIGINT stops the vCPUs and frees the VM; the exit status is 0 only if
 * all went well.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aia_lib.h"

int main(int argc, char **argv)
{
	int v, nr, fd, sig, lines[AIA_MAX_VCPUS];
	bool has_lines = true;
	struct aia_vm *a;
	sigset_t set;
	FILE *f;

	TEST_ASSERT(argc == 2, "usage: aia_hold READY_FILE");
	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	TEST_ASSERT(!pthread_sigmask(SIG_BLOCK, &set, NULL), "pthread_sigmask");

	nr = aia_nr_cpus();
	if (nr > AIA_MAX_VCPUS)
		nr = AIA_MAX_VCPUS;
	/* The provider's global line count, when it has debugfs. */
	f = fopen("/sys/kernel/debug/kvm_riscv_aia/nr_hgei", "r");
	if (f) {
		has_lines = fscanf(f, "%d", &v) == 1 && v > 0;
		fclose(f);
	}
	a = aia_vm_create(has_lines ? KVM_DEV_RISCV_AIA_MODE_AUTO :
			  KVM_DEV_RISCV_AIA_MODE_EMUL, nr, NULL);
	aia_enable_all_ids(a);
	aia_vm_init(a);
	for (v = 0; v < nr; v++)
		aia_runner_start(a, v, v);
	for (v = 0; v < nr; v++) {
		aia_wait_ready(a, v);
		TEST_ASSERT(!a->runner[v].exited, "vCPU %d exited (reason %u)",
			    v, a->runner[v].exit_reason);
	}
	if (aia_debugfs_present() && has_lines) {
		for (v = 0; v < nr; v++) {
			memset(lines, 0, sizeof(lines));
			aia_debugfs_owners(v, lines);
			TEST_ASSERT(lines[v], "vCPU %d owns no line of hart %d", v, v);
		}
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	TEST_ASSERT(fd >= 0, "cannot create %s", argv[1]);
	close(fd);
	printf("aia_hold: %d vCPUs%s\n", nr, has_lines ? ", each owning a line of its hart" :
	       " (EMUL: the host has no HGEI line)");
	fflush(stdout);

	TEST_ASSERT(!sigwait(&set, &sig), "sigwait");
	aia_stop_all(a);
	aia_vm_free(a);
	return 0;
}
