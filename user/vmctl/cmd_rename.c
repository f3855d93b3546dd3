// SPDX-License-Identifier: GPL-2.0
/* vmctl rename VM NEWNAME: SET_VM, for the VM's owner or CAP_SYS_ADMIN. */
#include <errno.h>
#include <unistd.h>
#include "ctl/cli.h"
#include "ctl/name.h"
#include "ctl/vm.h"
#include "vmctl.h"

static const char rename_usage[] =
	"usage: vmctl rename VM NEWNAME\n"
	"\n"
	"Give a VM (an id, or a name of yours) a new name: 1 to 31 characters\n"
	"from A-Z a-z 0-9 . _ -, not all digits, not the name of another VM of\n"
	"its owner.  Only its owner or CAP_SYS_ADMIN may.\n";

static int rename_run(const char *device, int argc, char **argv)
{
	struct ctl_vm_ref ref;
	struct ctl c;
	int r, err;

	(void)device;
	r = ctl_parse_common(argc, argv, rename_usage, NULL);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (optind + 2 != argc) {
		vmctl_err("rename needs a VM and its new name (see vmctl rename --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_vm_ref_arg(&ref, argv[optind]))
		return VMCTL_EXIT_USAGE;
	if (!vmctl_name_valid(argv[optind + 1])) {
		vmctl_err("bad VM name '%s': a name is " VMCTL_NAME_RULE,
			  argv[optind + 1]);
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	err = ctl_rename_vm(&c, &ref, argv[optind + 1]);
	ctl_close(&c);
	/* EEXIST too: the module's words name whose VM has the name. */
	if (err)
		return ctl_vm_error(&c, &ref, "cannot rename the VM", err);
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_rename = {
	.name = "rename",
	.summary = "rename a VM (vmctl rename --help)",
	.run = rename_run,
};
