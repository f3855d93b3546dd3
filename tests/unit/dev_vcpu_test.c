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
 * before its next RUN; a vCPU halted while vmmon holds an interrupt runs
 * again; a vCPU halted with IF=0, or in RUN, ends
 * promptly when the VM ends (Ctrl-A x, SIGINT, a power-off); the MSR
 * exits (vm/msr.c): IA32_APIC_BASE notices, x2APIC registers and their
 * #GPs, the TSC deadline against the guest's TSC (VMMON_GET_MSRS); the
 * xAPIC page as IA32_APIC_BASE places it; the PIC's INTR on LINT0.
 * Scripted exits come first, then RUN does what f.next says.
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

static int fake_ioctl(int fd, unsigned long req, ...);
#define ioctl fake_ioctl

#include "vm/board.c"
#include "vm/cpuid.c"
#include "vm/msr.c"
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
#define SCRIPT_MAX		16
#define GUEST_TSC		1000000000ULL	/* what GET_MSRS reads */
#define TSC_KHZ			2000000u	/* 2 GHz: 2 cycles a ns */

enum fake_run { RUN_HLT, RUN_SPIN };

static struct {
	struct vm vm;
	struct vm_options opts;
	struct vmmon_run run;
	enum fake_run next;		/* what the next RUN does */
	bool next_if;			/* RFLAGS.IF it reports */
	/* The next RUN says vmmon holds an interrupt: IF=1, not ready. */
	bool held_once;
	unsigned int runs;		/* RUNs begun */
	unsigned int nmis;		/* VMMON_NMIs */
	unsigned int nmis_at_run;	/* VMMON_NMIs when the last RUN began */
	unsigned int interrupts;	/* VMMON_INTERRUPTs */
	unsigned int get_msrs;		/* VMMON_GET_MSRS */
	struct cpuid_table cpuid;	/* the last VMMON_SET_CPUID */
	/* Exits RUN returns first, and the run page each was answered with. */
	struct vmmon_run script[SCRIPT_MAX];
	unsigned int nscript;
	struct vmmon_run answer[SCRIPT_MAX];
} f;

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

/* Until a kick: vmctl's signal handler sets immediate_exit. */
static void fake_wait_kick(void)
{
	while (!__atomic_load_n(&f.run.immediate_exit, __ATOMIC_SEQ_CST))
		nap();
}

/* A guest that never exits by itself: until a kick (or the end). */
static int fake_spin(void)
{
	fake_wait_kick();
	f.run.exit_reason = VMMON_EXIT_INTR;
	errno = EINTR;
	return -1;
}

/*
 * RUN is called without the machine lock; everything else with it.  The
 * exit a RUN returns is answered (msr.data, msr.error, mmio.data) when
 * the next RUN begins.
 */
static int fake_run(void)
{
	unsigned int n;
	enum fake_run what;

	pthread_mutex_lock(&f.vm.lock);
	n = f.runs++;
	if (n && n <= f.nscript)
		f.answer[n - 1] = f.run;
	f.nmis_at_run = f.nmis;
	what = f.next;
	f.run.if_flag = f.next_if;
	f.run.ready_for_interrupt = f.next_if && !f.held_once;
	f.held_once = false;
	pthread_mutex_unlock(&f.vm.lock);
	if (n < f.nscript) {
		f.run.exit_reason = f.script[n].exit_reason;
		memcpy(f.run.padding, f.script[n].padding,
		       sizeof(f.run.padding));
		/* vmmon's own TSC deadline, as the guest left it. */
		if (f.run.apic.flags & VMMON_APIC_TIMER_IN_KERNEL)
			f.run.apic.tsc_deadline = f.script[n].apic.tsc_deadline;
		return 0;
	}
	if (what == RUN_SPIN)
		return fake_spin();
	/* vmmon's HLT wait (VMMON_APIC_HLT_IN_KERNEL), then the HLT. */
	if ((f.run.apic.flags & VMMON_APIC_HLT_IN_KERNEL) &&
	    !f.run.request_interrupt_window)
		fake_wait_kick();
	f.run.exit_reason = VMMON_EXIT_HLT;
	return 0;
}

