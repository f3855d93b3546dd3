// SPDX-License-Identifier: GPL-2.0
/*
 * The memory policy in the module (kmod/memsched/, issue 16): test VMs
 * whose guests set up a balloon channel (they take part) and touch a
 * known part of their RAM, a budget below what they hold, and what the
 * module decides: the active-memory estimate against the fraction the
 * guest really touches, equal allocations at tau = 0, the idle VM
 * taxed at tau = 0.75 within 10% of the formula from the true
 * fractions, shares 2:1, reservations, a VM without a balloon left
 * alone, a raised budget lowering the targets, the target event, and
 * the settings' checks (SET_MODULE for CAP_SYS_ADMIN only).
 *
 * No balloon driver runs here: the guests set the channel up and give
 * no page, so the VMs keep what they hold and each decision can be
 * checked against its inputs.  A Linux guest's driver inflating to the
 * targets is vmctl's part (vmctl_balloon).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_balloon.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_genl_util.h"
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define PAGE		4096ULL
#define MiB		(1024ULL * 1024)
#define RAM		(32 * MiB)
#define RAM_PAGES	(RAM / PAGE)
/* The channel, as vmmon_balloon_test has it; the guest touches TOUCH_GPA up. */
#define CHAN_GPA	0x800000ULL
#define RING		8
#define TOUCH_GPA	(16 * MiB)
#define HALF_PAGES	((RAM - TOUCH_GPA) / PAGE)	/* 50% of RAM */
#define AREA_GVA	0x4000000000ULL
/* 12288 pages for two VMs of 8192: 3/4 of what they hold. */
#define BUDGET		(48 * MiB / PAGE)

#define PARAMS		"/sys/module/vmmon/parameters/"
#define PERIOD_MS	"200"
#define PERIOD_WAIT_S	30	/* a period in the emulated PC, at worst */
#define PPM		1000000.0

#define EXPECT_U(want, seen) EXPECT_EQ((uint64_t)(want), (uint64_t)(seen))

/* Guest: one command of the host's at a time, each answered by a SYNC. */
enum guest_op {
	OP_VMCALL = 1,		/* nr(a0, a1): its RAX */
	OP_TOUCH,		/* a write to each of count pages from gva */
};

struct guest_cmd {
	uint64_t op, nr, a0, a1, gva, count;
};

static struct guest_cmd guest_cmd;

static void guest_main(void)
{
	volatile struct guest_cmd *c = &guest_cmd;
	uint64_t ret = 0, i;

	for (;;) {
		GUEST_SYNC(ret, 0, 0);
		ret = 0;
		switch (c->op) {
		case OP_VMCALL:
			asm volatile("vmcall" : "=a"(ret)
				     : "a"(c->nr), "b"(c->a0), "c"(c->a1)
				     : "memory");
			break;
		case OP_TOUCH:
			for (i = 0; i < c->count; i++)
				((volatile uint64_t *)c->gva)[i * PAGE / 8] = i;
			break;
		default:
			GUEST_ASSERT(0);
		}
	}
}

/* A test VM: all its RAM resident (written from here), named for netlink. */
struct tvm {
	struct vmmon_guest g;
	char name[VMMON_NAME_MAX];
};

static int guest_do(struct tvm *t, const struct guest_cmd *c, int64_t *ret)
{
	struct vmmon_ucall uc;

	guest_cmd = *c;
	if (VMMON_SYNC_TO_GUEST(&t->g, guest_cmd) ||
	    vmmon_guest_run_ucall(&t->g, &uc) != VMMON_UCALL_SYNC)
		return -1;
	if (ret)
		*ret = (int64_t)uc.args[0];
	return 0;
}

/* The guest writes to its pages of TOUCH_GPA on: half of its RAM. */
static int touch(struct tvm *t)
{
	struct guest_cmd c = {
		.op = OP_TOUCH, .gva = AREA_GVA + TOUCH_GPA, .count = HALF_PAGES,
	};

	return guest_do(t, &c, NULL);
}

