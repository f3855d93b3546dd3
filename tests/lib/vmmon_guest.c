// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "vmmon_guest.h"
#include "vmmon_util.h"

int vmmon_guest_create(struct vmmon_guest *g, int devfd, size_t ram_size,
		       const uint8_t *code, size_t len)
{
	struct vmmon_memory_region r = { .size = ram_size };
	struct vmmon_create_vcpu c = { 0 };
	struct vmmon_regs regs = { .rip = VMMON_GUEST_CODE, .rflags = 2 };
	struct vmmon_sregs sregs;

	memset(g, 0, sizeof(*g));
	g->ram = MAP_FAILED;
	g->run = MAP_FAILED;
	g->vcpu = -1;
	g->ram_size = ram_size;
	g->vm = vmmon_create_vm(devfd);
	if (g->vm < 0 || ioctl(g->vm, VMMON_SET_MEMORY_REGION, &r))
		return -1;
	g->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vm, 0);
	g->vcpu = ioctl(g->vm, VMMON_CREATE_VCPU, &c);
	if (g->ram == MAP_FAILED || g->vcpu < 0)
		return -1;
	g->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
		      g->vcpu, 0);
	if (g->run == MAP_FAILED)
		return -1;
	memcpy(g->ram + VMMON_GUEST_CODE, code, len);
	if (ioctl(g->vcpu, VMMON_GET_SREGS, &sregs))
		return -1;
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	if (ioctl(g->vcpu, VMMON_SET_SREGS, &sregs))
		return -1;
	return ioctl(g->vcpu, VMMON_SET_REGS, &regs);
}

void vmmon_guest_destroy(struct vmmon_guest *g)
{
	if (g->run != MAP_FAILED)
		munmap(g->run, 4096);
	if (g->ram != MAP_FAILED)
		munmap(g->ram, g->ram_size);
	if (g->vcpu >= 0)
		close(g->vcpu);
	if (g->vm >= 0)
		close(g->vm);
}

int vmmon_guest_run(struct vmmon_guest *g)
{
	return ioctl(g->vcpu, VMMON_RUN, 0);
}
