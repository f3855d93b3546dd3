// SPDX-License-Identifier: GPL-2.0
/*
 * vmmon's generic netlink family (include/uapi/vmmon_genl.h), spoken
 * over raw netlink sockets (vmmon_genl_util.h says why not libnl): the
 * family and its events group, the module's figures against sysfs and
 * the VMs the test made, exit counters against a guest that makes a
 * known number of exits, figures that move while a vCPU runs, dumps of
 * many VMs, names, what another user may see and do, owner pids across
 * pid namespaces, events in order, and malformed and random messages
 * refused without harm.  Two benchmarks print figures ("# bench:"):
 * the cost of a GET_VM and of a dump of 64 VMs, and a guest's exits per
 * second while a reader polls as vmctl top does.  Loads vmmon.ko if
 * needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_genl_util.h"
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define GUEST_RAM	(64 * 1024)
/* Exits of each kind the counting guest makes. */
#define NR_EXITS	100
/* VMs for the multi-part dump. */
#define MANY_VMS	64
#define MAX_VMS		128

#define XSTR(x)		STR(x)
#define STR(x)		#x

/*
 * Real-mode guest code, between NAME_start and NAME_end in .rodata
 * (as in vmmon_exits_test.c).
 */
#define GUEST16(name, body)						\
	asm(".pushsection .rodata." #name ", \"a\"\n"			\
	    ".code16\n" #name "_start:\n" body "\n" #name "_end:\n"	\
	    ".code64\n.popsection\n");					\
	extern const uint8_t name##_start[], name##_end[]

/*
 * NR_EXITS CPUIDs (answered inside vmmon), then NR_EXITS OUTs (each one
 * RUN returning to us), then HLT.  SI counts: CPUID writes EAX-EDX.
 */
GUEST16(count_guest,
	"mov $" XSTR(NR_EXITS) ", %si\n"
	"1: xor %eax, %eax\n"
	"cpuid\n"
	"dec %si\n"
	"jnz 1b\n"
	"mov $" XSTR(NR_EXITS) ", %si\n"
	"2: out %al, $0x80\n"
	"dec %si\n"
	"jnz 2b\n"
	"hlt\n");

/* int3 with an IDT limit of 0: #GP, #DF, then a triple fault. */
GUEST16(fault_guest, "int3\n hlt\n");

/* CPUID for ever: exits vmmon handles, RUN returns only for a signal. */
GUEST16(spin_guest, "1: xor %eax, %eax\n cpuid\n jmp 1b\n");

/* One set of exit counters, from a VMMON_A_*_EXITS nest. */
struct exits {
	int present;
	int slots;		/* VMMON_A_EXITS_REASON0 + i attributes */
	uint64_t total;
	uint64_t count[VMMON_STAT_EXIT_NR];
};

struct vcpu_info {
	uint32_t id;
	struct exits exits;
	uint64_t run_ns, loads;
};

/* A VM as one GET_VM answer (or dump part) shows it. */
struct vm_info {
	uint64_t mask;		/* bit t: attribute t was there */
	uint32_t len;		/* of the message */
	uint32_t id, uid, pid, state, nr_vcpus;
	uint64_t created_ns, run_ns;
	uint64_t mem_configured, mem_resident;
	char name[VMMON_NAME_MAX + 16];	/* room to see one too long */
	struct exits exits;
	int nr_vcpu_infos;
	struct vcpu_info vcpu[VMMON_MAX_VCPUS];
	int multi;		/* NLM_F_MULTI was set */
	int bad;		/* did not parse */
};

#define MAX_COUNTERS	32

struct mod_info {
	uint64_t mask;
	uint32_t api, genl_version, nr_vms, nr_vcpus, vmx_cpus;
	uint64_t guest_pages;
	char backend[64], features[256], mitigations[256];
	int nr_counters;
	struct {
		char name[64];
		uint64_t value;
	} counter[MAX_COUNTERS];
};

#define HAS(mask, attr)	(!!((mask) & (1ULL << (attr))))

static void parse_exits(const struct nlattr *nest, struct exits *e)
{
	const struct nlattr *tb[VMMON_A_EXITS_MAX + 1];
	int i;

	memset(e, 0, sizeof(*e));
	if (!nest || genl_nested(nest, tb, VMMON_A_EXITS_MAX) < 0)
		return;
	e->present = 1;
	if (tb[VMMON_A_EXITS_TOTAL])
		e->total = nla_get_u64(tb[VMMON_A_EXITS_TOTAL]);
	/* Every slot is there, one no reason uses yet too. */
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++) {
		if (!tb[VMMON_A_EXITS_REASON0 + i])
			continue;
		e->count[i] = nla_get_u64(tb[VMMON_A_EXITS_REASON0 + i]);
		e->slots++;
	}
}

static void parse_vcpus(const struct nlattr *nest, struct vm_info *vm)
{
	const struct nlattr *tb[VMMON_A_MAX + 1], *a;

	genl_for_each(a, nest) {
		struct vcpu_info *v = &vm->vcpu[vm->nr_vcpu_infos];

		if (vm->nr_vcpu_infos == VMMON_MAX_VCPUS ||
		    (a->nla_type & NLA_TYPE_MASK) != VMMON_A_VCPU ||
		    genl_nested(a, tb, VMMON_A_MAX) < 0) {
			vm->bad = 1;
			return;
		}
		vm->nr_vcpu_infos++;
		if (tb[VMMON_A_VCPU_ID])
			v->id = nla_get_u32(tb[VMMON_A_VCPU_ID]);
		parse_exits(tb[VMMON_A_VCPU_EXITS], &v->exits);
		if (tb[VMMON_A_VCPU_RUN_NS])
			v->run_ns = nla_get_u64(tb[VMMON_A_VCPU_RUN_NS]);
		if (tb[VMMON_A_VCPU_LOADS])
			v->loads = nla_get_u64(tb[VMMON_A_VCPU_LOADS]);
	}
}

static void parse_vm(const struct nlmsghdr *nh, struct vm_info *vm)
{
	const struct nlattr *tb[VMMON_A_MAX + 1], *mem[VMMON_A_MEM_MAX + 1];

	memset(vm, 0, sizeof(*vm));
	vm->len = nh->nlmsg_len;
	vm->multi = !!(nh->nlmsg_flags & NLM_F_MULTI);
	vm->mask = genl_attr_mask(nh);
	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_VM_ID]) {
		vm->bad = 1;
		return;
	}
	vm->id = nla_get_u32(tb[VMMON_A_VM_ID]);
	if (tb[VMMON_A_VM_OWNER_UID])
		vm->uid = nla_get_u32(tb[VMMON_A_VM_OWNER_UID]);
	if (tb[VMMON_A_VM_OWNER_PID])
		vm->pid = nla_get_u32(tb[VMMON_A_VM_OWNER_PID]);
	if (tb[VMMON_A_VM_STATE])
		vm->state = nla_get_u32(tb[VMMON_A_VM_STATE]);
	if (tb[VMMON_A_VM_NR_VCPUS])
		vm->nr_vcpus = nla_get_u32(tb[VMMON_A_VM_NR_VCPUS]);
	if (tb[VMMON_A_VM_CREATED_NS])
		vm->created_ns = nla_get_u64(tb[VMMON_A_VM_CREATED_NS]);
	if (tb[VMMON_A_VM_RUN_NS])
		vm->run_ns = nla_get_u64(tb[VMMON_A_VM_RUN_NS]);
	if (tb[VMMON_A_VM_NAME])
		snprintf(vm->name, sizeof(vm->name), "%s",
			 nla_get_str(tb[VMMON_A_VM_NAME]));
	if (tb[VMMON_A_VM_MEM] &&
	    genl_nested(tb[VMMON_A_VM_MEM], mem, VMMON_A_MEM_MAX) >= 0) {
		if (mem[VMMON_A_MEM_CONFIGURED])
			vm->mem_configured = nla_get_u64(mem[VMMON_A_MEM_CONFIGURED]);
		if (mem[VMMON_A_MEM_RESIDENT])
			vm->mem_resident = nla_get_u64(mem[VMMON_A_MEM_RESIDENT]);
	}
	parse_exits(tb[VMMON_A_VM_EXITS], &vm->exits);
	if (tb[VMMON_A_VM_VCPUS])
		parse_vcpus(tb[VMMON_A_VM_VCPUS], vm);
}

static int vm_cb(const struct nlmsghdr *nh, void *arg)
{
	parse_vm(nh, arg);
	return 0;
}

static int get_vm(struct genl_sock *s, uint32_t id, struct vm_info *vm)
{
	struct genl_msg m;

	memset(vm, 0, sizeof(*vm));
	genl_msg_init(&m, s->family, 0, VMMON_CMD_GET_VM);
	genl_put_u32(&m, VMMON_A_VM_ID, id);
	return genl_talk(s, &m, vm_cb, vm);
}

static int get_vm_by_name(struct genl_sock *s, const char *name,
			  struct vm_info *vm)
{
	struct genl_msg m;

	memset(vm, 0, sizeof(*vm));
	genl_msg_init(&m, s->family, 0, VMMON_CMD_GET_VM);
	genl_put_str(&m, VMMON_A_VM_NAME, name);
	return genl_talk(s, &m, vm_cb, vm);
}

static int rename_vm(struct genl_sock *s, uint32_t id, const char *name)
{
	struct genl_msg m;

	genl_msg_init(&m, s->family, 0, VMMON_CMD_SET_VM);
	genl_put_u32(&m, VMMON_A_VM_ID, id);
	genl_put_str(&m, VMMON_A_VM_NEW_NAME, name);
	return genl_talk(s, &m, NULL, NULL);
}

struct vm_list {
	int n;
	int overflow;
	struct vm_info vm[MAX_VMS];
};

static int list_cb(const struct nlmsghdr *nh, void *arg)
{
	struct vm_list *l = arg;

	if (l->n == MAX_VMS) {
		l->overflow = 1;
		return 0;
	}
	parse_vm(nh, &l->vm[l->n++]);
	return 0;
}

static int dump_vms(struct genl_sock *s, struct vm_list *l)
{
	struct genl_msg m;

	l->n = 0;
	l->overflow = 0;
	genl_msg_init(&m, s->family, NLM_F_DUMP, VMMON_CMD_GET_VM);
	return genl_talk(s, &m, list_cb, l);
}

/* The ids of this process's VMs, in the dump's order: how many, or -errno. */
static int own_vm_ids(struct genl_sock *s, uint32_t *ids, int max)
{
	static struct vm_list l;
	int i, n = 0, err = dump_vms(s, &l);

	if (err)
		return err;
	for (i = 0; i < l.n; i++)
		if (l.vm[i].pid == (uint32_t)getpid() && n < max)
			ids[n++] = l.vm[i].id;
	return n;
}

/*
 * The id of the VM this process made last: the one of its VMs not in
 * @known[0..n-1] (ids are unique, not promised to grow), or 0.
 */
static uint32_t new_vm_id(struct genl_sock *s, const uint32_t *known, int n)
{
	uint32_t ids[MAX_VMS], found = 0;
	int i, j, nr = own_vm_ids(s, ids, MAX_VMS);

	for (i = 0; i < nr; i++) {
		for (j = 0; j < n && known[j] != ids[i]; j++)
			;
		if (j == n) {
			if (found)
				return 0;
			found = ids[i];
		}
	}
	return found;
}

