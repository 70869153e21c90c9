/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C glue of kvm_riscv_aia.ko: the functions below are implemented in
 * glue/aia_glue.c and called from Rust (rust/aia.rs declares them in an
 * `extern "C"` block with the same signatures).
 */
#ifndef KVM_RISCV_AIA_GLUE_H
#define KVM_RISCV_AIA_GLUE_H

#include <linux/types.h>

/* Number of possible CPUs (nr_cpu_ids), for range checks in Rust. */
unsigned int kvm_riscv_aia_glue_nr_cpu_ids(void);

#endif /* KVM_RISCV_AIA_GLUE_H */
