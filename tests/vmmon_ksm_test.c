// SPDX-License-Identifier: GPL-2.0
/*
 * Content-based page sharing (kmod/ksm/): long-mode C guests fill a pool
 * of pages with known bytes, the module's scanner (run fast through its
 * module parameters) backs equal pages with one host page, and the
 * guests and this program check that every view still reads what it
 * wrote: copy-on-write at a guest write and at a write through the VM
 * fd's mapping (a plain store and a read(2) into guest RAM, as
 * virtio-blk does), discard of shared pages, a VM destroyed while its
 * pages are shared, sharing groups that keep VMs apart, guests writing
 * while the scanner merges, and a VM's creation and end that do not wait
 * for a long pass.  Figures come from netlink: the VM's
 * VMMON_A_MEM_SHARED and the module's ksm_* counters.  Benchmarks
 * print the scan rate and the cost of a copy-on-write break as
 * "# bench:" lines.  The last test unloads the module (VMMON_TEST_MAIN).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_genl.h>
#include "vmmon_genl_util.h"
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define PAGE		4096ULL
#define MiB		(1024ULL * 1024)
#define WORDS		(PAGE / 8)
#define RAM		(16 * MiB)
/* The pool: pages the guests fill, at AREA_GVA in the guest. */
#define POOL_GPA	(8 * MiB)
#define POOL_PAGES	512ULL
#define AREA_GVA	0x4000000000ULL

#define PARAMS		"/sys/module/vmmon/parameters/"
/* The scanner at full speed for the tests: all of a VM in a pass or two. */
#define FAST_PAGES	"8192"
#define FAST_SLEEP_MS	"1"
/* Full rounds of the scanner over the VMs that a test waits for at most. */
#define MAX_ROUNDS	20
#define POLL_US		10000
#define WAIT_S		120
#define LONG_TIMEOUT	600
/* At least this share of the pool's pages must end up shared. */
#define SHARE_PERCENT	90
/* Rounds of the stress test: each writes one more word of every page. */
#define STRESS_ROUNDS	32
/* A guest's stretch of rewriting its pool: 20 ms of the rig's 50 MHz TSC. */
#define CHURN_CYCLES	1000000
/* Full scans of a VM that its guest rewrites its pool through. */
#define CHURN_SCANS	4
/*
 * The writer of the merge-window test: its pause (a pass over the pool
 * costs it about as long in the rig), and the full scans it runs for.
 */
#define WRITER_NS	1000000
#define WRITER_SCANS	20
/* Periods a page keeps the writer's value before it is checked. */
#define WRITER_HOLD	4

#define BENCH(fmt, ...) do {						\
	ksft_print_msg("bench: " fmt "\n", ##__VA_ARGS__);		\
	fflush(stdout);							\
} while (0)

/*
 * The bytes of page @page of a pool filled with @seed: distinct for each
 * page, so that only the same page of another VM filled with the same
 * seed is equal (seed 0: every page the same, page 0's).
 */
static inline uint64_t pattern(uint64_t seed, uint64_t page, uint64_t word)
{
	if (!seed)
		page = 0;
	return seed << 48 ^ page << 16 ^ word ^ 0x5a5a000000000000ULL;
}

/* Guest commands, one at a time (as in vmmon_balloon_test.c). */
enum guest_op {
	OP_FILL = 1,	/* pool pages [0, count) with seed a0 */
	OP_SUM,		/* checksum of pool pages [0, count) */
	OP_WRITE,	/* word a1 of pool pages [0, count) = a0 */
	OP_ROUND,	/* word a0 of each page [0, count) = a0 + 1 */
	OP_CHECK,	/* words wrong after a0 rounds on seed a1 pages */
	OP_CHURN,	/* word 0 of pages [0, count) = a1, a1 + 1, ... for a0 cycles */
};

struct guest_cmd {
	uint64_t op, a0, a1, count;
};

static struct guest_cmd guest_cmd;

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * FNV-1a over words: each word's place counts (a rotate-and-XOR sum of
 * these patterns cancels out to 0, whatever the pages hold).
 */
#define SUM_BASIS	0xcbf29ce484222325ULL

static inline uint64_t sum_step(uint64_t sum, uint64_t v)
{
	return (sum ^ v) * 0x100000001b3ULL;
}

/* What a page's word holds after @rounds rounds on pages of @seed. */
static inline uint64_t after_rounds(uint64_t seed, uint64_t page,
				    uint64_t word, uint64_t rounds)
{
	return word < rounds ? word + 1 : pattern(seed, page, word);
}

static void guest_main(void)
{
	volatile uint64_t *pool = (volatile uint64_t *)AREA_GVA;
	volatile struct guest_cmd *c = &guest_cmd;
	uint64_t ret = 0, cycles = 0, t0, p, w, i;

	for (;;) {
		GUEST_SYNC(ret, cycles);
		ret = c->op == OP_SUM ? SUM_BASIS : 0;
		t0 = guest_rdtsc();
		switch (c->op) {
		case OP_FILL:
			for (p = 0; p < c->count; p++)
				for (w = 0; w < WORDS; w++)
					pool[p * WORDS + w] =
						pattern(c->a0, p, w);
			break;
		case OP_SUM:
			for (p = 0; p < c->count * WORDS; p++)
				ret = sum_step(ret, pool[p]);
			break;
		case OP_WRITE:
			for (p = 0; p < c->count; p++)
				pool[p * WORDS + c->a1] = c->a0;
			break;
		case OP_ROUND:
			for (p = 0; p < c->count; p++)
				pool[p * WORDS + c->a0] = c->a0 + 1;
			break;
		case OP_CHURN:
			for (i = c->a1; guest_rdtsc() - t0 < c->a0; i++)
				for (p = 0; p < c->count; p++)
					pool[p * WORDS] = i;
			break;
		case OP_CHECK:
			for (p = 0; p < c->count; p++)
				for (w = 0; w < WORDS; w++)
					ret += pool[p * WORDS + w] !=
					       after_rounds(c->a1, p, w, c->a0);
			break;
		default:
			GUEST_ASSERT(0);
		}
		cycles = guest_rdtsc() - t0;
	}
}

struct vm {
	struct vmmon_guest g;
	struct genl_sock nl;
	char name[VMMON_NAME_MAX];
	uint64_t cycles;	/* of the guest's last command */
};

