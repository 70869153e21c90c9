// SPDX-License-Identifier: GPL-2.0
/*
 * aia_churn - VMs coming and going while the AIA provider comes and goes.
 *
 * usage: aia_churn hold READY_FILE
 *        aia_churn churn SECONDS
 *
 * Not a test of its own: the guest jobs' lifecycle checks run it.
 *
 * hold: create one VM with no AIA device (kvm.ko alone can run it), create
 *   READY_FILE and keep the VM until SIGTERM or SIGINT.  While it exists
 *   the provider must refuse to register (insmod kvm_riscv_aia.ko fails
 *   with EBUSY).
 * churn: for SECONDS, create a VM, then its AIA device, and destroy both,
 *   as fast as possible, while the caller unloads and loads the provider.
 *   Each step must either work or fail the way the KVM core series says:
 *   KVM_CREATE_VM with EAGAIN while the provider is going away (its module
 *   can no longer be pinned), KVM_CREATE_DEVICE with ENODEV while no
 *   provider is registered.  Any other errno fails (exit 1), and so does
 *   a device whose mode does not read back as EMUL, HWACCEL or AUTO.
 *   Prints how often each outcome happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

static int create_vm(int kvm)
{
	int fd;

	do
		fd = ioctl(kvm, KVM_CREATE_VM, 0);
	while (fd < 0 && errno == EINTR);
	return fd;
}

static int hold(const char *ready)
{
	int kvm = open("/dev/kvm", O_RDWR), vm, fd, sig;
	sigset_t set;

	if (kvm < 0) {
		perror("aia_churn: /dev/kvm");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	vm = create_vm(kvm);
	if (vm < 0) {
		perror("aia_churn: KVM_CREATE_VM");
		return 1;
	}
	fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(ready);
		return 1;
	}
	close(fd);
	printf("aia_churn: holding a VM without AIA\n");
	fflush(stdout);
	if (sigwait(&set, &sig))
		return 1;
	close(vm);
	close(kvm);
	return 0;
}

static int churn(int seconds)
{
	unsigned long vms = 0, vm_eagain = 0, devs = 0, dev_enodev = 0;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_RISCV_AIA };
	struct kvm_device_attr attr;
	int kvm = open("/dev/kvm", O_RDWR), vm, r;
	struct timespec now, end;
	__u32 val;

	if (kvm < 0) {
		perror("aia_churn: /dev/kvm");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	do {
		vm = create_vm(kvm);
		if (vm < 0) {
			if (errno != EAGAIN) {
				perror("aia_churn: KVM_CREATE_VM");
				return 1;
			}
			vm_eagain++;
			continue;
		}
		vms++;
		cd.fd = 0;
		r = ioctl(vm, KVM_CREATE_DEVICE, &cd);
		if (r) {
			if (errno != ENODEV) {
				perror("aia_churn: KVM_CREATE_DEVICE");
				return 1;
			}
			dev_enodev++;
		} else {
			devs++;
			/* The device works: its mode reads as one of the three. */
			val = ~0U;
			attr = (struct kvm_device_attr){
				.group = KVM_DEV_RISCV_AIA_GRP_CONFIG,
				.attr = KVM_DEV_RISCV_AIA_CONFIG_MODE,
				.addr = (unsigned long)&val,
			};
			if (ioctl(cd.fd, KVM_GET_DEVICE_ATTR, &attr) || val > 2) {
				fprintf(stderr, "aia_churn: AIA mode %u (%s)\n", val,
					strerror(errno));
				return 1;
			}
			close(cd.fd);
		}
		close(vm);
	} while (clock_gettime(CLOCK_MONOTONIC, &now),
		 now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	printf("aia_churn: %lu VMs (%lu with an AIA device, %lu ENODEV), %lu EAGAIN\n",
	       vms, devs, dev_enodev, vm_eagain);
	close(kvm);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "churn") && atoi(argv[2]) > 0)
		return churn(atoi(argv[2]));
	fprintf(stderr, "usage: aia_churn hold READY_FILE | churn SECONDS\n");
	return 2;
}