/* A nest of VMMON_A_COUNTER nests, each a name and a value. */
static void parse_counters(const struct nlattr *nest, struct mod_info *mod)
{
	const struct nlattr *tb[VMMON_A_MAX + 1], *a;

	genl_for_each(a, nest) {
		if (mod->nr_counters == MAX_COUNTERS ||
		    genl_nested(a, tb, VMMON_A_MAX) < 0 ||
		    !tb[VMMON_A_COUNTER_NAME] || !tb[VMMON_A_COUNTER_VALUE])
			return;
		snprintf(mod->counter[mod->nr_counters].name,
			 sizeof(mod->counter[0].name), "%s",
			 nla_get_str(tb[VMMON_A_COUNTER_NAME]));
		mod->counter[mod->nr_counters++].value =
			nla_get_u64(tb[VMMON_A_COUNTER_VALUE]);
	}
}

static int mod_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	struct mod_info *mod = arg;

	mod->mask = genl_attr_mask(nh);
	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0)
		return -EPROTO;
	if (tb[VMMON_A_MOD_API_VERSION])
		mod->api = nla_get_u32(tb[VMMON_A_MOD_API_VERSION]);
	if (tb[VMMON_A_MOD_GENL_VERSION])
		mod->genl_version = nla_get_u32(tb[VMMON_A_MOD_GENL_VERSION]);
	if (tb[VMMON_A_MOD_NR_VMS])
		mod->nr_vms = nla_get_u32(tb[VMMON_A_MOD_NR_VMS]);
	if (tb[VMMON_A_MOD_NR_VCPUS])
		mod->nr_vcpus = nla_get_u32(tb[VMMON_A_MOD_NR_VCPUS]);
	if (tb[VMMON_A_MOD_VMX_CPUS])
		mod->vmx_cpus = nla_get_u32(tb[VMMON_A_MOD_VMX_CPUS]);
	if (tb[VMMON_A_MOD_GUEST_PAGES])
		mod->guest_pages = nla_get_u64(tb[VMMON_A_MOD_GUEST_PAGES]);
	if (tb[VMMON_A_MOD_BACKEND])
		snprintf(mod->backend, sizeof(mod->backend), "%s",
			 nla_get_str(tb[VMMON_A_MOD_BACKEND]));
	if (tb[VMMON_A_MOD_FEATURES])
		snprintf(mod->features, sizeof(mod->features), "%s",
			 nla_get_str(tb[VMMON_A_MOD_FEATURES]));
	if (tb[VMMON_A_MOD_MITIGATIONS])
		snprintf(mod->mitigations, sizeof(mod->mitigations), "%s",
			 nla_get_str(tb[VMMON_A_MOD_MITIGATIONS]));
	if (tb[VMMON_A_MOD_COUNTERS])
		parse_counters(tb[VMMON_A_MOD_COUNTERS], mod);
	return 0;
}

static int get_module(struct genl_sock *s, struct mod_info *mod)
{
	struct genl_msg m;

	memset(mod, 0, sizeof(*mod));
	genl_msg_init(&m, s->family, 0, VMMON_CMD_GET_MODULE);
	return genl_talk(s, &m, mod_cb, mod);
}

/* Open the family, or fail the test saying why. */
#define GENL_OPEN(s) do {						\
	int __err = genl_open(s);					\
	ASSERT_EQ(0, __err)						\
		TH_LOG("genl_open: %s", strerror(-__err));		\
} while (0)

/* @call must answer 0; otherwise show the errno and the extended ack. */
#define EXPECT_GENL_OK(s, call) do {					\
	int __err = (call);						\
	EXPECT_EQ(0, __err)						\
		TH_LOG("%s: %s (%s)", #call, strerror(-__err),		\
		       (s)->ext_msg);					\
} while (0)
#define ASSERT_GENL_OK(s, call) do {					\
	int __err = (call);						\
	ASSERT_EQ(0, __err)						\
		TH_LOG("%s: %s (%s)", #call, strerror(-__err),		\
		       (s)->ext_msg);					\
} while (0)

static int create_vcpu(int vm, uint32_t id)
{
	struct vmmon_create_vcpu c = { .id = id };

	return ioctl(vm, VMMON_CREATE_VCPU, &c);
}

static int set_name(int vm, const char *name, size_t len)
{
	struct vmmon_name n;

	memset(&n, 0, sizeof(n));
	memcpy(n.name, name, len);
	return ioctl(vm, VMMON_SET_NAME, &n);
}

VMMON_TEST(family_present)
{
	struct genl_sock s;

	GENL_OPEN(&s);
	EXPECT_NE(0, s.family);
	EXPECT_EQ((uint32_t)VMMON_GENL_VERSION, s.version);
	EXPECT_NE(0U, s.events_group)
		TH_LOG("no \"%s\" multicast group", VMMON_GENL_MCGRP_EVENTS);
	genl_close(&s);
}

/* The module's figures, checked against sysfs and the VMs made here. */
static void expect_module(struct __test_metadata *_metadata,
			  struct genl_sock *s, uint32_t vms, uint32_t vcpus)
{
	struct mod_info mod;

	EXPECT_GENL_OK(s, get_module(s, &mod));
	EXPECT_EQ(vms, mod.nr_vms);
	EXPECT_EQ(vcpus, mod.nr_vcpus);
	EXPECT_EQ(vmmon_counter("vms"), mod.nr_vms);
	EXPECT_EQ(vmmon_counter("vcpus"), mod.nr_vcpus);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), mod.vmx_cpus);
	EXPECT_EQ(vmmon_counter("guest_pages"), (long)mod.guest_pages);
	EXPECT_EQ((uint32_t)VMMON_API_VERSION, mod.api);
	EXPECT_EQ((uint32_t)VMMON_GENL_VERSION, mod.genl_version);
	EXPECT_NE('\0', mod.backend[0]);
	EXPECT_TRUE(HAS(mod.mask, VMMON_A_MOD_MITIGATIONS));
	EXPECT_TRUE(HAS(mod.mask, VMMON_A_MOD_FEATURES));
	ksft_print_msg("module: backend \"%s\", features \"%s\", mitigations \"%s\", %d counters, %u VMs, %u vCPUs, %u CPUs in VMX root\n",
		       mod.backend, mod.features, mod.mitigations,
		       mod.nr_counters, mod.nr_vms, mod.nr_vcpus, mod.vmx_cpus);
}

/*
 * The mitigations and their counters as sysfs has them, while no vCPU
 * runs (the counters stand still): mitigations/active, mitigations/NAME
 * (the counters after them, ksm_*, are page sharing's).
 */
static void expect_counters_sysfs(struct __test_metadata *_metadata,
				  struct genl_sock *s)
{
	char path[128], active[256] = "";
	struct mod_info mod;
	FILE *f;
	int i;

	ASSERT_GENL_OK(s, get_module(s, &mod));
	f = fopen(VMMON_SYSFS "mitigations/active", "re");
	ASSERT_NE(NULL, f);
	if (fgets(active, sizeof(active), f))
		active[strcspn(active, "\n")] = '\0';
	fclose(f);
	EXPECT_STREQ(active, mod.mitigations);
	EXPECT_GT(mod.nr_counters, 0);
	for (i = 0; i < mod.nr_counters; i++) {
		/* Page sharing's figures (kmod/ksm/) have no sysfs file. */
		if (!strncmp(mod.counter[i].name, "ksm_", 4))
			continue;
		snprintf(path, sizeof(path), "mitigations/%s",
			 mod.counter[i].name);
		EXPECT_EQ(vmmon_counter(path), (long)mod.counter[i].value)
			TH_LOG("counter %s", mod.counter[i].name);
		ksft_print_msg("counter %s: %llu\n", mod.counter[i].name,
			       (unsigned long long)mod.counter[i].value);
	}
}

/* Two VMs with 1 and 2 vCPUs: NR_VMS and NR_VCPUS follow them both ways. */
VMMON_TEST(get_module)
{
	int a, b, va, vb[2];
	struct genl_sock s;

	GENL_OPEN(&s);
	expect_module(_metadata, &s, 0, 0);
	a = vmmon_create_vm(dev);
	ASSERT_OK(a);
	b = vmmon_create_vm(dev);
	ASSERT_OK(b);
	va = create_vcpu(a, 0);
	ASSERT_OK(va);
	vb[0] = create_vcpu(b, 0);
	ASSERT_OK(vb[0]);
	vb[1] = create_vcpu(b, 1);
	ASSERT_OK(vb[1]);
	expect_module(_metadata, &s, 2, 3);
	/* A VM lives while its vCPU fds do. */
	close(vb[0]);
	close(vb[1]);
	close(b);
	expect_module(_metadata, &s, 1, 1);
	close(va);
	close(a);
	expect_module(_metadata, &s, 0, 0);
	genl_close(&s);
}

/*
 * A VM with all the vCPUs it may have: GET_VM's one message holds each
 * once (the header says to read it with GENL_RECV_MAX).
 */
VMMON_TEST(get_vm_all_vcpus)
{
	int vm_fd, vcpu[VMMON_MAX_VCPUS], i;
	struct vm_info *vm = malloc(sizeof(*vm));
	uint64_t seen = 0;
	struct genl_sock s;
	uint32_t id;

	ASSERT_NE(NULL, vm);
	GENL_OPEN(&s);
	s.recv_size = GENL_RECV_MAX;
	vm_fd = vmmon_create_vm(dev);
	ASSERT_OK(vm_fd);
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	for (i = 0; i < VMMON_MAX_VCPUS; i++) {
		vcpu[i] = create_vcpu(vm_fd, i);
		ASSERT_OK(vcpu[i]);
	}
	ASSERT_GENL_OK(&s, get_vm(&s, id, vm));
	EXPECT_FALSE(vm->bad);
	EXPECT_EQ((uint32_t)VMMON_MAX_VCPUS, vm->nr_vcpus);
	EXPECT_EQ(VMMON_MAX_VCPUS, vm->nr_vcpu_infos);
	for (i = 0; i < vm->nr_vcpu_infos; i++) {
		uint32_t v = vm->vcpu[i].id;

		EXPECT_TRUE(v < VMMON_MAX_VCPUS && !(seen & 1ULL << v))
			TH_LOG("vCPU %u", v);
		seen |= 1ULL << (v % 64);
		EXPECT_TRUE(vm->vcpu[i].exits.present);
	}
	EXPECT_EQ(~0ULL, seen);
	ksft_print_msg("VM with %d vCPUs: %u bytes\n", vm->nr_vcpu_infos,
		       vm->len);
	for (i = 0; i < VMMON_MAX_VCPUS; i++)
		close(vcpu[i]);
	close(vm_fd);
	free(vm);
	genl_close(&s);
}

