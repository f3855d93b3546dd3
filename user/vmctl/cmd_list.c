// SPDX-License-Identifier: GPL-2.0
/* vmctl list: the module's VMs, one line each (or a JSON array). */
#include <stdlib.h>
#include <unistd.h>
#include "ctl/cli.h"
#include "ctl/json.h"
#include "ctl/vm.h"
#include "vmctl.h"

static const char list_usage[] =
	"usage: vmctl list [--json]\n"
	"\n"
	"The VMs of the vmmon module, of every user: id, name, owner uid and\n"
	"pid, vCPUs, state, creation time, resident/configured memory in MiB\n"
	"and exits.  Of another user's VM only its id and owner are shown.\n"
	"  --json   a JSON array of VMs (keys in vmctl(1))\n";

static int list_line(const struct ctl_vm *vm, void *arg)
{
	char created[32];

	(void)arg;
	if (!vm->whole) {
		printf("%-5u %-16s %6u %7s %5s %-8s %-19s %21s %12s\n", vm->id,
		       "-", vm->owner_uid, "-", "-", "-", "-", "-", "-");
		return 0;
	}
	ctl_format_time(created, sizeof(created), vm->created_ns);
	printf("%-5u %-16s %6u %7u %5u %-8s %-19s %10.1f/%10.1f %12llu\n",
	       vm->id, vm->name[0] ? vm->name : "-", vm->owner_uid,
	       vm->owner_pid, vm->nr_vcpus, ctl_vm_state_name(vm->state),
	       created, CTL_PAGES_MIB(vm->mem.resident),
	       CTL_PAGES_MIB(vm->mem.configured),
	       (unsigned long long)vm->exits.total);
	return 0;
}

static int list_json(const struct ctl_vm *vm, void *arg)
{
	json_object_array_add(arg, vmctl_json_vm(vm, false));
	return 0;
}

static int list_run(const char *device, int argc, char **argv)
{
	json_object *array = NULL;
	bool json = false;
	struct ctl c;
	int r, err;

	(void)device;
	r = ctl_parse_common(argc, argv, list_usage, &json);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (optind < argc) {
		vmctl_err("list takes no arguments (see vmctl list --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	if (json) {
		array = json_object_new_array();
		err = ctl_dump_vms(&c, list_json, array);
	} else {
		printf("%-5s %-16s %6s %7s %5s %-8s %-19s %21s %12s\n", "ID",
		       "NAME", "UID", "PID", "VCPUS", "STATE", "CREATED",
		       "RESIDENT/MEMORY MiB", "EXITS");
		err = ctl_dump_vms(&c, list_line, NULL);
	}
	ctl_close(&c);
	if (err) {
		json_object_put(array);
		ctl_perror(&c, "cannot list the VMs", err);
		return VMCTL_EXIT_ERROR;
	}
	if (array && vmctl_json_print(array))
		return VMCTL_EXIT_ERROR;
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_list = {
	.name = "list",
	.summary = "list the module's VMs (vmctl list --help)",
	.run = list_run,
};
