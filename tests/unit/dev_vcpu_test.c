// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU thread's waits (vm/vcpu.c) with vmmon replaced by a fake
 * ioctl(): RUN returns the exit a test scripts, or sleeps like a guest
 * spinning until the kick signal sets immediate_exit, as vmmon's RUN
 * returns at once then.  The board's own kick and end (vm/board.c) wake
 * the thread, so what is tested is what vmctl runs, minus the module.
 *
 * What is checked: a vCPU halted with IF=0 (cli; hlt) sleeps through a
 * fixed interrupt, wakes for an NMI and hands it to vmmon (VMMON_NMI)
 * before its next RUN; and a vCPU halted with IF=0, or in RUN, ends
 * promptly when the VM ends (Ctrl-A x, SIGINT, a power-off).
 *
 * The Makefile's dev_%_test rule rebuilds this on a change of the test,
 * a header or a device model, not of vm/board.c or vm/vcpu.c: after
 * editing those, touch this file (or make -B the test).
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>

static int fake_ioctl(int fd, unsigned long req, ...);
#define ioctl fake_ioctl

#include "vm/board.c"
#include "vm/vcpu.c"

#undef ioctl

#include "vmmon_harness.h"

/* The board walks the vm_devices section, which needs one entry. */
static int no_device_init(struct vm *vm)
{
	(void)vm;
	return 0;
}

static const struct vm_device no_device = {
	.name = "none",
	.init = no_device_init,
};
VM_DEVICE(no_device);

#define NSEC_PER_MSEC		1000000ULL
/* How long a woken vCPU thread may take: generous for a loaded host. */
#define WAKE_LIMIT_NS		(2000 * NSEC_PER_MSEC)
#define POLL_NS			(1 * NSEC_PER_MSEC)

enum fake_run { RUN_HLT, RUN_SPIN };

static struct {
	struct vm vm;
	struct vm_options opts;
	struct vmmon_run run;
	enum fake_run next;		/* what the next RUN does */
	bool next_if;			/* RFLAGS.IF it reports */
	unsigned int runs;		/* RUNs begun */
	unsigned int nmis;		/* VMMON_NMIs */
	unsigned int nmis_at_run;	/* VMMON_NMIs when the last RUN began */
	unsigned int interrupts;	/* VMMON_INTERRUPTs */
} f;

void vmctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Neither the console nor the event loop's timer is part of the test. */
void vm_console_output(void *opaque, uint8_t byte)
{
	(void)opaque;
	(void)byte;
}