static void expect_exits_equal(struct __test_metadata *_metadata,
			       const char *what, const struct exits *nl,
			       const struct vmmon_exit_stats *io)
{
	int i;

	EXPECT_TRUE(nl->present) TH_LOG("%s: no exits nest", what);
	EXPECT_EQ(VMMON_STAT_EXIT_NR, nl->slots) TH_LOG("%s", what);
	EXPECT_EQ(io->total, nl->total) TH_LOG("%s: total", what);
	for (i = 0; i < VMMON_STAT_EXIT_NR; i++)
		EXPECT_EQ(io->count[i], nl->count[i])
			TH_LOG("%s: reason %d", what, i);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * NR_EXITS CPUID and NR_EXITS port exits: the VM's and the vCPU's
 * counters say exactly that, as the ioctls do, and the rest of the VM
 * is as made (one vCPU, its RAM, owner, creation time, state).  The
 * module's mitigation counters, which those entries moved, are sysfs's.
 */
VMMON_TEST(exact_exit_counts)
{
	uint64_t before = realtime_ns(), after;
	struct vmmon_vcpu_stats cst;
	struct vmmon_vm_stats vst;
	struct vmmon_guest g;
	struct genl_sock s;
	struct vm_info vm;
	uint32_t id;
	int io = 0;

	GENL_OPEN(&s);
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, count_guest_start,
				     count_guest_end - count_guest_start));
	after = realtime_ns();
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	ASSERT_GENL_OK(&s, get_vm(&s, id, &vm));
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_CREATED, vm.state);

	for (;;) {
		ASSERT_OK(vmmon_guest_run(&g));
		if (g.run->exit_reason != VMMON_EXIT_IO)
			break;
		ASSERT_LE(++io, NR_EXITS);
	}
	EXPECT_EQ((uint32_t)VMMON_EXIT_HLT, g.run->exit_reason) vmmon_show_exit(g.run);
	EXPECT_EQ(NR_EXITS, io);

	ASSERT_OK(ioctl(g.vm, VMMON_GET_VM_STATS, &vst));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &cst));
	EXPECT_EQ((uint64_t)NR_EXITS, vst.exits.count[VMMON_STAT_EXIT_CPUID]);
	EXPECT_EQ((uint64_t)NR_EXITS, vst.exits.count[VMMON_STAT_EXIT_IO]);

	ASSERT_GENL_OK(&s, get_vm(&s, id, &vm));
	ASSERT_FALSE(vm.bad);
	EXPECT_EQ((uint64_t)NR_EXITS, vm.exits.count[VMMON_STAT_EXIT_CPUID]);
	EXPECT_EQ((uint64_t)NR_EXITS, vm.exits.count[VMMON_STAT_EXIT_IO]);
	expect_exits_equal(_metadata, "VM", &vm.exits, &vst.exits);
	ASSERT_EQ(1, vm.nr_vcpu_infos);
	EXPECT_EQ(0U, vm.vcpu[0].id);
	EXPECT_EQ((uint64_t)NR_EXITS, vm.vcpu[0].exits.count[VMMON_STAT_EXIT_CPUID]);
	expect_exits_equal(_metadata, "vCPU 0", &vm.vcpu[0].exits, &cst.exits);
	EXPECT_EQ(cst.loads, vm.vcpu[0].loads);
	EXPECT_GT(vm.vcpu[0].run_ns, 0U);
	/* The VM's time is its vCPUs' time, and it has one. */
	EXPECT_EQ(vm.vcpu[0].run_ns, vm.run_ns);
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_STOPPED, vm.state);
	EXPECT_EQ(1U, vm.nr_vcpus);
	EXPECT_EQ((uint32_t)getpid(), vm.pid);
	EXPECT_EQ(geteuid(), vm.uid);
	EXPECT_GE(vm.created_ns, before);
	EXPECT_LE(vm.created_ns, after);
	EXPECT_EQ((uint64_t)GUEST_RAM / 4096, vm.mem_configured);
	EXPECT_EQ(vst.pages_resident, vm.mem_resident);
	ksft_print_msg("VM %u: %llu exits, %llu ns in RUN, %llu pages resident\n",
		       id, (unsigned long long)vm.exits.total,
		       (unsigned long long)vm.run_ns,
		       (unsigned long long)vm.mem_resident);
	expect_counters_sysfs(_metadata, &s);
	vmmon_guest_destroy(&g);
	genl_close(&s);
}

static void on_usr1(int sig)
{
	(void)sig;
	vmmon_run_interrupt();
}

struct spinner {
	struct vmmon_guest *g;
	int err;		/* -1: an exit; else RUN's errno if not EINTR */
};

static void *spin(void *arg)
{
	struct spinner *sp = arg;

	if (!vmmon_guest_run(sp->g))
		sp->err = -1;
	else if (errno != EINTR)
		sp->err = errno;
	return NULL;
}

/* hlt; jmp back: a vCPU that only halts. */
static const uint8_t halt_guest[] = { 0xf4, 0xeb, 0xfd };

struct halter {
	int vcpu;
	int rc, err;
};

static void *halt_run(void *arg)
{
	struct halter *h = arg;

	h->rc = ioctl(h->vcpu, VMMON_RUN, 0);
	h->err = errno;
	return NULL;
}

#define HALT_WAIT_MS	300	/* how long the vCPU is left halted */

/*
 * A HLT that waits in vmmon (VMMON_APIC_HLT_IN_KERNEL) is not time in
 * RUN: a vCPU left halted for HALT_WAIT_MS inside RUN adds far less to
 * run_ns (its first entry and EPT fault only), though the VM is RUNNING
 * meanwhile; the signal that ends the wait returns the HLT.
 */
VMMON_TEST(halt_wait_is_not_run_time)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	struct timespec wait = { .tv_nsec = HALT_WAIT_MS * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct halter h = { 0 };
	struct vmmon_guest g;
	struct genl_sock s;
	struct vm_info a;
	uint32_t id;
	pthread_t t;
	int i;

	GENL_OPEN(&s);
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, halt_guest,
				     sizeof(halt_guest)));
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	g.run->apic.flags = VMMON_APIC_HLT_IN_KERNEL;
	h.vcpu = g.vcpu;
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, halt_run, &h));
	for (i = 0; i < 1000; i++) {
		if (get_vm(&s, id, &a) || a.state == VMMON_VM_STATE_RUNNING)
			break;
		nanosleep(&tick, NULL);
	}
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_RUNNING, a.state);
	nanosleep(&wait, NULL);
	EXPECT_GENL_OK(&s, get_vm(&s, id, &a));
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_RUNNING, a.state);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(0, h.rc) TH_LOG("RUN: %s", strerror(h.err));
	EXPECT_EQ((__u32)VMMON_EXIT_HLT, g.run->exit_reason);
	EXPECT_LT(a.run_ns, HALT_WAIT_MS * 1000000ULL / 2)
		TH_LOG("run_ns %llu after %d ms halted",
		       (unsigned long long)a.run_ns, HALT_WAIT_MS);
	ksft_print_msg("halted in RUN for %d ms: run_ns %llu\n", HALT_WAIT_MS,
		       (unsigned long long)a.run_ns);
	vmmon_guest_destroy(&g);
	genl_close(&s);
}

/*
 * A vCPU inside RUN: the VM is RUNNING and its figures move while it
 * runs (read without stopping it), for a guest that never leaves RUN
 * by itself; STOPPED once RUN returned.
 */
VMMON_TEST(live_counters)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct spinner sp = { 0 };
	struct vmmon_guest g;
	struct genl_sock s;
	struct vm_info a, b;
	uint32_t id;
	pthread_t t;
	int i;

	GENL_OPEN(&s);
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, spin_guest_start,
				     spin_guest_end - spin_guest_start));
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	sp.g = &g;
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, spin, &sp));
	/* Until the vCPU is in RUN, 10 s at most. */
	for (i = 0; i < 1000; i++) {
		if (get_vm(&s, id, &a) || a.state == VMMON_VM_STATE_RUNNING)
			break;
		nanosleep(&tick, NULL);
	}
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_RUNNING, a.state);
	/*
	 * Until the guest made a CPUID exit since, 5 s at most: a vCPU
	 * thread the scheduler lets wait (a 2-CPU rig once gave it none of
	 * 10 ms, its first EPT fault taken) is no fault of the figures.
	 */
	for (i = 0; i < 500; i++) {
		nanosleep(&tick, NULL);
		EXPECT_GENL_OK(&s, get_vm(&s, id, &b));
		if (b.exits.count[VMMON_STAT_EXIT_CPUID] >
		    a.exits.count[VMMON_STAT_EXIT_CPUID])
			break;
	}
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_RUNNING, b.state);
	EXPECT_GT(b.exits.count[VMMON_STAT_EXIT_CPUID],
		  a.exits.count[VMMON_STAT_EXIT_CPUID]);
	ASSERT_EQ(1, b.nr_vcpu_infos);
	EXPECT_GT(b.vcpu[0].exits.count[VMMON_STAT_EXIT_CPUID],
		  a.vcpu[0].exits.count[VMMON_STAT_EXIT_CPUID]);
	/* Time in RUN counts the RUN under way too, as a rate needs. */
	EXPECT_GT(b.run_ns, a.run_ns);
	EXPECT_GT(b.vcpu[0].run_ns, a.vcpu[0].run_ns);
	ksft_print_msg("while running: CPUID exits %llu then %llu (%d polls), run_ns %llu then %llu\n",
		       (unsigned long long)a.exits.count[VMMON_STAT_EXIT_CPUID],
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_CPUID],
		       i + 1, (unsigned long long)a.run_ns,
		       (unsigned long long)b.run_ns);
	ksft_print_msg("exits by then: EPT %llu, host interrupt %llu, time slice %llu, window %llu, other %llu\n",
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_EPT_FAULT],
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_EXT_INTR],
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_PREEMPT],
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_IRQ_WINDOW],
		       (unsigned long long)b.exits.count[VMMON_STAT_EXIT_OTHER]);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(0, sp.err) TH_LOG("RUN failed: %s", sp.err > 0 ?
				    strerror(sp.err) : "an exit");
	EXPECT_GENL_OK(&s, get_vm(&s, id, &b));
	EXPECT_EQ((uint32_t)VMMON_VM_STATE_STOPPED, b.state);
	EXPECT_GT(b.run_ns, 0U);
	vmmon_guest_destroy(&g);
	genl_close(&s);
}

/*
 * This process's VMs in @l: exactly @ids[0..n-1], each once, and the
 * whole dump in increasing order of ids, each part a multi-part message
 * without the vCPUs.
 */
static void expect_dump(struct __test_metadata *_metadata,
			const struct vm_list *l, const uint32_t *ids, int n)
{
	int i, j, seen, own = 0;

	ASSERT_FALSE(l->overflow);
	for (i = 0; i < l->n; i++) {
		EXPECT_FALSE(l->vm[i].bad);
		EXPECT_TRUE(l->vm[i].multi);
		EXPECT_FALSE(HAS(l->vm[i].mask, VMMON_A_VM_VCPUS));
		if (i)
			EXPECT_LT(l->vm[i - 1].id, l->vm[i].id)
				TH_LOG("dump entry %d", i);
		if (l->vm[i].pid == (uint32_t)getpid())
			own++;
	}
	EXPECT_EQ(n, own);
	for (j = 0; j < n; j++) {
		for (i = 0, seen = 0; i < l->n; i++)
			seen += l->vm[i].id == ids[j];
		EXPECT_EQ(1, seen) TH_LOG("VM %u", ids[j]);
	}
}