/* The VM's memory figures over netlink. */
struct mem {
	uint64_t resident, shared, zero, merged;
};

static int mem_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	const struct nlattr *mem[VMMON_A_MEM_MAX + 1];
	struct mem *m = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_VM_MEM] ||
	    genl_nested(tb[VMMON_A_VM_MEM], mem, VMMON_A_MEM_MAX) < 0 ||
	    !mem[VMMON_A_MEM_SHARED] || !mem[VMMON_A_MEM_ZERO] ||
	    !mem[VMMON_A_MEM_RESIDENT] || !mem[VMMON_A_MEM_MERGED])
		return -EPROTO;
	m->merged = nla_get_u64(mem[VMMON_A_MEM_MERGED]);
	m->resident = nla_get_u64(mem[VMMON_A_MEM_RESIDENT]);
	m->shared = nla_get_u64(mem[VMMON_A_MEM_SHARED]);
	m->zero = nla_get_u64(mem[VMMON_A_MEM_ZERO]);
	return 0;
}

static struct mem vm_mem(struct vm *v)
{
	struct mem m = { 0 };
	struct genl_msg msg;

	genl_msg_init(&msg, v->nl.family, 0, VMMON_CMD_GET_VM);
	genl_put_str(&msg, VMMON_A_VM_NAME, v->name);
	if (genl_talk(&v->nl, &msg, mem_cb, &m))
		m.resident = m.shared = m.zero = m.merged = UINT64_MAX;
	return m;
}

struct counter {
	const char *name;
	uint64_t value;
	bool found;
};

static int counter_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1], *a;
	const struct nlattr *ct[VMMON_A_MAX + 1];
	struct counter *c = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 || !tb[VMMON_A_MOD_COUNTERS])
		return -EPROTO;
	genl_for_each(a, tb[VMMON_A_MOD_COUNTERS]) {
		if (genl_nested(a, ct, VMMON_A_MAX) < 0 ||
		    !ct[VMMON_A_COUNTER_NAME] || !ct[VMMON_A_COUNTER_VALUE])
			return -EPROTO;
		if (strcmp(nla_get_str(ct[VMMON_A_COUNTER_NAME]), c->name))
			continue;
		c->value = nla_get_u64(ct[VMMON_A_COUNTER_VALUE]);
		c->found = true;
	}
	return 0;
}

/* The module's counter @name (GET_MODULE), or UINT64_MAX. */
static uint64_t ksm(const char *name)
{
	struct counter c = { .name = name };
	struct genl_sock s;
	struct genl_msg m;
	int err = genl_open(&s);

	if (err)
		return UINT64_MAX;
	genl_msg_init(&m, s.family, 0, VMMON_CMD_GET_MODULE);
	err = genl_talk(&s, &m, counter_cb, &c);
	genl_close(&s);
	return err || !c.found ? UINT64_MAX : c.value;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One command in the guest: its result, or UINT64_MAX after a line. */
static uint64_t guest_do(struct vm *v, uint64_t op, uint64_t a0, uint64_t a1,
			 uint64_t count)
{
	struct vmmon_ucall uc;
	char buf[256];
	int kind;

	guest_cmd = (struct guest_cmd){ op, a0, a1, count };
	if (VMMON_SYNC_TO_GUEST(&v->g, guest_cmd)) {
		ksft_print_msg("writing the guest's command: %s\n", v->g.error);
		return UINT64_MAX;
	}
	kind = vmmon_guest_run_ucall(&v->g, &uc);
	if (kind != VMMON_UCALL_SYNC) {
		if (kind > 0)
			ksft_print_msg("guest: %s\n",
				       vmmon_ucall_describe(&uc, buf, sizeof(buf)));
		else
			vmmon_show_exit(v->g.run);
		return UINT64_MAX;
	}
	v->cycles = uc.args[1];
	return uc.args[0];
}

/* What OP_SUM of @pages pages of seed @seed must give. */
static uint64_t expected_sum(uint64_t seed, uint64_t pages)
{
	uint64_t sum = SUM_BASIS, p, w;

	for (p = 0; p < pages; p++)
		for (w = 0; w < WORDS; w++)
			sum = sum_step(sum, pattern(seed, p, w));
	return sum;
}

/* The pool's page @page of @v as this program maps it. */
static uint64_t *pool_page(struct vm *v, uint64_t page)
{
	return (uint64_t *)(v->g.ram + POOL_GPA + page * PAGE);
}

/* OP_SUM of @v's pool, as this program reads it through its mapping. */
static uint64_t host_sum(struct vm *v)
{
	uint64_t sum = SUM_BASIS, p, w;

	for (p = 0; p < POOL_PAGES; p++)
		for (w = 0; w < WORDS; w++)
			sum = sum_step(sum, pool_page(v, p)[w]);
	return sum;
}

/*
 * A test VM (RAM at 0, the pool mapped for the guest), named for
 * netlink, in sharing group @group ("" for its own), its guest waiting
 * for commands: 0 or -1 with v->g.error or errno saying why.
 */
static int vm_create(struct vm *v, const char *group)
{
	struct vmmon_name name = { { 0 } }, grp = { { 0 } };
	static unsigned int nr_vms;
	struct vmmon_ucall uc;
	int err;

	memset(v, 0, sizeof(*v));
	v->nl.fd = -1;
	if (vmmon_guest_create_long(&v->g, dev, RAM, guest_main, 0, 0))
		return -1;
	if (v->g.next_gpa > POOL_GPA) {
		snprintf(v->g.error, sizeof(v->g.error),
			 "the program's copy reaches %#llx, past the pool",
			 (unsigned long long)v->g.next_gpa);
		return -1;
	}
	if (vmmon_guest_map_ram(&v->g, AREA_GVA, POOL_GPA, RAM - POOL_GPA))
		return -1;
	snprintf(v->name, sizeof(v->name), "ksm-%d-%u", getpid(), nr_vms++);
	memcpy(name.name, v->name, strlen(v->name));
	if (ioctl(v->g.vm, VMMON_SET_NAME, &name))
		return -1;
	if (*group) {
		snprintf(grp.name, sizeof(grp.name), "%s-%d", group, getpid());
		if (ioctl(v->g.vm, VMMON_SET_SHARE_GROUP, &grp))
			return -1;
	}
	err = genl_open(&v->nl);
	if (err) {
		errno = -err;
		return -1;
	}
	if (vmmon_guest_run_ucall(&v->g, &uc) != VMMON_UCALL_SYNC) {
		snprintf(v->g.error, sizeof(v->g.error), "the guest did not start");
		return -1;
	}
	return 0;
}

static void vm_destroy(struct vm *v)
{
	genl_close(&v->nl);
	vmmon_guest_destroy(&v->g);
}

#define VM_CREATE(v, group) do {					\
	ASSERT_EQ(0, vm_create(v, group))				\
		TH_LOG("test VM: %s (%s)", (v)->g.error, strerror(errno)); \
} while (0)

