// SPDX-License-Identifier: GPL-2.0
/*
 * Running guest code: real-mode guests written as machine code in this
 * file, run on a vCPU, with port I/O and HLT exits to this program, guest
 * RAM faulted in through EPT, MMIO exits for accesses outside RAM, and a
 * triple fault, an unhandled exit, an invalid guest state and a signal
 * each ending RUN the way the ABI says; two vCPUs and two VMs running at
 * once, and a process killed in the middle of RUN.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <asm/ldt.h>
#include <linux/perf_event.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define GUEST_RAM	(64 * 1024)
#define GUEST_CODE	VMMON_GUEST_CODE

static int guest_create(struct vmmon_guest *g, const uint8_t *code, size_t len)
{
	return vmmon_guest_create(g, dev, GUEST_RAM, code, len);
}

/* RUN ended with exit @reason; if not, show the exit it was. */
#define EXPECT_EXIT(run, reason)					\
	EXPECT_EQ((run)->exit_reason, (__u32)(reason))			\
		vmmon_show_exit(run)

/* mov dx,0x3f8; mov al,'h'; out dx,al; mov al,'i'; out dx,al;
 * in al,dx; mov bl,al; hlt */
static const uint8_t io_guest[] = {
	0xba, 0xf8, 0x03, 0xb0, 'h', 0xee, 0xb0, 'i', 0xee,
	0xec, 0x88, 0xc3, 0xf4,
};

VMMON_TEST(port_io_and_hlt)
{
	struct vmmon_regs regs;
	struct vmmon_guest g;
	const char *want = "hi";
	int i;

	ASSERT_OK(guest_create(&g, io_guest, sizeof(io_guest)));
	for (i = 0; i < 2; i++) {
		ASSERT_OK(vmmon_guest_run(&g));
		EXPECT_EXIT(g.run, VMMON_EXIT_IO);
		EXPECT_EQ(g.run->io.port, 0x3f8);
		EXPECT_EQ(g.run->io.size, 1);
		EXPECT_EQ(g.run->io.direction, VMMON_IO_OUT);
		EXPECT_EQ(((uint8_t *)g.run)[g.run->io.data_offset], want[i]);
	}
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_IO);
	EXPECT_EQ(g.run->io.direction, VMMON_IO_IN);
	((uint8_t *)g.run)[g.run->io.data_offset] = 0x42;
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_HLT);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rbx & 0xff, 0x42u);	/* the IN got our byte */
	EXPECT_EQ(regs.rip, GUEST_CODE + sizeof(io_guest));
	vmmon_guest_destroy(&g);
}

/* mov ax,[0x2000]; add ax,ax; mov [0x2002],ax; hlt */
static const uint8_t mem_guest[] = {
	0xa1, 0x00, 0x20, 0x01, 0xc0, 0xa3, 0x02, 0x20, 0xf4,
};

VMMON_TEST(guest_and_host_share_ram)
{
	struct vmmon_vm_stats st;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, mem_guest, sizeof(mem_guest)));
	g.ram[0x2000] = 0x34;
	g.ram[0x2001] = 0x12;
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_HLT);
	EXPECT_EQ(g.ram[0x2002] | g.ram[0x2003] << 8, 0x2468);
	ASSERT_OK(ioctl(g.vm, VMMON_GET_VM_STATS, &st));
	EXPECT_EQ(st.pages_resident, 2u);	/* code page and data page */
	vmmon_guest_destroy(&g);
}

/*
 * mov ax,0xf000; mov ds,ax; mov al,[0]; mov [2],al; mov word [4],0x1234;
 * hlt: 0xf0000 is not RAM, so each access is an MMIO exit.
 */
static const uint8_t mmio_guest[] = {
	0xb8, 0x00, 0xf0, 0x8e, 0xd8, 0xa0, 0x00, 0x00, 0xa2, 0x02, 0x00,
	0xc7, 0x06, 0x04, 0x00, 0x34, 0x12, 0xf4,
};

static void expect_mmio(struct __test_metadata *_metadata,
			const struct vmmon_run *run, uint64_t addr,
			unsigned int len, int is_write)
{
	EXPECT_EXIT(run, VMMON_EXIT_MMIO);
	EXPECT_EQ(run->mmio.phys_addr, addr);
	EXPECT_EQ(run->mmio.len, len);
	EXPECT_EQ(run->mmio.is_write, is_write);
}

