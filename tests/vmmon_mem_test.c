// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory owned by the module: regions, mmap of the VM fd, pages
 * allocated on first touch, isolation between VMs, pages discarded (out
 * of EPT and the mappings) while the guest runs, and every page freed
 * with the VM, however its process ends.  Loads vmmon.ko if needed; the
 * last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include <pthread.h>
#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define PAGE	4096UL
#define MiB	(1024UL * 1024)

/*
 * A figure for people to read, as a "# ..." line on stdout: flushed at
 * once, since the harness ends each test's process with _exit(), which
 * drops what stdio still holds (stdout is a pipe under make check-host).
 */
#define SHOW(fmt, ...) do {						\
	ksft_print_msg(fmt "\n", ##__VA_ARGS__);			\
	fflush(stdout);							\
} while (0)

/*
 * Loops of thousands of guest exits, or 96 MiB touched page by page: as
 * long as tests/suite.sh gives the whole suite, since the emulated PC
 * runs them about 100 times slower than real hardware.
 */
#define LONG_TIMEOUT	300

static int add_region(int vm, uint64_t gpa, uint64_t size)
{
	struct vmmon_memory_region r = { .guest_phys = gpa, .size = size };

	return ioctl(vm, VMMON_SET_MEMORY_REGION, &r);
}

static long resident(int vm)
{
	struct vmmon_vm_stats st;

	if (ioctl(vm, VMMON_GET_VM_STATS, &st))
		return -1;
	return st.pages_resident;
}

/* A VM with one region of @size at guest-physical 0. */
static int vm_with_ram(size_t size)
{
	int vm = vmmon_create_vm(dev);

	if (vm >= 0 && add_region(vm, 0, size)) {
		close(vm);
		return -1;
	}
	return vm;
}

static void *map_guest(int vm, uint64_t gpa, size_t size)
{
	return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm, gpa);
}

VMMON_TEST(region_rejects_bad_input)
{
	struct vmmon_memory_region flags = { .size = PAGE, .flags = 1 };
	struct vmmon_memory_region pad = { .size = PAGE, .pad = 1 };
	int vm = vmmon_create_vm(dev), i;

	ASSERT_OK(vm);
	EXPECT_ERRNO(add_region(vm, 0, 0), EINVAL);
	EXPECT_ERRNO(add_region(vm, 100, PAGE), EINVAL);
	EXPECT_ERRNO(add_region(vm, 0, PAGE + 1), EINVAL);
	EXPECT_ERRNO(add_region(vm, 1ULL << 52, PAGE), EINVAL);
	EXPECT_ERRNO(add_region(vm, (1ULL << 52) - PAGE, 2 * PAGE), EINVAL);
	/* 4-level EPT maps 2^48: a region above would alias a lower one. */
	EXPECT_ERRNO(add_region(vm, 1ULL << 48, PAGE), EINVAL);
	EXPECT_ERRNO(add_region(vm, (1ULL << 48) - PAGE, 2 * PAGE), EINVAL);
	EXPECT_ERRNO(add_region(vm, UINT64_MAX & ~(PAGE - 1), 2 * PAGE), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMMON_SET_MEMORY_REGION, &flags), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMMON_SET_MEMORY_REGION, &pad), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMMON_SET_MEMORY_REGION, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(vm, VMMON_GET_VM_STATS, NULL), EFAULT);
	EXPECT_ERRNO(add_region(vm, 0, VMMON_MAX_GUEST_MEMORY + PAGE), E2BIG);

	ASSERT_OK(add_region(vm, 1 * MiB, 2 * MiB));
	EXPECT_ERRNO(add_region(vm, 1 * MiB, 2 * MiB), EEXIST);
	EXPECT_ERRNO(add_region(vm, 0, 1 * MiB + PAGE), EEXIST);
	EXPECT_ERRNO(add_region(vm, 3 * MiB - PAGE, PAGE), EEXIST);
	ASSERT_OK(add_region(vm, 0, 1 * MiB));		/* adjacent: fine */
	ASSERT_OK(add_region(vm, 3 * MiB, 1 * MiB));
	EXPECT_ERRNO(add_region(vm, 1ULL << 40, VMMON_MAX_GUEST_MEMORY), E2BIG);
	for (i = 3; i < VMMON_MAX_MEM_REGIONS; i++)
		ASSERT_OK(add_region(vm, (uint64_t)(i + 1) << 30, PAGE));
	EXPECT_ERRNO(add_region(vm, 1ULL << 40, PAGE), ENOSPC);
	EXPECT_EQ(resident(vm), 0);
	close(vm);
}

