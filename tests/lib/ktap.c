// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include "ktap.h"

static bool ktap_failed;
static char ktap_skip_reason[256];

void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

enum ktap_result ktap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ktap_skip_reason, sizeof(ktap_skip_reason), fmt, ap);
	va_end(ap);
	return KTAP_SKIP;
}

void ktap_check_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	ktap_failed = true;
}

int ktap_run(const struct ktap_case *cases, int n)
{
	int pass = 0, fail = 0, skip = 0;
	enum ktap_result r;
	int i;

	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		ktap_failed = false;
		ktap_skip_reason[0] = '\0';
		r = cases[i].fn();
		if (r == KTAP_PASS && ktap_failed)
			r = KTAP_FAIL;
		switch (r) {
		case KTAP_PASS:
			printf("ok %d %s\n", i + 1, cases[i].name);
			pass++;
			break;
		case KTAP_SKIP:
			printf("ok %d %s # SKIP %s\n", i + 1, cases[i].name,
			       ktap_skip_reason);
			skip++;
			break;
		case KTAP_FAIL:
			printf("not ok %d %s\n", i + 1, cases[i].name);
			fail++;
			break;
		}
		fflush(stdout);
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, fail, skip);
	fflush(stdout);
	return fail ? 1 : 0;
}
