// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl balloon VM SIZE: SET_VM with the balloon's target, for the VM's
 * owner or CAP_SYS_ADMIN.  The guest's driver works towards it in its
 * own time; vmctl stat shows how far it got.
 */
#include <inttypes.h>
#include <unistd.h>
#include "ctl/cli.h"
#include "ctl/vm.h"
#include "vmctl.h"

#define BALLOON_PAGE_SIZE	4096

static const char balloon_usage[] =
	"usage: vmctl balloon VM SIZE\n"
	"\n"
	"Ask the guest of a VM (an id, or a name of yours) to hold SIZE of its\n"
	"RAM in its balloon, for the host to free: 0 gives everything back.\n"
	"SIZE as vmctl run -m takes it (K, M or G; a bare number is MiB), a\n"
	"whole number of 4 KiB pages, at most the VM's RAM.  The guest's\n"
	"balloon driver gets there in its own time: see vmctl stat VM.  Only\n"
	"the VM's owner or CAP_SYS_ADMIN may.\n";

static int balloon_run(const char *device, int argc, char **argv)
{
	struct ctl_vm_ref ref;
	uint64_t bytes;
	struct ctl c;
	int r, err;

	(void)device;
	r = ctl_parse_common(argc, argv, balloon_usage, NULL);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (optind + 2 != argc) {
		vmctl_err("balloon needs a VM and a size (see vmctl balloon --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_vm_ref_arg(&ref, argv[optind]))
		return VMCTL_EXIT_USAGE;
	if (vmctl_parse_size(argv[optind + 1], &bytes)) {
		vmctl_err("bad balloon size '%s' (examples: 0, 128M, 1G)",
			  argv[optind + 1]);
		return VMCTL_EXIT_USAGE;
	}
	if (bytes % BALLOON_PAGE_SIZE) {
		vmctl_err("the balloon holds whole 4 KiB pages: %" PRIu64 " bytes is not a multiple of 4096",
			  bytes);
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	err = ctl_set_balloon(&c, &ref, bytes / BALLOON_PAGE_SIZE);
	ctl_close(&c);
	/* ERANGE, more than the VM's RAM: the module's words say how much. */
	if (err)
		return ctl_vm_error(&c, &ref, "cannot set the balloon's target",
				    err);
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_balloon = {
	.name = "balloon",
	.summary = "set a VM's balloon target (vmctl balloon --help)",
	.run = balloon_run,
};