#define GUEST(v, op, a0, a1, count) do {				\
	ASSERT_NE(UINT64_MAX, guest_do(v, op, a0, a1, count));		\
} while (0)

static void set_param(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	if (write_file(path, value))
		ksft_print_msg("cannot set %s to %s: %s\n", path, value,
			       strerror(errno));
}

static void scanner_fast(void)
{
	set_param("ksm_pages_per_pass", FAST_PAGES);
	set_param("ksm_sleep_ms", FAST_SLEEP_MS);
}

static void scanner_off(void)
{
	set_param("ksm_pages_per_pass", "0");
}

/*
 * Wait until each of the @n VMs has at least @want shared pages, or
 * the scanner went MAX_ROUNDS times round all of them: the full scans
 * it took (per VM), or -1 when it never got there.
 */
static int wait_shared(struct vm **v, int n, uint64_t want)
{
	uint64_t scans0 = ksm("ksm_full_scans"), t0 = mono_ns();
	int i, ok;

	for (;;) {
		for (i = 0, ok = 1; i < n; i++)
			ok &= vm_mem(v[i]).shared >= want;
		if (ok)
			return (ksm("ksm_full_scans") - scans0) / n;
		if (ksm("ksm_full_scans") - scans0 > (uint64_t)MAX_ROUNDS * n ||
		    mono_ns() - t0 > WAIT_S * 1000000000ULL)
			return -1;
		usleep(POLL_US);
	}
}

/* Let the scanner go round every VM @rounds times. */
static void wait_rounds(int n, int rounds)
{
	uint64_t scans0 = ksm("ksm_full_scans"), t0 = mono_ns();

	while (ksm("ksm_full_scans") - scans0 < (uint64_t)rounds * n &&
	       mono_ns() - t0 < WAIT_S * 1000000000ULL)
		usleep(POLL_US);
}

#define WANT	(POOL_PAGES * SHARE_PERCENT / 100)

/*
 * Two VMs of group @group whose pools the guests fill alike (seed 1),
 * the scanner run until at least WANT pages of each pool are shared on
 * top of what was shared before the fill (the program's copy, page
 * tables, zeros): the full scans that took, or -1.
 */
static int share_pair(struct vm *a, struct vm *b)
{
	struct vm *both[] = { a, b };
	uint64_t base;

	scanner_fast();
	wait_rounds(2, 2);
	scanner_off();
	base = vm_mem(a).shared;
	if (vm_mem(b).shared > base)
		base = vm_mem(b).shared;
	if (guest_do(a, OP_FILL, 1, 0, POOL_PAGES) == UINT64_MAX ||
	    guest_do(b, OP_FILL, 1, 0, POOL_PAGES) == UINT64_MAX)
		return -1;
	scanner_fast();
	return wait_shared(both, 2, base + WANT);
}

#define SHARE_PAIR(a, b) do {						\
	ASSERT_LE(0, share_pair(a, b))					\
		TH_LOG("shared: %llu and %llu pages",			\
		       (unsigned long long)vm_mem(a).shared,		\
		       (unsigned long long)vm_mem(b).shared);		\
	scanner_off();							\
} while (0)

/*
 * Two VMs of one group fill their pools alike: at least 90% of the pool
 * pages shared within MAX_ROUNDS rounds.  Then one guest writes a word
 * of every pool page: a copy-on-write break for each shared one (the
 * count of breaks shows how many of its pool pages were shared), its
 * checksum changes and the other's does not.
 */
VMMON_TEST_TIMEOUT(two_vms_of_a_group_share_and_copy_on_write, LONG_TIMEOUT)
{
	uint64_t sum = expected_sum(1, POOL_PAGES), cow0, scanned0, ns0;
	struct vm a, b;
	uint64_t tsc0, t0, tsc_hz, shared_cycles, private_cycles;
	int rounds;

	scanner_off();
	VM_CREATE(&a, "grp");
	VM_CREATE(&b, "grp");
	scanned0 = ksm("ksm_pages_scanned");
	ns0 = ksm("ksm_scan_ns");
	rounds = share_pair(&a, &b);
	ASSERT_LE(0, rounds) TH_LOG("shared: %llu and %llu pages",
				    (unsigned long long)vm_mem(&a).shared,
				    (unsigned long long)vm_mem(&b).shared);
	scanner_off();
	BENCH("ksm: %llu pool pages of 2 VMs %d%% shared after %d full scans; scanner %llu ns a page (%llu pages in %llu ns)",
	      POOL_PAGES, SHARE_PERCENT, rounds,
	      (unsigned long long)((ksm("ksm_scan_ns") - ns0) /
				   (ksm("ksm_pages_scanned") - scanned0 + 1)),
	      (unsigned long long)(ksm("ksm_pages_scanned") - scanned0),
	      (unsigned long long)(ksm("ksm_scan_ns") - ns0));
	EXPECT_EQ(sum, guest_do(&a, OP_SUM, 0, 0, POOL_PAGES));
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));

	cow0 = ksm("ksm_cow_breaks");
	tsc0 = __rdtsc();
	t0 = mono_ns();
	GUEST(&a, OP_WRITE, 0x1234, 7, POOL_PAGES);
	shared_cycles = a.cycles;
	EXPECT_LE(WANT, ksm("ksm_cow_breaks") - cow0);
	EXPECT_GT(WANT, vm_mem(&a).shared);
	EXPECT_NE(sum, guest_do(&a, OP_SUM, 0, 0, POOL_PAGES));
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));
	EXPECT_EQ(0x1234U, pool_page(&a, 0)[7]);
	EXPECT_EQ(pattern(1, 0, 7), pool_page(&b, 0)[7]);
	/* The same writes again, to private pages now. */
	GUEST(&a, OP_WRITE, 0x5678, 7, POOL_PAGES);
	private_cycles = a.cycles;
	tsc_hz = (double)(__rdtsc() - tsc0) * 1e9 / (double)(mono_ns() - t0);
	BENCH("ksm: copy-on-write break %llu TSC cycles a page (%llu ns at %llu Hz): a write to %llu shared pages %llu cycles, to the same private pages %llu",
	      (unsigned long long)((shared_cycles - private_cycles) / POOL_PAGES),
	      (unsigned long long)((shared_cycles - private_cycles) * 1000000000ULL /
				   POOL_PAGES / (tsc_hz ? tsc_hz : 1)),
	      (unsigned long long)tsc_hz, POOL_PAGES,
	      (unsigned long long)shared_cycles,
	      (unsigned long long)private_cycles);
	vm_destroy(&b);
	vm_destroy(&a);
}

