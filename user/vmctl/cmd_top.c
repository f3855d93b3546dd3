// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl top: exits per second by reason, run time and memory of each VM
 * and vCPU, refreshed, as kvm_stat and esxtop show them.  Rates are the
 * difference of the module's counters between two samples: reading them
 * does not stop a vCPU (vmmon_genl.c reads them as they run).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ctl/cli.h"
#include "ctl/exit_names.h"
#include "ctl/json.h"
#include "ctl/vm.h"
#include "vmctl.h"

#define TOP_DEFAULT_INTERVAL	2.0
#define TOP_MAX_INTERVAL	3600.0

static const char top_usage[] =
	"usage: vmctl top [--interval SECONDS] [--iterations N] [--json]\n"
	"\n"
	"Every SECONDS (default 2), the rates of each VM and vCPU since the\n"
	"sample before: exits per second in all and by reason, share of a CPU\n"
	"spent running the guest, resident memory, the balloon's target and\n"
	"size in MiB (- for none), and on a line of its own the memory policy's\n"
	"view (shares, min, max, active, rho, allocation, balloon target and\n"
	"actual: vmctl mem --help).  Until interrupted, or N\n"
	"samples.  Only your VMs (all of them for CAP_SYS_ADMIN) have figures.\n"
	"  --interval SECONDS  time between samples, more than 0, at most 3600\n"
	"  --iterations N      print N samples, then exit\n"
	"  --json              one JSON object per sample and line (vmctl(1))\n";

struct top_sample {
	uint64_t mono_ns;	/* when it was taken, for the rates */
	uint64_t real_ns;	/* the same, as the time of day */
	unsigned int nr;
	struct ctl_vm *vms;	/* in id order, as the dump gives them */
};

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int top_collect(const struct ctl_vm *vm, void *arg)
{
	struct top_sample *s = arg;
	struct ctl_vm *more = realloc(s->vms, (s->nr + 1) * sizeof(*more));

	if (!more)
		return 1;
	s->vms = more;
	s->vms[s->nr++] = *vm;
	return 0;
}

/*
 * Every VM, and the vCPUs of those we may see (the dump leaves them out:
 * one GET_VM each).  A VM gone in between is left out.  0 or -errno.
 */
static int top_sample(struct ctl *c, struct top_sample *s)
{
	unsigned int i, kept = 0;
	int err;

	s->nr = 0;
	s->mono_ns = clock_ns(CLOCK_MONOTONIC);
	s->real_ns = clock_ns(CLOCK_REALTIME);
	err = ctl_dump_vms(c, top_collect, s);
	if (err)
		return err;
	for (i = 0; i < s->nr; i++) {
		struct ctl_vm_ref ref = { .by_id = true, .id = s->vms[i].id };

		if (s->vms[i].whole) {
			err = ctl_get_vm(c, &ref, &s->vms[i]);
			if (err == -ENOENT)
				continue;
			if (err)
				return err;
		}
		if (kept != i)
			s->vms[kept] = s->vms[i];
		kept++;
	}
	s->nr = kept;
	return 0;
}

static const struct ctl_vm *top_find(const struct top_sample *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (s->vms[i].id == id)
			return &s->vms[i];
	return NULL;
}

static const struct ctl_vcpu *top_find_vcpu(const struct ctl_vm *vm,
					    uint32_t id)
{
	unsigned int i;

	for (i = 0; vm && i < vm->nr_vcpu; i++)
		if (vm->vcpu[i].id == id)
			return &vm->vcpu[i];
	return NULL;
}

/* Per second from @old to @now; a VM or vCPU new since then counts from 0. */
static double top_rate(uint64_t now, uint64_t old, double secs)
{
	return now >= old ? (now - old) / secs : 0;
}

struct top_rates {
	double total;
	double count[VMMON_STAT_EXIT_NR];
	double run;		/* CPUs' worth of guest time */
};

static void top_rates(struct top_rates *r, const struct ctl_exits *now,
		      const struct ctl_exits *old, uint64_t run_now,
		      uint64_t run_old, double secs)
{
	static const struct ctl_exits none;
	unsigned int i;

	if (!old)
		old = &none;
	r->total = top_rate(now->total, old->total, secs);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		r->count[i] = top_rate(now->count[i], old->count[i], secs);
	r->run = top_rate(run_now, run_old, secs) / 1e9;
}

