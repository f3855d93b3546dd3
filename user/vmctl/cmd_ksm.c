// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl ksm [--pages N] [--sleep MS]: page sharing's scan rate and
 * figures (GET_MODULE), or a new rate (SET_MODULE, CAP_SYS_ADMIN only).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl/vm.h"
#include "vmctl.h"

static const char ksm_usage[] =
	"usage: vmctl ksm [--pages N] [--sleep MS]\n"
	"\n"
	"Page sharing: the module's scanner hashes guest pages, N a pass with\n"
	"a pause of MS between passes, and backs equal ones with one host page.\n"
	"Without options: the rate and the ksm_* figures.  With them: a new\n"
	"rate, as the module parameters ksm_pages_per_pass and ksm_sleep_ms set\n"
	"it (CAP_SYS_ADMIN only).\n"
	"  --pages N   pages a pass, 0 (the scanner off) to 65536\n"
	"  --sleep MS  the pause between passes, 1 to 60000 ms\n";

static int ksm_show(struct ctl *c)
{
	struct ctl_module mod;
	unsigned int i;
	int err = ctl_get_module(c, &mod);

	if (err) {
		ctl_perror(c, "cannot read the module's figures", err);
		return VMCTL_EXIT_ERROR;
	}
	if (!mod.has_ksm_rate) {
		vmctl_err("the module sends no page sharing scan rate (an older vmmon)");
		return VMCTL_EXIT_ERROR;
	}
	printf("pages per pass: %" PRIu32 "%s\n", mod.ksm_pages_per_pass,
	       mod.ksm_pages_per_pass ? "" : " (the scanner is off)");
	printf("pause between passes: %" PRIu32 " ms\n", mod.ksm_sleep_ms);
	for (i = 0; i < mod.nr_counters; i++)
		if (!strncmp(mod.counter[i].name, "ksm_", 4))
			printf("%s: %" PRIu64 "\n", mod.counter[i].name,
			       mod.counter[i].value);
	return VMCTL_EXIT_OK;
}

static int ksm_run(const char *device, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "sleep", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t pages, sleep_ms, *has_pages = NULL, *has_sleep = NULL;
	struct ctl c;
	int opt, err;

	(void)device;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (vmctl_parse_u32("pages per pass", optarg, 0,
				      VMMON_KSM_PASS_MAX, &pages))
				return VMCTL_EXIT_USAGE;
			has_pages = &pages;
			break;
		case 's':
			if (vmctl_parse_u32("pause", optarg, 1,
				      VMMON_KSM_SLEEP_MS_MAX, &sleep_ms))
				return VMCTL_EXIT_USAGE;
			has_sleep = &sleep_ms;
			break;
		case 'h':
			fputs(ksm_usage, stdout);
			return VMCTL_EXIT_OK;
		default:
			vmctl_err("ksm: unknown option '%s' (see vmctl ksm --help)",
				  argv[optind - 1]);
			return VMCTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		vmctl_err("ksm takes no argument '%s' (see vmctl ksm --help)",
			  argv[optind]);
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	if (!has_pages && !has_sleep) {
		err = ksm_show(&c);
		ctl_close(&c);
		return err;
	}
	err = ctl_set_ksm_rate(&c, has_pages, has_sleep);
	ctl_close(&c);
	/* EPERM without CAP_SYS_ADMIN: the module says so. */
	if (err) {
		ctl_perror(&c, "cannot set page sharing's scan rate", err);
		return VMCTL_EXIT_ERROR;
	}
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_ksm = {
	.name = "ksm",
	.summary = "page sharing's scan rate and figures (vmctl ksm --help)",
	.run = ksm_run,
};