/* With @balloon its guest sets up a channel (it takes part); 0 or -1. */
static int tvm_create(struct tvm *t, bool balloon)
{
	static unsigned int nr;
	struct vmmon_name name = { { 0 } };
	struct guest_cmd c = {
		.op = OP_VMCALL, .nr = VMMON_HC_BALLOON_SETUP, .a0 = CHAN_GPA,
		.a1 = RING,
	};
	struct vmmon_ucall uc;
	int64_t ret;

	memset(t, 0, sizeof(*t));
	if (vmmon_guest_create_long(&t->g, dev, RAM, guest_main, 0, 0))
		return -1;
	if (t->g.next_gpa > CHAN_GPA ||
	    vmmon_guest_map_ram(&t->g, AREA_GVA + CHAN_GPA, CHAN_GPA,
				RAM - CHAN_GPA))
		return -1;
	snprintf(t->name, sizeof(t->name), "memsched-%d-%u", getpid(), nr++);
	memcpy(name.name, t->name, strlen(t->name));
	if (ioctl(t->g.vm, VMMON_SET_NAME, &name))
		return -1;
	/* Resident, but never used by the guest: idle. */
	memset(t->g.ram + t->g.next_gpa, 0, RAM - t->g.next_gpa);
	if (vmmon_guest_run_ucall(&t->g, &uc) != VMMON_UCALL_SYNC)
		return -1;
	if (balloon && (guest_do(t, &c, &ret) || ret))
		return -1;
	return 0;
}

#define TVM_CREATE(t, balloon)						\
	ASSERT_EQ(0, tvm_create(t, balloon))				\
		TH_LOG("test VM: %s (%s)", (t)->g.error, strerror(errno))

/* The policy's view of a VM and its balloon target (GET_VM). */
struct ms {
	uint32_t id, shares, active_ppm, sampled, touched, reclaimable;
	uint64_t reserve, size, rho, alloc, changes, target, resident;
	bool has;
};

static uint64_t u64_or_0(const struct nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

static uint32_t u32_or_0(const struct nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

static int ms_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	const struct nlattr *ms[VMMON_A_MS_MAX + 1];
	const struct nlattr *bt[VMMON_A_BALLOON_MAX + 1];
	const struct nlattr *mem[VMMON_A_MEM_MAX + 1];
	struct ms *m = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_VM_MEMSCHED] ||
	    genl_nested(tb[VMMON_A_VM_MEMSCHED], ms, VMMON_A_MS_MAX) < 0)
		return -EPROTO;
	m->has = true;
	m->id = u32_or_0(tb[VMMON_A_VM_ID]);
	m->shares = u32_or_0(ms[VMMON_A_MS_SHARES]);
	m->reserve = u64_or_0(ms[VMMON_A_MS_RESERVE]);
	m->size = u64_or_0(ms[VMMON_A_MS_SIZE]);
	m->active_ppm = u32_or_0(ms[VMMON_A_MS_ACTIVE_PPM]);
	m->sampled = u32_or_0(ms[VMMON_A_MS_SAMPLED]);
	m->touched = u32_or_0(ms[VMMON_A_MS_TOUCHED]);
	m->rho = u64_or_0(ms[VMMON_A_MS_RHO]);
	m->alloc = u64_or_0(ms[VMMON_A_MS_ALLOC]);
	m->reclaimable = u32_or_0(ms[VMMON_A_MS_RECLAIMABLE]);
	m->changes = u64_or_0(ms[VMMON_A_MS_TARGET_CHANGES]);
	if (tb[VMMON_A_VM_BALLOON] &&
	    genl_nested(tb[VMMON_A_VM_BALLOON], bt, VMMON_A_BALLOON_MAX) >= 0)
		m->target = u64_or_0(bt[VMMON_A_BALLOON_TARGET]);
	if (tb[VMMON_A_VM_MEM] &&
	    genl_nested(tb[VMMON_A_VM_MEM], mem, VMMON_A_MEM_MAX) >= 0)
		m->resident = u64_or_0(mem[VMMON_A_MEM_RESIDENT]);
	return 0;
}

static int get_ms(const struct tvm *t, struct ms *m)
{
	struct genl_sock s;
	struct genl_msg msg;
	int err = genl_open(&s);

	memset(m, 0, sizeof(*m));
	if (err)
		return err;
	genl_msg_init(&msg, s.family, 0, VMMON_CMD_GET_VM);
	genl_put_str(&msg, VMMON_A_VM_NAME, t->name);
	err = genl_talk(&s, &msg, ms_cb, m);
	genl_close(&s);
	return err;
}

