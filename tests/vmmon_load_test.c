// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life cycle: load, the refusal on a CPU without VT-x,
 * rmmod while a VM exists, unload leaving no CPU in VMX root, reload.
 * Loads vmmon.ko itself (finit_module), so run it as root with the
 * module unloaded; it leaves the module unloaded.
 *
 * What can be tested depends on the CPU: without VT-x, only that the load
 * is refused; with VT-x short of what vmmon needs, only that refusal; with
 * enough VT-x, the life cycle.  Each is a fixture of its own, and main()
 * runs only the tests of this CPU's fixture: the others are neither run
 * nor counted as skipped.  The tests of the life cycle run one after the
 * other, each in its own process, on the module state the previous one
 * left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "vmmon_harness.h"
#include "vmmon_util.h"

/* Set by main() before the tests, which read it in their own processes. */
static const char *module_path;

/*
 * The fixtures only group the tests by kind of CPU: there is nothing to
 * set up, and no /dev/vmmon to open, since these tests load the module.
 */
#define CPU_FIXTURE(name)						\
	FIXTURE(name) {};						\
	FIXTURE_SETUP(name) {}						\
	FIXTURE_TEARDOWN(name) {}

/* A CPU without VT-x (QEMU's TCG here). */
CPU_FIXTURE(no_vtx)
/* A VT-x CPU without some capability vmmon needs. */
CPU_FIXTURE(short_vtx)
/* A CPU with what vmmon needs (Bochs's here, or a real host's). */
CPU_FIXTURE(vtx)

TEST_F(no_vtx, load_refused_without_vtx)
{
	int mark = log_mark();

	EXPECT_ERRNO(module_load(module_path, NULL), ENODEV);
	EXPECT_TRUE(log_since(mark, "vmmon: CPU has no VT-x (CPUID.1:ECX.VMX is 0)"));
	EXPECT_TRUE(!module_loaded("vmmon"));
	EXPECT_TRUE(access(VMMON_DEV, F_OK) != 0);
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
TEST_F(short_vtx, load_refused_missing_capability)
{
	int mark = log_mark();
	size_t i;

	EXPECT_ERRNO(module_load(module_path, NULL), EOPNOTSUPP);
	for (i = 0; i < NR_REQUIRED_FLAGS; i++) {
		if (cpuinfo_has_flag(required_flags[i].flag))
			continue;
		/* Flushed at once: the harness ends the test with _exit(). */
		ksft_print_msg("the CPU has no \"%s\"\n", required_flags[i].flag);
		fflush(stdout);
		EXPECT_TRUE(log_since(mark, required_flags[i].line));
	}
	EXPECT_TRUE(log_since(mark, "required VT-x capabilities missing"));
	EXPECT_TRUE(!module_loaded("vmmon"));
}

TEST_F(vtx, load_succeeds_with_summary)
{
	char line[64];
	int mark = log_mark();

	ASSERT_OK(module_load(module_path, NULL));
	snprintf(line, sizeof(line), "vmmon: VT-x ready on %d CPU%s, API ",
		 online_cpus(), online_cpus() == 1 ? "" : "s");
	EXPECT_TRUE(log_since(mark, line));
	EXPECT_TRUE(log_since(mark, "EPT 4-level WB"));
}

TEST_F(vtx, device_and_counters_appear)
{
	struct stat st;

	ASSERT_OK(stat(VMMON_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 10U);	/* a misc device */
	EXPECT_EQ(vmmon_counter("vms"), 0);
	EXPECT_EQ(vmmon_counter("vmx_cpus"), 0);
}

TEST_F(vtx, rmmod_refused_while_vm_open)
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
}

TEST_F(vtx, rmmod_after_close)
{
	int mark = log_mark();

	ASSERT_OK(module_unload("vmmon"));
	EXPECT_TRUE(!module_loaded("vmmon"));
	EXPECT_TRUE(access(VMMON_DEV, F_OK) != 0);
	EXPECT_TRUE(log_since(mark, "vmmon: unloaded"));
}

/*
 * A VM after reloading needs every CPU to enter VMX root again, which
 * vmmon refuses where CR4.VMXE is still set: rmmod left none in.
 * (vmmon_dev_test's unload_clean has KVM check the same independently.)
 */
TEST_F(vtx, reload_works)
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
}

/*
 * Leave only @name's tests registered.  The 6.1 harness runs every test
 * it registered and has no option to choose some (later ones have -f),
 * so this unlinks the other fixtures from its list: the plan ("1..N")
 * and the results are then those of this CPU's fixture alone.
 */
static void run_only_fixture(const char *name)
{
	struct __fixture_metadata *f;

	for (f = __fixture_list; f; f = f->next) {
		if (!strcmp(f->name, name)) {
			f->prev = f;
			f->next = NULL;
			__fixture_list = f;
			return;
		}
	}
}

int main(int argc, char **argv)
{
	module_path = vmmon_module_path(argc, argv);
	if (module_loaded("vmmon") && module_unload("vmmon")) {
		printf("Bail out! vmmon is loaded and cannot be unloaded: %s\n",
		       strerror(errno));
		return 1;
	}
	if (!cpuinfo_has_flag("vmx"))
		run_only_fixture("no_vtx");
	else if (cpu_lacks_required_flag())
		run_only_fixture("short_vtx");
	else
		run_only_fixture("vtx");
	return test_harness_run(argc, argv);
}