/*
 * Writes through the VM fd's mapping of a shared page: a store, and a
 * read(2) into it (the kernel's copy to a user address, as virtio-blk's
 * read into guest RAM).  Each gets a private copy; the other VM keeps
 * the old bytes, and the guest reads the new ones.
 */
VMMON_TEST_TIMEOUT(userspace_writes_break_sharing, LONG_TIMEOUT)
{
	uint64_t sum = expected_sum(1, POOL_PAGES), cow0, buf[WORDS];
	struct vm a, b;
	char path[] = "/tmp/vmmon-ksm-XXXXXX";
	int fd, i;

	scanner_off();
	VM_CREATE(&a, "usr");
	VM_CREATE(&b, "usr");
	SHARE_PAIR(&a, &b);
	cow0 = ksm("ksm_cow_breaks");
	/* A store into each of the first pages. */
	for (i = 0; i < 8; i++)
		pool_page(&a, i)[3] = 0xabcdef;
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	for (i = 0; i < (int)WORDS; i++)
		buf[i] = 0x1111111111111111ULL * (i & 15);
	ASSERT_EQ((ssize_t)PAGE, pwrite(fd, buf, PAGE, 0));
	/* read(2) into pages 8-15. */
	for (i = 8; i < 16; i++)
		ASSERT_EQ((ssize_t)PAGE, pread(fd, pool_page(&a, i), PAGE, 0));
	close(fd);
	EXPECT_LE(16U, ksm("ksm_cow_breaks") - cow0);
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(0xabcdefU, pool_page(&a, i)[3]);
		EXPECT_EQ(pattern(1, i, 3), pool_page(&b, i)[3]);
	}
	for (i = 8; i < 16; i++)
		EXPECT_EQ(0, memcmp(buf, pool_page(&a, i), PAGE));
	/* The guest reads the bytes this program wrote. */
	EXPECT_EQ(host_sum(&a), guest_do(&a, OP_SUM, 0, 0, POOL_PAGES));
	EXPECT_NE(sum, host_sum(&a));
	vm_destroy(&b);
	vm_destroy(&a);
}

/*
 * VMMON_DISCARD_MEMORY of shared pages drops the VM's references only:
 * the other VM keeps its bytes, the counters fall by exactly the pages
 * discarded, and once both discarded the shared pages are freed.
 */
VMMON_TEST_TIMEOUT(discard_of_shared_pages, LONG_TIMEOUT)
{
	struct vmmon_memory_range r = {
		.guest_phys = POOL_GPA, .size = POOL_PAGES * PAGE,
	};
	uint64_t sum = expected_sum(1, POOL_PAGES);
	struct vm a, b;
	long pages0;
	struct mem ma, mb;

	scanner_off();
	VM_CREATE(&a, "dis");
	VM_CREATE(&b, "dis");
	SHARE_PAIR(&a, &b);
	ma = vm_mem(&a);
	mb = vm_mem(&b);
	pages0 = vmmon_counter("guest_pages");
	ASSERT_EQ(0, ioctl(a.g.vm, VMMON_DISCARD_MEMORY, &r));
	/* Every pool page was resident; none is now, none shared. */
	EXPECT_EQ(ma.resident - POOL_PAGES, vm_mem(&a).resident);
	EXPECT_GE(ma.shared - WANT, vm_mem(&a).shared);
	EXPECT_EQ(pages0 - (long)POOL_PAGES, vmmon_counter("guest_pages"));
	EXPECT_EQ(mb.shared, vm_mem(&b).shared);
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));
	/* A discarded page reads as zeros, and is the guest's own again. */
	EXPECT_EQ(0U, pool_page(&a, 0)[0]);
	GUEST(&a, OP_FILL, 2, 0, POOL_PAGES);
	EXPECT_EQ(expected_sum(2, POOL_PAGES),
		  guest_do(&a, OP_SUM, 0, 0, POOL_PAGES));
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));
	ASSERT_EQ(0, ioctl(b.g.vm, VMMON_DISCARD_MEMORY, &r));
	EXPECT_GE(mb.shared - WANT, vm_mem(&b).shared);
	vm_destroy(&b);
	vm_destroy(&a);
	EXPECT_EQ(0U, ksm("ksm_pages_shared"));
	EXPECT_EQ(0U, ksm("ksm_pages_sharing"));
}

/*
 * A VM destroyed while its pages are shared: the other keeps them (and
 * its bytes), the module's figures fall by the first VM's pages, and
 * the shared pages go with the second.
 */
VMMON_TEST_TIMEOUT(vm_destroyed_while_shared, LONG_TIMEOUT)
{
	uint64_t sum = expected_sum(1, POOL_PAGES), sharing;
	struct vm a, b;
	long pages0 = vmmon_counter("guest_pages");
	struct mem ma, mb;

	scanner_off();
	VM_CREATE(&a, "dst");
	VM_CREATE(&b, "dst");
	SHARE_PAIR(&a, &b);
	ma = vm_mem(&a);
	mb = vm_mem(&b);
	sharing = ksm("ksm_pages_sharing");
	vm_destroy(&a);
	EXPECT_EQ(pages0 + (long)mb.resident, vmmon_counter("guest_pages"));
	EXPECT_EQ(sharing - ma.shared, ksm("ksm_pages_sharing"));
	EXPECT_EQ(mb.shared, vm_mem(&b).shared);
	EXPECT_EQ(sum, guest_do(&b, OP_SUM, 0, 0, POOL_PAGES));
	/* Writes to what is left shared still copy. */
	GUEST(&b, OP_WRITE, 9, 0, POOL_PAGES);
	EXPECT_EQ(9U, pool_page(&b, POOL_PAGES - 1)[0]);
	vm_destroy(&b);
	EXPECT_EQ(pages0, vmmon_counter("guest_pages"));
	EXPECT_EQ(0U, ksm("ksm_pages_shared"));
	EXPECT_EQ(0U, ksm("ksm_pages_sharing"));
}