VMMON_TEST(private_mapping_refused)
{
	int vm = vm_with_ram(1 * MiB);
	void *p;

	ASSERT_OK(vm);
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, vm, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	close(vm);
}

VMMON_TEST(pages_allocated_on_first_touch)
{
	long before = vmmon_counter("guest_pages");
	int vm = vm_with_ram(16 * MiB);
	volatile unsigned char *p;
	unsigned char sum = 0;

	ASSERT_OK(vm);
	p = map_guest(vm, 0, 16 * MiB);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_EQ(resident(vm), 0);
	p[0] = 1;
	p[5 * PAGE + 7] = 2;
	sum += p[9 * MiB];		/* a read touches too */
	EXPECT_EQ(sum, 0);		/* and finds a zeroed page */
	EXPECT_EQ(resident(vm), 3);
	p[1] = 3;			/* same page again */
	EXPECT_EQ(resident(vm), 3);
	EXPECT_EQ(vmmon_counter("guest_pages"), before + 3);
	munmap((void *)p, 16 * MiB);
	EXPECT_EQ(resident(vm), 3);
	close(vm);
	EXPECT_EQ(vmmon_counter("guest_pages"), before);
}

/* The module owns the memory: it outlives mappings and has two views. */
VMMON_TEST(memory_persists_across_mappings)
{
	int vm = vm_with_ram(4 * MiB);
	uint32_t *a, *b;
	size_t i, n = 4 * MiB / sizeof(uint32_t);
	size_t bad = 0;

	ASSERT_OK(vm);
	a = map_guest(vm, 0, 4 * MiB);
	ASSERT_TRUE(a != MAP_FAILED);
	for (i = 0; i < n; i++)
		a[i] = (uint32_t)(i * 2654435761u);
	munmap(a, 4 * MiB);

	b = map_guest(vm, 2 * MiB, 2 * MiB);	/* offset = guest-physical */
	ASSERT_TRUE(b != MAP_FAILED);
	for (i = 0; i < n / 2; i++)
		bad += b[i] != (uint32_t)((i + n / 2) * 2654435761u);
	EXPECT_EQ(bad, 0UL);
	a = map_guest(vm, 0, 4 * MiB);
	ASSERT_TRUE(a != MAP_FAILED);
	a[n / 2] = 0xfeedface;			/* seen through the other view */
	EXPECT_EQ(b[0], 0xfeedface);
	munmap(a, 4 * MiB);
	munmap(b, 2 * MiB);
	EXPECT_EQ(resident(vm), 1024);
	close(vm);
}

VMMON_TEST(outside_ram_is_sigbus)
{
	int vm = vm_with_ram(1 * MiB);
	unsigned char *p;

	ASSERT_OK(vm);
	ASSERT_OK(add_region(vm, 2 * MiB, 1 * MiB));
	p = map_guest(vm, 0, 4 * MiB);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_TRUE(!touch_faults(p + 1 * MiB - 1));
	EXPECT_TRUE(touch_faults(p + 1 * MiB));		/* the hole */
	EXPECT_TRUE(!touch_faults(p + 2 * MiB));
	EXPECT_TRUE(touch_faults(p + 3 * MiB));		/* past the end */
	EXPECT_EQ(resident(vm), 2);
	munmap(p, 4 * MiB);
	close(vm);
}

