// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmmon and VM objects: the ioctls and their bad input, VMX root
 * operation following the VMs (and CPU hotplug, suspend, another
 * hypervisor), and no leak over many VMs.  Loads vmmon.ko if it is not
 * loaded; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

/*
 * An informational "# ..." line on stdout, flushed at once: the harness
 * ends each test's process with _exit(), which drops what stdio still
 * holds (stdout is a pipe under make check-host).
 */
#define SHOW(fmt, ...) do {						\
	ksft_print_msg(fmt "\n", ##__VA_ARGS__);			\
	fflush(stdout);							\
} while (0)

/* The longest loop here, 2,100 VMs: as long as the whole suite may take. */
#define LONG_TIMEOUT	300

VMMON_TEST(device_node)
{
	char path[] = VMMON_SYSFS "dev";
	unsigned int maj, min;
	struct stat st;
	FILE *f;

	ASSERT_OK(stat(VMMON_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	f = fopen(path, "re");
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(fscanf(f, "%u:%u", &maj, &min), 2);
	fclose(f);
	EXPECT_EQ(major(st.st_rdev), maj);
	EXPECT_EQ(minor(st.st_rdev), min);
}

VMMON_TEST(api_version)
{
	struct vmmon_version ver = { .api = 0xdead, .pad = 0xbeef };

	ASSERT_OK(ioctl(dev, VMMON_GET_API_VERSION, &ver));
	EXPECT_EQ(ver.api, (__u32)VMMON_API_VERSION);
	EXPECT_EQ(ver.pad, 0U);
}

static long query_cap(__u32 cap)
{
	struct vmmon_cap_query q = { .cap = cap, .value = 0xdead };

	if (ioctl(dev, VMMON_CHECK_CAP, &q))
		return -1;
	return q.value;
}

VMMON_TEST(check_cap_matches_cpu)
{
	struct vmmon_cap_query q = { .cap = VMMON_CAP_NR_CPUS, .pad = 1 };

	EXPECT_EQ(query_cap(VMMON_CAP_NR_CPUS), online_cpus());
	EXPECT_EQ(query_cap(0), 0);
	EXPECT_EQ(query_cap(0xffffffff), 0);
	EXPECT_ERRNO(ioctl(dev, VMMON_CHECK_CAP, &q), EINVAL);
	if (!cpuinfo_has_vmx_flags_line()) {
		/* A SKIP would hide a failed check: the harness counts it passed. */
		if (!_metadata->passed)
			return;
		SKIP(return, "check_cap_matches_cpu: no \"vmx flags\" in /proc/cpuinfo to compare with");
	}
	EXPECT_EQ(query_cap(VMMON_CAP_EPT_AD_BITS), cpuinfo_has_flag("ept_ad"));
	EXPECT_EQ(query_cap(VMMON_CAP_EPT_1G_PAGES), cpuinfo_has_flag("ept_1gb"));
	EXPECT_TRUE(query_cap(VMMON_CAP_EPT_2M_PAGES) >= 0);
}

VMMON_TEST(unknown_ioctl_enotty)
{
	int vm = vmmon_create_vm(dev);
	struct vmmon_version ver;
	__u32 narrow;

	ASSERT_OK(vm);
	EXPECT_ERRNO(ioctl(dev, _IO(VMMON_IOCTL_TYPE, 0x7f)), ENOTTY);
	/* Right number, wrong size: a different command. */
	EXPECT_ERRNO(ioctl(dev, _IOR(VMMON_IOCTL_TYPE, 0x00, __u32), &narrow), ENOTTY);
	EXPECT_ERRNO(ioctl(dev, _IOR('Z', 0x00, struct vmmon_version), &ver), ENOTTY);
	/* System ioctls mean nothing on a VM fd. */
	EXPECT_ERRNO(ioctl(vm, VMMON_GET_API_VERSION, &ver), ENOTTY);
	EXPECT_ERRNO(ioctl(vm, VMMON_CREATE_VM, &ver), ENOTTY);
	close(vm);
}

VMMON_TEST(bad_pointer_efault)
{
	void *bad[4] = { NULL, (void *)1, (void *)0xffff888000000000UL };
	const unsigned long cmds[] = {
		VMMON_GET_API_VERSION, VMMON_CHECK_CAP, VMMON_CREATE_VM,
	};
	void *ro;
	int i, j;

	/* A page that was mapped and is no longer. */
	bad[3] = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(bad[3] != MAP_FAILED);
	munmap(bad[3], 4096);
	for (i = 0; i < 3; i++)
		for (j = 0; j < 4; j++)
			EXPECT_ERRNO(ioctl(dev, cmds[i], bad[j]), EFAULT);

	/* Output into read-only memory. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro != MAP_FAILED);
	EXPECT_ERRNO(ioctl(dev, VMMON_GET_API_VERSION, ro), EFAULT);
	munmap(ro, 4096);
	EXPECT_EQ(vmmon_counter("vms"), 0);
}

VMMON_TEST(create_vm_rejects_reserved)
{
	struct vmmon_create_vm flags = { .flags = 1 };
	struct vmmon_create_vm pad = { .pad = 1 };

	EXPECT_ERRNO(ioctl(dev, VMMON_CREATE_VM, &flags), EINVAL);
	EXPECT_ERRNO(ioctl(dev, VMMON_CREATE_VM, &pad), EINVAL);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

VMMON_TEST(vmx_root_follows_vms)
{
	int ncpus = online_cpus();
	int a, b;

	ASSERT_EQ(vmmon_counter("vmx_cpus"), 0);
	a = vmmon_create_vm(dev);
	ASSERT_OK(a);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus);
	b = vmmon_create_vm(dev);
	ASSERT_OK(b);
	EXPECT_EQ(vmmon_counter("vms"), 2);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus);
	close(a);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus);
	close(b);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

VMMON_TEST(vm_lives_until_last_reference)
{
	int vm = vmmon_create_vm(dev), copy, status;
	int go[2];
	pid_t child;
	char c;

	ASSERT_OK(vm);
	ASSERT_OK(pipe(go));
	copy = dup(vm);
	child = fork();
	ASSERT_OK(child);
	if (child == 0) {
		/* Holds the inherited VM fds until the parent says go. */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(vm);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	close(copy);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(go[1]);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

VMMON_TEST(vm_fd_is_cloexec)
{
	int vm = vmmon_create_vm(dev);

	ASSERT_OK(vm);
	EXPECT_TRUE(fcntl(vm, F_GETFD) & FD_CLOEXEC);
	close(vm);
}

static int cycle_vms(int n)
{
	int i, vm;

	for (i = 0; i < n; i++) {
		vm = vmmon_create_vm(dev);
		if (vm < 0)
			return -1;
		close(vm);
	}
	return 0;
}

VMMON_TEST_TIMEOUT(create_destroy_1000_no_leak, LONG_TIMEOUT)
{
	EXPECT_EQ(slab_leak_check(cycle_vms, 100, 1000, "VMs"), 1);
	fflush(stdout);		/* its SUnreclaim line: see SHOW() */
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

static void *cycle_thread(void *arg)
{
	(void)arg;
	return (void *)(long)cycle_vms(200);
}

/* Creation and destruction racing on two CPUs keep the counts right. */
VMMON_TEST(concurrent_create_destroy)
{
	pthread_t t[2];
	void *ret[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, cycle_thread, NULL), 0);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], &ret[i]);
		EXPECT_EQ((long)ret[i], 0);
	}
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

VMMON_TEST(cpu_hotplug_follows)
{
	int ncpus = online_cpus(), vm;

	if (ncpus < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "cpu_hotplug_follows: needs a second CPU that can go offline");

	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	ASSERT_OK(write_file(CPU1_ONLINE, "0"));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus - 1);
	ASSERT_OK(write_file(CPU1_ONLINE, "1"));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus);
	close(vm);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);

	/* A CPU that was offline when the VM came enters when it comes up. */
	ASSERT_OK(write_file(CPU1_ONLINE, "0"));
	vm = vmmon_create_vm(dev);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus - 1);
	ASSERT_OK(write_file(CPU1_ONLINE, "1"));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), ncpus);
	close(vm);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