/*
 * VMs in different groups (and one in none) with the same bytes never
 * share a page with each other; within one VM equal pages still do.
 */
VMMON_TEST_TIMEOUT(different_groups_never_share, LONG_TIMEOUT)
{
	struct vm a, b, c;

	scanner_off();
	VM_CREATE(&a, "left");
	VM_CREATE(&b, "right");
	VM_CREATE(&c, "");
	GUEST(&a, OP_FILL, 1, 0, POOL_PAGES);
	GUEST(&b, OP_FILL, 1, 0, POOL_PAGES);
	GUEST(&c, OP_FILL, 1, 0, POOL_PAGES);
	scanner_fast();
	wait_rounds(3, 4);
	scanner_off();
	/*
	 * The pool's pages differ within a VM, so none of them is shared:
	 * what is (zeros, page tables alike) is less than a tenth.
	 */
	EXPECT_GT(POOL_PAGES / 10, vm_mem(&a).shared);
	EXPECT_GT(POOL_PAGES / 10, vm_mem(&b).shared);
	EXPECT_GT(POOL_PAGES / 10, vm_mem(&c).shared);
	/*
	 * The same pages within one VM: shared, after two looks at each
	 * since the fill (three rounds: the first may have begun past them).
	 */
	GUEST(&c, OP_FILL, 0, 0, POOL_PAGES);
	scanner_fast();
	wait_rounds(3, 3);
	scanner_off();
	EXPECT_LE(WANT, vm_mem(&c).shared);
	EXPECT_EQ(expected_sum(0, POOL_PAGES),
		  guest_do(&c, OP_SUM, 0, 0, POOL_PAGES));
	vm_destroy(&c);
	vm_destroy(&b);
	vm_destroy(&a);
}

/*
 * A guest writes every page of its pool, one word a round, while the
 * scanner merges them (all alike after each round): no write is lost,
 * as the guest's own check of every word and this program's show, and
 * the scanner did merge between rounds (copy-on-write breaks).
 */
VMMON_TEST_TIMEOUT(writes_while_merging_lose_nothing, LONG_TIMEOUT)
{
	uint64_t cow0, p, w, bad = 0;
	struct vm a, b;
	int r;

	scanner_off();
	VM_CREATE(&a, "str");
	VM_CREATE(&b, "str");
	GUEST(&a, OP_FILL, 0, 0, POOL_PAGES);
	GUEST(&b, OP_FILL, 0, 0, POOL_PAGES);
	cow0 = ksm("ksm_cow_breaks");
	scanner_fast();
	for (r = 0; r < STRESS_ROUNDS; r++) {
		GUEST(&a, OP_ROUND, r, 0, POOL_PAGES);
		GUEST(&b, OP_ROUND, r, 0, POOL_PAGES);
		/*
		 * Every few rounds the scanner gets time to merge: a page
		 * is a candidate once it hashed the same at two looks.
		 */
		if (r % 8 == 7)
			wait_rounds(2, 3);
	}
	scanner_off();
	EXPECT_EQ(0U, guest_do(&a, OP_CHECK, STRESS_ROUNDS, 0, POOL_PAGES));
	EXPECT_EQ(0U, guest_do(&b, OP_CHECK, STRESS_ROUNDS, 0, POOL_PAGES));
	for (p = 0; p < POOL_PAGES; p++)
		for (w = 0; w < WORDS; w++)
			bad += pool_page(&a, p)[w] !=
			       after_rounds(0, p, w, STRESS_ROUNDS);
	EXPECT_EQ(0U, bad);
	EXPECT_LT(0U, ksm("ksm_cow_breaks") - cow0);
	ksft_print_msg("%llu copy-on-write breaks in %d rounds of 2 x %llu pages\n",
		       (unsigned long long)(ksm("ksm_cow_breaks") - cow0),
		       STRESS_ROUNDS, POOL_PAGES);
	vm_destroy(&b);
	vm_destroy(&a);
}

/* Full scans of the VMs there are, module-wide. */
static uint64_t full_scans(void)
{
	return ksm("ksm_full_scans");
}

/* @v's guest rewrites its pool until the scanner went @rounds times round. */
static int churn(struct vm *v, int rounds)
{
	uint64_t scans0 = full_scans(), t0 = mono_ns();
	/* Values never written before, whichever stretch a look falls in. */
	static uint64_t stretch;

	while (full_scans() - scans0 < (uint64_t)rounds) {
		if (guest_do(v, OP_CHURN, CHURN_CYCLES, ++stretch << 32,
			     POOL_PAGES) ==
		    UINT64_MAX || mono_ns() - t0 > WAIT_S * 1000000000ULL)
			return -1;
	}
	return 0;
}

/*
 * A page written since the scanner's last look is no candidate: pool
 * pages alike, but whose word 0 the guest rewrites all the time (a new
 * value each sweep, the same in every page), are never merged, so no
 * copy-on-write break follows either; once the writes stop they are.
 * (Without the rule each look merged pages of one sweep, and the next
 * sweep broke them again.)
 */
