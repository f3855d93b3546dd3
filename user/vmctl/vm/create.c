// SPDX-License-Identifier: GPL-2.0
/* The VM, its RAM and its vCPUs, from vmmon. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "ctl/memsched.h"
#include "ctl/name.h"
#include "vm/vm.h"
#include "vmctl.h"

#define VM_RUN_PAGE_SIZE	4096

/* Whether this process has CAP_IPC_LOCK in its effective set. */
static bool vm_can_lock_memory(void)
{
	unsigned long long eff = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << 14);	/* CAP_IPC_LOCK */
}

/*
 * vmmon's guest RAM cannot be swapped, so the module charges it to the
 * RLIMIT_MEMLOCK that vmctl has when it creates the VM, unless vmctl has
 * CAP_IPC_LOCK.  Take the soft limit up to the hard one, and say before
 * the guest runs into it that the RAM asked for does not fit.
 */
static int vm_check_memlock(uint64_t size)
{
	struct rlimit rl;

	if (vm_can_lock_memory() || getrlimit(RLIMIT_MEMLOCK, &rl))
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= size)
		return 0;
	vmctl_err("guest RAM (%llu MiB) is locked memory, but RLIMIT_MEMLOCK allows %llu MiB: raise it (ulimit -l, /etc/security/limits.d) or give vmctl CAP_IPC_LOCK",
		  (unsigned long long)(size >> 20),
		  (unsigned long long)(rl.rlim_cur >> 20));
	return -1;
}

/*
 * --name: the module holds a VM's name (vmctl list, stat, events find it
 * there), unique among one user's VMs.  Named again at every reboot,
 * which creates the VM anew.
 */
static int vm_set_name(struct vm *vm, const char *name)
{
	struct vmmon_name n = { 0 };

	if (strlen(name) >= sizeof(n.name)) {
		errno = EINVAL;
	} else {
		memcpy(n.name, name, strlen(name));
		if (!ioctl(vm->vm_fd, VMMON_SET_NAME, &n))
			return 0;
	}
	if (errno == EEXIST)
		vmctl_err("a VM named %s already exists for this user", name);
	else if (errno == EINVAL)
		vmctl_err("bad VM name '%s': a name is " VMCTL_NAME_RULE, name);
	else if (errno == ENOTTY)
		vmctl_err("this vmmon module cannot name VMs (older than this vmctl): run without --name");
	else
		vmctl_err("cannot name the VM %s: %s", name, strerror(errno));
	return -1;
}

/*
 * --share-group: the VM may share equal pages with the other VMs of its
 * owner in that group (vmmon's content-based sharing); without it, only
 * within itself.  Before the guest has run, so nothing is shared yet.
 */
static int vm_set_share_group(struct vm *vm, const char *group)
{
	struct vmmon_name n = { 0 };

	memcpy(n.name, group, strlen(group));
	if (!ioctl(vm->vm_fd, VMMON_SET_SHARE_GROUP, &n))
		return 0;
	if (errno == ENOTTY)
		vmctl_err("this vmmon module cannot share pages (older than this vmctl): run without --share-group");
	else
		vmctl_err("cannot put the VM in sharing group %s: %s", group,
			  strerror(errno));
	return -1;
}

static int vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct vmmon_memory_region r = { .guest_phys = gpa, .size = size };

	if (ioctl(vm->vm_fd, VMMON_SET_MEMORY_REGION, &r)) {
		vmctl_err("cannot give the guest %llu MiB at %#llx: %s",
			  (unsigned long long)(size >> 20),
			  (unsigned long long)gpa, strerror(errno));
		return -1;
	}
	return 0;
}

/* The VM fd's pages at [@gpa, @gpa + @size), at base + gpa. */
static int vm_map_range(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return mmap(vm->mem.base + gpa, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, vm->vm_fd, gpa) == MAP_FAILED ?
		-1 : 0;
}

/*
 * One reservation spanning guest-physical 0 up to the end of RAM (or of
 * the firmware, at 4 GiB), with the VM fd mapped over the RAM parts and
 * the firmware's, so that host address = base + gpa.
 */
