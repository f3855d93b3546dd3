/* SPDX-License-Identifier: GPL-2.0 */
/* What a VM's name may be (vmmon.h, struct vmmon_name), checked early. */
#ifndef VMCTL_CTL_NAME_H
#define VMCTL_CTL_NAME_H

#include <stdbool.h>

/* The rule in words, for messages: the module's, said before it says it. */
#define VMCTL_NAME_RULE \
	"1 to 31 characters from A-Z a-z 0-9 . _ -, not all digits"

/*
 * 1 to VMMON_NAME_MAX - 1 of [A-Za-z0-9._-], not all digits (a number
 * is a VM's id).  The module checks the same; vmctl checks first so that
 * a bad name is a usage error (status 2) before any VM is made.
 */
bool vmctl_name_valid(const char *name);

#endif /* VMCTL_CTL_NAME_H */