VMMON_TEST_TIMEOUT(pages_written_all_the_time_are_not_merged, LONG_TIMEOUT)
{
	uint64_t cow0, merged0, shared;
	struct vm a;

	scanner_off();
	VM_CREATE(&a, "");
	GUEST(&a, OP_FILL, 0, 0, POOL_PAGES);
	scanner_fast();
	/* Whatever was merged before the writes began is broken by now. */
	ASSERT_EQ(0, churn(&a, 2));
	cow0 = ksm("ksm_cow_breaks");
	merged0 = vm_mem(&a).merged;
	ASSERT_EQ(0, churn(&a, CHURN_SCANS));
	ksft_print_msg("%llu pages merged and %llu copy-on-write breaks in %d full scans while the guest rewrote %llu pages\n",
		       (unsigned long long)(vm_mem(&a).merged - merged0),
		       (unsigned long long)(ksm("ksm_cow_breaks") - cow0),
		       CHURN_SCANS, POOL_PAGES);
	EXPECT_EQ(0U, vm_mem(&a).merged - merged0);
	EXPECT_EQ(0U, ksm("ksm_cow_breaks") - cow0);
	/* Left alone, the same pages are merged. */
	shared = vm_mem(&a).shared;
	wait_rounds(1, 3);
	scanner_off();
	EXPECT_LE(shared + WANT, vm_mem(&a).shared);
	vm_destroy(&a);
}

/* The merge-window test's writer, on a thread of its own. */
struct writer {
	struct vm *v;
	volatile int stop;
	uint64_t base;			/* word 0 of a pool page at rest */
	uint64_t want[POOL_PAGES];	/* word 0 as written; base: at rest */
	unsigned int age[POOL_PAGES];	/* periods since it was written */
	uint64_t next;			/* the next value to write */
	uint64_t caught;		/* pages written when found unmapped */
	uint64_t lost;			/* words that did not hold a write */
};

/*
 * After each pause of WRITER_NS: each pool page at rest whose mapping is
 * gone (the scanner protected it to compare it, or shared it) gets a new
 * word 0 at once; a written page is checked after WRITER_HOLD passes and
 * put back at rest, to be merged again.  It always pauses (a deadline
 * missed would keep a real-time thread on the one CPU: RCU stalls).
 */
static void *writer_main(void *arg)
{
	const struct timespec pause = { .tv_nsec = WRITER_NS };
	struct writer *w = arg;
	unsigned char in[POOL_PAGES];
	uint64_t p, *word;

	while (!w->stop) {
		nanosleep(&pause, NULL);
		if (mincore(pool_page(w->v, 0), POOL_PAGES * PAGE, in))
			break;
		for (p = 0; p < POOL_PAGES; p++) {
			word = &pool_page(w->v, p)[0];
			if (w->want[p] == w->base && !(in[p] & 1)) {
				w->lost += *word != w->base;
				w->want[p] = *word = ++w->next;
				w->age[p] = 0;
				w->caught++;
			} else if (w->want[p] != w->base &&
				   ++w->age[p] >= WRITER_HOLD) {
				w->lost += *word != w->want[p];
				w->want[p] = *word = w->base;
			}
		}
	}
	return NULL;
}

/*
 * Writes that come while the scanner merges their page: a thread at
 * real-time priority wakes after each WRITER_NS and writes, through the VM
 * fd's mapping, each pool page whose mapping the scanner has just taken
 * away, then checks every value it wrote.  On one CPU it gets the CPU
 * at the scanner's next preemption point, which is often the commit of
 * the page it writes (a mutex_lock() after the compare): a merge that
 * does not see a write after it write-protected the page loses it.
 */
VMMON_TEST_TIMEOUT(writes_in_the_merge_window_lose_nothing, LONG_TIMEOUT)
{
	struct sched_param prio = { .sched_priority = 1 };
	uint64_t scans0, merged0, cow0, p, sum = SUM_BASIS, word;
	static struct writer w;
	pthread_attr_t attr;
	pthread_t thread;
	struct vm a;

	scanner_off();
	VM_CREATE(&a, "");
	GUEST(&a, OP_FILL, 0, 0, POOL_PAGES);
	memset(&w, 0, sizeof(w));
	w.v = &a;
	w.base = pattern(0, 0, 0);
	w.next = w.base + 1;
	/*
	 * Mapped before the writer starts: a page it finds unmapped is then
	 * one the scanner took away, not one never touched here (review R3).
	 */
	for (p = 0; p < POOL_PAGES; p++) {
		w.want[p] = w.base;
		ASSERT_EQ(w.base, *(volatile uint64_t *)pool_page(&a, p));
	}
	merged0 = vm_mem(&a).merged;
	cow0 = ksm("ksm_cow_breaks");
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setinheritsched(&attr,
						  PTHREAD_EXPLICIT_SCHED));
	ASSERT_EQ(0, pthread_attr_setschedpolicy(&attr, SCHED_FIFO));
	ASSERT_EQ(0, pthread_attr_setschedparam(&attr, &prio));
	ASSERT_EQ(0, pthread_create(&thread, &attr, writer_main, &w));
	scans0 = full_scans();
	scanner_fast();
	wait_rounds(1, WRITER_SCANS);
	scanner_off();
	w.stop = 1;
	pthread_join(thread, NULL);
	ksft_print_msg("%llu full scans: %llu pages merged, %llu copy-on-write breaks, %llu writes to pages found unmapped, %llu lost\n",
		       (unsigned long long)(full_scans() - scans0),
		       (unsigned long long)(vm_mem(&a).merged - merged0),
		       (unsigned long long)(ksm("ksm_cow_breaks") - cow0),
		       (unsigned long long)w.caught,
		       (unsigned long long)w.lost);
	EXPECT_EQ(0U, w.lost);
	/* It tested something: merges, and writes that broke them. */
	EXPECT_LT(0U, w.caught);
	EXPECT_LT(merged0, vm_mem(&a).merged);
	EXPECT_LT(cow0, ksm("ksm_cow_breaks"));
	for (p = 0; p < POOL_PAGES; p++)
		EXPECT_EQ(w.want[p], pool_page(&a, p)[0]);
	/* The guest reads what the writer wrote last. */
	for (p = 0; p < POOL_PAGES; p++)
		for (word = 0; word < WORDS; word++)
			sum = sum_step(sum, word ? pattern(0, p, word) :
					    w.want[p]);
	EXPECT_EQ(sum, guest_do(&a, OP_SUM, 0, 0, POOL_PAGES));
	vm_destroy(&a);
}

/*
 * Page sharing's scan rate over SET_MODULE, as its module parameters:
 * GET_MODULE and the parameters show it; out of range is refused with
 * ERANGE and changes nothing (not even the other, good, value); only
 * CAP_SYS_ADMIN may.
 */
struct rate {
	uint32_t pages, sleep_ms;
	bool found;
};

