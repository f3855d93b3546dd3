// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <uapi/vmmon.h>
#include "kselftest.h"
#include "vmmon_util.h"

/* Where the test image keeps the kernel's KVM modules (scripts/mkimage.sh). */
#define IMAGE_KVM_DIR	"/lib/modules/kvm/"

const char *vmmon_module_path(int argc, char **argv)
{
	static char path[4096];
	char self[4096];
	int i;

	for (i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--module"))
			return argv[i + 1];
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(path, sizeof(path), "%s/vmmon.ko", dirname(self));
	return path;
}

int module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret, err;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

int module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

bool module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

long read_long_file(const char *path)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	errno = err;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static sigjmp_buf sigbus_env;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_env, sig);
}

bool touch_faults(volatile unsigned char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool faulted;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_env, 1)) {
		faulted = true;
	} else {
		(void)*p;
		faulted = false;
	}
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

int drop_capability(int cap)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &h, d);
}

long vmmon_counter(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), VMMON_SYSFS "%s", name);
	return read_long_file(path);
}

int vmmon_open(void)
{
	return open(VMMON_DEV, O_RDWR | O_CLOEXEC);
}

int vmmon_create_vm(int devfd)
{
	struct vmmon_create_vm args = { 0 };

	return ioctl(devfd, VMMON_CREATE_VM, &args);
}

int online_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static bool cpuinfo_line_has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *p = strchr(line, ':');

	while (p && (p = strstr(p, word))) {
		if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static bool cpuinfo_scan(const char *flag, bool *vmx_line)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		bool is_vmx = !strncmp(line, "vmx flags", 9);

		if (is_vmx && vmx_line)
			*vmx_line = true;
		if ((is_vmx || !strncmp(line, "flags", 5)) && flag &&
		    cpuinfo_line_has_word(line, flag)) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

bool cpuinfo_has_flag(const char *flag)
{
	return cpuinfo_scan(flag, NULL);
}

bool cpuinfo_has_vmx_flags_line(void)
{
	bool vmx_line = false;

	cpuinfo_scan(NULL, &vmx_line);
	return vmx_line;
}

long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long cpu_interrupts(const char *name, int cpu)
{
	char line[4096], *p, *end;
	size_t n = strlen(name);
	long count = -1, v;
	FILE *f = fopen("/proc/interrupts", "re");
	int i;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		p += n + 1;
		count = 0;
		for (i = 0;; i++) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (cpu < 0 || cpu == i)
				count += v;
			p = end;
		}
		break;
	}
	fclose(f);
	return count;
}

int log_mark(void)
{
	static int next;
	char text[64];
	int id = getpid() * 1000 + ++next;

	snprintf(text, sizeof(text), "vmmon-test: mark %d\n", id);
	write_file("/dev/kmsg", text);
	return id;
}

bool log_since(int mark, const char *needle)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char text[64], *buf, *from;
	bool found = false;
	int n;

	if (size <= 0)
		return false;
	buf = malloc(size + 1);
	if (!buf)
		return false;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n >= 0) {
		buf[n] = '\0';
		snprintf(text, sizeof(text), "vmmon-test: mark %d\n", mark);
		from = strstr(buf, text);
		found = from && strstr(from, needle);
	}
	free(buf);
	return found;
}

/* Load order; the names the kernel knows them by, for unloading. */
static const char *const kvm_files[] = { "irqbypass", "kvm", "kvm-intel" };
static const char *const kvm_names[] = { "irqbypass", "kvm", "kvm_intel" };
/* Which were loaded at kvm_remember_loaded(), in the program's process. */
static bool kvm_was_loaded[3];

bool kvm_can_try(void)
{
	return access("/dev/kvm", F_OK) == 0 ||
	       access(IMAGE_KVM_DIR "kvm-intel.ko", F_OK) == 0 ||
	       system("modprobe -q -n kvm_intel 2>/dev/null") == 0;
}

/*
 * Load KVM the way the test image has it.  enable_virt_at_load=0 makes
 * 6.12+ behave as 6.1 does: VMX is taken only while a KVM VM exists (6.1
 * ignores the unknown parameter).  Loading KVM is slow under Bochs (about
 * 7 emulated seconds), so a test program loads it once.
 */
static int kvm_load(void)
{
	static const char *const params[] = { NULL, "enable_virt_at_load=0", NULL };
	char path[256];
	int i;

	if (access(IMAGE_KVM_DIR "kvm-intel.ko", F_OK)) {
		if (system("modprobe -q kvm enable_virt_at_load=0 2>/dev/null; modprobe -q kvm_intel 2>/dev/null"))
			return -1;
		return 0;
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), IMAGE_KVM_DIR "%s.ko", kvm_files[i]);
		if (module_load(path, params[i]) && errno != EEXIST)
			return -1;
	}
	return 0;
}

int kvm_take_vmx(void)
{
	int kvm, vm, err;

	if (access("/dev/kvm", F_OK) && kvm_load())
		return -1;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	err = errno;
	close(kvm);
	errno = err;
	return vm;
}

void kvm_remember_loaded(void)
{
	int i;

	for (i = 0; i < 3; i++)
		kvm_was_loaded[i] = module_loaded(kvm_names[i]);
}

void kvm_release(void)
{
	int i;

	for (i = 2; i >= 0; i--)
		if (!kvm_was_loaded[i] && module_loaded(kvm_names[i]))
			module_unload(kvm_names[i]);
}

int vmmon_suite_load(int argc, char **argv)
{
	if (!module_loaded("vmmon") &&
	    module_load(vmmon_module_path(argc, argv), NULL)) {
		printf("Bail out! cannot load vmmon.ko: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int slab_leak_check(int (*round)(int n), int warmup, int n, const char *what)
{
	struct timespec settle = { .tv_nsec = 200 * 1000 * 1000 };
	long kb[3];
	int i;

	for (i = 0; i < 3; i++) {
		if (round(i ? n : warmup))
			return -1;
		nanosleep(&settle, NULL);	/* RCU-freed files, per-CPU caches */
		kb[i] = meminfo_kb("SUnreclaim");
		if (kb[i] <= 0)
			return -1;
	}
	ksft_print_msg("SUnreclaim %ld kB, then %+ld kB and %+ld kB after two rounds of %d %s\n",
		       kb[0], kb[1] - kb[0], kb[2] - kb[1], n, what);
	return kb[1] - kb[0] < 32 || kb[2] - kb[1] < 32;
}
