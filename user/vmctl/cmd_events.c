// SPDX-License-Identifier: GPL-2.0
/* vmctl events: the module's VM events, printed as they arrive. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include "ctl/cli.h"
#include "ctl/json.h"
#include "ctl/vm.h"
#include "vmctl.h"

static const char events_usage[] =
	"usage: vmctl events [--json] [--count N]\n"
	"\n"
	"The module's events, one line each as it happens: a VM created or\n"
	"destroyed, its guest shut down (triple fault), an internal error;\n"
	"with the VM's id and owner uid.  Every user's VMs.\n"
	"  --count N   exit after N events\n"
	"  --json      one JSON object per event and line (vmctl(1))\n";

static const char *const event_names[] = {
	[VMMON_EVENT_CREATED] = "created",
	[VMMON_EVENT_DESTROYED] = "destroyed",
	[VMMON_EVENT_SHUTDOWN] = "shutdown",
	[VMMON_EVENT_INTERNAL_ERROR] = "internal_error",
};

struct events_state {
	bool json;
	unsigned long count;	/* 0: for ever */
	unsigned long seen;
	int err;		/* a write to stdout failed */
};

static int events_one(struct nlattr **tb, void *arg)
{
	struct events_state *st = arg;
	uint32_t ev, id, uid;
	const char *name;
	char when[32];
	struct timespec now;
	json_object *o;

	if (!tb[VMMON_A_EVENT] || !tb[VMMON_A_VM_ID] ||
	    !tb[VMMON_A_VM_OWNER_UID])
		return 0;		/* not an event */
	ev = nla_get_u32(tb[VMMON_A_EVENT]);
	id = nla_get_u32(tb[VMMON_A_VM_ID]);
	uid = nla_get_u32(tb[VMMON_A_VM_OWNER_UID]);
	/* An event a newer module knows and vmctl does not: by number. */
	name = ev < sizeof(event_names) / sizeof(event_names[0]) ?
	       event_names[ev] : NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	if (st->json) {
		o = json_object_new_object();
		json_object_object_add(o, "event", name ?
				       json_object_new_string(name) :
				       json_object_new_int64(ev));
		vmctl_json_u64(o, "id", id);
		vmctl_json_u64(o, "owner_uid", uid);
		vmctl_json_u64(o, "time_ns", now.tv_sec * 1000000000ULL +
						 now.tv_nsec);
		st->err = vmctl_json_print(o);
	} else {
		ctl_format_time(when, sizeof(when),
				now.tv_sec * 1000000000ULL + now.tv_nsec);
		if (name)
			printf("%s %-14s vm %u uid %u\n", when, name, id, uid);
		else
			printf("%s event %-8u vm %u uid %u\n", when, ev, id, uid);
		st->err = fflush(stdout) ? -1 : 0;
	}
	st->seen++;
	return st->err || (st->count && st->seen == st->count);
}

static int events_run(const char *device, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct events_state st = { 0 };
	struct ctl c;
	char *end;
	int r, err;

	(void)device;
	optind = 1;
	opterr = 0;
	while ((r = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (r) {
		case 'n':
			errno = 0;
			st.count = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !st.count ||
			    optarg[0] == '-') {
				vmctl_err("bad event count '%s' (1 or more)", optarg);
				return VMCTL_EXIT_USAGE;
			}
			break;
		case 'j':
			st.json = true;
			break;
		case 'h':
			fputs(events_usage, stdout);
			return VMCTL_EXIT_OK;
		default:
			vmctl_err("events: unknown or incomplete option '%s' (see vmctl events --help)",
				  argv[optind - 1]);
			return VMCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vmctl_err("events takes no arguments (see vmctl events --help)");
		return VMCTL_EXIT_USAGE;
	}
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	if (ctl_subscribe_events(&c)) {
		ctl_close(&c);
		return VMCTL_EXIT_ERROR;
	}
	r = VMCTL_EXIT_OK;
	while (!st.err && (!st.count || st.seen < st.count)) {
		err = ctl_recv(&c, events_one, &st);
		if (err == -ENOBUFS) {
			/* More events than the socket holds: say so, go on. */
			vmctl_err("events were lost: more came than vmctl could read");
			continue;
		}
		if (err) {
			ctl_perror(&c, "cannot read events", err);
			r = VMCTL_EXIT_ERROR;
			break;
		}
	}
	if (st.err)
		r = VMCTL_EXIT_ERROR;
	ctl_close(&c);
	return r;
}

const struct vmctl_cmd vmctl_cmd_events = {
	.name = "events",
	.summary = "print the module's VM events as they happen (vmctl events --help)",
	.run = events_run,
};
