// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life cycle: load, the refusal on a CPU without VT-x,
 * rmmod while a VM exists, unload leaving no CPU in VMX root, reload.
 * Loads vmmon.ko itself (finit_module), so run it as root with the
 * module unloaded; it leaves the module unloaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "ktap.h"
#include "vmmon_util.h"

static const char *module_path;

static enum ktap_result load_refused_without_vtx(void)
{
	int mark = log_mark();

	EXPECT_ERRNO(module_load(module_path, NULL), ENODEV);
	EXPECT_TRUE(log_since(mark, "vmmon: CPU has no VT-x (CPUID.1:ECX.VMX is 0)"));
	EXPECT_TRUE(!module_loaded("vmmon"));
	EXPECT_TRUE(access(VMMON_DEV, F_OK) != 0);
	return KTAP_PASS;
}

/*
 * The kernel's own reading of the VMX capabilities ("vmx flags" in
 * /proc/cpuinfo) and the line vmmon must log when one is absent.
 */
static const struct {
	const char *flag;
	const char *line;
} required_flags[] = {
	{ "vnmi", "VT-x capability missing: pin-based control: virtual NMIs" },
	{ "preemption_timer", "VT-x capability missing: pin-based control: VMX-preemption timer" },
	{ "ept", "VT-x capability missing: secondary control: EPT" },
	{ "vpid", "VT-x capability missing: secondary control: VPID" },
	{ "unrestricted_guest", "VT-x capability missing: secondary control: unrestricted guest" },
};

#define NR_REQUIRED_FLAGS (sizeof(required_flags) / sizeof(required_flags[0]))

static bool cpu_lacks_required_flag(void)
{
	size_t i;

	if (!cpuinfo_has_vmx_flags_line())
		return false;
	for (i = 0; i < NR_REQUIRED_FLAGS; i++)
		if (!cpuinfo_has_flag(required_flags[i].flag))
			return true;
	return false;
}

/* A VT-x CPU short of what vmmon needs: each absence is named. */
static enum ktap_result load_refused_missing_capability(void)
{
	int mark = log_mark();
	size_t i;

	EXPECT_ERRNO(module_load(module_path, NULL), EOPNOTSUPP);
	for (i = 0; i < NR_REQUIRED_FLAGS; i++) {
		if (cpuinfo_has_flag(required_flags[i].flag))
			continue;
		ktap_diag("the CPU has no \"%s\"", required_flags[i].flag);
		EXPECT_TRUE(log_since(mark, required_flags[i].line));
	}
	EXPECT_TRUE(log_since(mark, "required VT-x capabilities missing"));
	EXPECT_TRUE(!module_loaded("vmmon"));
	return KTAP_PASS;
}

static enum ktap_result load_succeeds_with_summary(void)
{
	char line[64];
	int mark = log_mark();

	ASSERT_OK(module_load(module_path, NULL));
	snprintf(line, sizeof(line), "vmmon: VT-x ready on %d CPU%s, API ",
		 online_cpus(), online_cpus() == 1 ? "" : "s");
	EXPECT_TRUE(log_since(mark, line));
	EXPECT_TRUE(log_since(mark, "EPT 4-level WB"));
	return KTAP_PASS;
}

static enum ktap_result device_and_counters_appear(void)
{
	struct stat st;

	ASSERT_OK(stat(VMMON_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 10);	/* a misc device */
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
	return KTAP_PASS;
}

static enum ktap_result rmmod_refused_while_vm_open(void)
{
	int dev = vmmon_open(), vm;

	ASSERT_OK(dev);
	vm = vmmon_create_vm(dev);
	close(dev);
	ASSERT_OK(vm);
	/* Only the VM fd pins the module now. */
	EXPECT_ERRNO(module_unload("vmmon"), EWOULDBLOCK);
	EXPECT_TRUE(module_loaded("vmmon"));
	EXPECT_EQ(vmmon_counter("vms"), 1);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(vm);
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
	return KTAP_PASS;
}

static enum ktap_result rmmod_after_close(void)
{
	int mark = log_mark();

	ASSERT_OK(module_unload("vmmon"));
	EXPECT_TRUE(!module_loaded("vmmon"));
	EXPECT_TRUE(access(VMMON_DEV, F_OK) != 0);
	EXPECT_TRUE(log_since(mark, "vmmon: unloaded"));
	return KTAP_PASS;
}

/*
 * A VM after reloading needs every CPU to enter VMX root again, which
 * vmmon refuses where CR4.VMXE is still set: rmmod left none in.
 * (vmmon_dev_test's unload_clean has KVM check the same independently.)
 */
static enum ktap_result reload_works(void)
{
	int dev, vm;

	ASSERT_OK(module_load(module_path, NULL));
	dev = vmmon_open();
	ASSERT_OK(dev);
	vm = vmmon_create_vm(dev);
	EXPECT_TRUE(vm >= 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), online_cpus());
	close(vm);
	close(dev);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
	ASSERT_OK(module_unload("vmmon"));
	return KTAP_PASS;
}

static const struct ktap_case no_vtx_cases[] = {
	KTAP_CASE(load_refused_without_vtx),
};

static const struct ktap_case short_vtx_cases[] = {
	KTAP_CASE(load_refused_missing_capability),
};

static const struct ktap_case vtx_cases[] = {
	KTAP_CASE(load_succeeds_with_summary),
	KTAP_CASE(device_and_counters_appear),
	KTAP_CASE(rmmod_refused_while_vm_open),
	KTAP_CASE(rmmod_after_close),
	KTAP_CASE(reload_works),
};

int main(int argc, char **argv)
{
	module_path = vmmon_module_path(argc, argv);
	if (module_loaded("vmmon") && module_unload("vmmon")) {
		printf("Bail out! vmmon is loaded and cannot be unloaded: %s\n",
		       strerror(errno));
		return 1;
	}
	if (!cpuinfo_has_flag("vmx"))
		return ktap_run(no_vtx_cases, 1);
	if (cpu_lacks_required_flag())
		return ktap_run(short_vtx_cases, 1);
	return ktap_run(vtx_cases, sizeof(vtx_cases) / sizeof(vtx_cases[0]));
}
