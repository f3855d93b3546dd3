// SPDX-License-Identifier: GPL-2.0
/* --json output: see json.h. */
#include <stdio.h>
#include "ctl/exit_names.h"
#include "ctl/json.h"

void vmctl_json_u64(json_object *obj, const char *key, uint64_t v)
{
	json_object_object_add(obj, key, json_object_new_uint64(v));
}

json_object *vmctl_json_exits(const struct ctl_exits *ex)
{
	json_object *o = json_object_new_object();
	unsigned int i;

	vmctl_json_u64(o, "total", ex->total);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		if (ex->has[i] && vmctl_exit_names[i])
			vmctl_json_u64(o, vmctl_exit_names[i], ex->count[i]);
	return o;
}

json_object *vmctl_json_mem(const struct ctl_mem *mem)
{
	json_object *o = json_object_new_object();

	vmctl_json_u64(o, "configured", mem->configured);
	vmctl_json_u64(o, "resident", mem->resident);
	vmctl_json_u64(o, "ballooned", mem->ballooned);
	vmctl_json_u64(o, "shared", mem->shared);
	vmctl_json_u64(o, "zero", mem->zero);
	return o;
}

static json_object *vmctl_json_vcpu(const struct ctl_vcpu *v)
{
	json_object *o = json_object_new_object();

	vmctl_json_u64(o, "id", v->id);
	json_object_object_add(o, "exits", vmctl_json_exits(&v->exits));
	vmctl_json_u64(o, "run_ns", v->run_ns);
	vmctl_json_u64(o, "loads", v->loads);
	return o;
}

json_object *vmctl_json_vm(const struct ctl_vm *vm, bool vcpus)
{
	json_object *o = json_object_new_object();
	json_object *list;
	unsigned int i;

	vmctl_json_u64(o, "id", vm->id);
	vmctl_json_u64(o, "owner_uid", vm->owner_uid);
	if (!vm->whole)
		return o;
	/* No name: null, so that every whole VM has the same keys. */
	json_object_object_add(o, "name", vm->name[0] ?
			       json_object_new_string(vm->name) : NULL);
	vmctl_json_u64(o, "owner_pid", vm->owner_pid);
	json_object_object_add(o, "state",
			       json_object_new_string(ctl_vm_state_name(vm->state)));
	vmctl_json_u64(o, "vcpus", vm->nr_vcpus);
	vmctl_json_u64(o, "created_ns", vm->created_ns);
	json_object_object_add(o, "memory", vmctl_json_mem(&vm->mem));
	json_object_object_add(o, "exits", vmctl_json_exits(&vm->exits));
	vmctl_json_u64(o, "run_ns", vm->run_ns);
	if (!vcpus)
		return o;
	list = json_object_new_array();
	for (i = 0; i < vm->nr_vcpu; i++)
		json_object_array_add(list, vmctl_json_vcpu(&vm->vcpu[i]));
	json_object_object_add(o, "vcpu", list);
	return o;
}

int vmctl_json_print(json_object *obj)
{
	int err = 0;

	if (puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE)) < 0 ||
	    fflush(stdout))
		err = -1;
	json_object_put(obj);
	return err;
}
