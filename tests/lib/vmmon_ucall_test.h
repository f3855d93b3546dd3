/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a long-mode test guest (vmmon_guest.h) from a kselftest test:
 * to its next ucall or exit, with a diagnostic when it is not the one
 * expected.  For the suites whose guests are C functions.
 */
#ifndef VMMON_UCALL_TEST_H
#define VMMON_UCALL_TEST_H

#include <stdbool.h>
#include "vmmon_guest.h"
#include "vmmon_harness.h"

static inline void show_exit(struct __test_metadata *_metadata,
		      const struct vmmon_guest *g)
{
	vmmon_show_exit(g->run);
	if (g->error[0])
		TH_LOG("library: %s", g->error);
}

/* Run to the next exit that is not a ucall; false (and why) otherwise. */
static inline bool run_to_exit(struct __test_metadata *_metadata,
			struct vmmon_guest *g, uint32_t reason)
{
	struct vmmon_ucall uc;
	char buf[256];
	int kind = vmmon_guest_run_ucall(g, &uc);
	bool ok = kind == VMMON_UCALL_NONE && g->run->exit_reason == reason;

	EXPECT_TRUE(ok) {
		if (kind > 0)
			TH_LOG("ucall: %s",
			       vmmon_ucall_describe(&uc, buf, sizeof(buf)));
		else
			show_exit(_metadata, g);
		TH_LOG("expected exit %u", reason);
	}
	return ok;
}

/* Run to the next ucall of kind @cmd, into *@uc. */
static inline bool run_to_ucall(struct __test_metadata *_metadata,
			 struct vmmon_guest *g, struct vmmon_ucall *uc,
			 uint32_t cmd)
{
	char buf[256];
	int kind = vmmon_guest_run_ucall(g, uc);
	bool ok = kind == (int)cmd;

	EXPECT_TRUE(ok) {
		if (kind > 0)
			TH_LOG("ucall: %s",
			       vmmon_ucall_describe(uc, buf, sizeof(buf)));
		else
			show_exit(_metadata, g);
		TH_LOG("expected ucall %u", cmd);
	}
	return ok;
}

#endif /* VMMON_UCALL_TEST_H */
