// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for the CPU PM (non-retentive idle) check of kvm-aia-rs.
 *
 * A hart that really enters a non-retentive idle state loses its
 * H-extension CSRs; that is why KVM saves HGEIE on CPU_PM_ENTER and
 * restores it, HIE.SGEI, HVICTL and HVIPRIO on CPU_PM_EXIT
 * (kvm_riscv_aia_pm_enter()/_exit()).  Under QEMU, OpenSBI's default
 * non-retentive suspend is a WFI and the CSRs survive it, so a missing or
 * broken restore would go unnoticed.  This module models the loss: its CPU
 * PM notifier runs after KVM's on CPU_PM_ENTER (lower priority) and clears
 * what the hardware would lose.  Each loss is counted in
 * /sys/module/pm_lossy/parameters/losses.
 */
#include <linux/atomic.h>
#include <linux/cpu_pm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <asm/csr.h>

static atomic_t losses = ATOMIC_INIT(0);

static int losses_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&losses));
}

static const struct kernel_param_ops losses_ops = {
	.get = losses_get,
};
module_param_cb(losses, &losses_ops, NULL, 0444);
MODULE_PARM_DESC(losses, "CPU_PM_ENTER events whose hypervisor CSRs were cleared");

static int pm_lossy_notify(struct notifier_block *nb, unsigned long cmd, void *v)
{
	if (cmd != CPU_PM_ENTER)
		return NOTIFY_DONE;

	/* What a non-retentive state loses and KVM must restore. */
	csr_write(CSR_HGEIE, 0);
	csr_clear(CSR_HIE, BIT(IRQ_S_GEXT));
	csr_write(CSR_HVICTL, 0);
	csr_write(CSR_HVIPRIO1, 0);
	csr_write(CSR_HVIPRIO2, 0);
	atomic_inc(&losses);
	return NOTIFY_OK;
}

static struct notifier_block pm_lossy_nb = {
	.notifier_call = pm_lossy_notify,
	/* After KVM's notifier (priority 0) on CPU_PM_ENTER. */
	.priority = -1,
};

static int __init pm_lossy_init(void)
{
	return cpu_pm_register_notifier(&pm_lossy_nb);
}
module_init(pm_lossy_init);

static void __exit pm_lossy_exit(void)
{
	cpu_pm_unregister_notifier(&pm_lossy_nb);
}
module_exit(pm_lossy_exit);

MODULE_DESCRIPTION("kvm-aia-rs test helper: lose the H-extension CSRs in CPU PM idle");
MODULE_LICENSE("GPL");
