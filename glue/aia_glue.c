// SPDX-License-Identifier: GPL-2.0
/*
 * C glue of kvm_riscv_aia.ko: thin wrappers around kernel inline helpers
 * and macros that Rust cannot call directly.  No logic lives here.
 */

#include <linux/cpumask.h>
#include <linux/module.h>

#include "kvm_riscv_aia_glue.h"

unsigned int kvm_riscv_aia_glue_nr_cpu_ids(void)
{
	return nr_cpu_ids;
}