VMMON_TEST(vms_do_not_share_memory)
{
	int a = vm_with_ram(1 * MiB), b = vm_with_ram(1 * MiB);
	unsigned char *pa, *pb;

	ASSERT_OK(a);
	ASSERT_OK(b);
	pa = map_guest(a, 0, 1 * MiB);
	pb = map_guest(b, 0, 1 * MiB);
	ASSERT_TRUE(pa != MAP_FAILED && pb != MAP_FAILED);
	memset(pa, 0xa5, 1 * MiB);
	EXPECT_EQ(pb[0], 0);
	EXPECT_EQ(pb[1 * MiB - 1], 0);
	EXPECT_EQ(resident(b), 2);
	munmap(pa, 1 * MiB);
	munmap(pb, 1 * MiB);
	close(a);
	close(b);
}

/* A mapping holds the VM: closing the fd first frees nothing yet. */
VMMON_TEST(mapping_keeps_vm_alive)
{
	long before = vmmon_counter("guest_pages");
	int vm = vm_with_ram(1 * MiB);
	unsigned char *p;

	ASSERT_OK(vm);
	p = map_guest(vm, 0, 1 * MiB);
	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 1, 1 * MiB);
	close(vm);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(p[12345], 1);
	EXPECT_EQ(vmmon_counter("guest_pages"), before + 256);
	munmap(p, 1 * MiB);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("guest_pages"), before);
}

/*
 * A child creates a VM, touches 32 MiB of it and is killed.  A failed
 * ASSERT here ends the calling test.
 */
static void kill_vm_process(struct __test_metadata *_metadata)
{
	int go[2], status;
	pid_t child;
	char c;

	ASSERT_OK(pipe(go));
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		int vm = vm_with_ram(32 * MiB);
		unsigned char *p = vm < 0 ? MAP_FAILED : map_guest(vm, 0, 32 * MiB);

		if (p != MAP_FAILED)
			memset(p, 0x5a, 32 * MiB);
		c = p != MAP_FAILED;
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	ASSERT_EQ(read(go[0], &c, 1), 1);
	close(go[0]);
	EXPECT_EQ(c, 1);
	EXPECT_EQ(vmmon_counter("guest_pages"), 8192);
	kill(child, SIGKILL);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("guest_pages"), 0);
}

/*
 * Three times over: a leak would take 32 MiB from MemAvailable at each
 * round, while the kernel's own caches (per-CPU free lists, which
 * MemAvailable does not count and which 6.12 lets grow to megabytes) move
 * it by up to about 20 MiB once in a while.  So one round in which it
 * did not fall by 16 MiB clears the module.
 */
VMMON_TEST_TIMEOUT(killed_process_frees_memory, LONG_TIMEOUT)
{
	long avail[3];
	int i;

	for (i = 0; i < 3; i++) {
		kill_vm_process(_metadata);
		avail[i] = meminfo_kb("MemAvailable");
	}
	SHOW("MemAvailable after each of three killed 32 MiB VMs: %ld, %ld, %ld kB",
	     avail[0], avail[1], avail[2]);
	EXPECT_TRUE(avail[0] - avail[1] < 16 * 1024 ||
		    avail[1] - avail[2] < 16 * 1024);
}

#define CGROOT	"/sys/fs/cgroup"
#define CGTEST	CGROOT "/vmmon-test"

/* cgroup v2 with the memory controller, mounting it if nobody has. */
static bool memcg_ready(void)
{
	if (access(CGROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CGROOT, "cgroup2", 0, NULL))
		return false;
	write_file(CGROOT "/cgroup.subtree_control", "+memory");
	rmdir(CGTEST);
	return mkdir(CGTEST, 0755) == 0 &&
	       access(CGTEST "/memory.current", F_OK) == 0;
}

/*
 * Each page other than the rest: page sharing's scanner (on by default)
 * would merge equal pages of the VM and uncharge the copies.
 */