VMMON_TEST(mmio_read_and_write)
{
	struct vmmon_vcpu_stats stats;
	struct vmmon_regs regs;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, mmio_guest, sizeof(mmio_guest)));
	ASSERT_OK(vmmon_guest_run(&g));
	expect_mmio(_metadata, g.run, 0xf0000, 1, 0);
	g.run->mmio.data[0] = 0x5a;	/* what the guest's load reads */
	ASSERT_OK(vmmon_guest_run(&g));
	expect_mmio(_metadata, g.run, 0xf0002, 1, 1);
	EXPECT_EQ(g.run->mmio.data[0], 0x5a);
	ASSERT_OK(vmmon_guest_run(&g));
	expect_mmio(_metadata, g.run, 0xf0004, 2, 1);
	EXPECT_EQ(g.run->mmio.data[0] | g.run->mmio.data[1] << 8, 0x1234);
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_HLT);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rax, 0xf05au);	/* AL loaded, AH kept */
	EXPECT_EQ(regs.rip, GUEST_CODE + sizeof(mmio_guest));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &stats));
	EXPECT_EQ(stats.exits.count[VMMON_STAT_EXIT_MMIO], 3u);
	EXPECT_EQ(stats.exits.count[VMMON_STAT_EXIT_HLT], 1u);
	vmmon_guest_destroy(&g);
}

/* int3 with an IDT limit of 0: #GP, #DF, then a triple fault. */
static const uint8_t fault_guest[] = { 0xcc, 0xf4 };

VMMON_TEST(triple_fault_is_shutdown)
{
	struct vmmon_sregs sregs;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, fault_guest, sizeof(fault_guest)));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.idt.limit = 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_SHUTDOWN);
	vmmon_guest_destroy(&g);
}

/*
 * An unusable TR is a state VT-x refuses to enter and SET_SREGS lets
 * through: the entry fails, RUN says so, and the host carries on.
 */
VMMON_TEST(invalid_state_fails_entry)
{
	struct vmmon_sregs sregs;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, io_guest, sizeof(io_guest)));
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.tr.unusable = 1;		/* VM entry wants a usable TR */
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_FAIL_ENTRY);
	ksft_print_msg("failed entry: reason %#x, qualification %llu\n",
		       g.run->fail_entry.hw_reason,
		       (unsigned long long)g.run->fail_entry.qualification);
	EXPECT_NE(0u, g.run->fail_entry.hw_reason & 0x80000000u);
	/* The same vCPU runs again once its state is valid. */
	sregs.tr.unusable = 0;
	ASSERT_OK(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_IO);
	vmmon_guest_destroy(&g);
}

static void on_alarm(int sig)
{
	(void)sig;
	vmmon_run_interrupt();
}

/* jmp $: spins until a signal ends RUN. */
static const uint8_t spin_guest[] = { 0xeb, 0xfe };

VMMON_TEST(signal_interrupts_run)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct vmmon_regs regs;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, spin_guest, sizeof(spin_guest)));
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_ERRNO(vmmon_guest_run(&g), EINTR);
	EXPECT_EXIT(g.run, VMMON_EXIT_INTR);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rip, (__u64)GUEST_CODE);
	vmmon_guest_destroy(&g);
}

/* mov ecx,0x1000000; l: dec ecx; jnz l; hlt: 32 Mi guest instructions */
#define COUNTED_GUEST_INSNS	(2ULL << 24)
static const uint8_t counted_guest[] = {
	0x66, 0xb9, 0x00, 0x00, 0x00, 0x01, 0x66, 0x49, 0x75, 0xfc, 0xf4,
};

/* Instructions this thread retired over one RUN of @g, as perf counts. */
static long long insns_over_run(struct __test_metadata *_metadata,
				struct vmmon_guest *g, int exclude_guest)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1,
		.exclude_guest = exclude_guest,
	};
	long long count = -1;
	int fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd < 0)
		return -1;
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	EXPECT_EQ(vmmon_guest_run(g), 0);
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	EXPECT_EXIT(g->run, VMMON_EXIT_HLT);
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		count = -1;
	close(fd);
	return count;
}

/*
 * A host perf event that excludes the guest does not count the guest's
 * instructions, one that does not exclude it does (review kmod.md
 * section 3: the PMU was not switched).  Needs a hardware PMU, which
 * the emulated PCs lack: check-host.
 */