#define GET_MS(t, m) do {						\
	int __err = get_ms(t, m);					\
	ASSERT_EQ(0, __err) TH_LOG("GET_VM: %s", strerror(-__err));	\
} while (0)

struct msm {
	uint64_t budget, demand, periods, work_ns;
	uint32_t tau, period_ms, sample, pressure, overcommitted;
};

static int msm_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	const struct nlattr *ms[VMMON_A_MSM_MAX + 1];
	struct msm *m = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_MOD_MEMSCHED] ||
	    genl_nested(tb[VMMON_A_MOD_MEMSCHED], ms, VMMON_A_MSM_MAX) < 0)
		return -EPROTO;
	m->budget = u64_or_0(ms[VMMON_A_MSM_BUDGET]);
	m->tau = u32_or_0(ms[VMMON_A_MSM_TAU]);
	m->period_ms = u32_or_0(ms[VMMON_A_MSM_PERIOD_MS]);
	m->sample = u32_or_0(ms[VMMON_A_MSM_SAMPLE]);
	m->demand = u64_or_0(ms[VMMON_A_MSM_DEMAND]);
	m->pressure = u32_or_0(ms[VMMON_A_MSM_PRESSURE]);
	m->overcommitted = u32_or_0(ms[VMMON_A_MSM_OVERCOMMITTED]);
	m->periods = u64_or_0(ms[VMMON_A_MSM_PERIODS]);
	m->work_ns = u64_or_0(ms[VMMON_A_MSM_WORK_NS]);
	return 0;
}

static int get_msm(struct msm *m)
{
	struct genl_sock s;
	struct genl_msg msg;
	int err = genl_open(&s);

	memset(m, 0, sizeof(*m));
	if (err)
		return err;
	genl_msg_init(&msg, s.family, 0, VMMON_CMD_GET_MODULE);
	err = genl_talk(&s, &msg, msm_cb, m);
	genl_close(&s);
	return err;
}

/* SET_MODULE; a negative @budget or @tau is left out.  0 or -errno. */
static int set_mod(int64_t budget, int64_t tau)
{
	struct genl_sock s;
	struct genl_msg msg;
	uint64_t b = budget;
	int err = genl_open(&s);

	if (err)
		return err;
	genl_msg_init(&msg, s.family, 0, VMMON_CMD_SET_MODULE);
	if (budget >= 0)
		genl_put(&msg, VMMON_A_MEM_BUDGET, &b, sizeof(b));
	if (tau >= 0)
		genl_put_u32(&msg, VMMON_A_MEM_TAU, (uint32_t)tau);
	err = genl_talk(&s, &msg, NULL, NULL);
	genl_close(&s);
	return err;
}

/* SET_VM of shares and/or a reservation (negative: left out). */
static int set_vm(const struct tvm *t, int64_t shares, int64_t reserve)
{
	struct genl_sock s;
	struct genl_msg msg;
	uint64_t r = reserve;
	int err = genl_open(&s);

	if (err)
		return err;
	genl_msg_init(&msg, s.family, 0, VMMON_CMD_SET_VM);
	genl_put_str(&msg, VMMON_A_VM_NAME, t->name);
	if (shares >= 0)
		genl_put_u32(&msg, VMMON_A_VM_MEM_SHARES, (uint32_t)shares);
	if (reserve >= 0)
		genl_put(&msg, VMMON_A_VM_MEM_RESERVE, &r, sizeof(r));
	err = genl_talk(&s, &msg, NULL, NULL);
	genl_close(&s);
	return err;
}