static void fill_distinct(unsigned char *p, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += PAGE) {
		memset(p + off, 0x33, PAGE);
		memcpy(p + off, &off, sizeof(off));
	}
}

/*
 * Guest pages are charged to the memory cgroup of the VM's process: 16 MiB
 * touched by a process in a fresh cgroup shows in its memory.current,
 * and leaves it when the process ends.
 */
VMMON_TEST(guest_memory_charged_to_memcg)
{
	long during, after;
	char pid[16];
	int go[2], done[2], status;
	pid_t child;
	char c = 0;

	if (!memcg_ready())
		SKIP(return, "guest_memory_charged_to_memcg: no cgroup v2 memory controller");
	ASSERT_OK(pipe(go));
	ASSERT_OK(pipe(done));
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		int vm;
		unsigned char *p = MAP_FAILED;

		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) == 1) {
			vm = vm_with_ram(16 * MiB);
			if (vm >= 0)
				p = map_guest(vm, 0, 16 * MiB);
			if (p != MAP_FAILED) {
				fill_distinct(p, 16 * MiB);
				munmap(p, 16 * MiB);	/* the VM fd holds it */
			}
		}
		c = p != MAP_FAILED;
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	snprintf(pid, sizeof(pid), "%d", child);
	EXPECT_TRUE(write_file(CGTEST "/cgroup.procs", pid) == 0);
	c = 1;
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(read(done[0], &c, 1), 1);
	EXPECT_EQ(c, 1);
	during = read_long_file(CGTEST "/memory.current");
	close(go[1]);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	after = read_long_file(CGTEST "/memory.current");
	SHOW("memory.current %ld kB with 16 MiB of guest RAM, %ld kB after",
	     during / 1024, after / 1024);
	EXPECT_TRUE(during >= (long)(16 * MiB));
	EXPECT_TRUE(after < (long)(1 * MiB));
	close(done[0]);
	rmdir(CGTEST);
}

/* l: mov al,[0x2000]; out 0x10,al; jmp l */
static const uint8_t read_loop[] = { 0xa0, 0x00, 0x20, 0xe6, 0x10, 0xeb, 0xf9 };

static int discard(int vm, uint64_t gpa, uint64_t size)
{
	struct vmmon_memory_range r = { .guest_phys = gpa, .size = size };

	return ioctl(vm, VMMON_DISCARD_MEMORY, &r);
}

static int run_read(struct vmmon_guest *g)
{
	if (vmmon_guest_run(g) || g->run->exit_reason != VMMON_EXIT_IO)
		return -1;
	return ((uint8_t *)g->run)[g->run->io.data_offset];
}

/*
 * A discarded page leaves the pmap, EPT and the userspace mapping: the
 * guest faults a zeroed page in at its next read, the mapping sees that
 * same page, and the host page is freed.
 */
VMMON_TEST(discard_gives_pages_back)
{
	struct vmmon_vcpu_stats st;
	struct vmmon_guest g;
	uint64_t faults;

	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, read_loop,
				     sizeof(read_loop)));
	g.ram[0x2000] = 0x77;
	EXPECT_EQ(run_read(&g), 0x77);
	EXPECT_EQ(resident(g.vm), 2);		/* code and data */
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st));
	faults = st.exits.count[VMMON_STAT_EXIT_EPT_FAULT];
	ASSERT_OK(discard(g.vm, 0x2000, 0x1000));
	EXPECT_EQ(resident(g.vm), 1);
	EXPECT_EQ(run_read(&g), 0);		/* a new, zeroed page */
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st));
	EXPECT_EQ(st.exits.count[VMMON_STAT_EXIT_EPT_FAULT], faults + 1);
	EXPECT_EQ(g.ram[0x2000], 0);		/* the mapping sees it too */
	g.ram[0x2000] = 0x55;
	EXPECT_EQ(run_read(&g), 0x55);
	EXPECT_EQ(resident(g.vm), 2);
	/* Discarding pages never touched, or twice, is harmless. */
	ASSERT_OK(discard(g.vm, 0, 64 * 1024));
	EXPECT_EQ(resident(g.vm), 0);
	EXPECT_EQ(vmmon_counter("guest_pages"), 0);
	ASSERT_OK(discard(g.vm, 0, 64 * 1024));

	EXPECT_ERRNO(discard(g.vm, 0x2001, 0x1000), EINVAL);
	EXPECT_ERRNO(discard(g.vm, 0x2000, 0x800), EINVAL);
	EXPECT_ERRNO(discard(g.vm, 0x2000, 0), EINVAL);
	EXPECT_ERRNO(discard(g.vm, 0xf000, 0x2000), EINVAL);	/* past RAM */
	EXPECT_ERRNO(discard(g.vm, ~0xfffULL, 0x2000), EINVAL);	/* wraps */
	EXPECT_ERRNO(ioctl(g.vm, VMMON_DISCARD_MEMORY, NULL), EFAULT);
	vmmon_guest_destroy(&g);
}

