// SPDX-License-Identifier: GPL-2.0
/*
 * vm_holder: create a KVM VM (with one vCPU) and keep it until killed.
 * Used by the guest checks to test that kvm_riscv_aia.ko cannot be
 * unloaded while a VM exists.
 *
 * usage: vm_holder [READY_FILE]   (the file is created once the VM exists)
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror("open /dev/kvm");
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		perror("KVM_CREATE_VM");
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		perror("KVM_CREATE_VCPU");
		return 1;
	}
	if (argc > 1) {
		FILE *f = fopen(argv[1], "w");

		if (!f) {
			perror(argv[1]);
			return 1;
		}
		fclose(f);
	}
	for (;;)
		pause();
}
