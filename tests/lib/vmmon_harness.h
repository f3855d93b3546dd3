/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's kselftest harness (kselftest_harness.h: TEST, FIXTURE, a
 * forked process and a timeout per test, KTAP out), which
 * scripts/kselftest-fetch.sh extracts from Debian's linux-source package,
 * with the two checks vmmon's tests add on top of it.  Include it once per
 * program, in the file that holds the tests: the harness header defines
 * functions and globals of its own.
 */
#ifndef VMMON_HARNESS_H
#define VMMON_HARNESS_H

#include <errno.h>
#include <string.h>
/* The harness's own code is not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * The harness gives a test 30 s.  In the emulated VT-x PC one instruction
 * takes about as long as 100 on real hardware, and a test that boots a
 * guest or cycles the module runs for a minute or more there.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

/*
 * Each test's process ends with _exit() (abort() after a failed ASSERT),
 * which flushes nothing: stdout line-buffered keeps the "# ..." lines a
 * test prints when stdout is a pipe (make check-host tees it).
 */
static void __attribute__((constructor)) vmmon_harness_line_buffered(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/*
 * TEST() as the harness has it, but the wrapper it defines does not use
 * its variant parameter, and a pragma around the #include above does not
 * reach code expanded in the test file: the warning is turned off for the
 * harness's part of the expansion only, and the test's own function is
 * declared again after it, where the body follows.
 */
#undef TEST
#define TEST(test_name)							\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wunused-parameter\"")	\
	__TEST_IMPL(test_name, -1);					\
	_Pragma("GCC diagnostic pop")					\
	static void test_name(						\
		struct __test_metadata __attribute__((unused)) *_metadata)

/* @call must succeed (not return -1); the failure names errno. */
#define ASSERT_OK(call) do {						\
	long __r = (long)(call);					\
	int __e = errno;						\
	ASSERT_NE(-1, __r)						\
		TH_LOG("%s failed: %s", #call, strerror(__e));	\
} while (0)

/* @call must fail with -1 and errno @err. */
#define __ERRNO_CHECK(call, err, check) do {				\
	long __r = (long)(call);					\
	int __e = errno;						\
	check(__r == -1 && __e == (err))				\
		TH_LOG("%s returned %ld (%s), expected -1 (%s)", #call,	\
		       __r, __r == -1 ? strerror(__e) : "no error",	\
		       strerror(err));					\
} while (0)
#define EXPECT_ERRNO(call, err) __ERRNO_CHECK(call, err, EXPECT_TRUE)
#define ASSERT_ERRNO(call, err) __ERRNO_CHECK(call, err, ASSERT_TRUE)

#endif /* VMMON_HARNESS_H */