/* "io=12 hlt=3": the reasons with exits in the interval, by table order. */
static void top_print_reasons(const struct top_rates *r,
			      const struct ctl_exits *now)
{
	unsigned int i;

	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		if (now->has[i] && vmctl_exit_names[i] && r->count[i] > 0)
			printf(" %s=%.0f", vmctl_exit_names[i], r->count[i]);
	printf("\n");
}

/* "TARGET/SIZE" in MiB, or "-" without a balloon. */
static void top_format_balloon(char *buf, size_t size,
			       const struct ctl_balloon *b)
{
	if (b->has)
		snprintf(buf, size, "%.1f/%.1f", CTL_PAGES_MIB(b->target),
			 CTL_PAGES_MIB(b->size));
	else
		snprintf(buf, size, "-");
}

static void top_print_text(const struct top_sample *now,
			   const struct top_sample *old, double secs)
{
	struct top_rates r;
	char when[32], balloon[32];
	unsigned int i, j;

	ctl_format_time(when, sizeof(when), now->real_ns);
	/* On a terminal each sample replaces the last, as top does. */
	if (isatty(STDOUT_FILENO))
		printf("\033[H\033[2J");
	printf("vmctl top: %s, %u VMs, rates over %.2f s\n", when, now->nr,
	       secs);
	printf("%-5s %-16s %6s %-8s %9s %12s %10s %6s  %s\n", "ID", "NAME",
	       "UID", "STATE", "RES MiB", "BALLOON MiB", "EXITS/s", "RUN%",
	       "BY REASON /s");
	for (i = 0; i < now->nr; i++) {
		const struct ctl_vm *vm = &now->vms[i];
		const struct ctl_vm *prev = top_find(old, vm->id);

		if (!vm->whole) {
			printf("%-5u %-16s %6u\n", vm->id, "-", vm->owner_uid);
			continue;
		}
		top_rates(&r, &vm->exits, prev ? &prev->exits : NULL,
			  vm->run_ns, prev ? prev->run_ns : 0, secs);
		top_format_balloon(balloon, sizeof(balloon), &vm->balloon);
		printf("%-5u %-16s %6u %-8s %9.1f %12s %10.0f %6.1f ", vm->id,
		       vm->name[0] ? vm->name : "-", vm->owner_uid,
		       ctl_vm_state_name(vm->state),
		       CTL_PAGES_MIB(vm->mem.resident), balloon, r.total,
		       r.run * 100);
		top_print_reasons(&r, &vm->exits);
		if (vm->memsched.has) {
			printf("  mem ");
			ctl_memsched_print(&vm->memsched, vm->balloon.target,
					   vm->balloon.size);
		}
		for (j = 0; j < vm->nr_vcpu; j++) {
			const struct ctl_vcpu *v = &vm->vcpu[j];
			const struct ctl_vcpu *pv = top_find_vcpu(prev, v->id);

			top_rates(&r, &v->exits, pv ? &pv->exits : NULL,
				  v->run_ns, pv ? pv->run_ns : 0, secs);
			printf("  vcpu %-3u %50s %10.0f %6.1f ", v->id, "",
			       r.total, r.run * 100);
			top_print_reasons(&r, &v->exits);
		}
	}
	fflush(stdout);
}

static json_object *top_json_rates(const struct top_rates *r,
				   const struct ctl_exits *now)
{
	json_object *o = json_object_new_object();
	json_object *ex = json_object_new_object();
	unsigned int i;

	json_object_object_add(ex, "total", json_object_new_double(r->total));
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		if (now->has[i] && vmctl_exit_names[i])
			json_object_object_add(ex, vmctl_exit_names[i],
					       json_object_new_double(r->count[i]));
	json_object_object_add(o, "exits", ex);
	json_object_object_add(o, "run", json_object_new_double(r->run));
	return o;
}

/* Pages per second into and out of the balloon. */
static json_object *top_json_balloon(const struct ctl_balloon *now,
				     const struct ctl_balloon *old,
				     double secs)
{
	static const struct ctl_balloon none;
	json_object *o = json_object_new_object();

	if (!old)
		old = &none;
	json_object_object_add(o, "inflated",
			       json_object_new_double(top_rate(now->inflated,
							       old->inflated,
							       secs)));
	json_object_object_add(o, "deflated",
			       json_object_new_double(top_rate(now->deflated,
							       old->deflated,
							       secs)));
	return o;
}

