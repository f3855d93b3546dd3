/* SPDX-License-Identifier: GPL-2.0 */
/* What the control-channel commands (list, stat, top, events) share. */
#ifndef VMCTL_CTL_CLI_H
#define VMCTL_CTL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Pages to MiB, for people (JSON keeps pages). */
#define CTL_PAGES_MIB(p)	((double)(p) * 4096 / (1 << 20))

/* CLOCK_REALTIME nanoseconds as local "YYYY-MM-DD HH:MM:SS". */
void ctl_format_time(char *buf, size_t size, uint64_t ns);

/* A duration as "12.345s" (or "-" for none). */
void ctl_format_duration(char *buf, size_t size, uint64_t ns);

/*
 * Parse the options of a control command: --json (when @json is not
 * NULL), -h/--help; the remaining words are left in argv[optind..].
 * Returns 0, 1 after --help was printed, or -1 after a usage message.
 */
int ctl_parse_common(int argc, char **argv, const char *usage, bool *json);

#endif /* VMCTL_CTL_CLI_H */