VMMON_TEST_TIMEOUT(dump_lists_all, 600)
{
	static struct vm_list l;
	uint32_t ids[MAX_VMS];
	struct genl_sock s;
	struct rlimit rl;
	int i;

	GENL_OPEN(&s);
	for (i = 0; i < 5; i++) {
		ASSERT_OK(vmmon_create_vm(dev));
		ids[i] = new_vm_id(&s, ids, i);
		ASSERT_NE(0U, ids[i]);
	}
	ASSERT_GENL_OK(&s, dump_vms(&s, &l));
	expect_dump(_metadata, &l, ids, 5);

	/* Each VM is an fd. */
	ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < MANY_VMS + 5 + 32)
		SKIP(return, "RLIMIT_NOFILE %llu is too low for %d VMs",
		     (unsigned long long)rl.rlim_cur, MANY_VMS);
	for (; i < 5 + MANY_VMS; i++) {
		ASSERT_OK(vmmon_create_vm(dev));
		ids[i] = new_vm_id(&s, ids, i);
		ASSERT_NE(0U, ids[i]);
	}
	ASSERT_GENL_OK(&s, dump_vms(&s, &l));
	expect_dump(_metadata, &l, ids, i);
	/*
	 * The kernel fills a dump's datagrams to the reader's buffer
	 * (GENL_RECV_SIZE): this many VMs cannot fit in one.
	 */
	EXPECT_GT(s.datagrams, 1);
	ksft_print_msg("dump of %d VMs: %d datagrams\n", l.n, s.datagrams);
	genl_close(&s);
}

/* Make and close VMs until killed, counting them in *@cycles. */
static void churn_vms(volatile int *cycles)
{
	for (;;) {
		int vm = vmmon_create_vm(dev);

		if (vm < 0)
			_exit(1);
		close(vm);
		(*cycles)++;
	}
}

/*
 * Dumps while another process makes and closes VMs: each of this
 * process's VMs, which live throughout, is listed once and in order,
 * wherever the parts of the dump fall.
 */
VMMON_TEST_TIMEOUT(dump_while_vms_churn, 600)
{
	static struct vm_list l;
	uint32_t ids[MANY_VMS / 2];
	volatile int *cycles;
	struct genl_sock s;
	int i, round, status;
	pid_t child;

	GENL_OPEN(&s);
	/* Enough for a dump in two parts at least. */
	for (i = 0; i < MANY_VMS / 2; i++) {
		ASSERT_OK(vmmon_create_vm(dev));
		ids[i] = new_vm_id(&s, ids, i);
		ASSERT_NE(0U, ids[i]);
	}
	cycles = mmap(NULL, sizeof(*cycles), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cycles);
	child = fork();
	ASSERT_OK(child);
	if (child == 0)
		churn_vms(cycles);
	for (round = 0; round < 20; round++) {
		ASSERT_GENL_OK(&s, dump_vms(&s, &l));
		expect_dump(_metadata, &l, ids, i);
		EXPECT_GT(s.datagrams, 1);
	}
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status)) TH_LOG("the churn stopped: %d", status);
	EXPECT_GT(*cycles, 0);
	ksft_print_msg("20 dumps while %d VMs came and went\n", *cycles);
	munmap((void *)cycles, sizeof(*cycles));
	genl_close(&s);
}

/*
 * Benchmarks of the family (issue 12's "Measured"): figures printed as
 * "# bench:" lines, never judged.  Time in the rig is emulated: with
 * Bochs's ips=50000000 one instruction is 20 ns, so these count code
 * path length (kernel and this program), not latency on hardware.
 * Compare like with like: the ratios are the result.
 */
#define BENCH(fmt, ...) do {						\
	ksft_print_msg("bench: " fmt "\n", ##__VA_ARGS__);		\
	fflush(stdout);							\
} while (0)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * What the answers to one request held, counted without copying them
 * out (parse_vm clears a vm_info of many KiB each time, which would
 * weigh more than the kernel's work): messages, bytes, this process's
 * VMs, answers without an id.
 */
struct tally {
	int msgs, own, bad;
	uint32_t bytes, last_id;
};

static int tally_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	struct tally *t = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_VM_ID]) {
		t->bad++;
		return 0;
	}
	t->msgs++;
	t->bytes += nh->nlmsg_len;
	t->last_id = nla_get_u32(tb[VMMON_A_VM_ID]);
	if (tb[VMMON_A_VM_OWNER_PID] &&
	    nla_get_u32(tb[VMMON_A_VM_OWNER_PID]) == (uint32_t)getpid())
		t->own++;
	return 0;
}

/* vmctl stat's request: GET_VM by id (@name NULL) or by name. */
static int tally_get(struct genl_sock *s, uint32_t id, const char *name,
		     struct tally *t)
{
	struct genl_msg m;

	memset(t, 0, sizeof(*t));
	genl_msg_init(&m, s->family, 0, VMMON_CMD_GET_VM);
	if (name)
		genl_put_str(&m, VMMON_A_VM_NAME, name);
	else
		genl_put_u32(&m, VMMON_A_VM_ID, id);
	return genl_talk(s, &m, tally_cb, t);
}

/* vmctl list's request: the dump of every VM. */
static int tally_dump(struct genl_sock *s, struct tally *t)
{
	struct genl_msg m;

	memset(t, 0, sizeof(*t));
	genl_msg_init(&m, s->family, NLM_F_DUMP, VMMON_CMD_GET_VM);
	return genl_talk(s, &m, tally_cb, t);
}

#define BENCH_ROUNDS	200
/* Whole vmctl commands, each a fork and exec: fewer. */
#define VMCTL_ROUNDS	20

enum bench_req { REQ_GET_ID, REQ_GET_NAME, REQ_DUMP, REQ_NONE };

/* For scale: emulated ns per getppid() system call. */
static uint64_t time_getppid(void)
{
	uint64_t t0 = mono_ns();
	int i;

	for (i = 0; i < BENCH_ROUNDS; i++)
		syscall(SYS_getppid);
	return (mono_ns() - t0) / BENCH_ROUNDS;
}

/*
 * The vmctl beside this program (the image and make check put it
 * there), in @path: 0, or -1 when there is none.
 */
static int find_vmctl(char *path, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	char *slash;

	if (n <= 0)
		return -1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof("/vmctl") > size)
		return -1;
	strcpy(slash, "/vmctl");
	return access(path, X_OK);
}

/*
 * VMCTL_ROUNDS runs of `vmctl ARGS` (output to /dev/null; @args ends
 * with NULL), one after the other: emulated ns per command, 0 when one
 * did not exit 0.
 */
static uint64_t time_vmctl(const char *vmctl, char *const args[])
{
	uint64_t t0 = mono_ns();
	int i, status;

	for (i = 0; i < VMCTL_ROUNDS; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 0;
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			execv(vmctl, args);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			return 0;
	}
	return (mono_ns() - t0) / VMCTL_ROUNDS;
}

/*
 * BENCH_ROUNDS requests of one kind: emulated ns per request, with the
 * last answer in *@t; 0 when one failed or answered other than
 * @msgs messages (at least @msgs for a dump, others may have VMs).
 */
static uint64_t time_requests(struct genl_sock *s, enum bench_req req,
			      uint32_t id, const char *name, int msgs,
			      struct tally *t)
{
	uint64_t t0 = mono_ns();
	int i, err;

	for (i = 0; i < BENCH_ROUNDS; i++) {
		if (req == REQ_DUMP)
			err = tally_dump(s, t);
		else
			err = tally_get(s, id, req == REQ_GET_NAME ? name : NULL, t);
		/* REQ_NONE: an id no VM has, refused after the lookup. */
		if (req == REQ_NONE) {
			if (err != -ENOENT || t->msgs)
				return 0;
			continue;
		}
		if (err || t->bad || (req == REQ_DUMP ? t->own != msgs :
				      t->msgs != 1 || t->last_id != id))
			return 0;
	}
	return (mono_ns() - t0) / BENCH_ROUNDS;
}

/*
 * The cost of `vmctl stat` of one VM (a GET_VM, by id and by name) and
 * of `vmctl list` (a dump) of 1 and of MANY_VMS VMs, each VM with one
 * vCPU, the first having run the counting guest: the requests and the
 * reading of their answers; for scale, a GET_VM refused with ENOENT
 * (the netlink round trip without a VM to fill) and a getppid(); then
 * the whole vmctl commands (start-up, libnl, printing) when vmctl is
 * beside this program.
 */
