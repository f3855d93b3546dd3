/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small KTAP (kselftest) harness for vmmon's test programs: a test is
 * a function returning a result, registered in a table; EXPECT_* records
 * a failure and goes on, ASSERT_* records it and ends the test, as in
 * kselftest_harness.h.  Output is KTAP version 13 with the kselftest
 * "# Totals:" line, which scripts/ktap-check.sh judges.
 */
#ifndef VMMON_KTAP_H
#define VMMON_KTAP_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum ktap_result { KTAP_PASS, KTAP_FAIL, KTAP_SKIP };

struct ktap_case {
	const char *name;
	enum ktap_result (*fn)(void);
};

#define KTAP_CASE(fn) { #fn, fn }

/* Run @n cases, print KTAP and the totals; returns the exit status. */
int ktap_run(const struct ktap_case *cases, int n);

/* Diagnostic line ("# ...") inside the running test. */
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* End the running test as skipped, with a reason. */
enum ktap_result ktap_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Record a failed check of the running test; used by the macros. */
void ktap_check_failed(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define EXPECT_TRUE(cond) ({						\
	bool __ok = (cond);						\
	if (!__ok)							\
		ktap_check_failed(__FILE__, __LINE__, "expected %s", #cond); \
	__ok;								\
})

#define ASSERT_TRUE(cond) do {						\
	if (!EXPECT_TRUE(cond))						\
		return KTAP_FAIL;					\
} while (0)

#define EXPECT_EQ(a, b) ({						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b)							\
		ktap_check_failed(__FILE__, __LINE__,			\
				  "%s is %lld, expected %s (%lld)",	\
				  #a, __a, #b, __b);			\
	__a == __b;							\
})

#define ASSERT_EQ(a, b) do {						\
	if (!EXPECT_EQ(a, b))						\
		return KTAP_FAIL;					\
} while (0)

/* @call must fail with -1 and errno @err. */
#define EXPECT_ERRNO(call, err) ({					\
	long __r = (long)(call);					\
	int __e = errno;						\
	bool __ok = __r == -1 && __e == (err);				\
	if (!__ok)							\
		ktap_check_failed(__FILE__, __LINE__,			\
				  "%s returned %ld (%s), expected -1 (%s)", \
				  #call, __r, __r == -1 ? strerror(__e) : "no error", \
				  strerror(err));			\
	__ok;								\
})

/* @call must succeed (not return -1); shows errno when it does not. */
#define ASSERT_OK(call) do {						\
	long __r = (long)(call);					\
	if (__r == -1) {						\
		ktap_check_failed(__FILE__, __LINE__, "%s failed: %s",	\
				  #call, strerror(errno));		\
		return KTAP_FAIL;					\
	}								\
} while (0)

#endif /* VMMON_KTAP_H */
