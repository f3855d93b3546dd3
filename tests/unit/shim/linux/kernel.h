/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMMON_SHIM_KERNEL_H
#define VMMON_SHIM_KERNEL_H
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
