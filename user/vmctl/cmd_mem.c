// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl mem VM [--shares N] [--reserve SIZE]: SET_VM with the memory
 * policy's settings of a VM, for its owner or CAP_SYS_ADMIN.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>
#include "ctl/cli.h"
#include "ctl/memsched.h"
#include "ctl/vm.h"
#include "vmctl.h"

#define MEM_PAGE_SIZE	4096

static const char mem_usage[] =
	"usage: vmctl mem VM [--shares N] [--reserve SIZE]\n"
	"\n"
	"The memory policy's settings of a VM (an id, or a name of yours).  When\n"
	"the host has a memory budget (vmmon's mem_budget), the module gives\n"
	"each VM whose guest runs a balloon driver a share of it by its shares,\n"
	"taxing idle memory (Waldspurger, OSDI 2002), and sets its balloon\n"
	"target to the rest: vmctl stat and top show the figures.\n"
	"  --shares N      1 to 1048576 (default: one per MiB of RAM)\n"
	"  --reserve SIZE  memory the VM always keeps (K, M or G; a bare\n"
	"                  number is MiB), at most its RAM; all VMs'\n"
	"                  reservations must fit the budget\n"
	"Only the VM's owner or CAP_SYS_ADMIN may; without CAP_SYS_ADMIN only\n"
	"lower them (shares up to the default).\n";

/* --shares N and --reserve SIZE, shared with vmctl run: 0 or -1. */
int vmctl_mem_parse_shares(const char *text, uint32_t *shares)
{
	return vmctl_parse_u32("shares", text, 1, VMMON_MEM_SHARES_MAX, shares);
}

int vmctl_mem_parse_reserve(const char *text, uint64_t *pages)
{
	uint64_t bytes;

	if (vmctl_parse_size(text, &bytes) || bytes % MEM_PAGE_SIZE) {
		vmctl_err("bad reservation '%s' (whole 4 KiB pages: 0, 64M, 1G)",
			  text);
		return -1;
	}
	*pages = bytes / MEM_PAGE_SIZE;
	return 0;
}

static int mem_run(const char *device, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shares", required_argument, NULL, 's' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t shares, *has_shares = NULL;
	uint64_t reserve, *has_reserve = NULL;
	struct ctl_vm_ref ref;
	struct ctl c;
	int opt, err;

	(void)device;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (vmctl_mem_parse_shares(optarg, &shares))
				return VMCTL_EXIT_USAGE;
			has_shares = &shares;
			break;
		case 'r':
			if (vmctl_mem_parse_reserve(optarg, &reserve))
				return VMCTL_EXIT_USAGE;
			has_reserve = &reserve;
			break;
		case 'h':
			fputs(mem_usage, stdout);
			return VMCTL_EXIT_OK;
		default:
			vmctl_err("mem: unknown option '%s' (see vmctl mem --help)",
				  argv[optind - 1]);
			return VMCTL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc || (!has_shares && !has_reserve)) {
		vmctl_err("mem needs a VM and --shares or --reserve (see vmctl mem --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_vm_ref_arg(&ref, argv[optind]))
		return VMCTL_EXIT_USAGE;
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	err = ctl_set_memsched(&c, &ref, has_shares, has_reserve);
	ctl_close(&c);
	/* ERANGE, a reservation past the VM's RAM: the module says so. */
	if (err)
		return ctl_vm_error(&c, &ref,
				    "cannot set the memory policy's settings",
				    err);
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_mem = {
	.name = "mem",
	.summary = "set a VM's memory shares and reservation (vmctl mem --help)",
	.run = mem_run,
};