VMMON_TEST_TIMEOUT(bench_get_and_dump, 600)
{
	static int vm_fd[MANY_VMS], vcpu_fd[MANY_VMS];
	uint64_t get1, name1, dump1, get64, name64, dump64, none, sys;
	uint64_t stat_cmd1, list_cmd1, stat_cmd64, list_cmd64, top1, top64;
	/* Two samples 1 ms apart, one printed: start-up + 2 samples. */
	static char *const top_args[] = { "vmctl", "top", "--interval",
		"0.001", "--iterations", "1", NULL };
	static char *const stat_args[] = { "vmctl", "stat", "bench-0", NULL };
	static char *const list_args[] = { "vmctl", "list", NULL };
	char vmctl[4096];
	uint32_t ids[MANY_VMS];
	struct vmmon_guest g;
	struct genl_sock s;
	struct tally t1, t64;
	struct rlimit rl;
	int i;

	ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 2 * MANY_VMS + 32)
		SKIP(return, "RLIMIT_NOFILE %llu is too low for %d VMs",
		     (unsigned long long)rl.rlim_cur, MANY_VMS);
	GENL_OPEN(&s);
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, count_guest_start,
				     count_guest_end - count_guest_start));
	ids[0] = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, ids[0]);
	ASSERT_OK(set_name(g.vm, "bench-0", 8));
	for (i = 0;; i++) {
		ASSERT_OK(vmmon_guest_run(&g));
		if (g.run->exit_reason != VMMON_EXIT_IO)
			break;
		ASSERT_LE(i, NR_EXITS);
	}
	ASSERT_EQ((uint32_t)VMMON_EXIT_HLT, g.run->exit_reason);

	get1 = time_requests(&s, REQ_GET_ID, ids[0], NULL, 1, &t1);
	ASSERT_NE(0U, get1) TH_LOG("GET_VM by id failed: %s", s.ext_msg);
	name1 = time_requests(&s, REQ_GET_NAME, ids[0], "bench-0", 1, &t1);
	ASSERT_NE(0U, name1) TH_LOG("GET_VM by name failed: %s", s.ext_msg);
	dump1 = time_requests(&s, REQ_DUMP, 0, NULL, 1, &t1);
	ASSERT_NE(0U, dump1) TH_LOG("dump of 1 VM failed: %s", s.ext_msg);
	none = time_requests(&s, REQ_NONE, 0xfffffff0U, NULL, 0, &t64);
	ASSERT_NE(0U, none) TH_LOG("GET_VM of no VM was not ENOENT");
	sys = time_getppid();
	stat_cmd1 = list_cmd1 = stat_cmd64 = list_cmd64 = top1 = top64 = 0;
	if (!find_vmctl(vmctl, sizeof(vmctl))) {
		stat_cmd1 = time_vmctl(vmctl, stat_args);
		EXPECT_NE(0U, stat_cmd1) TH_LOG("vmctl stat bench-0 failed");
		list_cmd1 = time_vmctl(vmctl, list_args);
		EXPECT_NE(0U, list_cmd1) TH_LOG("vmctl list failed");
		top1 = time_vmctl(vmctl, top_args);
		EXPECT_NE(0U, top1) TH_LOG("vmctl top failed");
	}

	for (i = 1; i < MANY_VMS; i++) {
		vm_fd[i] = vmmon_create_vm(dev);
		ASSERT_OK(vm_fd[i]);
		vcpu_fd[i] = create_vcpu(vm_fd[i], 0);
		ASSERT_OK(vcpu_fd[i]);
		ids[i] = new_vm_id(&s, ids, i);
		ASSERT_NE(0U, ids[i]);
	}
	get64 = time_requests(&s, REQ_GET_ID, ids[0], NULL, 1, &t64);
	ASSERT_NE(0U, get64) TH_LOG("GET_VM among %d failed", MANY_VMS);
	name64 = time_requests(&s, REQ_GET_NAME, ids[0], "bench-0", 1, &t64);
	ASSERT_NE(0U, name64) TH_LOG("GET_VM by name among %d failed", MANY_VMS);
	dump64 = time_requests(&s, REQ_DUMP, 0, NULL, MANY_VMS, &t64);
	ASSERT_NE(0U, dump64) TH_LOG("dump of %d VMs failed: %s", MANY_VMS,
				     s.ext_msg);
	EXPECT_GT(s.datagrams, 1);
	if (stat_cmd1) {
		stat_cmd64 = time_vmctl(vmctl, stat_args);
		EXPECT_NE(0U, stat_cmd64) TH_LOG("vmctl stat bench-0 failed");
		list_cmd64 = time_vmctl(vmctl, list_args);
		EXPECT_NE(0U, list_cmd64) TH_LOG("vmctl list failed");
		top64 = time_vmctl(vmctl, top_args);
		EXPECT_NE(0U, top64) TH_LOG("vmctl top failed");
	}

	BENCH("%d requests each, emulated us per request (one instruction = 20 ns)",
	      BENCH_ROUNDS);
	BENCH("stat (GET_VM by id) of 1 VM, 1 vCPU: %.1f us alone, %.1f us among %d VMs",
	      get1 / 1e3, get64 / 1e3, MANY_VMS);
	BENCH("stat (GET_VM by name): %.1f us alone, %.1f us among %d VMs",
	      name1 / 1e3, name64 / 1e3, MANY_VMS);
	BENCH("list (dump) of 1 VM: %.1f us, %d bytes in %d message(s)",
	      dump1 / 1e3, t1.bytes, t1.msgs);
	BENCH("list (dump) of %d VMs: %.1f us, %u bytes in %d messages, %d datagrams",
	      t64.msgs, dump64 / 1e3, t64.bytes, t64.msgs, s.datagrams);
	BENCH("list of %d / stat of 1: %.1f; list of %d / list of 1: %.1f; each VM more in a list: %.1f us",
	      MANY_VMS, (double)dump64 / get64, MANY_VMS,
	      (double)dump64 / dump1, (dump64 - dump1) / 1e3 / (MANY_VMS - 1));
	BENCH("for scale: GET_VM of no VM (ENOENT) %.1f us, getppid() %.1f us; stat = %.0f getppid()",
	      none / 1e3, sys / 1e3, (double)get1 / sys);
	if (stat_cmd1 && list_cmd64)
		BENCH("whole commands (%d each, fork+exec): vmctl stat %.2f ms alone, %.2f ms among %d; vmctl list %.2f ms of 1 VM, %.2f ms of %d; list of %d / stat: %.2f",
		      VMCTL_ROUNDS, stat_cmd1 / 1e6, stat_cmd64 / 1e6,
		      MANY_VMS, list_cmd1 / 1e6, list_cmd64 / 1e6, MANY_VMS,
		      MANY_VMS, (double)list_cmd64 / stat_cmd64);
	if (top1 && top64)
		BENCH("vmctl top --iterations 1 (start-up, 2 samples, 1 printed): %.2f ms of 1 VM, %.2f ms of %d; a sample of %d VMs about %.2f ms more than of 1",
		      top1 / 1e6, top64 / 1e6, MANY_VMS, MANY_VMS,
		      (top64 - top1) / 2e6);
	if (!stat_cmd1)
		BENCH("whole commands: no vmctl beside this program, not timed");

	for (i = 1; i < MANY_VMS; i++) {
		close(vcpu_fd[i]);
		close(vm_fd[i]);
	}
	vmmon_guest_destroy(&g);
	genl_close(&s);
}

/* CPUID exits the timed guest makes in each run. */
#define SPEED_EXITS	100000

/* SPEED_EXITS CPUIDs (answered inside vmmon: RUN returns once), then HLT. */
GUEST16(cpuid_run_guest,
	"mov $" XSTR(SPEED_EXITS) ", %esi\n"
	"1: xor %eax, %eax\n"
	"cpuid\n"
	"dec %esi\n"
	"jnz 1b\n"
	"hlt\n");

/*
 * A reader beside the guest, as vmctl top is: every @interval_ns (0:
 * flat out) one sample, a dump then a GET_VM of the VM (top's requests
 * for one VM it may see whole), until told to stop.
 */
struct reader {
	/*
	 * Its own socket; genl_talk()'s answer buffer is static, so the
	 * test's thread makes no request while a reader runs.
	 */
	uint32_t id;
	uint64_t interval_ns;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* on CLOCK_MONOTONIC */
	int started, stop;	/* under lock */
	int samples, failed, open_err;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;
	struct genl_sock s;
	struct timespec next;
	struct tally t;
	int err;

	err = genl_open(&s);
	pthread_mutex_lock(&r->lock);
	r->open_err = err;
	r->started = 1;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (err)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		if (tally_dump(&s, &t) || t.own != 1)
			r->failed++;
		if (tally_get(&s, r->id, NULL, &t) || t.msgs != 1)
			r->failed++;
		r->samples++;
		pthread_mutex_lock(&r->lock);
		if (r->interval_ns) {
			next.tv_sec += r->interval_ns / 1000000000ULL;
			next.tv_nsec += r->interval_ns % 1000000000ULL;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			while (!r->stop &&
			       pthread_cond_timedwait(&r->cond, &r->lock,
						      &next) != ETIMEDOUT)
				;
		}
		err = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (err)
			break;
	}
	genl_close(&s);
	return NULL;
}

struct speed {
	uint64_t ns, run_ns, other_exits;
	int samples;
	double top_rate;	/* the highest EXITS/s vmctl top showed */
};

/*
 * `vmctl top --interval @interval` beside the VM @id, its output in a
 * pipe: the child's pid, *@out the pipe's end to read, once top printed
 * its first sample (it is running and has sampled twice); -1 on failure.
 */
