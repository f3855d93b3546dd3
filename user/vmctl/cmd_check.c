// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl check: can this host run vmmon VMs?  Creating a VM is the real
 * test: it makes every CPU enter VMX root operation, which fails when
 * another hypervisor holds VT-x.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmctl.h"

static int check_run(const char *device, int argc, char **argv)
{
	struct vmmon_create_vm args = { 0 };
	struct vmmon_cap_query q = { .cap = VMMON_CAP_NR_CPUS };
	int fd, vm;

	(void)argv;
	if (argc > 1) {
		vmctl_err("check takes no arguments");
		return VMCTL_EXIT_USAGE;
	}
	fd = vmctl_open_device(device);
	if (fd < 0)
		return VMCTL_EXIT_ERROR;
	printf("%s: vmmon API %d\n", device, VMMON_API_VERSION);
	if (ioctl(fd, VMMON_CHECK_CAP, &q))
		q.value = 0;

	vm = ioctl(fd, VMMON_CREATE_VM, &args);
	if (vm < 0) {
		if (errno == EBUSY)
			vmctl_err("cannot create a VM: another hypervisor (KVM, VirtualBox, ...) holds VT-x on a CPU; the kernel log names it");
		else
			vmctl_err("cannot create a VM: %s", strerror(errno));
		close(fd);
		return VMCTL_EXIT_ERROR;
	}
	printf("VM created: %ld of %llu CPUs in VMX root operation\n",
	       vmctl_counter("vmx_cpus"), (unsigned long long)q.value);
	close(vm);
	printf("VM destroyed: %ld CPUs in VMX root operation\n",
	       vmctl_counter("vmx_cpus"));
	close(fd);
	printf("this host can run vmmon VMs\n");
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_check = {
	.name = "check",
	.summary = "create and destroy a VM to check that this host can run VMs",
	.run = check_run,
};