/*
 * A range is RAM when regions cover all of it, also where two adjacent
 * regions meet; a hole anywhere in it makes the whole call EINVAL.
 */
VMMON_TEST(discard_across_regions)
{
	struct vmmon_memory_region low = { .size = 0x10000 };
	struct vmmon_memory_region next = { .guest_phys = 0x10000, .size = 0x10000 };
	struct vmmon_memory_region far = { .guest_phys = 0x40000, .size = 0x10000 };
	int vm = vmmon_create_vm(dev);

	ASSERT_OK(vm);
	ASSERT_OK(ioctl(vm, VMMON_SET_MEMORY_REGION, &far));
	ASSERT_OK(ioctl(vm, VMMON_SET_MEMORY_REGION, &next));
	ASSERT_OK(ioctl(vm, VMMON_SET_MEMORY_REGION, &low));
	EXPECT_EQ(0, discard(vm, 0, 0x20000));
	EXPECT_EQ(0, discard(vm, 0xf000, 0x2000));
	EXPECT_ERRNO(discard(vm, 0, 0x50000), EINVAL);		/* a hole */
	EXPECT_ERRNO(discard(vm, 0x1f000, 0x2000), EINVAL);
	EXPECT_EQ(0, discard(vm, 0x40000, 0x10000));
	EXPECT_ERRNO(discard(vm, 0x40000, 0x11000), EINVAL);
	close(vm);
}

struct reader {
	struct vmmon_guest *g;
	int rounds, bad;
};

/* The guest reads its page while the host writes and discards it. */
static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	int i, v;

	for (i = 0; i < r->rounds; i++) {
		v = run_read(r->g);
		if (v != 0 && v != 0x33)
			r->bad++;
	}
	return NULL;
}

VMMON_TEST_TIMEOUT(discard_while_guest_runs, LONG_TIMEOUT)
{
	struct reader r = { .rounds = 3000 };
	struct vmmon_guest g;
	pthread_t t;
	int i;

	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, read_loop,
				     sizeof(read_loop)));
	r.g = &g;
	ASSERT_OK(pthread_create(&t, NULL, reader_thread, &r));
	for (i = 0; i < 300; i++) {
		g.ram[0x2000] = 0x33;
		if (discard(g.vm, 0x2000, 0x1000))
			break;
	}
	pthread_join(t, NULL);
	EXPECT_EQ(i, 300);
	EXPECT_EQ(r.bad, 0);	/* only ever the value written, or zero */
	vmmon_guest_destroy(&g);
	EXPECT_EQ(vmmon_counter("guest_pages"), 0);
}

/*
 * The page-reference race of a userspace fault against DISCARD (review
 * kmod.md F1): a fault that found a page in the pmap must hold it before
 * a discard can free it.  Three threads on one page: one writes it
 * through the mapping and MADV_DONTNEEDs it, so that every touch faults
 * again; one discards it; one runs the guest reading it.  Faulting and
 * discarding share CPU 0, so that a fault preempted in the middle leaves
 * the CPU to the discard.  A freed page used again shows in the kernel
 * log ("BUG: Bad page state", which the judge fails), a reference lost
 * or leaked in the count of free memory.
 */
