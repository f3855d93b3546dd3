// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects: creation and its bad input, ids per VM, lifetime tied to
 * the VM, and no leak over many.  Each vCPU's VMCS is filled at creation,
 * so a VMCS field vmmon gets wrong shows here as a kernel WARN, which
 * scripts/ktap-check.sh fails.  Loads vmmon.ko if needed; the last test
 * unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_test.h"

static int create_vcpu(int vm, __u32 id)
{
	struct vmmon_create_vcpu args = { .id = id };

	return ioctl(vm, VMMON_CREATE_VCPU, &args);
}

VMMON_TEST(create_vcpus)
{
	int vm = vmmon_create_vm(dev), fds[8], i;

	ASSERT_OK(vm);
	for (i = 0; i < 8; i++) {
		fds[i] = create_vcpu(vm, i);
		ASSERT_OK(fds[i]);
		EXPECT_TRUE(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
	}
	EXPECT_EQ(vmmon_counter("vcpus"), 8);
	for (i = 0; i < 8; i++)
		close(fds[i]);
	EXPECT_EQ(vmmon_counter("vcpus"), 8);	/* they live with the VM */
	close(vm);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
}

VMMON_TEST(create_vcpu_rejects_bad_input)
{
	struct vmmon_create_vcpu flags = { .id = 1, .flags = 1 };
	struct vmmon_version ver;
	int vm = vmmon_create_vm(dev), vcpu;

	ASSERT_OK(vm);
	EXPECT_ERRNO(create_vcpu(vm, VMMON_MAX_VCPUS), EINVAL);
	EXPECT_ERRNO(create_vcpu(vm, 0xffffffff), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMMON_CREATE_VCPU, &flags), EINVAL);
	EXPECT_ERRNO(ioctl(vm, VMMON_CREATE_VCPU, NULL), EFAULT);
	vcpu = create_vcpu(vm, 0);
	ASSERT_OK(vcpu);
	EXPECT_ERRNO(create_vcpu(vm, 0), EEXIST);
	/* Each object knows only its own ioctls. */
	EXPECT_ERRNO(ioctl(dev, VMMON_CREATE_VCPU, &flags), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu, VMMON_CREATE_VCPU, &flags), ENOTTY);
	EXPECT_ERRNO(ioctl(vcpu, VMMON_GET_API_VERSION, &ver), ENOTTY);
	EXPECT_EQ(vmmon_counter("vcpus"), 1);
	close(vcpu);
	close(vm);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
}

VMMON_TEST(all_ids_up_to_the_limit)
{
	int vm = vmmon_create_vm(dev), i, fd, made = 0;

	ASSERT_OK(vm);
	for (i = VMMON_MAX_VCPUS - 1; i >= 0; i--) {
		fd = create_vcpu(vm, i);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	EXPECT_EQ(made, VMMON_MAX_VCPUS);
	EXPECT_EQ(vmmon_counter("vcpus"), VMMON_MAX_VCPUS);
	close(vm);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
}

VMMON_TEST(ids_are_per_vm)
{
	int a = vmmon_create_vm(dev), b = vmmon_create_vm(dev);
	int va, vb;

	ASSERT_OK(a);
	ASSERT_OK(b);
	va = create_vcpu(a, 0);
	vb = create_vcpu(b, 0);
	EXPECT_TRUE(va >= 0 && vb >= 0);
	close(va);
	close(vb);
	close(a);
	close(b);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
}

VMMON_TEST(vcpu_keeps_vm_alive)
{
	int vm = vmmon_create_vm(dev), vcpu;

	ASSERT_OK(vm);
	vcpu = create_vcpu(vm, 3);
	ASSERT_OK(vcpu);
	close(vm);
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(vcpu);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

static int cycle_vms_with_vcpus(int n)
{
	int i, j, vm, vcpu;

	for (i = 0; i < n; i++) {
		vm = vmmon_create_vm(dev);
		if (vm < 0)
			return -1;
		for (j = 0; j < 8; j++) {
			vcpu = create_vcpu(vm, j);
			if (vcpu < 0)
				return -1;
			close(vcpu);
		}
		close(vm);
	}
	return 0;
}

VMMON_TEST(vcpus_freed_no_leak)
{
	EXPECT_EQ(slab_leak_check(cycle_vms_with_vcpus, 20, 200,
				  "VMs with 8 vCPUs"), 1);
	EXPECT_EQ(vmmon_counter("vcpus"), 0);
}

VMMON_TEST_MAIN
