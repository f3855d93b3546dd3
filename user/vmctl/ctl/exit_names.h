/* SPDX-License-Identifier: GPL-2.0 */
/* Exit reasons (enum vmmon_stat_exit) in the words vmctl prints them. */
#ifndef VMCTL_CTL_EXIT_NAMES_H
#define VMCTL_CTL_EXIT_NAMES_H

#include <uapi/vmmon.h>

/*
 * One table for vmctl run --stats, stat, top and the JSON keys under
 * "exits", so a reason has one name everywhere.  NULL: no reason there.
 */
extern const char *const vmctl_exit_names[VMMON_STAT_EXIT_NR];

#endif /* VMCTL_CTL_EXIT_NAMES_H */
