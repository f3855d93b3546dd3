// SPDX-License-Identifier: GPL-2.0
/* Exit reasons in words: see exit_names.h. */
#include "ctl/exit_names.h"

const char *const vmctl_exit_names[VMMON_STAT_EXIT_NR] = {
	[VMMON_STAT_EXIT_IO] = "io",
	[VMMON_STAT_EXIT_MMIO] = "mmio",
	[VMMON_STAT_EXIT_HLT] = "hlt",
	[VMMON_STAT_EXIT_HYPERCALL] = "hypercall",
	[VMMON_STAT_EXIT_CPUID] = "cpuid",
	[VMMON_STAT_EXIT_MSR] = "msr",
	[VMMON_STAT_EXIT_CR] = "cr",
	[VMMON_STAT_EXIT_EPT_FAULT] = "ept_fault",
	[VMMON_STAT_EXIT_EXT_INTR] = "ext_intr",
	[VMMON_STAT_EXIT_PREEMPT] = "preempt",
	[VMMON_STAT_EXIT_IRQ_WINDOW] = "irq_window",
	[VMMON_STAT_EXIT_OTHER] = "other",
	[VMMON_STAT_EXIT_CACHE] = "cache",
};