/* The guest's TSC, and no other MSR. */
static int fake_get_msrs(struct vmmon_msrs *m)
{
	unsigned int i;

	f.get_msrs++;
	for (i = 0; i < m->nmsrs; i++) {
		if (m->entries[i].index != MSR_IA32_TSC) {
			errno = EINVAL;
			return -1;
		}
		m->entries[i].data = GUEST_TSC;
	}
	return 0;
}

static int fake_ioctl(int fd, unsigned long req, ...)
{
	struct vmmon_msrs *msrs;
	struct vmmon_cpuid *cpuid;
	va_list ap;

	(void)fd;
	switch (req) {
	case VMMON_SET_CPUID:
		va_start(ap, req);
		cpuid = va_arg(ap, struct vmmon_cpuid *);
		va_end(ap);
		memcpy(&f.cpuid, cpuid, sizeof(f.cpuid));
		return 0;
	case VMMON_GET_MSRS:
		va_start(ap, req);
		msrs = va_arg(ap, struct vmmon_msrs *);
		va_end(ap);
		return fake_get_msrs(msrs);
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

/* One vCPU, its LAPIC and the I/O APIC wired by the board's vm_apics(). */
static void setup(enum fake_run first, bool if_flag)
{
	uint32_t svr = htole32(LAPIC_SVR_ENABLE | LAPIC_SVR_RESET);
	struct vcpu *v;

	memset(&f, 0, sizeof(f));
	f.next = first;
	f.next_if = if_flag;
	f.opts.nr_vcpus = 1;
	f.vm.opts = &f.opts;
	f.vm.tsc_khz = TSC_KHZ;
	f.vm.end = VM_END_NONE;
	f.vm.wake_fd = -1;
	f.vm.nr_vcpus = 1;
	pthread_mutex_init(&f.vm.lock, NULL);
	pthread_cond_init(&f.vm.resume, NULL);
	vm_clock_init_fake(&f.vm.clock);
	pic_init(&f.vm.pic, vm_pic_output, &f.vm);
	v = &f.vm.vcpus[0];
	v->vm = &f.vm;
	v->run = &f.run;
	v->state = VCPU_RUNNABLE;
	pthread_cond_init(&v->wake, NULL);
	vm_apics(&f.vm);
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

/*
 * sti; hlt with an interrupt vmmon holds (vmctl injected it while a
 * stale ready_for_interrupt said IF was 1; its vector is in ISR): the
 * vCPU must run again for vmmon to deliver it, not sleep, or every
 * later interrupt of that class or below waits behind it for ever.
 */
TEST(halted_with_an_interrupt_held_in_vmmon_runs_again)
{
	setup(RUN_HLT, true);
	f.held_once = true;
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	EXPECT_TRUE(wait_asleep(2));
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.runs, 2u);
}

TEST(running_quits)
{
	setup(RUN_SPIN, false);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(1));
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.runs, 1u);
}

/* Exits for RUN to return before it does what f.next says. */
static struct vmmon_run *script(uint32_t reason)
{
	struct vmmon_run *r;

	if (f.nscript == SCRIPT_MAX)
		abort();	/* a test longer than SCRIPT_MAX */
	r = &f.script[f.nscript++];
	r->exit_reason = reason;
	return r;
}

static void script_msr(uint32_t index, bool is_write, uint64_t data)
{
	struct vmmon_run *r = script(VMMON_EXIT_MSR);

	r->msr.index = index;
	r->msr.is_write = is_write;
	r->msr.data = data;
}

static void script_mmio_read(uint64_t addr)
{
	struct vmmon_run *r = script(VMMON_EXIT_MMIO);

	r->mmio.phys_addr = addr;
	r->mmio.len = 4;
}

static struct vmmon_run *script_mmio_write(uint64_t addr, uint32_t val)
{
	struct vmmon_run *r = script(VMMON_EXIT_MMIO);

