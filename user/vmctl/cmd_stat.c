// SPDX-License-Identifier: GPL-2.0
/* vmctl stat VM: everything the module says of one VM. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "ctl/balloon.h"
#include "ctl/cli.h"
#include "ctl/name.h"
#include "ctl/exit_names.h"
#include "ctl/json.h"
#include "ctl/vm.h"
#include "vmctl.h"

static const char stat_usage[] =
	"usage: vmctl stat [--json] VM\n"
	"\n"
	"One VM's figures: owner, state, memory in pages (configured, resident,\n"
	"ballooned, shared, zero), page sharing (pages merged, copy-on-write\n"
	"breaks, full scans), the balloon (target, size, counters, the\n"
	"guest's memory as it reported it), the memory policy (shares, min and\n"
	"max, active estimate, rho, allocation, balloon target and actual size;\n"
	"see vmctl mem --help), exits by reason, run time, and each\n"
	"vCPU's exits, run time and loads.  VM is an id (all digits) or a name; by\n"
	"name, your VM of that name.  Of another user's VM only its id and\n"
	"owner are shown.\n"
	"  --json   one JSON object (keys in vmctl(1))\n";

/* "io=N mmio=N ... total=N", as vmctl run --stats prints them. */
static void stat_print_exits(const struct ctl_exits *ex)
{
	unsigned int i;

	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		if (ex->has[i] && vmctl_exit_names[i])
			printf(" %s=%llu", vmctl_exit_names[i],
			       (unsigned long long)ex->count[i]);
	printf(" total=%llu\n", (unsigned long long)ex->total);
}

/* Bytes the guest reported, in MiB. */
#define STAT_MIB(b)	((double)(b) / (1 << 20))

static void stat_print_balloon(const struct ctl_balloon *b)
{
	const struct ctl_guest_stats *g = &b->stats;
	char text[32];
	unsigned int i;

	printf("%-16s state=%s target=%llu size=%llu guest=%llu (%.1f/%.1f MiB)\n",
	       "balloon", ctl_balloon_state_name(b->state),
	       (unsigned long long)b->target, (unsigned long long)b->size,
	       (unsigned long long)b->guest_actual, CTL_PAGES_MIB(b->size),
	       CTL_PAGES_MIB(b->target));
	ctl_format_duration(text, sizeof(text), b->busy_ns);
	printf("%-16s inflated=%llu deflated=%llu freed=%llu kicks=%llu bad_requests=%llu busy=%s (%.0f pages/s busy)\n",
	       "  pages", (unsigned long long)b->inflated,
	       (unsigned long long)b->deflated, (unsigned long long)b->freed,
	       (unsigned long long)b->kicks,
	       (unsigned long long)b->bad_requests, text, ctl_balloon_rate(b));
	printf("%-16s", "  by status");
	for (i = 0; i < VMMON_BALLOON_S_NR; i++)
		printf(" %s=%llu", ctl_balloon_status_names[i],
		       (unsigned long long)b->status[i]);
	printf("\n");
	if (!b->has_stats) {
		printf("%-16s - (the guest sent none)\n", "  guest memory");
		return;
	}
	ctl_format_duration(text, sizeof(text), b->stats_age_ns);
	printf("%-16s total=%.1f free=%.1f available=%.1f cached=%.1f MiB swap_in=%llu swap_out=%llu major_faults=%llu oom_kills=%llu (%s ago)\n",
	       "  guest memory", STAT_MIB(g->total), STAT_MIB(g->free),
	       STAT_MIB(g->available), STAT_MIB(g->cached),
	       (unsigned long long)g->swap_in, (unsigned long long)g->swap_out,
	       (unsigned long long)g->major_faults,
	       (unsigned long long)g->oom_kills, text);
}

static void stat_print(const struct ctl_vm *vm)
{
	char text[32];
	unsigned int i;

	printf("%-16s %u\n", "id", vm->id);
	printf("%-16s %u\n", "owner uid", vm->owner_uid);
	if (!vm->whole) {
		printf("(another user's VM: the module shows only its id and owner)\n");
		return;
	}
	printf("%-16s %s\n", "name", vm->name[0] ? vm->name : "-");
	printf("%-16s %u\n", "owner pid", vm->owner_pid);
	printf("%-16s %s\n", "state", ctl_vm_state_name(vm->state));
	printf("%-16s %u\n", "vCPUs", vm->nr_vcpus);
	ctl_format_time(text, sizeof(text), vm->created_ns);
	printf("%-16s %s\n", "created", text);
	ctl_format_duration(text, sizeof(text), vm->run_ns);
	printf("%-16s %s\n", "run time", text);
	printf("%-16s configured=%llu resident=%llu ballooned=%llu shared=%llu zero=%llu (%.1f/%.1f MiB resident)\n",
	       "memory pages", (unsigned long long)vm->mem.configured,
	       (unsigned long long)vm->mem.resident,
	       (unsigned long long)vm->mem.ballooned,
	       (unsigned long long)vm->mem.shared,
	       (unsigned long long)vm->mem.zero,
	       CTL_PAGES_MIB(vm->mem.resident),
	       CTL_PAGES_MIB(vm->mem.configured));
	printf("%-16s merged=%llu cow_breaks=%llu full_scans=%llu\n",
	       "page sharing", (unsigned long long)vm->mem.merged,
	       (unsigned long long)vm->mem.cow_breaks,
	       (unsigned long long)vm->mem.full_scans);
	if (vm->balloon.has)
		stat_print_balloon(&vm->balloon);
	if (vm->memsched.has) {
		printf("%-16s ", "memory policy");
		ctl_memsched_print(&vm->memsched, vm->balloon.target,
				   vm->balloon.size);
	}
	printf("%-16s", "exits");
	stat_print_exits(&vm->exits);
	for (i = 0; i < vm->nr_vcpu; i++) {
		const struct ctl_vcpu *v = &vm->vcpu[i];

		ctl_format_duration(text, sizeof(text), v->run_ns);
		printf("vcpu %-11u run=%s loads=%llu\n", v->id, text,
		       (unsigned long long)v->loads);
		printf("%-16s", "  exits");
		stat_print_exits(&v->exits);
	}
}

static int stat_run(const char *device, int argc, char **argv)
{
	struct ctl_vm_ref ref;
	struct ctl_vm *vm;
	bool json = false;
	struct ctl c;
	int r, err;

	(void)device;
	r = ctl_parse_common(argc, argv, stat_usage, &json);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (optind + 1 != argc) {
		vmctl_err("stat needs one VM, by id or name (see vmctl stat --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_vm_ref_arg(&ref, argv[optind]))
		return VMCTL_EXIT_USAGE;
	vm = malloc(sizeof(*vm));
	if (!vm) {
		vmctl_err("out of memory");
		return VMCTL_EXIT_ERROR;
	}
	if (ctl_open(&c, false)) {
		free(vm);
		return VMCTL_EXIT_ERROR;
	}
	err = ctl_get_vm(&c, &ref, vm);
	ctl_close(&c);
	if (err) {
		free(vm);
		return ctl_vm_error(&c, &ref, "cannot read the VM", err);
	}
	r = VMCTL_EXIT_OK;
	if (json) {
		if (vmctl_json_print(vmctl_json_vm(vm, true)))
			r = VMCTL_EXIT_ERROR;
	} else {
		stat_print(vm);
	}
	free(vm);
	return r;
}

const struct vmctl_cmd vmctl_cmd_stat = {
	.name = "stat",
	.summary = "one VM's figures (vmctl stat --help)",
	.run = stat_run,
};
