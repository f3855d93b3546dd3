// SPDX-License-Identifier: GPL-2.0
/* vmctl info: what the module and the CPU offer. */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "ctl/vm.h"
#include "vmctl.h"

static const struct {
	__u32 cap;
	const char *label;
	int is_count;
} info_caps[] = {
	{ VMMON_CAP_NR_CPUS, "CPUs", 1 },
	{ VMMON_CAP_EPT_AD_BITS, "EPT accessed/dirty flags", 0 },
	{ VMMON_CAP_EPT_2M_PAGES, "EPT 2M pages", 0 },
	{ VMMON_CAP_EPT_1G_PAGES, "EPT 1G pages", 0 },
	{ VMMON_CAP_APIC_TIMER, "TSC deadline in the kernel", 0 },
	{ VMMON_CAP_APIC_IPI, "x2APIC IPIs in the kernel", 0 },
	{ VMMON_CAP_HLT_WAIT, "HLT waits in the kernel", 0 },
	{ VMMON_CAP_XAPIC_IPI, "xAPIC IPIs in the kernel", 0 },
};

static void print_counter(const char *label, const char *name)
{
	long v = vmctl_counter(name);

	if (v < 0)
		printf("%-26s unknown (no /sys/class/misc/vmmon/%s)\n", label, name);
	else
		printf("%-26s %ld\n", label, v);
}

/* A line of text from sysfs: the module's or one of its parameters. */
static void print_text(const char *label, const char *path)
{
	char text[256] = "";
	FILE *f = fopen(path, "re");

	if (f && fgets(text, sizeof(text), f))
		text[strcspn(text, "\n")] = '\0';
	if (f)
		fclose(f);
	printf("%-26s %s\n", label, text[0] ? text : "unknown");
}

/*
 * What the control channel adds: the module's own account of its
 * version, backend, features and mitigations, with their counters.
 * Without the family (an older module) one line says so; the rest of
 * vmctl info came through /dev/vmmon and sysfs and stands.
 */
static void print_module(void)
{
	struct ctl_module mod;
	struct ctl c;
	unsigned int i;
	int err;

	if (ctl_open(&c, true)) {
		printf("%-26s none: %s\n", "netlink family", c.ext_msg);
		return;
	}
	err = ctl_get_module(&c, &mod);
	ctl_close(&c);
	if (err) {
		printf("%-26s %s version %u, but GET_MODULE failed: %s%s%s\n",
		       "netlink family", VMMON_GENL_NAME, c.version,
		       strerror(-err), c.local_msg || c.ext_msg[0] ? ": " : "",
		       c.local_msg ? c.local_msg : c.ext_msg);
		return;
	}
	printf("%-26s %s version %u\n", "netlink family", VMMON_GENL_NAME,
	       mod.genl_version);
	printf("%-26s %u\n", "module API", mod.api_version);
	printf("%-26s %s\n", "backend", mod.backend);
	printf("%-26s %s\n", "features", mod.features);
	printf("%-26s %s\n", "mitigations", mod.mitigations);
	for (i = 0; i < mod.nr_counters; i++)
		printf("  %-24s %llu\n", mod.counter[i].name,
		       (unsigned long long)mod.counter[i].value);
	printf("%-26s %u VMs, %u vCPUs, %llu guest pages, %u CPUs in VMX root\n",
	       "module now", mod.nr_vms, mod.nr_vcpus,
	       (unsigned long long)mod.guest_pages, mod.vmx_cpus);
}

static int info_run(const char *device, int argc, char **argv)
{
	struct vmmon_cap_query q;
	size_t i;
	int fd;

	(void)argv;
	if (argc > 1) {
		vmctl_err("info takes no arguments");
		return VMCTL_EXIT_USAGE;
	}
	fd = vmctl_open_device(device);
	if (fd < 0)
		return VMCTL_EXIT_ERROR;
	printf("%-26s %d\n", "vmmon API", VMMON_API_VERSION);
	for (i = 0; i < sizeof(info_caps) / sizeof(info_caps[0]); i++) {
		q = (struct vmmon_cap_query){ .cap = info_caps[i].cap };
		if (ioctl(fd, VMMON_CHECK_CAP, &q)) {
			vmctl_err("cannot query capability %u", q.cap);
			close(fd);
			return VMCTL_EXIT_ERROR;
		}
		if (info_caps[i].is_count)
			printf("%-26s %llu\n", info_caps[i].label,
			       (unsigned long long)q.value);
		else
			printf("%-26s %s\n", info_caps[i].label,
			       q.value ? "yes" : "no");
	}
	print_counter("VMs", "vms");
	print_counter("CPUs in VMX root", "vmx_cpus");
	print_counter("guest pages resident", "guest_pages");
	/* What the world switch does against speculation, as the kernel decided. */
	print_text("speculation mitigations",
		   "/sys/class/misc/vmmon/mitigations/active");
	print_text("L1D flush setting", "/sys/module/vmmon/parameters/l1d_flush");
	print_module();
	close(fd);
	return VMCTL_EXIT_OK;
}

const struct vmctl_cmd vmctl_cmd_info = {
	.name = "info",
	.summary = "show the module's API version, capabilities and counters",
	.run = info_run,
};