	val = htole32(val);
	r->mmio.phys_addr = addr;
	r->mmio.len = 4;
	r->mmio.is_write = 1;
	memcpy(r->mmio.data, &val, sizeof(val));
	return r;
}

static uint32_t mmio_answer(unsigned int i)
{
	uint32_t v;

	memcpy(&v, f.answer[i].mmio.data, sizeof(v));
	return le32toh(v);
}

/* Run the script; the vCPU then sleeps in HLT. */
static bool run_script(void)
{
	return !vm_vcpus_start(&f.vm) && wait_asleep(f.nscript + 1);
}

static void lapic_wr(unsigned int reg, uint32_t val)
{
	val = htole32(val);
	lapic_mmio(&f.vm.vcpus[0].lapic, reg, &val, sizeof(val), true);
}

#define BASE_XAPIC	(LAPIC_MMIO_BASE | LAPIC_BASE_EN | LAPIC_BASE_BSP)
#define BASE_X2APIC	(BASE_XAPIC | LAPIC_BASE_EXTD)
#define X2APIC_ID	0x802
#define X2APIC_TPR	0x808
#define X2APIC_EOI	0x80b
#define X2APIC_LDR	0x80d
#define X2APIC_SVR	0x80f
#define X2APIC_ICR	0x830
#define X2APIC_SELF_IPI	0x83f

/* The APIC base notice switches modes; the x2APIC MSRs answer, or #GP. */
TEST(msr_x2apic)
{
	setup(RUN_HLT, false);
	script_msr(X2APIC_ID, false, 0);		/* xAPIC: #GP */
	script_msr(MSR_IA32_APIC_BASE, true, BASE_X2APIC);
	script_msr(X2APIC_ID, false, 0);
	script_msr(X2APIC_LDR, false, 0);
	script_msr(X2APIC_TPR, true, 0x20);
	script_msr(X2APIC_TPR, false, 0);
	script_msr(X2APIC_EOI, false, 0);		/* write-only: #GP */
	script_msr(X2APIC_TPR, true, 0x100);		/* reserved bit: #GP */
	script_msr(0x123, false, 0);			/* not the APIC's */
	script_msr(X2APIC_ICR, true, 0x00000000000400ffULL); /* self, 0xff */
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].msr.error, 1);
	EXPECT_TRUE(lapic_x2apic_mode(&f.vm.vcpus[0].lapic));
	EXPECT_EQ(f.answer[2].msr.error, 0);
	EXPECT_EQ(f.answer[2].msr.data, 0u);
	EXPECT_EQ(f.answer[3].msr.data, 1u);
	EXPECT_EQ(f.answer[4].msr.error, 0);
	EXPECT_EQ(f.answer[5].msr.data, 0x20u);
	EXPECT_EQ(f.answer[6].msr.error, 1);
	EXPECT_EQ(f.answer[7].msr.error, 1);
	EXPECT_EQ(f.answer[8].msr.error, 1);
	EXPECT_EQ(f.answer[9].msr.error, 0);
	EXPECT_EQ(lapic_pending(&f.vm.vcpus[0].lapic), 0xff);
	EXPECT_EQ(f.vm.lapic_msr_exits, 10u);
	EXPECT_EQ(f.vm.lapic_icr, 1u);			/* --stats by register */
	EXPECT_EQ(f.vm.lapic_eoi, 0u);			/* a read */
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/*
 * ISR, TMR and IRR live in the run page, where the module takes EOIs:
 * an interrupt the LAPIC accepts shows there, and the flag says so.
 */
