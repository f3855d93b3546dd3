// SPDX-License-Identifier: GPL-2.0
/* vmctl: the userspace half of vmmon.  One file per subcommand. */
#include <string.h>
#include "vmctl.h"

static const struct vmctl_cmd *const vmctl_cmds[] = {
	&vmctl_cmd_info,
	&vmctl_cmd_check,
	&vmctl_cmd_run,
	&vmctl_cmd_list,
	&vmctl_cmd_stat,
	&vmctl_cmd_top,
	&vmctl_cmd_events,
	&vmctl_cmd_rename,
	&vmctl_cmd_balloon,
	&vmctl_cmd_mem,
	&vmctl_cmd_ksm,
};

#define NR_CMDS	(sizeof(vmctl_cmds) / sizeof(vmctl_cmds[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: vmctl [--device PATH] COMMAND [ARGS]\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < NR_CMDS; i++)
		fprintf(out, "  %-8s %s\n", vmctl_cmds[i]->name,
			vmctl_cmds[i]->summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  --device PATH  the vmmon device (default " VMCTL_DEFAULT_DEVICE ")\n"
		"  -h, --help     this help\n"
		"  --version      vmctl's version\n"
		"\n"
		"Exit status: 0 success, 1 the host or the module refused, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
	const char *device = VMCTL_DEFAULT_DEVICE;
	int i = 1;
	size_t c;

	if (i < argc && (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))) {
		usage(stdout);
		return VMCTL_EXIT_OK;
	}
	if (i < argc && !strcmp(argv[i], "--version")) {
		printf("vmctl %s\n", VMCTL_VERSION);
		return VMCTL_EXIT_OK;
	}
	if (i < argc && !strcmp(argv[i], "--device")) {
		if (i + 1 >= argc) {
			vmctl_err("--device needs a path");
			return VMCTL_EXIT_USAGE;
		}
		device = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return VMCTL_EXIT_USAGE;
	}
	for (c = 0; c < NR_CMDS; c++)
		if (!strcmp(argv[i], vmctl_cmds[c]->name))
			return vmctl_cmds[c]->run(device, argc - i, argv + i);
	vmctl_err("unknown command '%s' (see vmctl --help)", argv[i]);
	return VMCTL_EXIT_USAGE;
}
