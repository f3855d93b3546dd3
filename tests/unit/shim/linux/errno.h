/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The uapi error numbers, as the kernel's <linux/errno.h> has them.  Not
 * libc's <errno.h>: that includes <linux/errno.h>, which is this file.
 */
#ifndef VMMON_SHIM_ERRNO_H
#define VMMON_SHIM_ERRNO_H
#include <asm/errno.h>
#endif