static int write_param(const char *name, const char *value)
{
	char path[128];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	err = fputs(value, f) < 0 ? -EIO : 0;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * The tests pause page sharing's scanner (reset()): merged zero pages
 * would count as free and move every allocation by what the scanner
 * happened to reach, while each test checks decisions against exact
 * inputs.  sharing_savings_count_as_free runs it at this rate.  The
 * suite's last test unloads the module, which forgets both.
 */
#define KSM_RATE	"1024"

/*
 * No budget, the default tax, short periods, the default sample, page
 * sharing paused.
 */
static void reset(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, set_mod(0, 75));
	ASSERT_EQ(0, write_param("mem_period_ms", PERIOD_MS));
	ASSERT_EQ(0, write_param("mem_sample", "100"));
	ASSERT_EQ(0, write_param("ksm_pages_per_pass", "0"));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Until @n more periods ended, the guest of @busy (if any) touching its
 * half all the while, as a busy guest does: 0, or -1 on a time-out.
 */
static int periods(unsigned int n, struct tvm *busy)
{
	uint64_t deadline = mono_ns() + (uint64_t)n * PERIOD_WAIT_S * 1000000000ULL;
	struct msm m;
	uint64_t end;

	if (get_msm(&m))
		return -1;
	end = m.periods + n;
	while (m.periods < end) {
		if (mono_ns() > deadline)
			return -1;
		if (busy) {
			if (touch(busy))
				return -1;
		} else {
			usleep(10000);
		}
		if (get_msm(&m))
			return -1;
	}
	return 0;
}

#define PERIODS(n, busy) ASSERT_EQ(0, periods(n, busy))

static double frac(uint32_t ppm)
{
	return ppm / PPM;
}

/*
 * The allocation of VM 1 the formula gives two VMs of equal shares and
 * size @size with @a1 and @a2 active pages and tax @tau, sharing
 * @budget: equal charges A + k (P - A).
 */
static double formula_p1(double a1, double a2, double size, double tau,
			 double budget)
{
	double k = 1 / (1 - tau);
	double p1 = (budget + (k - 1) * (a1 - a2) / k) / 2;

	/* Neither past its size: the other takes the rest. */
	if (p1 > size)
		return size;
	if (budget - p1 > size)
		return budget - size;
	return p1;
}

/* Periods until @t's estimate is below @below (at most @n): 0 or -1. */
static int idle_until(struct tvm *t, double below, unsigned int n)
{
	struct ms m;

	while (n--) {
		if (periods(1, NULL) || get_ms(t, &m))
			return -1;
		if (m.sampled && frac(m.active_ppm) < below)
			return 0;
	}
	return -1;
}

VMMON_TEST_TIMEOUT(estimate_tracks_an_idle_guest_turning_half_active, 600)
{
	double err, truth;
	struct tvm t;
	struct ms m;

	reset(_metadata);
	ASSERT_EQ(0, write_param("mem_sample", "256"));
	TVM_CREATE(&t, true);
	/*
	 * Its half mapped once (the first writes take an EPT fault each,
	 * longer than a period here), then idle until the slow average
	 * forgot it.
	 */
	ASSERT_EQ(0, touch(&t));
	ASSERT_EQ(0, idle_until(&t, 0.05, 40));
	GET_MS(&t, &m);
	EXPECT_U(1, m.reclaimable);
	EXPECT_U(256, m.sampled);
	ksft_print_msg("idle: estimate %.3f, last sample %u of %u\n",
		       frac(m.active_ppm), m.touched, m.sampled);
	/* Half of its RAM, from now on: within two periods. */
	PERIODS(2, &t);
	GET_MS(&t, &m);
	truth = (double)HALF_PAGES / m.resident;
	err = frac(m.active_ppm) - truth;
	ksft_print_msg("bench: estimate after 2 periods touching %.3f of resident memory: %.3f (error %+.3f), last sample %u of %u\n",
		       truth, frac(m.active_ppm), err, m.touched, m.sampled);
	EXPECT_LT(err < 0 ? -err : err, 0.15);
	/* Steady: the error of the last sample alone. */
	PERIODS(3, &t);
	GET_MS(&t, &m);
	ksft_print_msg("bench: steady at %.3f: estimate %.3f, last sample %.3f (%u of %u)\n",
		       truth, frac(m.active_ppm),
		       (double)m.touched / m.sampled, m.touched, m.sampled);
	vmmon_guest_destroy(&t.g);
	reset(_metadata);
}

/*
 * The VMMON_EVENT_MEM_TARGET events queued on @ev, read to its time-out:
 * how many, the VM of each in @ids (at most @max).
 */
static unsigned int target_events(struct genl_sock *ev, uint32_t *ids,
				  unsigned int max)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	const struct nlmsghdr *nh;
	unsigned int n = 0;
	char buf[8192];
	int len;

	while ((len = genl_recv(ev, buf, sizeof(buf))) > 0)
		for (nh = (const struct nlmsghdr *)buf;
		     NLMSG_OK(nh, (unsigned int)len); nh = NLMSG_NEXT(nh, len))
			if (nh->nlmsg_type == ev->family &&
			    genl_cmd(nh) == VMMON_CMD_EVENT &&
			    genl_attrs(nh, tb, VMMON_A_MAX) >= 0 &&
			    tb[VMMON_A_EVENT] && tb[VMMON_A_VM_ID] &&
			    nla_get_u32(tb[VMMON_A_EVENT]) ==
			    VMMON_EVENT_MEM_TARGET && n < max)
				ids[n++] = nla_get_u32(tb[VMMON_A_VM_ID]);
	return n;
}

