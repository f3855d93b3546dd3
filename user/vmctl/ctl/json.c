// SPDX-License-Identifier: GPL-2.0
/* --json output: see json.h. */
#include <stdio.h>
#include "ctl/balloon.h"
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
	vmctl_json_u64(o, "cow_breaks", mem->cow_breaks);
	vmctl_json_u64(o, "merged", mem->merged);
	vmctl_json_u64(o, "full_scans", mem->full_scans);
	return o;
}

static json_object *vmctl_json_guest_stats(const struct ctl_balloon *b)
{
	json_object *o = json_object_new_object();

	vmctl_json_u64(o, "total", b->stats.total);
	vmctl_json_u64(o, "free", b->stats.free);
	vmctl_json_u64(o, "available", b->stats.available);
	vmctl_json_u64(o, "cached", b->stats.cached);
	vmctl_json_u64(o, "swap_in", b->stats.swap_in);
	vmctl_json_u64(o, "swap_out", b->stats.swap_out);
	vmctl_json_u64(o, "major_faults", b->stats.major_faults);
	vmctl_json_u64(o, "oom_kills", b->stats.oom_kills);
	vmctl_json_u64(o, "age_ns", b->stats_age_ns);
	return o;
}

/* "guest" only once the guest sent its statistics. */
static json_object *vmctl_json_balloon(const struct ctl_balloon *b)
{
	json_object *o = json_object_new_object();
	json_object *st = json_object_new_object();
	unsigned int i;

	json_object_object_add(o, "state",
			       json_object_new_string(ctl_balloon_state_name(b->state)));
	vmctl_json_u64(o, "target", b->target);
	vmctl_json_u64(o, "size", b->size);
	vmctl_json_u64(o, "guest_actual", b->guest_actual);
	vmctl_json_u64(o, "inflated", b->inflated);
	vmctl_json_u64(o, "deflated", b->deflated);
	vmctl_json_u64(o, "freed", b->freed);
	vmctl_json_u64(o, "kicks", b->kicks);
	vmctl_json_u64(o, "bad_requests", b->bad_requests);
	vmctl_json_u64(o, "busy_ns", b->busy_ns);
	json_object_object_add(o, "rate",
			       json_object_new_double(ctl_balloon_rate(b)));
	for (i = 0; i < VMMON_BALLOON_S_NR; i++)
		vmctl_json_u64(st, ctl_balloon_status_names[i], b->status[i]);
	json_object_object_add(o, "status", st);
	if (b->has_stats)
		json_object_object_add(o, "guest", vmctl_json_guest_stats(b));
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

static json_object *vmctl_json_memsched(const struct ctl_memsched *m)
{
	json_object *o = json_object_new_object();

	vmctl_json_u64(o, "shares", m->shares);
	vmctl_json_u64(o, "reserve", m->reserve);
	vmctl_json_u64(o, "size", m->size);
	vmctl_json_u64(o, "active_ppm", m->active_ppm);
	vmctl_json_u64(o, "sampled", m->sampled);
	vmctl_json_u64(o, "touched", m->touched);
	vmctl_json_u64(o, "rho", m->rho);
	vmctl_json_u64(o, "alloc", m->alloc);
	json_object_object_add(o, "reclaimable",
			       json_object_new_boolean(m->reclaimable));
	vmctl_json_u64(o, "target_changes", m->target_changes);
	vmctl_json_u64(o, "target_age_ns", m->target_age_ns);
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
	if (vm->balloon.has)
		json_object_object_add(o, "balloon",
				       vmctl_json_balloon(&vm->balloon));
	if (vm->memsched.has)
		json_object_object_add(o, "memory_policy",
				       vmctl_json_memsched(&vm->memsched));
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