/*
 * With CONFIG_PM_DEBUG, pm_test "freezer" runs the suspend notifiers and
 * freezes tasks, then resumes, without suspending devices.  (A real
 * suspend to idle woken by an RTC alarm never woke up in Bochs.)
 */
static int suspend_and_resume(void)
{
	int err;

	write_file("/sys/module/suspend/parameters/pm_test_delay", "0");
	if (write_file("/sys/power/pm_test", "freezer"))
		return -1;
	err = write_file("/sys/power/state", "freeze");
	write_file("/sys/power/pm_test", "none");
	return err;
}

VMMON_TEST(suspend_resume_reenters)
{
	char line[80];
	int mark, vm;

	if (access("/sys/power/pm_test", W_OK))
		SKIP(return, "suspend_resume_reenters: no /sys/power/pm_test (kernel without CONFIG_PM_DEBUG)");
	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	mark = log_mark();
	EXPECT_TRUE(suspend_and_resume() == 0);
	snprintf(line, sizeof(line),
		 "vmmon: resume: back in VT-x root operation on %d CPU",
		 online_cpus());
	EXPECT_TRUE(log_since(mark, "vmmon: suspend: left VT-x root operation"));
	EXPECT_TRUE(log_since(mark, line));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(vm);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

/*
 * Suspend while a vCPU is inside RUN (review kmod.md F2): the PM notifier
 * runs before tasks freeze, so it must wait for the guest to leave VMX,
 * and after resume the guest goes on: RUN never fails, it only returns
 * EINTR (the freezer's signal).  The guest counts in its RAM, with a
 * CPUID exit (handled in the kernel) per count.
 */
/* l: inc dword [0x2000]; cpuid; jmp l */
static const uint8_t count_loop[] = {
	0x66, 0xff, 0x06, 0x00, 0x20, 0x0f, 0xa2, 0xeb, 0xf7,
};

struct spinner {
	struct vmmon_guest *g;
	atomic_bool stop;
	int err;		/* errno of a RUN that failed otherwise */
};

static void on_usr1(int sig)
{
	(void)sig;
	vmmon_run_interrupt();
}

static void *spin_in_run(void *arg)
{
	struct spinner *s = arg;

	while (!atomic_load(&s->stop)) {
		if (!vmmon_guest_run(s->g)) {
			s->err = -1;	/* an exit: this guest has none */
			break;
		}
		if (errno != EINTR) {
			s->err = errno;
			break;
		}
	}
	return NULL;
}

VMMON_TEST_TIMEOUT(suspend_while_vcpu_runs, LONG_TIMEOUT)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec second = { .tv_sec = 1 };
	volatile uint32_t *count;
	struct spinner s = { 0 };
	struct vmmon_guest g;
	uint32_t before, after;
	pthread_t t;
	int i, mark;

	if (access("/sys/power/pm_test", W_OK))
		SKIP(return, "suspend_while_vcpu_runs: no /sys/power/pm_test (kernel without CONFIG_PM_DEBUG)");
	ASSERT_OK(vmmon_guest_create(&g, dev, 64 * 1024, count_loop,
				     sizeof(count_loop)));
	count = (volatile uint32_t *)(g.ram + 0x2000);
	s.g = &g;
	sigaction(SIGUSR1, &sa, NULL);
	mark = log_mark();
	ASSERT_EQ(0, pthread_create(&t, NULL, spin_in_run, &s));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, suspend_and_resume());
	before = *count;
	nanosleep(&second, NULL);
	after = *count;
	atomic_store(&s.stop, true);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.err) TH_LOG("RUN failed: %s", s.err > 0 ?
				   strerror(s.err) : "an exit");
	EXPECT_NE(before, after) TH_LOG("the guest stopped after resume");
	EXPECT_TRUE(log_since(mark, "vmmon: suspend: left VT-x root operation"));
	EXPECT_FALSE(log_since(mark, "cannot clear a VMCS"));
	EXPECT_FALSE(log_since(mark, "cannot load a VMCS"));
	vmmon_guest_destroy(&g);
}