static unsigned int count_id(const uint32_t *ids, unsigned int n, uint32_t id)
{
	unsigned int c = 0;

	while (n--)
		c += ids[n] == id;
	return c;
}

VMMON_TEST_TIMEOUT(tau_zero_equal_tau_075_taxes_the_idle_vm, 900)
{
	struct genl_sock ev;
	struct tvm idle, busy;
	struct ms mi, mb;
	uint32_t ids[256];
	unsigned int seen;
	struct msm mod;
	double p1;

	reset(_metadata);
	TVM_CREATE(&idle, true);
	TVM_CREATE(&busy, true);
	ASSERT_EQ(0, genl_open(&ev));
	ASSERT_EQ(0, genl_join_events(&ev));
	PERIODS(3, &busy);
	ASSERT_EQ(0, set_mod(BUDGET, 0));
	PERIODS(2, &busy);
	GET_MS(&idle, &mi);
	GET_MS(&busy, &mb);
	ASSERT_EQ(0, get_msm(&mod));
	EXPECT_U(BUDGET, mod.budget);
	EXPECT_U(mi.resident + mb.resident, mod.demand);
	EXPECT_U(1, mod.pressure);
	/* tau = 0: shares alone, 6144 pages each, whatever they use. */
	EXPECT_U(BUDGET / 2, mi.alloc);
	EXPECT_U(BUDGET / 2, mb.alloc);
	EXPECT_U(RAM_PAGES - BUDGET / 2, mi.target);
	EXPECT_U(RAM_PAGES - BUDGET / 2, mb.target);
	EXPECT_U(1, mi.changes);
	ksft_print_msg("tau 0: idle %.3f active, %llu pages; busy %.3f, %llu pages\n",
		       frac(mi.active_ppm), (unsigned long long)mi.alloc,
		       frac(mb.active_ppm), (unsigned long long)mb.alloc);

	ASSERT_EQ(0, set_mod(-1, 75));
	PERIODS(2, &busy);
	GET_MS(&idle, &mi);
	GET_MS(&busy, &mb);
	EXPECT_U(BUDGET, mi.alloc + mb.alloc);
	EXPECT_LT(mi.alloc, mb.alloc);
	EXPECT_U(RAM_PAGES - mi.alloc, mi.target);
	/* Against the formula from the true active pages: 0 and its half. */
	p1 = formula_p1(0, HALF_PAGES, RAM_PAGES, 0.75, BUDGET);
	ksft_print_msg("bench: tau 0.75: idle %.3f active, %llu pages; busy %.3f, %llu pages; formula from 0 and %llu active pages: %.0f / %.0f (%+.1f%%)\n",
		       frac(mi.active_ppm), (unsigned long long)mi.alloc,
		       frac(mb.active_ppm), (unsigned long long)mb.alloc,
		       HALF_PAGES, p1, BUDGET - p1, 100 * (mi.alloc - p1) / p1);
	EXPECT_LT(mi.alloc, p1 * 1.1);
	EXPECT_GT(mi.alloc, p1 * 0.9);
	/* And from the module's own estimates, to the page. */
	p1 = formula_p1(frac(mi.active_ppm) * mi.resident,
			frac(mb.active_ppm) * mb.resident, RAM_PAGES, 0.75,
			BUDGET);
	EXPECT_LT(mi.alloc, p1 * 1.01);
	EXPECT_GT(mi.alloc, p1 * 0.99);
	/* The idle one's rho is the lower for what it holds now. */
	EXPECT_LT(mi.rho, mb.rho);

	/*
	 * Each target change was announced: no budget first, so that no
	 * period changes one while the events are read.
	 */
	ASSERT_EQ(0, set_mod(0, -1));
	GET_MS(&idle, &mi);
	GET_MS(&busy, &mb);
	seen = target_events(&ev, ids, ARRAY_SIZE(ids));
	ksft_print_msg("target events: %u, idle's %u (%llu changes), busy's %u (%llu)\n",
		       seen, count_id(ids, seen, mi.id),
		       (unsigned long long)mi.changes, count_id(ids, seen, mb.id),
		       (unsigned long long)mb.changes);
	EXPECT_U(mi.changes, count_id(ids, seen, mi.id));
	EXPECT_U(mb.changes, count_id(ids, seen, mb.id));
	EXPECT_GE(mi.changes, 2U);
	genl_close(&ev);
	vmmon_guest_destroy(&idle.g);
	vmmon_guest_destroy(&busy.g);
	reset(_metadata);
}

