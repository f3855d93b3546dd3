/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frame of a suite that runs against the loaded module: tests are
 * VMMON_TEST(name) { ... } on the harness's fixture "vmmon", and the file
 * ends with VMMON_TEST_MAIN.  main() loads vmmon.ko when it is not loaded
 * (--module PATH, else beside the program); each test then runs in its own
 * process with /dev/vmmon open in the global `dev`, so a test that fails
 * or hangs takes its VMs with it when the harness reaps it, and the
 * harness itself holds no reference that would keep the module loaded.
 */
#ifndef VMMON_TEST_H
#define VMMON_TEST_H

#include <unistd.h>
#include "vmmon_harness.h"
#include "vmmon_util.h"

static int dev = -1;

FIXTURE(vmmon) {};

FIXTURE_SETUP(vmmon)
{
	dev = vmmon_open();
	ASSERT_OK(dev);
}

FIXTURE_TEARDOWN(vmmon)
{
	if (dev >= 0)
		close(dev);
	dev = -1;
}

#define VMMON_TEST(name) TEST_F(vmmon, name)
#define VMMON_TEST_TIMEOUT(name, seconds) TEST_F_TIMEOUT(vmmon, name, seconds)

/*
 * The last test of every suite: with /dev/vmmon closed, no VM, vCPU or
 * guest page may be left, and the module must unload.
 */
#define VMMON_UNLOAD_TEST(name)						\
VMMON_TEST(name)							\
{									\
	close(dev);							\
	dev = -1;							\
	EXPECT_EQ(0, vmmon_counter("vms"));				\
	EXPECT_EQ(0, vmmon_counter("vcpus"));				\
	EXPECT_EQ(0, vmmon_counter("guest_pages"));			\
	ASSERT_OK(module_unload("vmmon"));				\
}

/* Load the module if needed, then run the tests. */
static inline int vmmon_test_main(int argc, char **argv)
{
	if (vmmon_suite_load(argc, argv))
		return KSFT_FAIL;
	return test_harness_run(argc, argv);
}

/* The end of most suites: unload_clean, then main(). */
#define VMMON_TEST_MAIN							\
VMMON_UNLOAD_TEST(unload_clean)						\
									\
int main(int argc, char **argv)						\
{									\
	return vmmon_test_main(argc, argv);				\
}

#endif /* VMMON_TEST_H */