void vm_timer_update(struct vm *vm)
{
	(void)vm;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void nap(void)
{
	struct timespec ts = { .tv_nsec = POLL_NS };

	nanosleep(&ts, NULL);
}

/* A guest that never exits by itself: until a kick (or the end). */
static int fake_spin(void)
{
	while (!__atomic_load_n(&f.run.immediate_exit, __ATOMIC_SEQ_CST))
		nap();
	f.run.exit_reason = VMMON_EXIT_INTR;
	errno = EINTR;
	return -1;
}

/* RUN is called without the machine lock; everything else with it. */
static int fake_run(void)
{
	enum fake_run what;

	pthread_mutex_lock(&f.vm.lock);
	f.runs++;
	f.nmis_at_run = f.nmis;
	what = f.next;
	f.run.if_flag = f.next_if;
	f.run.ready_for_interrupt = f.next_if;
	pthread_mutex_unlock(&f.vm.lock);
	if (what == RUN_SPIN)
		return fake_spin();
	f.run.exit_reason = VMMON_EXIT_HLT;
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, ...)
{
	(void)fd;
	switch (req) {
	case VMMON_RUN:
		return fake_run();
	case VMMON_NMI:
		f.nmis++;
		return 0;
	case VMMON_INTERRUPT:
		f.interrupts++;
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

/* One vCPU, its LAPIC on the bus the way vm_apics() wires it. */
static void setup(enum fake_run first, bool if_flag)
{
	uint32_t svr = htole32(LAPIC_SVR_ENABLE | LAPIC_SVR_RESET);
	struct vcpu *v;

	memset(&f, 0, sizeof(f));
	f.next = first;
	f.next_if = if_flag;
	f.opts.nr_vcpus = 1;
	f.vm.opts = &f.opts;
	f.vm.end = VM_END_NONE;
	f.vm.wake_fd = -1;
	f.vm.nr_vcpus = 1;
	pthread_mutex_init(&f.vm.lock, NULL);
	pthread_cond_init(&f.vm.resume, NULL);
	vm_clock_init_fake(&f.vm.clock);
	pic_init(&f.vm.pic, vm_pic_output, &f.vm);
	f.vm.apic_bus.kick = vm_apic_kick;
	f.vm.apic_bus.init = vm_apic_init;
	f.vm.apic_bus.sipi = vm_apic_sipi;
	f.vm.apic_bus.opaque = &f.vm;
	v = &f.vm.vcpus[0];
	v->vm = &f.vm;
	v->run = &f.run;
	v->state = VCPU_RUNNABLE;
	pthread_cond_init(&v->wake, NULL);
	lapic_init(&v->lapic, 0, 0, &f.vm.apic_bus, &f.vm.clock);
	/* Enabled, as a guest that uses it: fixed interrupts get in. */
	lapic_mmio(&v->lapic, LAPIC_SVR, &svr, sizeof(svr), true);
}

/* Wait (lock not held) until @runs RUNs returned and the vCPU sleeps. */
static bool wait_asleep(unsigned int runs)
{
	uint64_t start = now_ns();
	bool asleep;

	do {
		pthread_mutex_lock(&f.vm.lock);
		/*
		 * Between RUN and its wait the thread holds the lock, so
		 * seeing it out of RUN here means it waits.
		 */
		asleep = f.runs == runs && !f.vm.vcpus[0].in_run;
		pthread_mutex_unlock(&f.vm.lock);
		if (asleep)
			return true;
		nap();
	} while (now_ns() - start < WAKE_LIMIT_NS);
	return false;
}

static bool wait_running(unsigned int runs)
{
	uint64_t start = now_ns();
	bool running;

	do {
		pthread_mutex_lock(&f.vm.lock);
		running = f.runs == runs && f.vm.vcpus[0].in_run;
		pthread_mutex_unlock(&f.vm.lock);
		if (running)
			return true;
		nap();
	} while (now_ns() - start < WAKE_LIMIT_NS);
	return false;
}

/* End the VM as Ctrl-A x does; the ns until the vCPU thread is gone. */
static uint64_t quit(void)
{
	uint64_t start = now_ns();

	pthread_mutex_lock(&f.vm.lock);
	vm_request_end(&f.vm, VM_END_QUIT, 0);
	pthread_mutex_unlock(&f.vm.lock);
	vm_vcpus_join(&f.vm);
	return now_ns() - start;
}

static void send_nmi(void)
{
	pthread_mutex_lock(&f.vm.lock);
	apic_bus_deliver(&f.vm.apic_bus, 0, false, APIC_DM_NMI, 0, false,
			 APIC_SH_NONE, 0);
	pthread_mutex_unlock(&f.vm.lock);
}

TEST(halted_cli_quits)
{
	setup(RUN_HLT, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_asleep(1));
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.runs, 1u);
	EXPECT_EQ(f.vm.end, VM_END_QUIT);
}

TEST(halted_cli_sleeps_through_interrupts)
{
	setup(RUN_HLT, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_asleep(1));
	pthread_mutex_lock(&f.vm.lock);
	apic_bus_deliver(&f.vm.apic_bus, 0, false, APIC_DM_FIXED, 0x40, false,
			 APIC_SH_NONE, 0);
	pthread_mutex_unlock(&f.vm.lock);
	/* IF=0: HLT goes on (the kick was a spurious wake-up). */
	nap();
	nap();
	EXPECT_TRUE(wait_asleep(1));
	EXPECT_EQ(lapic_pending(&f.vm.vcpus[0].lapic), 0x40);
	EXPECT_EQ(f.interrupts, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.runs, 1u);
}

/* cli; hlt waits for an NMI: it comes, and vmmon has it before RUN. */
TEST(halted_cli_nmi_wakes)
{
	setup(RUN_HLT, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_asleep(1));
	send_nmi();
	ASSERT_TRUE(wait_asleep(2));
	EXPECT_EQ(f.nmis, 1u);
	EXPECT_EQ(f.nmis_at_run, 1u);
	EXPECT_TRUE(!lapic_nmi_pending(&f.vm.vcpus[0].lapic));
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/* An NMI for a vCPU in guest code: the kick ends RUN, the NMI goes in. */
TEST(running_nmi_kicks)
{
	setup(RUN_SPIN, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(1));
	send_nmi();
	ASSERT_TRUE(wait_running(2));
	EXPECT_EQ(f.nmis, 1u);
	EXPECT_EQ(f.nmis_at_run, 1u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.vm.end, VM_END_QUIT);
}

TEST(running_quits)
{
	setup(RUN_SPIN, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(1));
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.runs, 1u);
}

TEST_HARNESS_MAIN