struct fault_race {
	struct vmmon_guest *g;
	atomic_bool stop;
	long faults, discards, runs, bad, errors;
};

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *race_discarder(void *arg)
{
	struct fault_race *r = arg;

	pin_to_cpu0();
	while (!atomic_load(&r->stop)) {
		if (discard(r->g->vm, 0x2000, 0x1000))
			r->errors++;
		r->discards++;
	}
	return NULL;
}

static void *race_guest(void *arg)
{
	struct fault_race *r = arg;
	struct vmmon_run *run = r->g->run;
	int v;

	while (!atomic_load(&r->stop)) {
		if (vmmon_guest_run(r->g)) {
			/* EINTR: the kernel's return-to-user work, retried. */
			if (errno != EINTR)
				r->errors++;
			continue;
		}
		if (run->exit_reason != VMMON_EXIT_IO) {
			r->errors++;
			continue;
		}
		v = ((uint8_t *)run)[run->io.data_offset];
		if (v != 0 && v != 0x33)
			r->bad++;
		r->runs++;
	}
	return NULL;
}

VMMON_TEST_TIMEOUT(discard_vs_user_fault, LONG_TIMEOUT)
{
	struct fault_race r = { 0 };
	volatile uint8_t *page;
	struct vmmon_guest g;
	pthread_t disc, guest;
	long free_before, free_after;
	uint8_t v;

	free_before = meminfo_kb("MemFree");
	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, read_loop,
				     sizeof(read_loop)));
	r.g = &g;
	page = g.ram + 0x2000;
	/* The guest's thread first: a new thread takes its creator's CPUs. */
	ASSERT_EQ(0, pthread_create(&guest, NULL, race_guest, &r));
	pin_to_cpu0();
	ASSERT_EQ(0, pthread_create(&disc, NULL, race_discarder, &r));
	for (r.faults = 0; r.faults < 20000; r.faults++) {
		*page = 0x33;
		v = *page;		/* 0x33, or 0 after a discard */
		if (v != 0 && v != 0x33)
			r.bad++;
		if (madvise((void *)page, PAGE, MADV_DONTNEED))
			r.errors++;
	}
	atomic_store(&r.stop, true);
	pthread_join(disc, NULL);
	pthread_join(guest, NULL);
	ksft_print_msg("%ld faults, %ld discards, %ld guest reads\n",
		       r.faults, r.discards, r.runs);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(0, r.errors);
	EXPECT_LT(0, r.discards);
	EXPECT_LT(0, r.runs);
	vmmon_guest_destroy(&g);
	EXPECT_EQ(0, vmmon_counter("guest_pages"));
	/* A page reference taken and never dropped keeps its page. */
	free_after = meminfo_kb("MemFree");
	ksft_print_msg("MemFree %ld kB before, %ld kB after\n", free_before,
		       free_after);
	EXPECT_LT(free_before - free_after, 8192);
}

/*
 * A discard kicks only the CPUs running the VM's guest (review kmod.md
 * F9): the guest and the discards take turns on one thread pinned to
 * CPU 0, so no vCPU of this VM ever runs elsewhere, and CPU 1 must see
 * no function-call IPI from them.  Each discard finds the page mapped in
 * EPT (the guest read it just before, as a fresh zeroed page), so each
 * flushes.  The discard's RCU grace period wakes RCU's grace-period
 * thread, and a wakeup of a thread on another CPU is a function-call IPI
 * too: that thread is held on CPU 0 meanwhile.  (6.12 sent CPU 1 ten
 * over 300 discards from elsewhere.)
 */