VMMON_TEST_TIMEOUT(shares_two_to_one, 600)
{
	struct tvm a, b;
	struct ms ma, mb;

	reset(_metadata);
	TVM_CREATE(&a, true);
	TVM_CREATE(&b, true);
	EXPECT_EQ(0, set_vm(&a, 2000, -1));
	EXPECT_EQ(0, set_vm(&b, 1000, -1));
	ASSERT_EQ(0, set_mod(9000, 0));
	PERIODS(2, NULL);
	GET_MS(&a, &ma);
	GET_MS(&b, &mb);
	EXPECT_U(2000, ma.shares);
	EXPECT_U(6000, ma.alloc);
	EXPECT_U(3000, mb.alloc);
	/* Both as idle: the tax changes little. */
	ASSERT_EQ(0, set_mod(-1, 75));
	PERIODS(2, NULL);
	GET_MS(&a, &ma);
	GET_MS(&b, &mb);
	ksft_print_msg("tau 0.75, both idle: %llu / %llu pages\n",
		       (unsigned long long)ma.alloc, (unsigned long long)mb.alloc);
	EXPECT_GT(ma.alloc, 2 * mb.alloc * 0.9);
	EXPECT_LT(ma.alloc, 2 * mb.alloc * 1.1);
	vmmon_guest_destroy(&a.g);
	vmmon_guest_destroy(&b.g);
	reset(_metadata);
}

VMMON_TEST_TIMEOUT(reservation_kept_and_raised_budget_deflates, 600)
{
	struct tvm idle, busy;
	struct ms mi, mb;
	uint64_t t0, took;

	reset(_metadata);
	TVM_CREATE(&idle, true);
	TVM_CREATE(&busy, true);
	EXPECT_EQ(0, set_vm(&idle, -1, 30 * MiB / PAGE));
	ASSERT_EQ(0, set_mod(BUDGET, 75));
	PERIODS(3, &busy);
	GET_MS(&idle, &mi);
	GET_MS(&busy, &mb);
	EXPECT_U(30 * MiB / PAGE, mi.reserve);
	EXPECT_U(30 * MiB / PAGE, mi.alloc);
	EXPECT_U(2 * MiB / PAGE, mi.target);
	EXPECT_U(BUDGET - 30 * MiB / PAGE, mb.alloc);
	/* Raised past what both hold: every balloon may deflate. */
	t0 = mono_ns();
	ASSERT_EQ(0, set_mod(2 * RAM_PAGES, -1));
	do {
		GET_MS(&busy, &mb);
		ASSERT_LT(mono_ns() - t0, PERIOD_WAIT_S * 1000000000ULL);
	} while (mb.target);
	took = mono_ns() - t0;
	GET_MS(&idle, &mi);
	EXPECT_U(0, mi.target);
	ksft_print_msg("bench: targets 0 %.1f ms after the budget was raised\n",
		       took / 1e6);
	vmmon_guest_destroy(&idle.g);
	vmmon_guest_destroy(&busy.g);
	reset(_metadata);
}