static int rate_cb(const struct nlmsghdr *nh, void *arg)
{
	const struct nlattr *tb[VMMON_A_MAX + 1];
	struct rate *r = arg;

	if (genl_attrs(nh, tb, VMMON_A_MAX) < 0 ||
	    !tb[VMMON_A_KSM_PAGES_PER_PASS] || !tb[VMMON_A_KSM_SLEEP_MS])
		return -EPROTO;
	r->pages = nla_get_u32(tb[VMMON_A_KSM_PAGES_PER_PASS]);
	r->sleep_ms = nla_get_u32(tb[VMMON_A_KSM_SLEEP_MS]);
	r->found = true;
	return 0;
}

static struct rate get_rate(void)
{
	struct rate r = { 0 };
	struct genl_sock s;
	struct genl_msg m;

	if (genl_open(&s))
		return r;
	genl_msg_init(&m, s.family, 0, VMMON_CMD_GET_MODULE);
	if (genl_talk(&s, &m, rate_cb, &r))
		r.found = false;
	genl_close(&s);
	return r;
}

/* SET_MODULE of the rate (negative: left out): 0 or -errno. */
static int set_rate(int64_t pages, int64_t sleep_ms)
{
	struct genl_sock s;
	struct genl_msg m;
	int err = genl_open(&s);

	if (err)
		return err;
	genl_msg_init(&m, s.family, 0, VMMON_CMD_SET_MODULE);
	if (pages >= 0)
		genl_put_u32(&m, VMMON_A_KSM_PAGES_PER_PASS, (uint32_t)pages);
	if (sleep_ms >= 0)
		genl_put_u32(&m, VMMON_A_KSM_SLEEP_MS, (uint32_t)sleep_ms);
	err = genl_talk(&s, &m, NULL, NULL);
	genl_close(&s);
	return err;
}

static uint64_t param(const char *name)
{
	unsigned long long v = UINT64_MAX;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return UINT64_MAX;
	if (fscanf(f, "%llu", &v) != 1)
		v = UINT64_MAX;
	fclose(f);
	return v;
}

VMMON_TEST(scan_rate_over_netlink)
{
	struct rate r;
	pid_t pid;
	int status;

	ASSERT_EQ(0, set_rate(1234, 56));
	r = get_rate();
	ASSERT_TRUE(r.found);
	EXPECT_EQ(1234U, r.pages);
	EXPECT_EQ(56U, r.sleep_ms);
	EXPECT_EQ(1234U, param("ksm_pages_per_pass"));
	EXPECT_EQ(56U, param("ksm_sleep_ms"));
	/* One of them alone; 0 turns the scanner off. */
	ASSERT_EQ(0, set_rate(0, -1));
	EXPECT_EQ(0U, get_rate().pages);
	EXPECT_EQ(56U, get_rate().sleep_ms);
	EXPECT_EQ(0, set_rate(VMMON_KSM_PASS_MAX, VMMON_KSM_SLEEP_MS_MAX));
	EXPECT_EQ(0, set_rate(-1, 1));
	/* Out of range: refused, and the good value with it is not taken. */
	EXPECT_EQ(-ERANGE, set_rate(VMMON_KSM_PASS_MAX + 1, 7));
	EXPECT_EQ(-ERANGE, set_rate(8, 0));
	EXPECT_EQ(-ERANGE, set_rate(8, VMMON_KSM_SLEEP_MS_MAX + 1));
	r = get_rate();
	EXPECT_EQ(VMMON_KSM_PASS_MAX, r.pages);
	EXPECT_EQ(1U, r.sleep_ms);
	/* Only CAP_SYS_ADMIN. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(setresuid(65534, 65534, 65534) ? 2 :
		      set_rate(8, -1) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(VMMON_KSM_PASS_MAX, get_rate().pages);
	/* The module parameters take the same bounds (a pause of 0 spun). */
	EXPECT_NE(0, write_file(PARAMS "ksm_sleep_ms", "0"));
	EXPECT_NE(0, write_file(PARAMS "ksm_pages_per_pass", "65537"));
	EXPECT_EQ(1U, param("ksm_sleep_ms"));
	scanner_off();
	set_param("ksm_sleep_ms", "20");
}

/*
 * With no VM the scanner sleeps until one is counted; the first VM's
 * creation woke it before the count went up, so it saw none and slept
 * on, and a host with one VM was never scanned (review R3).  Racy on
 * the old module: it failed when the scanner ran before the count.
 */
VMMON_TEST_TIMEOUT(a_lone_vm_is_scanned, LONG_TIMEOUT)
{
	uint64_t scans0, t0;
	struct vm v;

	set_param("ksm_sleep_ms", "20");
	set_param("ksm_pages_per_pass", "256");
	/* The scanner takes the rate with no VM, and sleeps for one. */
	usleep(100000);
	scans0 = ksm("ksm_full_scans");
	VM_CREATE(&v, "");
	t0 = mono_ns();
	while (ksm("ksm_full_scans") == scans0 &&
	       mono_ns() - t0 < WAIT_S * 1000000000ULL)
		usleep(POLL_US);
	EXPECT_LT(scans0, ksm("ksm_full_scans"));
	scanner_off();
	vm_destroy(&v);
}

/*
 * The scanned VM of the next test: pages its program made resident, each
 * distinct (no merge: every page costs a hash, about 55 us in the rig),
 * so that a pass over it is long against a VM's creation or end.
 */
#define BIG_PAGES	8192ULL
/* Its passes: the whole VM in one, then a pause only a new rate ends. */
#define BIG_PASS	"65536"
#define BIG_SLEEP_MS	"60000"
/* Where in a pass the op begins: an eighth of the pass's time in. */
#define OP_AT		8

/*
 * The pass ends once the scanned VM went round (the full scans were
 * @scans0): the scanner's time since ksm_scan_ns read @ns0, or 0.  Read
 * a poll later: what the pass does after the round (a VM without RAM,
 * its figures) takes microseconds.
 */
static uint64_t pass_end(uint64_t scans0, uint64_t ns0)
{
	uint64_t t0 = mono_ns();

	while (full_scans() == scans0) {
		if (mono_ns() - t0 > WAIT_S * 1000000000ULL)
			return 0;
		usleep(POLL_US);
	}
	usleep(POLL_US);
	return ksm("ksm_scan_ns") - ns0;
}

