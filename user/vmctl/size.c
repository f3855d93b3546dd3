// SPDX-License-Identifier: GPL-2.0
/* Sizes and bounded numbers on the command line, one syntax for each. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "vmctl.h"

int vmctl_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 20;

	/* strtoull() takes "-1" as 2^64 - 1: no sign at all. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return -1;
		}
		if (end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int vmctl_parse_u32(const char *what, const char *text, uint32_t min,
		    uint32_t max, uint32_t *v)
{
	char *end;
	unsigned long n;

	n = strtoul(text, &end, 10);
	if (end == text || *end || *text == '-' || n < min || n > max) {
		vmctl_err("bad %s '%s' (%" PRIu32 " to %" PRIu32 ")", what, text,
			  min, max);
		return -1;
	}
	*v = n;
	return 0;
}