TEST(apic_vectors_in_the_run_page)
{
	setup(RUN_HLT, false);
	EXPECT_EQ(f.run.apic.flags, (uint32_t)(VMMON_APIC_EOI_IN_KERNEL |
					       VMMON_APIC_ICR_IN_KERNEL));
	lapic_wr(LAPIC_ICR_LOW, (APIC_SH_SELF << LAPIC_ICR_SH_SHIFT) | 0x41);
	EXPECT_EQ(f.run.apic.irr[0x41 / 32], 1u << (0x41 % 32));
	EXPECT_EQ(lapic_pending(&f.vm.vcpus[0].lapic), 0x41);
	lapic_accept(&f.vm.vcpus[0].lapic, 0x41);
	EXPECT_EQ(f.run.apic.isr[0x41 / 32], 1u << (0x41 % 32));
	EXPECT_EQ(f.run.apic.irr[0x41 / 32], 0u);
	EXPECT_EQ(f.run.apic.icr_low,
		  (uint32_t)(APIC_SH_SELF << LAPIC_ICR_SH_SHIFT) | 0x41);
}

/* The xAPIC page goes with EN and the base: elsewhere, no device answers. */
TEST(msr_apic_base_moves_page)
{
	setup(RUN_HLT, false);
	script_msr(MSR_IA32_APIC_BASE, true, LAPIC_MMIO_BASE);	/* EN=0 */
	script_mmio_read(LAPIC_MMIO_BASE + LAPIC_VERSION);
	script_msr(MSR_IA32_APIC_BASE, true, BASE_XAPIC);
	script_mmio_read(LAPIC_MMIO_BASE + LAPIC_VERSION);
	script_msr(MSR_IA32_APIC_BASE, true, 0xfed00000 | LAPIC_BASE_EN);
	script_mmio_read(0xfed00000 + LAPIC_VERSION);
	script_mmio_read(LAPIC_MMIO_BASE + LAPIC_VERSION);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(mmio_answer(1), 0xffffffffu);
	EXPECT_EQ(mmio_answer(3), (uint32_t)LAPIC_VERSION_VALUE);
	EXPECT_EQ(mmio_answer(5), (uint32_t)LAPIC_VERSION_VALUE);
	EXPECT_EQ(mmio_answer(6), 0xffffffffu);
	EXPECT_EQ(f.vm.lapic_exits, 2u);
	EXPECT_EQ(f.vm.unclaimed_io, 2u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/*
 * IA32_TSC_DEADLINE: the guest's TSC is read (GET_MSRS) for a write in
 * TSC-deadline mode only; a past deadline interrupts before the next RUN.
 */
TEST(msr_tsc_deadline)
{
	struct lapic *l;

	setup(RUN_HLT, true);
	l = &f.vm.vcpus[0].lapic;
	script_msr(MSR_IA32_TSC_DEADLINE, true, GUEST_TSC);	/* one-shot */
	script_msr(MSR_IA32_TSC_DEADLINE, false, 0);
	script_msr(LAPIC_X2APIC_MSR_FIRST - 1, true, 0);	/* no such */
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.get_msrs, 0u);
	EXPECT_EQ(f.answer[1].msr.data, 0u);
	EXPECT_EQ(f.answer[1].msr.error, 0);
	EXPECT_EQ(f.answer[2].msr.error, 1);
	EXPECT_TRUE(!l->timer.armed);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	setup(RUN_HLT, true);
	l = &f.vm.vcpus[0].lapic;
	lapic_wr(LAPIC_LVT_TIMER, LAPIC_LVT_TSC_DEADLINE | 0xec);
	script_msr(MSR_IA32_TSC_DEADLINE, true, GUEST_TSC + 2000);
	script_msr(MSR_IA32_TSC_DEADLINE, false, 0);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.get_msrs, 1u);
	EXPECT_EQ(f.answer[1].msr.data, GUEST_TSC + 2000);
	/* 2000 cycles at 2 GHz: 1 us of the (fake) device clock. */
	EXPECT_TRUE(l->timer.armed);
	EXPECT_EQ(l->timer.deadline, 1000u);
	EXPECT_EQ(f.interrupts, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	setup(RUN_HLT, true);
	l = &f.vm.vcpus[0].lapic;
	lapic_wr(LAPIC_LVT_TIMER, LAPIC_LVT_TSC_DEADLINE | 0xec);
	script_msr(MSR_IA32_TSC_DEADLINE, true, GUEST_TSC + 2000);
	script_msr(MSR_IA32_TSC_DEADLINE, true, GUEST_TSC - 1);
	script_msr(MSR_IA32_TSC_DEADLINE, false, 0);
	script_msr(MSR_IA32_TSC_DEADLINE, true, 0);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.interrupts, 1u);
	EXPECT_EQ(f.answer[2].msr.data, 0u);
	/* Disarming needs no TSC. */
	EXPECT_EQ(f.get_msrs, 2u);
	EXPECT_TRUE(!l->timer.armed);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/*
 * The TSC deadline in vmmon (VMMON_APIC_TIMER_IN_KERNEL): handed over
 * in TSC-deadline mode only; VMMON_EXIT_APIC_TIMER raises the LVT's
 * vector; a deadline vmmon holds when the guest halts is timed by the
 * LAPIC, from the guest's TSC.
 */
TEST(tsc_deadline_in_vmmon)
{
	struct vmmon_run *r;
	struct lapic *l;

	setup(RUN_HLT, true);
	f.vm.apic_timer_in_kernel = true;
	l = &f.vm.vcpus[0].lapic;
	script(VMMON_EXIT_IRQ_WINDOW);
	ASSERT_TRUE(run_script());
	/* One-shot mode: the MSR stays vmctl's. */
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_TIMER_IN_KERNEL, 0u);
	EXPECT_EQ(f.interrupts, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	setup(RUN_HLT, true);
	f.vm.apic_timer_in_kernel = true;
	l = &f.vm.vcpus[0].lapic;
	lapic_wr(LAPIC_LVT_TIMER, LAPIC_LVT_TSC_DEADLINE | 0xec);
	script(VMMON_EXIT_APIC_TIMER);
	r = script(VMMON_EXIT_IRQ_WINDOW);
	r->apic.tsc_deadline = GUEST_TSC + 2000;
	ASSERT_TRUE(run_script());
	EXPECT_NE(f.answer[0].apic.flags & VMMON_APIC_TIMER_IN_KERNEL, 0u);
	EXPECT_EQ(f.interrupts, 1u);
	EXPECT_EQ(lapic_tsc_deadline_read(l), GUEST_TSC + 2000);
	/* Halted with it: 2000 cycles at 2 GHz, 1 us of the device clock. */
	EXPECT_EQ(f.get_msrs, 1u);
	EXPECT_TRUE(l->timer.armed);
	EXPECT_EQ(l->timer.deadline, 1000u);
	/* It fires there (the first in service no more): the vector. */
	pthread_mutex_lock(&f.vm.lock);
	lapic_wr(LAPIC_EOI, 0);
	vm_clock_fake_advance(&f.vm.clock, 1000);
	pthread_mutex_unlock(&f.vm.lock);
	ASSERT_TRUE(wait_asleep(4));
	EXPECT_EQ(f.interrupts, 2u);
	EXPECT_EQ(f.run.apic.tsc_deadline, 0u);
	EXPECT_TRUE(!l->timer.armed);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/*
 * Fixed x2APIC IPIs in vmmon (VMMON_APIC_IPI_IN_KERNEL): the flag is on
 * for the RUNs in which the LAPIC takes fixed interrupts in x2APIC mode,
 * where the module offers it; another vCPU's INIT clears it at once, not
 * when the RUN returns.
 */
TEST(ipi_in_vmmon_while_x2apic_enabled)
{
	struct lapic *l;

	setup(RUN_HLT, false);
	f.vm.apic_ipi_in_kernel = true;
	script(VMMON_EXIT_IRQ_WINDOW);
	script_msr(MSR_IA32_APIC_BASE, true, BASE_X2APIC);
	script_msr(X2APIC_SVR, true, 0xff);		/* software-disabled */
	script_msr(X2APIC_SVR, true, 0x1ff);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	EXPECT_NE(f.answer[1].apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	EXPECT_EQ(f.answer[2].apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	EXPECT_NE(f.answer[3].apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	/* HLT's wait in the module: not offered here. */
	EXPECT_EQ(f.answer[3].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	/* Offered: with the IPIs, and only with them. */
	setup(RUN_HLT, false);
	f.vm.apic_ipi_in_kernel = true;
	f.vm.hlt_wait_in_kernel = true;
	script(VMMON_EXIT_IRQ_WINDOW);
	script_msr(MSR_IA32_APIC_BASE, true, BASE_X2APIC);
	script_msr(X2APIC_SVR, true, 0xff);
	script_msr(X2APIC_SVR, true, 0x1ff);
	/* Its last HLT waits inside RUN. */
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(f.nscript + 1));
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_NE(f.answer[1].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_EQ(f.answer[2].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_NE(f.answer[3].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	/* A module without it. */
	setup(RUN_HLT, false);
	f.vm.hlt_wait_in_kernel = true;
	script_msr(MSR_IA32_APIC_BASE, true, BASE_X2APIC);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	setup(RUN_SPIN, false);
	f.vm.apic_ipi_in_kernel = true;
	l = &f.vm.vcpus[0].lapic;
	lapic_set_base(l, BASE_X2APIC);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(1));
	pthread_mutex_lock(&f.vm.lock);
	EXPECT_NE(f.run.apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	lapic_receive(l, APIC_DM_INIT, 0, false);
	EXPECT_EQ(f.run.apic.flags & VMMON_APIC_IPI_IN_KERNEL, 0u);
	pthread_mutex_unlock(&f.vm.lock);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/*
 * And in xAPIC mode (VMMON_CAP_XAPIC_IPI): the flag is on for the RUNs
 * in which the LAPIC is enabled with the APIC ID it was made with, and
 * the ICR is in the run page; flat_id follows LDR while DFR says flat
 * (and in x2APIC mode says not flat).
 */
#define FLAGS_IPI_HLT	(VMMON_APIC_IPI_IN_KERNEL | VMMON_APIC_HLT_IN_KERNEL)

TEST(ipi_in_vmmon_while_xapic_as_made)
{
	static const struct {
		unsigned int reg;
		uint32_t val;
		uint32_t flags, flat_id;	/* at the next RUN */
	} steps[] = {
		{ LAPIC_LDR, 0x02000000, FLAGS_IPI_HLT, 2 },
		{ LAPIC_DFR, 0x0fffffff, FLAGS_IPI_HLT, VMMON_APIC_NOT_FLAT },
		{ LAPIC_DFR, 0xffffffff, FLAGS_IPI_HLT, 2 },
		{ LAPIC_SVR, 0xff, 0, 0 },		/* software-disabled */
		{ LAPIC_SVR, 0x1ff, FLAGS_IPI_HLT, 2 },
		{ LAPIC_ID, 0x05000000, 0, 0 },		/* not as made */
		{ LAPIC_ID, 0, FLAGS_IPI_HLT, 2 },
	};
	const struct vmmon_run *a;
	unsigned int i;

	setup(RUN_HLT, false);
	f.vm.apic_ipi_in_kernel = true;
	f.vm.xapic_ipi_in_kernel = true;
	f.vm.hlt_wait_in_kernel = true;
	for (i = 0; i < ARRAY_SIZE(steps); i++)
		script_mmio_write(LAPIC_MMIO_BASE + steps[i].reg,
				  steps[i].val);
	script_msr(MSR_IA32_APIC_BASE, true, BASE_X2APIC);
	/* Its last HLT waits inside RUN. */
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(f.nscript + 1));
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		a = &f.answer[i];
		EXPECT_EQ(a->apic.flags & FLAGS_IPI_HLT, steps[i].flags)
			TH_LOG("step %u", i);
		/* Left as it was while the flag is off. */
		if (steps[i].flags)
			EXPECT_EQ(a->apic.flat_id, steps[i].flat_id)
				TH_LOG("step %u", i);
	}
	EXPECT_EQ(f.answer[i].apic.flags & FLAGS_IPI_HLT, FLAGS_IPI_HLT);
	EXPECT_EQ(f.answer[i].apic.flat_id, VMMON_APIC_NOT_FLAT);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	/* A module without it; the ICR not in the run page. */
	setup(RUN_HLT, false);
	f.vm.apic_ipi_in_kernel = true;
	f.vm.hlt_wait_in_kernel = true;
	script_mmio_write(LAPIC_MMIO_BASE + LAPIC_LDR, 0x01000000);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].apic.flags & FLAGS_IPI_HLT, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);

	setup(RUN_HLT, false);
	f.vm.xapic_ipi_in_kernel = true;
	f.run.apic.flags = VMMON_APIC_EOI_IN_KERNEL;
	script_mmio_write(LAPIC_MMIO_BASE + LAPIC_LDR, 0x01000000);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].apic.flags & FLAGS_IPI_HLT, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/* A fixed interrupt for vCPU 0 (the I/O APIC's, an MSI's). */
static void raise_fixed(void)
{
	apic_bus_deliver(&f.vm.apic_bus, 0, false, APIC_DM_FIXED, 0x40, false,
			 APIC_SH_NONE, 0);
}

/* The PIC's IRQ 1, through LINT0 in ExtINT mode. */
static void raise_pic(void)
{
	pic_set_irq(&f.vm.pic, 1, 1);
}

/*
 * The vCPU set up, started and halted inside RUN (the flag said so);
 * then @raise's interrupt, an NMI, then the end each reach it.
 */
static void woken_in_vmmon(struct __test_metadata *_metadata,
			   void (*raise)(void))
{
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_running(1));
	EXPECT_NE(f.run.apic.flags & VMMON_APIC_HLT_IN_KERNEL, 0u);
	pthread_mutex_lock(&f.vm.lock);
	raise();
	pthread_mutex_unlock(&f.vm.lock);
	ASSERT_TRUE(wait_running(2));
	EXPECT_EQ(f.interrupts, 1u);
	send_nmi();
	ASSERT_TRUE(wait_running(3));
	EXPECT_EQ(f.nmis, 1u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
	EXPECT_EQ(f.vm.end, VM_END_QUIT);
}

/*
 * A HLT that waits in vmmon (x2APIC, the module offers both) is inside
 * RUN: each of vmctl's wakers must signal its thread there, as a
 * condition variable no longer reaches it.  A fixed interrupt (the I/O
 * APIC's, an MSI's), an NMI, then the end.
 */
TEST(halted_in_vmmon_woken_by_signals)
{
	setup(RUN_HLT, true);
	f.vm.apic_ipi_in_kernel = true;
	f.vm.hlt_wait_in_kernel = true;
	lapic_set_base(&f.vm.vcpus[0].lapic, BASE_X2APIC);
	woken_in_vmmon(_metadata, raise_fixed);
}

/*
 * The same in xAPIC mode, where the HLT waits in vmmon too now (the
 * module takes xAPIC IPIs): the PIC's interrupt through LINT0 (ExtINT),
 * an NMI, then the end.
 */
TEST(halted_in_vmmon_xapic_woken_by_signals)
{
	setup(RUN_HLT, true);
	f.vm.xapic_ipi_in_kernel = true;
	f.vm.hlt_wait_in_kernel = true;
	lapic_wr(LAPIC_LVT_LINT0, APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	woken_in_vmmon(_metadata, raise_pic);
}

/*
 * A mode change while vmmon held the deadline: the LVT write (one-shot)
 * disarms it, the flag is off at the next RUN, and an APIC_TIMER exit
 * that still came raises nothing.
 */
TEST(tsc_deadline_mode_change_takes_it_back)
{
	struct vmmon_run *r;
	struct lapic *l;

	setup(RUN_HLT, true);
	f.vm.apic_timer_in_kernel = true;
	l = &f.vm.vcpus[0].lapic;
	lapic_wr(LAPIC_LVT_TIMER, LAPIC_LVT_TSC_DEADLINE | 0xec);
	r = script_mmio_write(LAPIC_MMIO_BASE + LAPIC_LVT_TIMER, 0xec);
	r->apic.tsc_deadline = GUEST_TSC + 2000;
	script(VMMON_EXIT_APIC_TIMER);
	script(VMMON_EXIT_IRQ_WINDOW);
	ASSERT_TRUE(run_script());
	EXPECT_EQ(f.answer[0].apic.flags & VMMON_APIC_TIMER_IN_KERNEL, 0u);
	EXPECT_EQ(f.answer[1].apic.flags & VMMON_APIC_TIMER_IN_KERNEL, 0u);
	EXPECT_EQ(lapic_tsc_deadline_read(l), 0u);
	EXPECT_EQ(f.interrupts, 0u);
	EXPECT_TRUE(!l->timer.armed);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/* The PIC's INTR is LINT0: in NMI mode, an NMI (vm_pic_output()). */
TEST(pic_intr_drives_lint0)
{
	setup(RUN_HLT, false);
	lapic_wr(LAPIC_LVT_LINT0, APIC_DM_NMI << LAPIC_LVT_DM_SHIFT);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_asleep(1));
	pthread_mutex_lock(&f.vm.lock);
	pic_set_irq(&f.vm.pic, 1, 1);
	pthread_mutex_unlock(&f.vm.lock);
	ASSERT_TRUE(wait_asleep(2));
	EXPECT_EQ(f.nmis, 1u);
	EXPECT_EQ(f.interrupts, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/* ExtINT (the early Linux boot): the vCPU takes the vector from the PIC. */
TEST(pic_intr_extint)
{
	setup(RUN_HLT, true);
	lapic_wr(LAPIC_LVT_LINT0, APIC_DM_EXTINT << LAPIC_LVT_DM_SHIFT);
	ASSERT_EQ(vm_vcpus_start(&f.vm), 0);
	ASSERT_TRUE(wait_asleep(1));
	pthread_mutex_lock(&f.vm.lock);
	pic_set_irq(&f.vm.pic, 1, 1);
	pthread_mutex_unlock(&f.vm.lock);
	ASSERT_TRUE(wait_asleep(2));
	EXPECT_EQ(f.interrupts, 1u);
	EXPECT_EQ(f.nmis, 0u);
	EXPECT_LT(quit(), WAKE_LIMIT_NS);
}

/* The CPUID leaf 1 that vm_cpuid_set() hands vmmon, for a TSC rate. */
static uint32_t cpuid1_ecx(uint32_t tsc_khz)
{
	unsigned int i;

	memset(&f, 0, sizeof(f));
	f.opts.nr_vcpus = 1;
	f.vm.opts = &f.opts;
	f.vm.tsc_khz = tsc_khz;
	f.vm.vcpus[0].vm = &f.vm;
	if (vm_cpuid_set(&f.vm, &f.vm.vcpus[0]))
		return 0;
	for (i = 0; i < f.cpuid.hdr.nent; i++)
		if (f.cpuid.e[i].function == 1)
			return f.cpuid.e[i].ecx;
	return 0;
}

/* The LAPIC's features: x2APIC always, TSC-deadline with a known rate. */
TEST(cpuid_offers_apic_features)
{
	uint32_t ecx = cpuid1_ecx(TSC_KHZ);

	EXPECT_NE(0u, ecx & C1_ECX_HYPERVISOR);
	EXPECT_NE(0u, ecx & C1_ECX_X2APIC);
	EXPECT_NE(0u, ecx & C1_ECX_TSC_DEADLINE);
	ecx = cpuid1_ecx(0);
	EXPECT_NE(0u, ecx & C1_ECX_X2APIC);
	EXPECT_EQ(0u, ecx & C1_ECX_TSC_DEADLINE);
	/* Whatever the host CPU has: vmctl's model has them. */
	EXPECT_EQ(apic_features(0, TSC_KHZ),
		  (uint32_t)(C1_ECX_X2APIC | C1_ECX_TSC_DEADLINE));
	EXPECT_EQ(apic_features(~0u, 0), ~(uint32_t)C1_ECX_TSC_DEADLINE);
}

TEST_HARNESS_MAIN