/* A new rate wakes the scanner for one pass: its time, or 0. */
static uint64_t one_pass(void)
{
	uint64_t scans0 = full_scans(), ns0 = ksm("ksm_scan_ns");

	set_param("ksm_pages_per_pass", BIG_PASS);
	return pass_end(scans0, ns0);
}

/* An op on a VM other than the scanned one: create one, or end @*fd. */
static int other_vm_op(bool create, int *fd)
{
	if (create) {
		*fd = vmmon_create_vm(dev);
		return *fd < 0 ? -1 : 0;
	}
	close(*fd);
	*fd = -1;
	return 0;
}

/*
 * From @due (CLOCK_MONOTONIC) to the end of the op begun then: the op's
 * time with its wait to begin (a scanner that keeps the one CPU delays
 * it as a lock does).
 */
static uint64_t timed_op(uint64_t due, bool create, int *fd)
{
	struct timespec ts = {
		.tv_sec = due / 1000000000ULL, .tv_nsec = due % 1000000000ULL,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
	if (other_vm_op(create, fd))
		return UINT64_MAX;
	return mono_ns() - due;
}

/*
 * The op due an eighth of @pass_ns after the pass is asked for: how long
 * it took from then, the scanner's time in the pass, and the pages the
 * pass had scanned when the op was over (BIG_PAGES: it ended after the
 * pass).
 */
struct op_in_pass {
	uint64_t op_ns, pass_ns, scanned;
};

static struct op_in_pass op_in_pass(uint64_t pass_ns, bool create, int *fd)
{
	uint64_t scans0 = full_scans(), ns0 = ksm("ksm_scan_ns");
	uint64_t scanned0 = ksm("ksm_pages_scanned"), due;
	struct op_in_pass r;

	due = mono_ns() + pass_ns / OP_AT;
	set_param("ksm_pages_per_pass", BIG_PASS);
	r.op_ns = timed_op(due, create, fd);
	r.scanned = ksm("ksm_pages_scanned") - scanned0;
	r.pass_ns = pass_end(scans0, ns0);
	return r;
}

/*
 * A pass holds the VM registry only to pin the VM it scans next, and its
 * own lock a batch of pages at a time: a VM created or ended when an
 * eighth of a long pass is due is so before the pass is over, within
 * twice its time without a pass plus a quarter of the pass (review R3:
 * the module held the registry for the whole pass, and on one CPU kept
 * the CPU, so the op ended after the pass, about seven eighths late).
 * The bound is generous: the op may wait for one batch (64 of the 8192
 * pages), on one CPU for the scanner's share of the CPU (its own time
 * once more) and a scheduler latency (6 ms), against a quarter of a pass
 * of about 0.6 s.  Emulated time: the figures repeat from run to run.
 */
VMMON_TEST_TIMEOUT(vm_ops_do_not_wait_for_a_pass, LONG_TIMEOUT)
{
	struct vmmon_memory_region r = { .size = BIG_PAGES * PAGE };
	uint64_t cal_ns, idle_create, idle_end, p;
	struct op_in_pass create, end;
	int big, other = -1;
	uint64_t *ram;

	scanner_off();
	set_param("ksm_sleep_ms", BIG_SLEEP_MS);
	big = vmmon_create_vm(dev);
	ASSERT_LE(0, big);
	ASSERT_EQ(0, ioctl(big, VMMON_SET_MEMORY_REGION, &r));
	ram = mmap(NULL, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, big, 0);
	ASSERT_NE(MAP_FAILED, ram);
	for (p = 0; p < BIG_PAGES; p++)
		ram[p * WORDS] = p + 1;
	/* The first pass notes each page; the second is as later ones. */
	ASSERT_LT(0U, one_pass());
	cal_ns = one_pass();
	ASSERT_LT(0U, cal_ns);
	/* The ops without a pass (the scanner sleeps BIG_SLEEP_MS). */
	idle_create = timed_op(mono_ns() + cal_ns / OP_AT, true, &other);
	ASSERT_NE(UINT64_MAX, idle_create);
	idle_end = timed_op(mono_ns() + cal_ns / OP_AT, false, &other);
	/* Else the pass is too short to tell a wait for it. */
	ASSERT_GT(cal_ns / OP_AT, idle_create + idle_end);

	create = op_in_pass(cal_ns, true, &other);
	ASSERT_NE(UINT64_MAX, create.op_ns);
	end = op_in_pass(cal_ns, false, &other);
	scanner_off();
	set_param("ksm_sleep_ms", "20");
	BENCH("ksm: a pass over %llu resident pages %llu ns (%llu ns a page); from an eighth into it, a VM's creation took %llu ns (%llu without a pass), another's end %llu ns (%llu); pages the pass had scanned when each was over: %llu, %llu",
	      BIG_PAGES, (unsigned long long)cal_ns,
	      (unsigned long long)(cal_ns / BIG_PAGES),
	      (unsigned long long)create.op_ns,
	      (unsigned long long)idle_create,
	      (unsigned long long)end.op_ns, (unsigned long long)idle_end,
	      (unsigned long long)create.scanned,
	      (unsigned long long)end.scanned);
	/* 0: the pass never ended (pass_end() gave up). */
	EXPECT_LT(0u, create.pass_ns);
	EXPECT_LT(0u, end.pass_ns);
	EXPECT_GT(2 * idle_create + create.pass_ns / 4, create.op_ns);
	EXPECT_GT(2 * idle_end + end.pass_ns / 4, end.op_ns);
	/* Each op overlapped the pass: it had begun, and went on after. */
	EXPECT_LT(0u, create.scanned);
	EXPECT_LT(0u, end.scanned);
	EXPECT_GT(BIG_PAGES, create.scanned);
	EXPECT_GT(BIG_PAGES, end.scanned);
	munmap(ram, r.size);
	close(big);
}

/*
 * Every test's VMs are gone: no shared page, slot or hint is left (the
 * last test, unload_clean, checks the guest pages and unloads).
 */
VMMON_TEST(nothing_left_shared)
{
	EXPECT_EQ(0U, ksm("ksm_pages_shared"));
	EXPECT_EQ(0U, ksm("ksm_pages_sharing"));
	EXPECT_EQ(0U, ksm("ksm_hints"));
}

VMMON_TEST_MAIN