static pid_t start_top(const char *vmctl, const char *interval, int *out)
{
	int fd[2];
	char c;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(fd[0]);
		execl(vmctl, "vmctl", "top", "--interval", interval, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if (read(fd[0], &c, 1) != 1) {
		close(fd[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	*out = fd[0];
	return pid;
}

/*
 * End vmctl top (SIGTERM: it was still running, else -1) and read what
 * it printed: its samples, and the highest rate it showed for VM @id.
 */
static int stop_top(pid_t pid, int out, uint32_t id, struct speed *sp)
{
	static char text[65536];
	size_t len = 0;
	ssize_t n;
	char *p;
	int status, ok;

	ok = !kill(pid, SIGTERM);
	while (len < sizeof(text) - 1 &&
	       (n = read(out, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	close(out);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		ok = 0;
	/* The first byte went to start_top(). */
	sp->samples = 0;
	sp->top_rate = 0;
	for (p = text; (p = strstr(p, "vmctl top:")); p++)
		sp->samples++;
	for (p = text; (p = strchr(p, '\n')); ) {
		char name[64], uid[16], state[16];
		unsigned int vm;
		double res, rate;

		p++;
		if (sscanf(p, "%u %63s %15s %15s %lf %lf", &vm, name, uid,
			   state, &res, &rate) == 6 && vm == id &&
		    rate > sp->top_rate)
			sp->top_rate = rate;
	}
	return ok ? 0 : -1;
}

/*
 * The guest's SPEED_EXITS CPUIDs in one RUN, timed, with a reader every
 * @interval_ns (0: flat out; -1: none): exactly SPEED_EXITS counted,
 * every request answered.
 */
static void run_timed(struct __test_metadata *_metadata, struct genl_sock *s,
		      int64_t interval_ns, const char *vmctl,
		      const char *top_interval, struct speed *sp)
{
	pid_t top = -1;
	int top_out = -1;
	struct reader r = { .interval_ns = interval_ns };
	pthread_condattr_t ca;
	struct vmmon_guest g;
	struct vm_info vm;
	pthread_t t;
	uint64_t t0;

	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, cpuid_run_guest_start,
				     cpuid_run_guest_end - cpuid_run_guest_start));
	r.id = new_vm_id(s, NULL, 0);
	ASSERT_NE(0U, r.id);
	if (interval_ns >= 0) {
		pthread_mutex_init(&r.lock, NULL);
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r.cond, &ca);
		ASSERT_EQ(0, pthread_create(&t, NULL, read_loop, &r));
		pthread_mutex_lock(&r.lock);
		while (!r.started)
			pthread_cond_wait(&r.cond, &r.lock);
		pthread_mutex_unlock(&r.lock);
		ASSERT_EQ(0, r.open_err);
	}
	if (top_interval) {
		top = start_top(vmctl, top_interval, &top_out);
		ASSERT_LT(0, top) TH_LOG("vmctl top did not start");
	}
	t0 = mono_ns();
	ASSERT_OK(vmmon_guest_run(&g));
	sp->ns = mono_ns() - t0;
	if (interval_ns >= 0) {
		pthread_mutex_lock(&r.lock);
		r.stop = 1;
		pthread_cond_broadcast(&r.cond);
		pthread_mutex_unlock(&r.lock);
		pthread_join(t, NULL);
		EXPECT_EQ(0, r.failed) TH_LOG("%d of %d samples failed",
					      r.failed, r.samples);
		EXPECT_GT(r.samples, 0);
	}
	sp->samples = r.samples;
	sp->top_rate = 0;
	if (top > 0)
		EXPECT_EQ(0, stop_top(top, top_out, r.id, sp))
			TH_LOG("vmctl top ended before it was stopped");
	EXPECT_EQ((uint32_t)VMMON_EXIT_HLT, g.run->exit_reason) vmmon_show_exit(g.run);
	ASSERT_GENL_OK(s, get_vm(s, r.id, &vm));
	EXPECT_EQ((uint64_t)SPEED_EXITS, vm.exits.count[VMMON_STAT_EXIT_CPUID]);
	ASSERT_EQ(1, vm.nr_vcpu_infos);
	EXPECT_EQ((uint64_t)SPEED_EXITS,
		  vm.vcpu[0].exits.count[VMMON_STAT_EXIT_CPUID]);
	sp->run_ns = vm.run_ns;
	sp->other_exits = vm.exits.total - vm.exits.count[VMMON_STAT_EXIT_CPUID];
	vmmon_guest_destroy(&g);
}

/*
 * Reading counters does not stop vCPUs: a guest's exits per second
 * alone, with a reader at vmctl top's default rate (every 2 s), at
 * `vmctl top --interval 0.1`, and flat out, on another thread (with one
 * CPU, the reader's time is taken from the guest's); then beside the
 * real vmctl top at both rates, when vmctl is beside this program
 * (their samples are counted from the time vmctl top printed its
 * first: its start-up is not in the guest's time).
 */
VMMON_TEST_TIMEOUT(bench_exits_while_read, 600)
{
	static const struct {
		const char *what;
		int64_t interval_ns;
		const char *top_interval;	/* the real vmctl top */
	} phase[] = {
		{ "no reader", -1, NULL },
		{ "top every 2 s", 2000000000LL, NULL },
		{ "top every 0.1 s", 100000000LL, NULL },
		{ "reader flat out", 0, NULL },
		{ "no reader again", -1, NULL },
		{ "vmctl top", -1, "2" },
		{ "vmctl top --interval 0.1", -1, "0.1" },
	};
	struct speed sp[sizeof(phase) / sizeof(phase[0])];
	struct genl_sock s;
	char vmctl[4096];
	unsigned int i;
	int has_vmctl;

	GENL_OPEN(&s);
	has_vmctl = !find_vmctl(vmctl, sizeof(vmctl));
	BENCH("%d CPUID exits in one RUN, %ld CPU(s) online",
	      SPEED_EXITS, sysconf(_SC_NPROCESSORS_ONLN));
	for (i = 0; i < sizeof(phase) / sizeof(phase[0]); i++) {
		double rate;

		if (phase[i].top_interval && !has_vmctl) {
			BENCH("%s: no vmctl beside this program, not run",
			      phase[i].what);
			continue;
		}
		run_timed(_metadata, &s, phase[i].interval_ns, vmctl,
			  phase[i].top_interval, &sp[i]);
		rate = SPEED_EXITS * 1e9 / sp[i].ns;
		BENCH("%s: %.0f exits/s (%.2f us each), %.3f of no reader; %d samples (%.0f/s); RUN %llu ms, other exits %llu",
		      phase[i].what, rate, sp[i].ns / 1e3 / SPEED_EXITS,
		      (double)sp[0].ns / sp[i].ns, sp[i].samples,
		      sp[i].samples * 1e9 / sp[i].ns,
		      (unsigned long long)sp[i].run_ns / 1000000,
		      (unsigned long long)sp[i].other_exits);
		if (phase[i].top_interval && sp[i].samples)
			BENCH("%s showed at most %.0f exits/s for the VM",
			      phase[i].what, sp[i].top_rate);
		else if (phase[i].top_interval)
			BENCH("%s: none of its samples fell within the run",
			      phase[i].what);
	}
	genl_close(&s);
}

/*
 * Names by VMMON_SET_NAME and by SET_VM: what may be one, unique per
 * owner, found by GET_VM, free again after a rename.
 */
VMMON_TEST(names)
{
	static const char *const bad[] = { "", "123", "a b", "a/b", "x\n" };
	static const char too_long[] = "a-name-of-forty-characters-is-too-long-x";
	char longest[VMMON_NAME_MAX], full[VMMON_NAME_MAX];
	struct genl_sock s;
	uint32_t ida, idb;
	struct vm_info vm;
	unsigned int i;
	int a, b;

	GENL_OPEN(&s);
	a = vmmon_create_vm(dev);
	ASSERT_OK(a);
	ida = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, ida);
	b = vmmon_create_vm(dev);
	ASSERT_OK(b);
	idb = new_vm_id(&s, &ida, 1);
	ASSERT_NE(0U, idb);

	ASSERT_OK(set_name(a, "genl-a", 7));
	ASSERT_GENL_OK(&s, get_vm_by_name(&s, "genl-a", &vm));
	EXPECT_EQ(ida, vm.id);
	EXPECT_STREQ("genl-a", vm.name);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = set_name(a, bad[i], strlen(bad[i]) + 1), e = errno;

		EXPECT_TRUE(r == -1 && e == EINVAL)
			TH_LOG("name \"%s\": %d (%s)", bad[i], r, strerror(e));
	}
	/* 31 characters fit; 32 leave no room for the NUL. */
	memset(longest, 'n', sizeof(longest));
	longest[VMMON_NAME_MAX - 1] = '\0';
	ASSERT_OK(set_name(b, longest, sizeof(longest)));
	memset(full, 'f', sizeof(full));
	EXPECT_ERRNO(set_name(b, full, sizeof(full)), EINVAL);
	/* A refused name changed nothing. */
	EXPECT_GENL_OK(&s, get_vm(&s, ida, &vm));
	EXPECT_STREQ("genl-a", vm.name);

	EXPECT_ERRNO(set_name(b, "genl-a", 7), EEXIST);
	EXPECT_GENL_OK(&s, get_vm(&s, idb, &vm));
	EXPECT_STREQ(longest, vm.name);

	EXPECT_GENL_OK(&s, rename_vm(&s, ida, "genl-b"));
	EXPECT_GENL_OK(&s, get_vm_by_name(&s, "genl-b", &vm));
	EXPECT_EQ(ida, vm.id);
	EXPECT_STREQ("genl-b", vm.name);
	EXPECT_EQ(-ENOENT, get_vm_by_name(&s, "genl-a", &vm));
	/* The old name is free again. */
	ASSERT_OK(set_name(b, "genl-a", 7));
	EXPECT_GENL_OK(&s, get_vm_by_name(&s, "genl-a", &vm));
	EXPECT_EQ(idb, vm.id);
	/* Renames follow the same rules. */
	EXPECT_EQ(-EEXIST, rename_vm(&s, ida, "genl-a"));
	EXPECT_EQ(-EINVAL, rename_vm(&s, ida, "42"));
	EXPECT_EQ(-EINVAL, rename_vm(&s, ida, "a b"));
	EXPECT_GT(0, rename_vm(&s, ida, too_long));
	EXPECT_GENL_OK(&s, get_vm(&s, ida, &vm));
	EXPECT_STREQ("genl-b", vm.name);
	close(a);
	close(b);
	genl_close(&s);
}

/* The attributes of a VM seen whole (its vCPUs aside). */
#define WHOLE_VIEW	(1ULL << VMMON_A_VM_ID | 1ULL << VMMON_A_VM_NAME |	\
			 1ULL << VMMON_A_VM_OWNER_UID |				\
			 1ULL << VMMON_A_VM_OWNER_PID |				\
			 1ULL << VMMON_A_VM_STATE |				\
			 1ULL << VMMON_A_VM_CREATED_NS |			\
			 1ULL << VMMON_A_VM_NR_VCPUS | 1ULL << VMMON_A_VM_MEM |	\
			 1ULL << VMMON_A_VM_EXITS | 1ULL << VMMON_A_VM_RUN_NS)
#define NOBODY		65534

/* What the unprivileged child saw, in memory it shares with the test. */
struct other_view {
	int opened;
	int dump_err, found, get_err, set_err, mod_err;
	uint64_t dump_mask, get_mask;
	uint32_t dump_uid, get_uid;
	char set_msg[256];
	int byname_err;		/* GET_VM of the test's VM by its name */
	/* Its own VM, named as the test's VM is. */
	int own_err, own_name_err, own_get_err;
	uint32_t own_id, byname_id;
	uint64_t own_mask;
};

/*
 * As uid and gid 65534 (nobody), without capabilities: look at the
 * test's VM @id, make a VM of its own (on the /dev/vmmon fd it
 * inherited) and keep it until the test closes @go.
 */
static int look_as_nobody(uint32_t id, struct other_view *v, int ready,
			  int go)
{
	static struct vm_list l;
	struct genl_sock s;
	struct vm_info vm;
	struct mod_info mod;
	int i, own;
	char c;

	if (setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return 1;
	if (genl_open(&s))
		return 1;
	v->opened = 1;
	v->dump_err = dump_vms(&s, &l);
	for (i = 0; i < l.n; i++) {
		if (l.vm[i].id != id)
			continue;
		v->found++;
		v->dump_mask = l.vm[i].mask;
		v->dump_uid = l.vm[i].uid;
	}
	v->get_err = get_vm(&s, id, &vm);
	v->get_mask = vm.mask;
	v->get_uid = vm.uid;
	v->set_err = rename_vm(&s, id, "stolen");
	snprintf(v->set_msg, sizeof(v->set_msg), "%s", s.ext_msg);
	v->mod_err = get_module(&s, &mod);
	v->byname_err = get_vm_by_name(&s, "secret", &vm);
	own = vmmon_create_vm(dev);
	v->own_err = own < 0 ? errno : 0;
	if (own >= 0 && set_name(own, "secret", 7))
		v->own_name_err = errno;
	v->own_id = new_vm_id(&s, NULL, 0);
	v->own_get_err = get_vm(&s, v->own_id, &vm);
	v->own_mask = vm.mask;
	get_vm_by_name(&s, "secret", &vm);
	v->byname_id = vm.id;
	genl_close(&s);
	if (write(ready, "r", 1) != 1)
		return 1;
	/* EOF when the test is done with this VM. */
	return read(go, &c, 1) ? 1 : 0;
}

/*
 * Another user sees that the VM exists, its id and owner and nothing
 * else, finds no VM by its name, and cannot rename it: EPERM with a
 * message.  The module's figures are anyone's.  That user's own VM may have the same name, it
 * sees it whole and finds it by that name, and root (CAP_SYS_ADMIN)
 * sees it whole and may rename it.
 */
VMMON_TEST(permissions)
{
	const uint64_t reduced = 1ULL << VMMON_A_VM_ID |
				 1ULL << VMMON_A_VM_OWNER_UID;
	int vm_fd, status, ready[2], go[2];
	struct other_view *v;
	struct genl_sock s;
	struct vm_info vm;
	uint32_t id;
	pid_t child;
	char c;

	if (geteuid() != 0)
		SKIP(return, "needs root, to become another user");
	GENL_OPEN(&s);
	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, v);
	vm_fd = vmmon_create_vm(dev);
	ASSERT_OK(vm_fd);
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	/* A name, so that its absence in the other's view means something. */
	ASSERT_OK(set_name(vm_fd, "secret", 7));

	ASSERT_OK(pipe(ready));
	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		close(ready[0]);
		close(go[1]);
		_exit(look_as_nobody(id, v, ready[1], go[0]));
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1))
		TH_LOG("the child failed as nobody (netlink opened: %d)", v->opened);

	EXPECT_EQ(0, v->dump_err) TH_LOG("dump: %s", strerror(-v->dump_err));
	EXPECT_EQ(1, v->found);
	EXPECT_EQ(reduced, v->dump_mask)
		TH_LOG("dump shows attributes 0x%llx", (unsigned long long)v->dump_mask);
	EXPECT_EQ(0U, v->dump_uid);
	EXPECT_EQ(0, v->get_err) TH_LOG("get: %s", strerror(-v->get_err));
	EXPECT_EQ(reduced, v->get_mask)
		TH_LOG("get shows attributes 0x%llx", (unsigned long long)v->get_mask);
	EXPECT_EQ(0U, v->get_uid);
	EXPECT_EQ(-EPERM, v->set_err) TH_LOG("set: %s", strerror(-v->set_err));
	EXPECT_NE('\0', v->set_msg[0]);
	ksft_print_msg("refusal: \"%s\"\n", v->set_msg);
	EXPECT_EQ(0, v->mod_err) TH_LOG("get_module: %s", strerror(-v->mod_err));
	EXPECT_EQ(-ENOENT, v->byname_err)
		TH_LOG("by name: %s", strerror(-v->byname_err));

	/* Nobody's own VM. */
	EXPECT_EQ(0, v->own_err) TH_LOG("nobody's VM: %s", strerror(v->own_err));
	EXPECT_EQ(0, v->own_name_err)
		TH_LOG("nobody's name: %s", strerror(v->own_name_err));
	ASSERT_NE(0U, v->own_id);
	EXPECT_EQ(0, v->own_get_err);
	EXPECT_EQ(WHOLE_VIEW, v->own_mask & WHOLE_VIEW)
		TH_LOG("nobody sees its VM with attributes 0x%llx",
		       (unsigned long long)v->own_mask);
	EXPECT_EQ(v->own_id, v->byname_id);
	EXPECT_GENL_OK(&s, get_vm(&s, v->own_id, &vm));
	EXPECT_EQ(WHOLE_VIEW, vm.mask & WHOLE_VIEW);
	EXPECT_EQ((uint32_t)NOBODY, vm.uid);
	EXPECT_STREQ("secret", vm.name);
	EXPECT_GENL_OK(&s, get_vm_by_name(&s, "secret", &vm));
	EXPECT_EQ(id, vm.id);
	EXPECT_GENL_OK(&s, rename_vm(&s, v->own_id, "renamed"));
	EXPECT_GENL_OK(&s, get_vm(&s, v->own_id, &vm));
	EXPECT_STREQ("renamed", vm.name);
	close(go[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	EXPECT_GENL_OK(&s, get_vm(&s, id, &vm));
	EXPECT_STREQ("secret", vm.name);
	close(ready[0]);
	munmap(v, sizeof(*v));
	close(vm_fd);
	genl_close(&s);
}

/* The events of VM @id on @ev, until DESTROYED or the timeout: how many. */
static int read_events(struct genl_sock *ev, uint32_t id, uint32_t *events,
		       int max, uint32_t *uid)
{
	/* int: nlmsghdr alignment. */
	static int buf[GENL_RECV_SIZE / sizeof(int)];
	const struct nlattr *tb[VMMON_A_MAX + 1];
	int n = 0;

	while (n < max) {
		int len = genl_recv(ev, buf, sizeof(buf));
		const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;

		if (len < 0)
			return n;
		for (; NLMSG_OK(nh, (unsigned int)len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type != ev->family ||
			    genl_cmd(nh) != VMMON_CMD_EVENT ||
			    genl_attrs(nh, tb, VMMON_A_MAX) < 0 ||
			    !tb[VMMON_A_VM_ID] || !tb[VMMON_A_EVENT] ||
			    nla_get_u32(tb[VMMON_A_VM_ID]) != id || n == max)
				continue;
			events[n] = nla_get_u32(tb[VMMON_A_EVENT]);
			if (tb[VMMON_A_VM_OWNER_UID])
				*uid = nla_get_u32(tb[VMMON_A_VM_OWNER_UID]);
			if (events[n++] == VMMON_EVENT_DESTROYED)
				return n;
		}
	}
	return n;
}

/* What a process in a new pid namespace saw, shared with the test. */
struct ns_view {
	int get_err, own_err;
	uint32_t pid, own_pid;
	uint64_t mask;
};

/*
 * As pid 1 of a new pid namespace: the test's VM @id, whose owner is
 * outside it, and a VM of its own.
 */
static int look_from_pid_ns(uint32_t id, struct ns_view *v)
{
	struct genl_sock s;
	struct vm_info vm;
	int own;

	if (genl_open(&s))
		return 1;
	v->get_err = get_vm(&s, id, &vm);
	v->pid = vm.pid;
	v->mask = vm.mask;
	own = vmmon_create_vm(dev);
	if (own < 0 || set_name(own, "in-ns", 6))
		return 1;
	v->own_err = get_vm_by_name(&s, "in-ns", &vm);
	v->own_pid = vm.pid;
	genl_close(&s);
	return 0;
}

/*
 * The owner pid as the requester's pid namespace numbers it: 0 for an
 * owner outside it, and 0 once the owner process has exited while the
 * VM lives on (in a child that inherited its fd).
 */
VMMON_TEST(owner_pid)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	int vm_fd, status, go[2], i;
	struct ns_view *v;
	struct genl_sock s;
	struct vm_info vm;
	pid_t child, inner;
	uint32_t id;
	char c;

	GENL_OPEN(&s);
	v = mmap(NULL, sizeof(*v), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, v);
	vm_fd = vmmon_create_vm(dev);
	ASSERT_OK(vm_fd);
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);

	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (inner == 0)
			_exit(look_from_pid_ns(id, v));
		if (inner < 0 || waitpid(inner, &status, 0) != inner)
			_exit(2);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 2);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child in a new pid namespace failed: %d", status);
	EXPECT_EQ(0, v->get_err);
	EXPECT_TRUE(HAS(v->mask, VMMON_A_VM_OWNER_PID));
	EXPECT_EQ(0U, v->pid);
	EXPECT_EQ(0, v->own_err);
	EXPECT_EQ(1U, v->own_pid);

	/* An owner that made a VM, handed it to its own child and exited. */
	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		close(go[1]);
		vm_fd = vmmon_create_vm(dev);
		if (vm_fd < 0 || set_name(vm_fd, "orphan", 7))
			_exit(1);
		inner = fork();
		/* Holds the VM until the test closes go. */
		if (inner == 0)
			_exit(read(go[0], &c, 1) ? 1 : 0);
		_exit(inner < 0);
	}
	close(go[0]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_GENL_OK(&s, get_vm_by_name(&s, "orphan", &vm));
	EXPECT_TRUE(HAS(vm.mask, VMMON_A_VM_OWNER_PID));
	EXPECT_EQ(0U, vm.pid);
	close(go[1]);
	/* Gone with its last holder, 10 s at most. */
	for (i = 0; i < 1000 && !get_vm_by_name(&s, "orphan", &vm); i++)
		nanosleep(&tick, NULL);
	EXPECT_EQ(-ENOENT, get_vm_by_name(&s, "orphan", &vm));
	munmap(v, sizeof(*v));
	close(vm_fd);
	genl_close(&s);
}

