/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMCTL_H
#define VMCTL_H

#include <stdint.h>
#include <stdio.h>

#define VMCTL_DEFAULT_DEVICE	"/dev/vmmon"

/* Exit statuses, documented in vmctl --help. */
enum {
	VMCTL_EXIT_OK = 0,
	VMCTL_EXIT_ERROR = 1,	/* the host or the module refused */
	VMCTL_EXIT_USAGE = 2,	/* bad command line */
};

struct vmctl_cmd {
	const char *name;
	const char *summary;
	int (*run)(const char *device, int argc, char **argv);
};

extern const struct vmctl_cmd vmctl_cmd_info;
extern const struct vmctl_cmd vmctl_cmd_check;
extern const struct vmctl_cmd vmctl_cmd_run;
extern const struct vmctl_cmd vmctl_cmd_list;
extern const struct vmctl_cmd vmctl_cmd_stat;
extern const struct vmctl_cmd vmctl_cmd_top;
extern const struct vmctl_cmd vmctl_cmd_events;
extern const struct vmctl_cmd vmctl_cmd_rename;
extern const struct vmctl_cmd vmctl_cmd_balloon;
extern const struct vmctl_cmd vmctl_cmd_mem;
extern const struct vmctl_cmd vmctl_cmd_ksm;

/* vmctl mem's --shares and --reserve (pages), for vmctl run too: 0 or -1. */
int vmctl_mem_parse_shares(const char *text, uint32_t *shares);
int vmctl_mem_parse_reserve(const char *text, uint64_t *pages);

/* Print "vmctl: ..." to stderr. */
void vmctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define VMCTL_ERR_MAX	1024	/* bytes of one message, longer ones cut */
/* Text for stderr as it is (help, several lines). */
void vmctl_err_write(const char *text, size_t len);
/*
 * While a VM runs, stderr may be a stalled pipe or terminal and messages
 * come from threads holding the machine lock: the console takes them
 * into a buffer of its own (vm/console.c) and NULL gives them back.
 */
void vmctl_err_sink(void (*sink)(const char *text, size_t len));

/*
 * Open the vmmon device and check that it speaks our API; on failure
 * explain why in one line and return -1.
 */
int vmctl_open_device(const char *device);

/*
 * SIZE in bytes, with an optional K, M or G suffix (KiB, MiB, GiB; "M",
 * "MB" and "MiB" alike); a bare number is MiB.  0 or -1.
 */
int vmctl_parse_size(const char *s, uint64_t *out);

/*
 * A whole number from @min to @max for option @what: 0, or -1 after a
 * message ("bad WHAT 'TEXT' (MIN to MAX)").
 */
int vmctl_parse_u32(const char *what, const char *text, uint32_t min,
		    uint32_t max, uint32_t *v);

/* A /sys/class/misc/vmmon counter, or -1. */
long vmctl_counter(const char *name);

#endif /* VMCTL_H */