static int top_print_json(const struct top_sample *now,
			  const struct top_sample *old, double secs)
{
	json_object *o = json_object_new_object();
	json_object *vms = json_object_new_array();
	struct top_rates r;
	unsigned int i, j;

	vmctl_json_u64(o, "time_ns", now->real_ns);
	vmctl_json_u64(o, "interval_ns", now->mono_ns - old->mono_ns);
	for (i = 0; i < now->nr; i++) {
		const struct ctl_vm *vm = &now->vms[i];
		const struct ctl_vm *prev = top_find(old, vm->id);
		json_object *jvm = vmctl_json_vm(vm, true), *jv;

		json_object_array_add(vms, jvm);
		if (!vm->whole)
			continue;
		top_rates(&r, &vm->exits, prev ? &prev->exits : NULL,
			  vm->run_ns, prev ? prev->run_ns : 0, secs);
		jv = top_json_rates(&r, &vm->exits);
		if (vm->balloon.has)
			json_object_object_add(jv, "balloon",
					       top_json_balloon(&vm->balloon,
								prev ? &prev->balloon : NULL,
								secs));
		json_object_object_add(jvm, "rate", jv);
		jv = json_object_object_get(jvm, "vcpu");
		for (j = 0; j < vm->nr_vcpu; j++) {
			const struct ctl_vcpu *v = &vm->vcpu[j];
			const struct ctl_vcpu *pv = top_find_vcpu(prev, v->id);

			top_rates(&r, &v->exits, pv ? &pv->exits : NULL,
				  v->run_ns, pv ? pv->run_ns : 0, secs);
			json_object_object_add(json_object_array_get_idx(jv, j),
					       "rate",
					       top_json_rates(&r, &v->exits));
		}
	}
	json_object_object_add(o, "vms", vms);
	return vmctl_json_print(o);
}

struct top_options {
	double interval;
	unsigned long iterations;	/* 0: until interrupted */
	bool json;
};

/* 0, 1 for --help, -1 after a message. */
static int top_parse(struct top_options *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	*o = (struct top_options){ .interval = TOP_DEFAULT_INTERVAL };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno || *end || end == optarg ||
			    !isfinite(o->interval) || o->interval <= 0 ||
			    o->interval > TOP_MAX_INTERVAL) {
				vmctl_err("bad interval '%s' (seconds, more than 0, at most %.0f)",
					  optarg, TOP_MAX_INTERVAL);
				return -1;
			}
			break;
		case 'n':
			errno = 0;
			o->iterations = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !o->iterations ||
			    optarg[0] == '-') {
				vmctl_err("bad iteration count '%s' (1 or more)",
					  optarg);
				return -1;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			fputs(top_usage, stdout);
			return 1;
		default:
			vmctl_err("top: unknown or incomplete option '%s' (see vmctl top --help)",
				  argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		vmctl_err("top takes no arguments (see vmctl top --help)");
		return -1;
	}
	return 0;
}

static int top_run(const char *device, int argc, char **argv)
{
	struct top_sample a = { 0 }, b = { 0 }, *old = &a, *now = &b, *t;
	struct top_options o;
	struct timespec next;
	unsigned long n;
	struct ctl c;
	int r, err;

	(void)device;
	r = top_parse(&o, argc, argv);
	if (r)
		return r > 0 ? VMCTL_EXIT_OK : VMCTL_EXIT_USAGE;
	if (ctl_open(&c, false))
		return VMCTL_EXIT_ERROR;
	r = VMCTL_EXIT_OK;
	err = top_sample(&c, old);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (n = 0; !err && (!o.iterations || n < o.iterations); n++) {
		/* On a schedule: the time to sample does not add up. */
		next.tv_sec += (time_t)o.interval;
		next.tv_nsec += (long)((o.interval - (time_t)o.interval) * 1e9);
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		err = top_sample(&c, now);
		if (err)
			break;
		if (o.json) {
			if (top_print_json(now, old, (now->mono_ns - old->mono_ns) / 1e9)) {
				r = VMCTL_EXIT_ERROR;
				break;
			}
		} else {
			top_print_text(now, old, (now->mono_ns - old->mono_ns) / 1e9);
			if (!isatty(STDOUT_FILENO) &&
			    (!o.iterations || n + 1 < o.iterations))
				printf("\n");
		}
		t = old;
		old = now;
		now = t;
	}
	ctl_close(&c);
	free(a.vms);
	free(b.vms);
	if (err) {
		ctl_perror(&c, "cannot read the VMs", err);
		return VMCTL_EXIT_ERROR;
	}
	return r;
}

const struct vmctl_cmd vmctl_cmd_top = {
	.name = "top",
	.summary = "refreshing rates of the VMs and vCPUs (vmctl top --help)",
	.run = top_run,
};