VMMON_TEST_TIMEOUT(vm_without_balloon_is_not_counted_on, 600)
{
	struct tvm plain, bal;
	struct ms mp, mb;
	struct msm mod;

	reset(_metadata);
	TVM_CREATE(&plain, false);
	TVM_CREATE(&bal, true);
	ASSERT_EQ(0, set_mod(BUDGET, 75));
	PERIODS(2, NULL);
	GET_MS(&plain, &mp);
	GET_MS(&bal, &mb);
	EXPECT_U(0, mp.reclaimable);
	EXPECT_U(0, mp.sampled);	/* its accessed flags are left alone */
	EXPECT_U(0, mp.target);
	EXPECT_U(0, mp.changes);
	EXPECT_U(mp.resident, mp.alloc);
	EXPECT_U(BUDGET - mp.resident, mb.alloc);
	EXPECT_U(RAM_PAGES - mb.alloc, mb.target);
	ASSERT_EQ(0, get_msm(&mod));
	ksft_print_msg("bench: sampling and deciding for 2 VMs: %llu ns a period (sample %u)\n",
		       (unsigned long long)mod.work_ns, mod.sample);
	vmmon_guest_destroy(&plain.g);
	vmmon_guest_destroy(&bal.g);
	reset(_metadata);
}

/*
 * Reservations are admitted while they fit the budget (review M1: any
 * owner could reserve past it, and every other VM went to 0 pages).
 */
VMMON_TEST(reservations_are_admitted_within_the_budget)
{
	struct tvm a, b;
	struct msm mod;

	reset(_metadata);
	TVM_CREATE(&a, true);
	TVM_CREATE(&b, true);
	ASSERT_EQ(0, set_mod(BUDGET, -1));
	EXPECT_EQ(0, set_vm(&a, -1, RAM_PAGES));
	EXPECT_EQ(-ENOSPC, set_vm(&b, -1, BUDGET - RAM_PAGES + 1));
	EXPECT_EQ(0, set_vm(&b, -1, BUDGET - RAM_PAGES));
	/* A VM's new reservation replaces its old one. */
	EXPECT_EQ(0, set_vm(&a, -1, RAM_PAGES));
	/* Nor may the budget fall below the reservations, either way. */
	EXPECT_EQ(-ENOSPC, set_mod(BUDGET - 1, -1));
	EXPECT_EQ(-ENOSPC, write_param("mem_budget", "47M"));
	ASSERT_EQ(0, get_msm(&mod));
	EXPECT_U(BUDGET, mod.budget);
	/* Without a budget nothing limits them; a budget then must hold them. */
	EXPECT_EQ(0, set_mod(0, -1));
	EXPECT_EQ(0, set_vm(&b, -1, RAM_PAGES));
	EXPECT_EQ(-ENOSPC, set_mod(BUDGET, -1));
	/* A VM gone takes its reservation with it. */
	vmmon_guest_destroy(&a.g);
	EXPECT_EQ(0, set_mod(RAM_PAGES, -1));
	vmmon_guest_destroy(&b.g);
	reset(_metadata);
}

/*
 * An owner without CAP_SYS_ADMIN may lower its VM's shares and
 * reservation, not raise them (shares past the default, or past what an
 * administrator set): they decide what other users' VMs keep.
 * The child's exit code is the step that went wrong.
 */