static int vm_map_ram(struct vm *vm)
{
	struct guest_mem *m = &vm->mem;
	uint64_t fw_size = vm->opts->firmware_size;
	void *p;

	vm->map_size = m->high_size ? GUEST_MEM_HIGH_START + m->high_size :
		       fw_size ? VM_FIRMWARE_END : m->low_size;
	m->base = NULL;
	p = mmap(NULL, vm->map_size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		goto fail;
	m->base = p;
	if (vm_map_range(vm, 0, m->low_size) ||
	    (m->high_size &&
	     vm_map_range(vm, GUEST_MEM_HIGH_START, m->high_size)) ||
	    (fw_size && vm_map_range(vm, VM_FIRMWARE_END - fw_size, fw_size)))
		goto fail;
	return 0;
fail:
	vmctl_err("cannot map guest RAM: %s", strerror(errno));
	if (m->base)
		munmap(m->base, vm->map_size);
	m->base = NULL;
	return -1;
}

static int vm_create_vcpu(struct vm *vm, unsigned int id)
{
	struct vmmon_create_vcpu c = { .id = id };
	struct vcpu *v = &vm->vcpus[id];

	v->vm = vm;
	v->id = id;
	v->state = id ? VCPU_WAIT_SIPI : VCPU_RUNNABLE;
	v->fd = ioctl(vm->vm_fd, VMMON_CREATE_VCPU, &c);
	if (v->fd < 0) {
		vmctl_err("cannot create vCPU %u: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, VM_RUN_PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		vmctl_err("cannot map vCPU %u's run page: %s", id,
			  strerror(errno));
		close(v->fd);
		return -1;
	}
	if (ioctl(v->fd, VMMON_GET_SREGS, &v->reset_sregs)) {
		vmctl_err("cannot read vCPU %u's state: %s", id, strerror(errno));
		goto err;
	}
	if (vm_cpuid_set(vm, v))
		goto err;
	pthread_cond_init(&v->wake, NULL);
	return 0;
err:
	munmap(v->run, VM_RUN_PAGE_SIZE);
	close(v->fd);
	return -1;
}

#define TSC_MEASURE_NS	20000000	/* 20 ms: good to about 10 ppm */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* An older module knows fewer capabilities: each reads as absent. */
static bool vm_module_has(struct vm *vm, enum vmmon_cap cap)
{
	struct vmmon_cap_query q = { .cap = cap };

	return !ioctl(vm->dev_fd, VMMON_CHECK_CAP, &q) && q.value;
}

/* The host TSC's rate, which the guest's TSC shares (CPUID.15H). */
static uint32_t vm_measure_tsc_khz(void)
{
	const struct timespec pause = { .tv_nsec = TSC_MEASURE_NS };
	uint64_t t0 = monotonic_ns(), c0 = __rdtsc(), t1, c1;

	nanosleep(&pause, NULL);
	t1 = monotonic_ns();
	c1 = __rdtsc();
	return (c1 - c0) * 1000000 / (t1 - t0);
}

int vm_create(struct vm *vm, const struct vm_options *opts,
	      const char *device)
{
	struct vmmon_create_vm c = { 0 };
	struct guest_mem *m = &vm->mem;
	unsigned int i;

	if (vm_check_memlock(opts->mem_size + opts->firmware_size))
		return -1;
	vm->opts = opts;
	vm->end = VM_END_NONE;
	vm->tsc_khz = vm_measure_tsc_khz();
	vm->dev_fd = vmctl_open_device(device);
	if (vm->dev_fd < 0)
		return -1;
	vm->apic_timer_in_kernel = vm_module_has(vm, VMMON_CAP_APIC_TIMER);
	vm->apic_ipi_in_kernel = vm_module_has(vm, VMMON_CAP_APIC_IPI);
	vm->hlt_wait_in_kernel = vm_module_has(vm, VMMON_CAP_HLT_WAIT);
	vm->xapic_ipi_in_kernel = vm_module_has(vm, VMMON_CAP_XAPIC_IPI);
	vm->vm_fd = ioctl(vm->dev_fd, VMMON_CREATE_VM, &c);
	if (vm->vm_fd < 0) {
		if (errno == EBUSY)
			vmctl_err("cannot create a VM: another hypervisor owns VT-x on this machine (see the kernel log)");
		else
			vmctl_err("cannot create a VM: %s", strerror(errno));
		goto err_dev;
	}
	if (opts->name && vm_set_name(vm, opts->name))
		goto err_vm;
	if (opts->share_group && vm_set_share_group(vm, opts->share_group))
		goto err_vm;
	m->low_size = opts->mem_size < VM_LOW_RAM_MAX ? opts->mem_size :
							 VM_LOW_RAM_MAX;
	m->high_size = opts->mem_size - m->low_size;
	/*
	 * The firmware is RAM too, that the guest could write: vmmon has no
	 * read-only memory, and the only writer is the firmware itself
	 * (flash writes are not modelled).
	 */
	if (vm_add_ram(vm, 0, m->low_size) ||
	    (m->high_size && vm_add_ram(vm, GUEST_MEM_HIGH_START, m->high_size)) ||
	    (opts->firmware_size &&
	     vm_add_ram(vm, VM_FIRMWARE_END - opts->firmware_size,
			opts->firmware_size)))
		goto err_vm;
	/* Once the VM has RAM: a reservation is at most its RAM. */
	if ((opts->mem_shares || opts->mem_reserve) &&
	    ctl_set_own_memsched(opts->mem_shares ? &opts->mem_shares : NULL,
				 opts->mem_reserve ? &opts->mem_reserve : NULL))
		goto err_vm;
	if (vm_map_ram(vm))
		goto err_vm;
	for (i = 0; i < opts->nr_vcpus; i++) {
		if (vm_create_vcpu(vm, i))
			goto err_vcpus;
		vm->nr_vcpus++;
	}
	return 0;

err_vcpus:
	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i].run, VM_RUN_PAGE_SIZE);
		close(vm->vcpus[i].fd);
		pthread_cond_destroy(&vm->vcpus[i].wake);
	}
	munmap(m->base, vm->map_size);
err_vm:
	close(vm->vm_fd);
err_dev:
	close(vm->dev_fd);
	return -1;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i].run, VM_RUN_PAGE_SIZE);
		close(vm->vcpus[i].fd);
		pthread_cond_destroy(&vm->vcpus[i].wake);
	}
	munmap(vm->mem.base, vm->map_size);
	close(vm->vm_fd);
	close(vm->dev_fd);
}
