#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-test job: load a module that WARNs.  The module loads fine,
# so only the bench's kernel-log checks can notice; the host expects this
# run to be reported as failed.
. /kaia/lib.sh
plan warn_module_load negative_clean
klog_mark
check warn_module_load "insmod warn_on_load.ko" insmod /lib/modules/warn_on_load.ko
bad=$(klog_bad)
check negative_clean "no kernel warning: $bad" test -z "$bad"
exit 0