/*
 * vmmon's emergency callback (review kmod.md F6: panic, kdump and
 * emergency reboot leave VMX root through it) is registered only while
 * vmmon holds VT-x and KVM is not loaded, and given back after: KVM,
 * loaded next, registers its own without the kernel's warning.  That
 * the callback takes the CPUs out of VMX root needs a kdump of a real
 * host (check-host, by hand: see the README).
 */
VMMON_TEST(emergency_callback_given_back_to_kvm)
{
	int vm, kvm_vm, mark;

	if (!kvm_can_try())
		SKIP(return, "emergency_callback_given_back_to_kvm: KVM is not available");
	if (module_loaded("kvm"))
		SKIP(return, "emergency_callback_given_back_to_kvm: KVM was loaded before");
	mark = log_mark();
	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	close(vm);
	kvm_vm = kvm_take_vmx();
	EXPECT_GE(kvm_vm, 0)
		TH_LOG("KVM could not take VMX: %s", strerror(errno));
	if (kvm_vm >= 0)
		close(kvm_vm);
	EXPECT_FALSE(log_since(mark, "cpu_emergency_register_virt_callback"));
	/* With KVM loaded, a vmmon VM leaves the callback to KVM's. */
	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	close(vm);
	EXPECT_FALSE(log_since(mark, "cpu_emergency_"));
	EXPECT_TRUE(log_since(mark, "KVM is loaded: its emergency callback"));
}