/* The events of VM @id on @ev are @want[0..2], from its owner. */
static void expect_events(struct __test_metadata *_metadata,
			  struct genl_sock *ev, uint32_t id,
			  const uint32_t *want)
{
	uint32_t events[8], uid = ~0U;
	int i, n = read_events(ev, id, events, 8, &uid);

	for (i = 0; i < n; i++)
		ksft_print_msg("VM %u: event %u\n", id, events[i]);
	ASSERT_EQ(3, n);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(want[i], events[i]) TH_LOG("VM %u, event %d", id, i);
	EXPECT_EQ(geteuid(), uid);
}

/*
 * Created, stopped, destroyed, in that order: a triple fault (RUN twice,
 * one event: once per stop), then a failed entry.
 */
VMMON_TEST(events)
{
	static const uint32_t shutdown[] = {
		VMMON_EVENT_CREATED, VMMON_EVENT_SHUTDOWN, VMMON_EVENT_DESTROYED,
	}, failed[] = {
		VMMON_EVENT_CREATED, VMMON_EVENT_INTERNAL_ERROR,
		VMMON_EVENT_DESTROYED,
	};
	struct vmmon_sregs sregs;
	struct genl_sock s, ev;
	struct vmmon_guest g;
	uint32_t id[2];

	GENL_OPEN(&s);
	GENL_OPEN(&ev);
	ASSERT_EQ(0, genl_join_events(&ev));
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, fault_guest_start,
				     fault_guest_end - fault_guest_start));
	id[0] = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id[0]);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.idt.limit = 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EQ((uint32_t)VMMON_EXIT_SHUTDOWN, g.run->exit_reason)
		vmmon_show_exit(g.run);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EQ((uint32_t)VMMON_EXIT_SHUTDOWN, g.run->exit_reason)
		vmmon_show_exit(g.run);
	vmmon_guest_destroy(&g);

	/* VM entry wants a usable TR. */
	ASSERT_OK(vmmon_guest_create(&g, dev, GUEST_RAM, count_guest_start,
				     count_guest_end - count_guest_start));
	id[1] = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id[1]);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.tr.unusable = 1;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EQ((uint32_t)VMMON_EXIT_FAIL_ENTRY, g.run->exit_reason)
		vmmon_show_exit(g.run);
	vmmon_guest_destroy(&g);

	expect_events(_metadata, &ev, id[0], shutdown);
	expect_events(_metadata, &ev, id[1], failed);
	genl_close(&ev);
	genl_close(&s);
}

