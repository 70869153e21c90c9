# SPDX-License-Identifier: GPL-2.0
#
# kvm-aia-rs: the RISC-V KVM AIA provider as a Rust module.
#
#   make run     boot the QEMU AIA machine with our kernel, load KVM, show AIA
#   make check   all tests (host + kernel tier); needs root the first time
#   make bench   retired instructions of the host AIA entry points, C vs Rust
#   make         build kvm_riscv_aia.ko against the project's cached kernel
#
# With your own RISC-V kernel tree and toolchain, skip the provisioning:
#   make KDIR=/path/to/linux LLVM=1 [O=...]        (ARCH=riscv is implied)

ifneq ($(KDIR),)
ARCH ?= riscv
export ARCH

modules modules_install clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

.DEFAULT_GOAL := modules
else
module:
	bash tools/in-root.sh bash /kaia/src/tools/inner/build-kernel.sh $(or $(FLAVOUR),stock)
	bash tools/in-root.sh bash /kaia/src/tools/inner/build-module.sh $(or $(FLAVOUR),stock)

.DEFAULT_GOAL := module
endif

check:
	bash tools/check.sh

run:
	bash tools/run.sh

bench:
	bash tools/bench.sh

.PHONY: module modules modules_install clean check run bench
