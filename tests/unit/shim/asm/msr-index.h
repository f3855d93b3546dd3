/* SPDX-License-Identifier: GPL-2.0 */
/* The IA32_EFER bits module code uses; CR bits come from the uapi header. */
#ifndef VMMON_SHIM_MSR_INDEX_H
#define VMMON_SHIM_MSR_INDEX_H
#define EFER_LMA	(1 << 10)
#define EFER_NX		(1 << 11)
#endif