VMMON_TEST(host_perf_counts_exclude_the_guest)
{
	long long with, without;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, counted_guest, sizeof(counted_guest)));
	with = insns_over_run(_metadata, &g, 0);
	if (with < 0) {
		vmmon_guest_destroy(&g);
		SKIP(return, "host_perf_counts_exclude_the_guest: no hardware PMU (check-host)");
	}
	vmmon_guest_destroy(&g);
	ASSERT_OK(guest_create(&g, counted_guest, sizeof(counted_guest)));
	without = insns_over_run(_metadata, &g, 1);
	ksft_print_msg("instructions over a RUN of %llu guest instructions: %lld counting the guest, %lld excluding it\n",
		       COUNTED_GUEST_INSNS, with, without);
	EXPECT_GE(with, (long long)COUNTED_GUEST_INSNS);
	EXPECT_LT(without, (long long)COUNTED_GUEST_INSNS / 16);
	vmmon_guest_destroy(&g);
}

/*
 * Limits the kernel enforces on the way back to user mode (review kmod.md
 * F14): on x86 a POSIX CPU timer or RLIMIT_CPU fires from task work that
 * runs only there, and a guest spinning on `jmp .` never needs
 * userspace.  RUN must come back for that work: the thread's CPU-time
 * timer interrupts it, and RLIMIT_CPU ends the process.
 */
VMMON_TEST(cpu_time_timer_interrupts_run)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM,
	};
	struct itimerspec its = { .it_value = { .tv_nsec = 200000000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct vmmon_guest g;
	timer_t timer;

	ASSERT_OK(guest_create(&g, spin_guest, sizeof(spin_guest)));
	sigaction(SIGALRM, &sa, NULL);
	ASSERT_OK(timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer));
	ASSERT_OK(timer_settime(timer, 0, &its, NULL));
	EXPECT_ERRNO(vmmon_guest_run(&g), EINTR);
	EXPECT_EXIT(g.run, VMMON_EXIT_INTR);
	timer_delete(timer);
	vmmon_guest_destroy(&g);
}

VMMON_TEST(rlimit_cpu_ends_spinning_guest)
{
	struct rlimit lim = { .rlim_cur = 1, .rlim_max = 2 };
	struct timespec tick = { .tv_nsec = 100000000 };
	struct vmmon_guest g;
	int status = 0, i;
	pid_t pid, done = 0;

	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		if (setrlimit(RLIMIT_CPU, &lim) ||
		    guest_create(&g, spin_guest, sizeof(spin_guest)))
			_exit(2);
		while (!vmmon_guest_run(&g) || errno == EINTR)
			;
		_exit(3);	/* RUN failed otherwise */
	}
	/* One second of CPU time, then SIGXCPU: give it twenty. */
	for (i = 0; i < 200 && !done; i++) {
		nanosleep(&tick, NULL);
		done = waitpid(pid, &status, WNOHANG);
	}
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	EXPECT_NE(0, done) TH_LOG("the child ran 20 s past RLIMIT_CPU");
	EXPECT_TRUE(WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU ||
					    WTERMSIG(status) == SIGKILL))
		TH_LOG("child status %#x", status);
}

/*
 * VM exit nulls FS, GS and LDTR (review kmod.md F11); a 32-bit VMM keeps
 * its TLS in %gs, and a task with an LDT (Wine, DOS emulators) its
 * segments there.  This 64-bit program puts a data segment in its LDT and
 * %gs on it (glibc's 64-bit TLS is in %fs), runs a guest, and must find
 * both still there.
 */
VMMON_TEST(user_segments_survive_run)
{
	struct user_desc d = {
		.entry_number = 0, .limit = 0xfffff, .seg_32bit = 1,
		.limit_in_pages = 1, .useable = 1,
	};
	const unsigned short sel = 0 << 3 | 4 | 3;	/* LDT entry 0, RPL 3 */
	unsigned short gs;
	unsigned char lsl_ok;
	unsigned int limit;
	struct vmmon_guest g;

	ASSERT_OK(guest_create(&g, io_guest, sizeof(io_guest)));
	ASSERT_OK(syscall(SYS_modify_ldt, 1, &d, sizeof(d)));
	asm volatile("mov %0, %%gs" : : "r" (sel));
	ASSERT_OK(vmmon_guest_run(&g));
	asm volatile("mov %%gs, %0" : "=r" (gs));
	asm volatile("lsl %2, %0; setz %1" : "=r" (limit), "=q" (lsl_ok)
		     : "r" ((unsigned int)sel));
	asm volatile("mov %0, %%gs" : : "r" (0));
	EXPECT_EXIT(g.run, VMMON_EXIT_IO);
	EXPECT_EQ(gs, sel);
	EXPECT_EQ(lsl_ok, 1) TH_LOG("LSL finds no LDT entry 0 after RUN");
	vmmon_guest_destroy(&g);
}

