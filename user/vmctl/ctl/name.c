// SPDX-License-Identifier: GPL-2.0
/* What a VM's name may be: see name.h. */
#include <string.h>
#include <uapi/vmmon.h>
#include "ctl/name.h"

bool vmctl_name_valid(const char *name)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	size_t len = strlen(name);

	return len && len < VMMON_NAME_MAX && strspn(name, chars) == len &&
	       strspn(name, "0123456789") != len;
}