static pid_t find_kthread(const char *comm)
{
	char path[300], name[32];
	struct dirent *d;
	pid_t pid = -1;
	DIR *proc = opendir("/proc");
	FILE *f;

	while (proc && pid < 0 && (d = readdir(proc))) {
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) &&
		    !strncmp(name, comm, strlen(comm)) && name[strlen(comm)] == '\n')
			pid = atoi(d->d_name);
		fclose(f);
	}
	if (proc)
		closedir(proc);
	return pid;
}

VMMON_TEST(discard_kicks_only_cpus_running_the_vm)
{
	pid_t gp = find_kthread("rcu_preempt");
	cpu_set_t gp_cpus, cpu0;
	struct vmmon_guest g;
	long before, after;
	int i, bad = 0;

	if (online_cpus() < 2)
		SKIP(return, "discard_kicks_only_cpus_running_the_vm: needs 2 CPUs");
	if (gp < 0)
		gp = find_kthread("rcu_sched");
	ASSERT_LT(0, gp) TH_LOG("no RCU grace-period thread in /proc");
	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, read_loop,
				     sizeof(read_loop)));
	pin_to_cpu0();
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_OK(sched_getaffinity(gp, sizeof(gp_cpus), &gp_cpus));
	ASSERT_OK(sched_setaffinity(gp, sizeof(cpu0), &cpu0));
	before = cpu_interrupts("CAL", 1);
	ASSERT_LE(0, before);
	/*
	 * Only the guest touches the page: a userspace mapping of it would
	 * bring the mm's own TLB shootdown (to every CPU the process ran
	 * on) into the count.
	 */
	for (i = 0; i < 300; i++)
		if (run_read(&g) != 0 || discard(g.vm, 0x2000, 0x1000))
			bad++;
	after = cpu_interrupts("CAL", 1);
	sched_setaffinity(gp, sizeof(gp_cpus), &gp_cpus);
	ksft_print_msg("CPU 1: %ld function-call IPIs over 300 discards\n",
		       after - before);
	EXPECT_EQ(0, bad);
	/* One per discard before; the rest of the system makes a few. */
	EXPECT_LT(after - before, 30);
	vmmon_guest_destroy(&g);
}

/*
 * Guest RAM cannot be swapped, so it is locked memory (review kmod.md
 * F8): charged to the VM creator's RLIMIT_MEMLOCK unless it has
 * CAP_IPC_LOCK, and shown as its VmPin.  A child without CAP_IPC_LOCK and
 * a 32 KiB limit (8 pages) runs a guest that touches 16 pages: RUN stops
 * with NO_MEMORY and EDQUOT; its own mapping then gets SIGBUS past the
 * limit; a discard gives the pages back to the limit.  The child says
 * what went wrong by its exit status.
 */
/* l: mov [bx],al; add bx,0x1000; jnz l; hlt  (pages 0 to 15) */
static const uint8_t touch16[] = {
	0x88, 0x07, 0x81, 0xc3, 0x00, 0x10, 0x75, 0xf8, 0xf4,
};

static long vm_pinned_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int memlock_child(void)
{
	struct rlimit lim = { .rlim_cur = 32768, .rlim_max = 32768 };
	struct vmmon_guest g;
	int i;

	drop_capability(CAP_IPC_LOCK);
	if (setrlimit(RLIMIT_MEMLOCK, &lim) ||
	    vmmon_guest_create(&g, dev, 64 * 1024, touch16, sizeof(touch16)))
		return 10;
	if (vmmon_guest_run(&g) || g.run->exit_reason != VMMON_EXIT_INTERNAL ||
	    g.run->internal.suberror != VMMON_INTERNAL_NO_MEMORY ||
	    g.run->internal.data[1] != EDQUOT)
		return 11;			/* the guest went past it */
	if (resident(g.vm) != 8 || vm_pinned_kb() != 32)
		return 12;			/* not charged page by page */
	if (!touch_faults(g.ram + 15 * PAGE))
		return 13;			/* no SIGBUS past the limit */
	if (discard(g.vm, 0, 64 * 1024) || vm_pinned_kb() != 0)
		return 14;			/* not uncharged */
	for (i = 0; i < 8; i++)
		if (touch_faults(g.ram + i * PAGE))
			return 15;		/* the limit not given back */
	vmmon_guest_destroy(&g);
	return vm_pinned_kb() == 0 ? 0 : 16;
}