VMMON_TEST(owner_without_cap_sys_admin_only_lowers)
{
	uint64_t def = RAM_PAGES / (MiB / PAGE);	/* one share per MiB */
	struct tvm t;
	struct ms m;
	pid_t pid;
	int status;

	reset(_metadata);
	TVM_CREATE(&t, true);
	ASSERT_EQ(0, set_vm(&t, -1, 100));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(drop_capability(CAP_SYS_ADMIN) ? 1 :
		      set_vm(&t, def + 1, -1) != -EPERM ? 2 :
		      set_vm(&t, -1, 101) != -EPERM ? 3 :
		      set_vm(&t, def / 2, 50) ? 4 :
		      set_vm(&t, def, -1) ? 5 :
		      set_vm(&t, -1, 51) != -EPERM ? 6 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	GET_MS(&t, &m);
	EXPECT_U(def, m.shares);
	EXPECT_U(50, m.reserve);
	/* An administrator may raise both. */
	EXPECT_EQ(0, set_vm(&t, 2 * def, 200));
	/* And lower shares for good: the owner may not raise them back. */
	EXPECT_EQ(0, set_vm(&t, def / 4, -1));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(drop_capability(CAP_SYS_ADMIN) ? 1 :
		      set_vm(&t, def / 4 + 1, -1) != -EPERM ? 7 :
		      set_vm(&t, def, -1) != -EPERM ? 8 :
		      set_vm(&t, def / 8, -1) ? 9 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	GET_MS(&t, &m);
	EXPECT_U(def / 8, m.shares);
	vmmon_guest_destroy(&t.g);
	reset(_metadata);
}

/*
 * A VM that reserves the whole budget leaves the other 1/8 of its RAM,
 * not 0 pages: the floor under every balloon (review M1).
 */
VMMON_TEST_TIMEOUT(floor_kept_when_another_reserves_the_budget, 600)
{
	struct tvm a, b;
	struct ms ma, mb;
	struct msm mod;

	reset(_metadata);
	TVM_CREATE(&a, true);
	TVM_CREATE(&b, true);
	ASSERT_EQ(0, set_mod(RAM_PAGES, 75));
	ASSERT_EQ(0, set_vm(&a, -1, RAM_PAGES));
	PERIODS(2, NULL);
	GET_MS(&a, &ma);
	GET_MS(&b, &mb);
	EXPECT_U(RAM_PAGES, ma.alloc);
	EXPECT_U(RAM_PAGES / 8, mb.alloc);
	EXPECT_U(RAM_PAGES - RAM_PAGES / 8, mb.target);
	ASSERT_EQ(0, get_msm(&mod));
	EXPECT_U(1, mod.overcommitted);
	vmmon_guest_destroy(&a.g);
	vmmon_guest_destroy(&b.g);
	reset(_metadata);
}

/*
 * Pages page sharing saves count as free: a VM without a balloon whose
 * RAM is all zeros holds one zero page once the scanner went round it,
 * so the VM beside it may keep nearly all its RAM, where without the
 * savings it got the budget less all the other holds (BUDGET - 8192 =
 * 4096 pages).
 */
VMMON_TEST_TIMEOUT(sharing_savings_count_as_free, 900)
{
	struct tvm plain, bal;
	struct ms mp, mb;
	unsigned int n;

	reset(_metadata);
	TVM_CREATE(&plain, false);
	TVM_CREATE(&bal, true);
	ASSERT_EQ(0, write_param("ksm_pages_per_pass", KSM_RATE));
	ASSERT_EQ(0, set_mod(BUDGET, 75));
	for (n = 0; n < 60; n++) {
		PERIODS(1, NULL);
		GET_MS(&bal, &mb);
		if (mb.alloc >= RAM_PAGES * 15 / 16)
			break;
	}
	GET_MS(&plain, &mp);
	ksft_print_msg("after %u periods: the zero VM holds %llu pages, the other may hold %llu\n",
		       n, (unsigned long long)mp.resident,
		       (unsigned long long)mb.alloc);
	EXPECT_GE(mb.alloc, RAM_PAGES * 15 / 16);
	EXPECT_GT(mb.alloc, BUDGET - mp.resident);
	vmmon_guest_destroy(&plain.g);
	vmmon_guest_destroy(&bal.g);
	reset(_metadata);
}

VMMON_TEST(settings_are_checked)
{
	struct msm mod;
	struct tvm t;
	pid_t pid;
	int status;

	reset(_metadata);
	TVM_CREATE(&t, false);
	EXPECT_EQ(-ERANGE, set_mod(-1, 100));
	EXPECT_EQ(-ERANGE, set_mod(1LL << 37, -1));
	EXPECT_EQ(-EINVAL, set_mod(-1, -1));
	EXPECT_EQ(-ERANGE, set_vm(&t, 0, -1));
	EXPECT_EQ(-ERANGE, set_vm(&t, (1 << 20) + 1, -1));
	EXPECT_EQ(-ERANGE, set_vm(&t, -1, RAM_PAGES + 1));
	EXPECT_EQ(0, set_vm(&t, 1 << 20, RAM_PAGES));
	/* The budget as a size, as insmod takes it. */
	EXPECT_EQ(0, write_param("mem_budget", "48M"));
	ASSERT_EQ(0, get_msm(&mod));
	EXPECT_U(BUDGET, mod.budget);
	EXPECT_U(75, mod.tau);
	EXPECT_EQ(-EINVAL, write_param("mem_budget", "lots"));
	EXPECT_EQ(-EINVAL, write_param("mem_tau", "100"));
	EXPECT_EQ(-EINVAL, write_param("mem_sample", "0"));
	/* Only CAP_SYS_ADMIN sets the host's budget. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(setresuid(65534, 65534, 65534) ? 2 :
		      set_mod(0, -1) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	vmmon_guest_destroy(&t.g);
	reset(_metadata);
}

VMMON_TEST_MAIN