/* Kernel log lines that mean the kernel is hurt, after a log_mark(). */
static void expect_clean_log(struct __test_metadata *_metadata, int mark)
{
	static const char bad[][32] = {
		"WARNING:", "BUG:", "Oops", "general protection fault",
		"Kernel panic",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_FALSE(log_since(mark, bad[i])) TH_LOG("kernel log: %s", bad[i]);
}

/*
 * An answer from the kernel, not the library giving up: no answer
 * (-EAGAIN), one that did not parse (-EPROTO) or did not fit (-EMSGSIZE).
 */
static int kernel_answered(int err)
{
	return err != -EAGAIN && err != -EPROTO && err != -EMSGSIZE;
}

enum bad_kind {
	BAD_UNKNOWN_ATTR, BAD_TYPE_MASK, BAD_U8_ID, BAD_U64_ID, BAD_NESTED_ID,
	BAD_LONG_NAME, BAD_UNTERMINATED_NAME, BAD_UNTERMINATED_NEW_NAME,
	BAD_ATTR_PAST_END, BAD_ATTR_SHORT, BAD_CMD_99, BAD_CMD_UNSPEC,
	BAD_CMD_EVENT, BAD_NO_VM, BAD_NO_SUCH_VM, BAD_NO_NEW_NAME,
	BAD_SHORT_GENL_HDR, BAD_ID_AND_NAME, BAD_EMPTY_NAME, BAD_DUMP_WITH_ATTR,
	BAD_TARGET_U32, BAD_TARGET_PAST_RAM,
	BAD_NR,
};

static const char *const bad_names[BAD_NR] = {
	[BAD_UNKNOWN_ATTR] = "unknown attribute type (VMMON_A_MAX + 1)",
	[BAD_TYPE_MASK] = "attribute type 0x3fff",
	[BAD_U8_ID] = "VM_ID as a u8",
	[BAD_U64_ID] = "VM_ID as a u64",
	[BAD_NESTED_ID] = "VM_ID with NLA_F_NESTED",
	[BAD_LONG_NAME] = "VM_NAME of VMMON_NAME_MAX + 10 bytes",
	[BAD_UNTERMINATED_NAME] = "VM_NAME without its NUL",
	[BAD_UNTERMINATED_NEW_NAME] = "SET_VM, NEW_NAME without its NUL",
	[BAD_ATTR_PAST_END] = "nla_len past the end of the message",
	[BAD_ATTR_SHORT] = "nla_len shorter than its header",
	[BAD_CMD_99] = "command 99",
	[BAD_CMD_UNSPEC] = "command VMMON_CMD_UNSPEC",
	[BAD_CMD_EVENT] = "command VMMON_CMD_EVENT (multicast only)",
	[BAD_NO_VM] = "GET_VM with neither id nor name",
	[BAD_NO_SUCH_VM] = "GET_VM of an id no VM has",
	[BAD_NO_NEW_NAME] = "SET_VM without NEW_NAME or BALLOON_TARGET",
	[BAD_SHORT_GENL_HDR] = "message shorter than the genetlink header",
	[BAD_ID_AND_NAME] = "GET_VM with both id and name",
	[BAD_EMPTY_NAME] = "GET_VM with an empty name",
	[BAD_DUMP_WITH_ATTR] = "dump with an attribute",
	[BAD_TARGET_U32] = "SET_VM, BALLOON_TARGET as a u32",
	[BAD_TARGET_PAST_RAM] = "SET_VM, BALLOON_TARGET past the VM's RAM",
};

static void build_bad(struct genl_msg *m, uint16_t family, uint32_t id,
		      enum bad_kind kind)
{
	char name[VMMON_NAME_MAX + 10];
	uint64_t u64 = id, one = 1;
	uint8_t u8 = id;
	struct nlattr *a;

	genl_msg_init(m, family, 0, VMMON_CMD_GET_VM);
	switch (kind) {
	case BAD_UNKNOWN_ATTR:
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put_u32(m, VMMON_A_MAX + 1, 0);
		break;
	case BAD_TYPE_MASK:
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put_u32(m, (uint16_t)NLA_TYPE_MASK, 0);
		break;
	case BAD_U8_ID:
		genl_put(m, VMMON_A_VM_ID, &u8, sizeof(u8));
		break;
	case BAD_U64_ID:
		genl_put(m, VMMON_A_VM_ID, &u64, sizeof(u64));
		break;
	case BAD_NESTED_ID:
		a = genl_put_u32(m, VMMON_A_VM_ID, id);
		a->nla_type |= NLA_F_NESTED;
		break;
	case BAD_LONG_NAME:
		memset(name, 'a', sizeof(name));
		name[sizeof(name) - 1] = '\0';
		genl_put(m, VMMON_A_VM_NAME, name, sizeof(name));
		break;
	case BAD_UNTERMINATED_NAME:
		genl_put(m, VMMON_A_VM_NAME, "genl", 4);
		break;
	case BAD_UNTERMINATED_NEW_NAME:
		genl_msg_init(m, family, 0, VMMON_CMD_SET_VM);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put(m, VMMON_A_VM_NEW_NAME, "genl", 4);
		break;
	case BAD_ATTR_PAST_END:
		a = genl_put_u32(m, VMMON_A_VM_ID, id);
		a->nla_len = 200;
		break;
	case BAD_ATTR_SHORT:
		a = genl_put_u32(m, VMMON_A_VM_ID, id);
		a->nla_len = 2;
		break;
	case BAD_CMD_99:
		genl_msg_init(m, family, 0, 99);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		break;
	case BAD_CMD_UNSPEC:
		genl_msg_init(m, family, 0, VMMON_CMD_UNSPEC);
		break;
	case BAD_CMD_EVENT:
		genl_msg_init(m, family, 0, VMMON_CMD_EVENT);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put_u32(m, VMMON_A_EVENT, VMMON_EVENT_DESTROYED);
		break;
	case BAD_NO_VM:
		break;
	case BAD_NO_SUCH_VM:
		genl_put_u32(m, VMMON_A_VM_ID, id + 0x10000000);
		break;
	case BAD_NO_NEW_NAME:
		genl_msg_init(m, family, 0, VMMON_CMD_SET_VM);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		break;
	case BAD_SHORT_GENL_HDR:
		m->len = NLMSG_LENGTH(2);
		break;
	case BAD_ID_AND_NAME:
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put_str(m, VMMON_A_VM_NAME, "genl");
		break;
	case BAD_EMPTY_NAME:
		genl_put_str(m, VMMON_A_VM_NAME, "");
		break;
	case BAD_DUMP_WITH_ATTR:
		genl_msg_init(m, family, NLM_F_DUMP, VMMON_CMD_GET_VM);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		break;
	case BAD_TARGET_U32:
		genl_msg_init(m, family, 0, VMMON_CMD_SET_VM);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put_u32(m, VMMON_A_VM_BALLOON_TARGET, 1);
		break;
	case BAD_TARGET_PAST_RAM:
		/* The VM has no RAM: one page is past it. */
		genl_msg_init(m, family, 0, VMMON_CMD_SET_VM);
		genl_put_u32(m, VMMON_A_VM_ID, id);
		genl_put(m, VMMON_A_VM_BALLOON_TARGET, &one, sizeof(one));
		break;
	case BAD_NR:
		break;
	}
}

/*
 * Each malformed request is refused with an error, the socket goes on
 * answering, and the VM it named is untouched.
 */
VMMON_TEST(malformed)
{
	struct genl_sock s;
	struct mod_info mod;
	struct vm_info vm;
	struct genl_msg m;
	int vm_fd, k, err, mark = log_mark();
	uint32_t id;

	GENL_OPEN(&s);
	vm_fd = vmmon_create_vm(dev);
	ASSERT_OK(vm_fd);
	id = new_vm_id(&s, NULL, 0);
	ASSERT_NE(0U, id);
	ASSERT_OK(set_name(vm_fd, "genl", 5));
	for (k = 0; k < BAD_NR; k++) {
		build_bad(&m, s.family, id, k);
		err = genl_talk(&s, &m, NULL, NULL);
		ksft_print_msg("%s: %s (%d), \"%s\"\n", bad_names[k],
			       strerror(-err), err, s.ext_msg);
		EXPECT_LT(err, 0) TH_LOG("%s: accepted", bad_names[k]);
		EXPECT_TRUE(kernel_answered(err)) TH_LOG("%s", bad_names[k]);
		EXPECT_GENL_OK(&s, get_module(&s, &mod));
	}
	EXPECT_GENL_OK(&s, get_vm(&s, id, &vm));
	EXPECT_STREQ("genl", vm.name);
	expect_clean_log(_metadata, mark);
	close(vm_fd);
	genl_close(&s);
}

/* Fixed, so that a failure can be replayed: printed by the test. */
#define FUZZ_SEED	0x766d6d6fU
#define FUZZ_ROUNDS	2000
#define FUZZ_CMDS	11

static uint32_t fuzz_state;

/* xorshift32: the same sequence on every libc. */
static uint32_t rnd(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 17;
	fuzz_state ^= fuzz_state << 5;
	return fuzz_state;
}

/*
 * One attribute.  Half of them as the policy wants, so that requests get
 * past it to the handlers: a VM id (of a real VM, or a small number), a
 * name of valid and invalid characters.  The others of any type with
 * random bytes, some with a flag bit in the type or a length that runs
 * past the message.
 */
static void fuzz_attr(struct genl_msg *m, const uint32_t *ids)
{
	static const char chars[] = "az09._- /\xff";
	static const uint16_t policy[] = {
		VMMON_A_VM_ID, VMMON_A_VM_NAME, VMMON_A_VM_NEW_NAME,
	};
	uint16_t type = rnd() % (VMMON_A_MAX + 4);
	size_t len = rnd() % 40, i;
	struct nlattr *a;
	char data[40];

	for (i = 0; i < len; i++)
		data[i] = rnd();
	switch (rnd() % 6) {
	case 0:
	case 1:
	case 2:
		type = policy[rnd() % 3];
		if (type == VMMON_A_VM_ID) {
			genl_put_u32(m, type, rnd() % 2 ? ids[rnd() % 2] : rnd() % 8);
			return;
		}
		for (i = 0; i + 1 < len; i++)
			data[i] = chars[rnd() % (sizeof(chars) - 1)];
		data[len ? len - 1 : 0] = '\0';
		genl_put(m, type, data, len ? len : 1);
		return;
	case 3:
		genl_put(m, type, data, len);
		return;
	case 4:
		a = genl_put(m, type, data, len);
		if (a)
			a->nla_type |= rnd() % 2 ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
		return;
	default:
		a = genl_put(m, type, data, len);
		if (a)
			a->nla_len += 1 + rnd() % 64;
		return;
	}
}

/*
 * Request flags: mostly those genetlink takes (none, a dump, an echo),
 * sometimes bits it refuses for new families (one half of NLM_F_DUMP,
 * NLM_F_ATOMIC).
 */
static uint16_t fuzz_flags(void)
{
	static const uint16_t flags[] = { 0, NLM_F_DUMP, NLM_F_ECHO };

	if (rnd() % 4)
		return flags[rnd() % 3];
	return rnd() & (NLM_F_ROOT | NLM_F_MATCH | NLM_F_ATOMIC | NLM_F_ECHO);
}

/*
 * Random requests (command, flags with and without NLM_F_DUMP, 0-3
 * attributes), as syzkaller sends to a family: every one answered or
 * refused, the VMs still there, no kernel warning.  Enough of them must
 * be answered: a fuzz that never gets past the policy tests nothing else.
 */
VMMON_TEST_TIMEOUT(fuzz, 600)
{
	int refused[256] = { 0 }, answered = 0, other = 0;
	int vm_fd[2], vcpu, i, j, err, mark = log_mark();
	struct genl_sock s;
	struct mod_info mod;
	struct vm_info vm;
	struct genl_msg m;
	uint32_t ids[2];

	GENL_OPEN(&s);
	for (i = 0; i < 2; i++) {
		vm_fd[i] = vmmon_create_vm(dev);
		ASSERT_OK(vm_fd[i]);
		ids[i] = new_vm_id(&s, ids, i);
		ASSERT_NE(0U, ids[i]);
	}
	vcpu = create_vcpu(vm_fd[0], 0);
	ASSERT_OK(vcpu);
	fuzz_state = FUZZ_SEED;
	ksft_print_msg("fuzz: seed 0x%x, %d messages\n", FUZZ_SEED, FUZZ_ROUNDS);
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		uint16_t flags = fuzz_flags();
		int nattrs = rnd() % 4;
		/* Half of them to a command the family has. */
		uint8_t cmd = rnd() % 2 ? VMMON_CMD_GET_MODULE + rnd() % 3 :
					  rnd() % FUZZ_CMDS;

		genl_msg_init(&m, s.family, flags, cmd);
		for (j = 0; j < nattrs; j++)
			fuzz_attr(&m, ids);
		err = genl_talk(&s, &m, NULL, NULL);
		ASSERT_TRUE(kernel_answered(err))
			TH_LOG("message %d (cmd %u, flags 0x%x): %s", i,
			       genl_cmd(&m.nh), flags, strerror(-err));
		if (!err)
			answered++;
		else if (-err < 256)
			refused[-err]++;
		else
			other++;
	}
	ksft_print_msg("fuzz: %d answered, %d refused with another code\n",
		       answered, other);
	EXPECT_GT(answered, FUZZ_ROUNDS / 50);
	for (i = 0; i < 256; i++)
		if (refused[i])
			ksft_print_msg("fuzz: %d refused with %s\n", refused[i],
				       strerror(i));
	EXPECT_GENL_OK(&s, get_module(&s, &mod));
	EXPECT_EQ(2U, mod.nr_vms);
	for (i = 0; i < 2; i++)
		EXPECT_GENL_OK(&s, get_vm(&s, ids[i], &vm));
	expect_clean_log(_metadata, mark);
	close(vcpu);
	for (i = 0; i < 2; i++)
		close(vm_fd[i]);
	genl_close(&s);
}

VMMON_TEST_MAIN
