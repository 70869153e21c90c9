// SPDX-License-Identifier: GPL-2.0
/*
 * Harness self-test for "make check": this module only WARNs when loaded.
 * The bench must turn that into a failure (tools/check.sh runs it and
 * passes only if the guest run is reported as failed).
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "kvm-aia-rs harness self-test: deliberate warning\n");
	return 0;
}
module_init(warn_on_load_init);

static void __exit warn_on_load_exit(void)
{
}
module_exit(warn_on_load_exit);

MODULE_DESCRIPTION("kvm-aia-rs harness self-test: WARN on load");
MODULE_LICENSE("GPL");