VMMON_TEST(busy_when_kvm_owns_vmx)
{
	int kvm_vm, vm, mark, err;

	if (!kvm_can_try())
		SKIP(return, "busy_when_kvm_owns_vmx: KVM is not available");
	kvm_vm = kvm_take_vmx();
	err = errno;
	ASSERT_GE(kvm_vm, 0)
		TH_LOG("KVM could not take VMX: %s", strerror(err));
	mark = log_mark();
	EXPECT_ERRNO(vmmon_create_vm(dev), EBUSY);
	EXPECT_TRUE(log_since(mark, "is in use by another hypervisor"));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	close(kvm_vm);

	vm = vmmon_create_vm(dev);
	EXPECT_TRUE(vm >= 0);
	close(vm);
}

VMMON_TEST(kvm_refused_while_vmmon_owns_vmx)
{
	int vm, kvm_vm, err;

	if (!kvm_can_try())
		SKIP(return, "kvm_refused_while_vmmon_owns_vmx: KVM is not available");
	vm = vmmon_create_vm(dev);
	ASSERT_OK(vm);
	kvm_vm = kvm_take_vmx();
	err = errno;
	EXPECT_EQ(kvm_vm, -1);
	if (kvm_vm >= 0)
		close(kvm_vm);
	else
		SHOW("KVM refused as it should: %s", strerror(err));
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(vm);
}

/* After rmmod, KVM can take VMX: no CPU was left in VMX root. */
VMMON_TEST(unload_clean)
{
	int kvm_vm, err;

	close(dev);
	dev = -1;
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
	ASSERT_OK(module_unload("vmmon"));
	if (!kvm_can_try())
		return;
	kvm_vm = kvm_take_vmx();
	err = errno;
	EXPECT_GE(kvm_vm, 0)
		TH_LOG("KVM could not take VMX after rmmod: %s", strerror(err));
	if (kvm_vm >= 0)
		close(kvm_vm);
}

int main(int argc, char **argv)
{
	kvm_remember_loaded();
	atexit(kvm_release);
	return vmmon_test_main(argc, argv);
}