VMMON_TEST(guest_memory_is_locked_memory)
{
	int status;
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0)
		_exit(memlock_child());
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x: the step numbered in the test", status);
}

/* mov al,[bx]; hlt */
static const uint8_t touch_guest[] = { 0x8a, 0x07, 0xf4 };

static int sample(int vm, uint64_t gpa, uint64_t pages, void *bitmap)
{
	struct vmmon_accessed a = {
		.guest_phys = gpa, .nr_pages = pages,
		.bitmap = (uintptr_t)bitmap,
	};

	return ioctl(vm, VMMON_SAMPLE_ACCESSED, &a);
}

static int touch(struct vmmon_guest *g, uint64_t addr)
{
	struct vmmon_regs regs;

	if (ioctl(g->vcpu, VMMON_GET_REGS, &regs))
		return -1;
	regs.rip = VMMON_GUEST_CODE;
	regs.rbx = addr;
	if (ioctl(g->vcpu, VMMON_SET_REGS, &regs) || vmmon_guest_run(g))
		return -1;
	return g->run->exit_reason == VMMON_EXIT_HLT ? 0 : -1;
}

/*
 * Idle-memory sampling: the accessed flags of the EPT say which pages the
 * guest touched since the last sample (its code page, and the page it
 * read), and sampling clears them.
 */
VMMON_TEST(sample_accessed_pages)
{
	struct vmmon_cap_query q = { .cap = VMMON_CAP_EPT_AD_BITS };
	struct vmmon_guest g;
	uint16_t bits;

	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, touch_guest,
				     sizeof(touch_guest)));
	ASSERT_OK(ioctl(dev, VMMON_CHECK_CAP, &q));
	if (!q.value) {
		EXPECT_ERRNO(sample(g.vm, 0, 16, &bits), EOPNOTSUPP);
		vmmon_guest_destroy(&g);
		/* A SKIP would hide a failed check: the harness counts it passed. */
		if (!_metadata->passed)
			return;
		SKIP(return, "sample_accessed_pages: no EPT accessed/dirty flags on this CPU");
	}
	ASSERT_OK(touch(&g, 0x3000));
	ASSERT_OK(sample(g.vm, 0, 16, &bits));
	EXPECT_EQ(bits, 1 << 1 | 1 << 3);	/* code at 0x1000, data at 0x3000 */
	ASSERT_OK(sample(g.vm, 0, 16, &bits));
	EXPECT_EQ(bits, 0);			/* cleared, and nothing ran */
	ASSERT_OK(touch(&g, 0x5000));
	ASSERT_OK(sample(g.vm, 0, 16, &bits));
	EXPECT_EQ(bits, 1 << 1 | 1 << 5);
	ASSERT_OK(sample(g.vm, 0x5000, 1, &bits));
	EXPECT_EQ(bits & 1, 0);

	EXPECT_ERRNO(sample(g.vm, 0, 17, &bits), EINVAL);	/* past RAM */
	EXPECT_ERRNO(sample(g.vm, 0, 0, &bits), EINVAL);
	EXPECT_ERRNO(sample(g.vm, 0x800, 1, &bits), EINVAL);
	EXPECT_ERRNO(sample(g.vm, 0, 16, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(g.vm, VMMON_SAMPLE_ACCESSED, NULL), EFAULT);
	vmmon_guest_destroy(&g);
}

/*
 * vmmon_test.h's unload_clean under this suite's own name: with /dev/vmmon
 * closed, no VM, vCPU or guest page is left, and the module unloads.
 */
VMMON_UNLOAD_TEST(unload_after_memory_freed)

int main(int argc, char **argv)
{
	return vmmon_test_main(argc, argv);
}