/*
 * The host's CR4 changed while a vCPU ran (review kmod.md F12): allowing
 * RDPMC to all sets CR4.PCE on every CPU by IPI, which a CPU in RUN takes
 * between two exits.  VM exit must load the new CR4, or RDPMC faults in
 * user mode once RUN returns.  A child spins in the guest, the sysfs knob
 * flips meanwhile, a timer ends RUN, and the child executes RDPMC.
 */
#define RDPMC_KNOB	"/sys/bus/event_source/devices/cpu/rdpmc"

VMMON_TEST(host_cr4_change_during_run_kept)
{
	struct itimerval it = { .it_value = { .tv_usec = 500000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct timespec wait = { .tv_nsec = 100000000 };
	struct vmmon_guest g;
	long old = read_long_file(RDPMC_KNOB);
	int status;
	pid_t pid;

	if (old < 0)
		SKIP(return, "host_cr4_change_during_run_kept: no " RDPMC_KNOB
		     " (the CPU has no PMU): needs a real host");
	ASSERT_OK(write_file(RDPMC_KNOB, "1"));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		if (guest_create(&g, spin_guest, sizeof(spin_guest)))
			_exit(2);
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		if (!vmmon_guest_run(&g) || errno != EINTR)
			_exit(3);
		__builtin_ia32_rdpmc(0);	/* SIGSEGV if CR4.PCE was lost */
		_exit(0);
	}
	nanosleep(&wait, NULL);			/* the child is in RUN */
	EXPECT_EQ(0, write_file(RDPMC_KNOB, "2"));
	waitpid(pid, &status, 0);
	write_file(RDPMC_KNOB, old == 2 ? "2" : old == 0 ? "0" : "1");
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x (signal 11: RDPMC faulted)", status);
}

/*
 * An NMI that exits a running guest reaches the host's NMI handler
 * (review kmod.md F3; the FRED path needs a FRED host: check-host).  A
 * child spins in a guest on CPU 1; SysRq-l sends every other CPU an NMI
 * for a backtrace, which CPU 1 must print.  The NMI may also land while
 * CPU 1 is in the host (a timer interrupt, an exit): up to NMI_TRIES
 * children, until one's vCPU exited for it (NMI exits count as "other").
 */
#define NMI_TRIES	5

/* One try: the NMI exits of a child's spinning guest; -1 on failure. */
static long nmi_try(struct __test_metadata *_metadata)
{
	struct itimerval it = { .it_value = { .tv_sec = 1 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct timespec wait = { .tv_nsec = 300000000 };
	struct vmmon_vcpu_stats st;
	struct vmmon_guest g;
	uint64_t other = 0;
	int fds[2], status, mark;
	cpu_set_t set;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		if (sched_setaffinity(0, sizeof(set), &set) ||
		    guest_create(&g, spin_guest, sizeof(spin_guest)))
			_exit(2);
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		if (!vmmon_guest_run(&g) || errno != EINTR ||
		    ioctl(g.vcpu, VMMON_GET_VCPU_STATS, &st))
			_exit(3);
		other = st.exits.count[VMMON_STAT_EXIT_OTHER];
		_exit(write(fds[1], &other, sizeof(other)) == sizeof(other) ?
		      0 : 4);
	}
	close(fds[1]);
	nanosleep(&wait, NULL);			/* the child is in the guest */
	mark = log_mark();
	EXPECT_EQ(0, write_file("/proc/sysrq-trigger", "l"));
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status %#x", status);
	EXPECT_TRUE(log_since(mark, "NMI backtrace for cpu 1"));
	if (read(fds[0], &other, sizeof(other)) != sizeof(other))
		other = -1;
	close(fds[0]);
	return other;
}

VMMON_TEST(nmi_in_guest_reaches_the_host)
{
	long other = 0;
	int i;

	if (online_cpus() < 2)
		SKIP(return, "nmi_in_guest_reaches_the_host: needs 2 CPUs");
	for (i = 0; i < NMI_TRIES && other == 0; i++)
		other = nmi_try(_metadata);
	ksft_print_msg("NMI exits %ld after %d tries\n", other, i);
	EXPECT_GE(other, 1);
}

VMMON_TEST(vcpu_ioctls_validate)
{
	struct vmmon_sregs sregs;
	struct vmmon_guest g;
	void *p;

	ASSERT_OK(guest_create(&g, io_guest, sizeof(io_guest)));
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_RUN, 1), EINVAL);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_REGS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_REGS, (void *)1), EFAULT);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_GET_SREGS, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, NULL), EFAULT);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	sregs.cs.pad = 1;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cs.pad = 0;
	sregs.cr4 = 1 << 13;			/* VMXE is the host's */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cr4 = 1 << 23;			/* CET: not given */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cr4 = 1ULL << 32;			/* FRED: not given */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	/* What VM entry refuses, refused here (review kmod.md §3). */
	sregs.cr4 = 0;
	sregs.cr0 = 0x80000000;			/* PG without PE */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cr0 = 0x80000001;			/* PG and PE, ... */
	sregs.efer = 1 << 8;			/* ... LME without LMA */
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cr0 = 1;				/* LMA without paging */
	sregs.efer = 1 << 10;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	sregs.cr0 = 0x80000001;			/* LMA, LME, PG, no PAE */
	sregs.efer = 1 << 10 | 1 << 8;
	EXPECT_ERRNO(ioctl(g.vcpu, VMMON_SET_SREGS, &sregs), EINVAL);
	EXPECT_ERRNO(ioctl(g.vm, VMMON_RUN, 0), ENOTTY);
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, g.vcpu, 0);
	EXPECT_TRUE(p == MAP_FAILED && errno == EINVAL);
	vmmon_guest_destroy(&g);
}

#define COUNT_TO	200000

/* mov ecx,COUNT_TO; l: inc dword [bx]; dec ecx; jnz l; hlt */
static const uint8_t count_guest[] = {
	0x66, 0xb9, COUNT_TO & 0xff, (COUNT_TO >> 8) & 0xff, COUNT_TO >> 16, 0,
	0x66, 0xff, 0x07, 0x66, 0x49, 0x75, 0xf9, 0xf4,
};

struct runner {
	int vcpu;
	struct vmmon_run *run;
	int ok;
};

static void *run_to_hlt(void *arg)
{
	struct runner *r = arg;

	r->ok = vmmon_vcpu_run(r->vcpu, r->run) == 0 &&
		r->run->exit_reason == VMMON_EXIT_HLT;
	return NULL;
}

/* Start each runner on its own thread; 0 when all reached HLT. */
static int run_all(struct runner *r, int n)
{
	pthread_t t[4];
	int i, bad = 0;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, run_to_hlt, &r[i]))
			return -1;
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		bad += !r[i].ok;
	}
	return bad ? -1 : 0;
}

static int set_rbx(int vcpu, uint64_t rbx)
{
	struct vmmon_regs regs;

	if (ioctl(vcpu, VMMON_GET_REGS, &regs))
		return -1;
	regs.rbx = rbx;
	return ioctl(vcpu, VMMON_SET_REGS, &regs);
}

/* Two vCPUs of one VM run at once, each counting in its own word. */
VMMON_TEST(two_vcpus_run_at_once)
{
	struct vmmon_create_vcpu c = { .id = 1 };
	struct vmmon_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	struct vmmon_sregs sregs;
	struct runner r[2];
	struct vmmon_guest g;
	uint32_t n0, n1;

	ASSERT_OK(guest_create(&g, count_guest, sizeof(count_guest)));
	r[0] = (struct runner){ .vcpu = g.vcpu, .run = g.run };
	r[1].vcpu = ioctl(g.vm, VMMON_CREATE_VCPU, &c);
	ASSERT_OK(r[1].vcpu);
	r[1].run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			r[1].vcpu, 0);
	ASSERT_TRUE(r[1].run != MAP_FAILED);
	ASSERT_OK(ioctl(g.vcpu, VMMON_GET_SREGS, &sregs));
	ASSERT_OK(ioctl(r[1].vcpu, VMMON_SET_SREGS, &sregs));
	regs.rbx = 0x2004;
	ASSERT_OK(ioctl(r[1].vcpu, VMMON_SET_REGS, &regs));
	ASSERT_OK(set_rbx(g.vcpu, 0x2000));
	EXPECT_EQ(run_all(r, 2), 0);
	memcpy(&n0, g.ram + 0x2000, 4);
	memcpy(&n1, g.ram + 0x2004, 4);
	EXPECT_EQ(n0, (uint32_t)COUNT_TO);
	EXPECT_EQ(n1, (uint32_t)COUNT_TO);
	munmap(r[1].run, 4096);
	close(r[1].vcpu);
	vmmon_guest_destroy(&g);
}

/* Two VMs count at the same guest address at once: each sees only its own. */
VMMON_TEST(two_vms_isolated_while_running)
{
	struct vmmon_guest g[2];
	struct runner r[2];
	uint32_t n;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_OK(guest_create(&g[i], count_guest, sizeof(count_guest)));
		ASSERT_OK(set_rbx(g[i].vcpu, 0x2000));
		r[i] = (struct runner){ .vcpu = g[i].vcpu, .run = g[i].run };
	}
	EXPECT_EQ(run_all(r, 2), 0);
	for (i = 0; i < 2; i++) {
		memcpy(&n, g[i].ram + 0x2000, 4);
		EXPECT_EQ(n, (uint32_t)COUNT_TO);
		vmmon_guest_destroy(&g[i]);
	}
}

#define KILL_RAM	(32 << 20)
#define KILL_ROUNDS	3

/* A child with KILL_RAM of guest RAM, all touched, killed in RUN; 0 if so. */
static int kill_one_mid_run(struct __test_metadata *_metadata)
{
	struct vmmon_guest g;
	int pipefd[2], status, i;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (vmmon_guest_create(&g, dev, KILL_RAM, spin_guest,
				       sizeof(spin_guest)))
			_exit(1);
		memset(g.ram + 0x10000, 0x5a, KILL_RAM - 0x10000);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		vmmon_guest_run(&g);
		_exit(2);	/* never: only SIGKILL ends this RUN */
	}
	close(pipefd[1]);
	i = read(pipefd[0], &c, 1);
	close(pipefd[0]);
	usleep(200000);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	kill(pid, SIGKILL);
	if (i != 1 || waitpid(pid, &status, 0) != pid ||
	    !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return -1;
	/* The last fput runs as the task exits; allow it a moment. */
	for (i = 0; i < 50 && vmmon_counter("vms"); i++)
		usleep(20000);
	return 0;
}

/*
 * A process killed while its vCPU runs (a guest that never exits to
 * userspace) leaves nothing behind: VM, vCPU and guest pages are freed,
 * and the system's memory comes back.  Judged as vmmon_mem judges its
 * killed VMs: a leak lowers MemAvailable by the guest's size every
 * round, 6.12's per-CPU page lists by a few MiB once in a while.
 */
VMMON_TEST(killed_mid_run_frees_all)
{
	long avail[KILL_ROUNDS];
	int round;

	for (round = 0; round < KILL_ROUNDS; round++) {
		ASSERT_OK(kill_one_mid_run(_metadata));
		EXPECT_EQ(vmmon_counter("vms"), 0);
		EXPECT_EQ(vmmon_counter("vcpus"), 0);
		EXPECT_EQ(vmmon_counter("guest_pages"), 0);
		avail[round] = meminfo_kb("MemAvailable");
	}
	ksft_print_msg("MemAvailable after each of three %d MiB guests killed in RUN: %ld, %ld, %ld kB\n",
		       KILL_RAM >> 20, avail[0], avail[1], avail[2]);
	EXPECT_TRUE(avail[0] - avail[1] < (KILL_RAM >> 11) ||
		    avail[1] - avail[2] < (KILL_RAM >> 11));
}

static sigjmp_buf io_fault;

static void on_sigsegv(int sig)
{
	(void)sig;
	siglongjmp(io_fault, 1);
}

/*
 * A VM exit leaves the CPU's TSS limit without the I/O bitmap; a process
 * that was given ports with ioperm() must still reach them after its
 * vCPU ran (vmmon has the limit reloaded, as KVM does).
 */
VMMON_TEST(ioperm_works_after_guest_ran)
{
	struct sigaction sa = { .sa_handler = on_sigsegv }, old;
	struct vmmon_guest g;
	volatile int faulted = 0;

	if (ioperm(0x80, 1, 1))
		SKIP(return, "ioperm(0x80): %s, so no port to try after a guest ran",
		     strerror(errno));
	ASSERT_OK(guest_create(&g, io_guest, sizeof(io_guest)));
	ASSERT_OK(vmmon_guest_run(&g));
	EXPECT_EXIT(g.run, VMMON_EXIT_IO);
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(io_fault, 1) == 0)
		asm volatile("outb %%al, $0x80" : : "a"(0));
	else
		faulted = 1;
	sigaction(SIGSEGV, &old, NULL);
	EXPECT_EQ(faulted, 0);
	ioperm(0x80, 1, 0);
	vmmon_guest_destroy(&g);
}

VMMON_TEST_MAIN
