// SPDX-License-Identifier: GPL-2.0
/*
 * memhog N: allocate and touch N MiB in steps of MEMHOG_STEP_MIB, keep it
 * all until the end, print "memhog: M MiB" after each step and
 * "memhog: done N MiB" at the end; exit 0.  For the balloon's memory
 * pressure test in the Linux guest (static, in the initramfs by
 * scripts/mkguest.sh): the guest's OOM path must give pages back so that
 * this finishes.  Every page is written, not only mapped, so each one
 * really takes memory (no shared zero page).
 *
 * memhog MAX follow: a workload that wants all the memory it is given,
 * for the memory policy's experiment (tests/vmctl_memsched_test.sh): a
 * working set that grows by MEMHOG_FOLLOW_STEP_MIB while the guest's
 * MemFree is above MEMHOG_FOLLOW_HIGH_MIB (up to MAX MiB) and gives its
 * last step back while MemFree is below MEMHOG_FOLLOW_LOW_MIB, so that a
 * balloon inflating finds free pages (its allocations do not reclaim) and
 * one deflating sees its pages used; every page of the set is written
 * each pass, for ever.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEMHOG_STEP_MIB	8
#define MIB		(1024UL * 1024)
#define MEMHOG_FOLLOW_STEP_MIB	4
#define MEMHOG_FOLLOW_HIGH_MIB	16
#define MEMHOG_FOLLOW_LOW_MIB	8
#define MEMHOG_FOLLOW_STEPS_MAX	128	/* at most 512 MiB */

/* The guest's MemFree in MiB, or -1. */
static long memfree_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

static int follow(unsigned long max_mib, long page)
{
	static char *steps[MEMHOG_FOLLOW_STEPS_MAX];
	unsigned long n = 0, i, off, pass;
	long free_mib;
	char *p;

	if (max_mib > MEMHOG_FOLLOW_STEPS_MAX * MEMHOG_FOLLOW_STEP_MIB) {
		fprintf(stderr, "memhog: follow takes at most %d MiB\n",
			MEMHOG_FOLLOW_STEPS_MAX * MEMHOG_FOLLOW_STEP_MIB);
		return 2;
	}
	for (pass = 1;; pass++) {
		free_mib = memfree_mib();
		if (free_mib < 0) {
			fprintf(stderr, "memhog: no MemFree in /proc/meminfo\n");
			return 1;
		}
		if (free_mib > MEMHOG_FOLLOW_HIGH_MIB &&
		    (n + 1) * MEMHOG_FOLLOW_STEP_MIB <= max_mib) {
			p = mmap(NULL, MEMHOG_FOLLOW_STEP_MIB * MIB,
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED)
				steps[n++] = p;
		} else if (free_mib < MEMHOG_FOLLOW_LOW_MIB && n) {
			munmap(steps[--n], MEMHOG_FOLLOW_STEP_MIB * MIB);
		}
		for (i = 0; i < n; i++)
			for (off = 0; off < MEMHOG_FOLLOW_STEP_MIB * MIB;
			     off += page)
				((volatile char *)steps[i])[off] = (char)pass;
	}
}

int main(int argc, char **argv)
{
	unsigned long mib, done, step, off;
	long page = sysconf(_SC_PAGESIZE);
	char *end, *p;

	if (argc < 2 || argc > 3 || !*argv[1] ||
	    (argc == 3 && strcmp(argv[2], "follow"))) {
		fprintf(stderr, "usage: memhog MIB [follow]\n");
		return 2;
	}
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (*end || errno || !mib || mib > (~0UL >> 1) / MIB) {
		fprintf(stderr, "memhog: bad size %s\n", argv[1]);
		return 2;
	}
	if (argc == 3)
		return follow(mib, page);
	for (done = 0; done < mib; done += step) {
		step = mib - done < MEMHOG_STEP_MIB ? mib - done : MEMHOG_STEP_MIB;
		p = mmap(NULL, step * MIB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fprintf(stderr, "memhog: mmap after %lu MiB: %s\n",
				done, strerror(errno));
			return 1;
		}
		for (off = 0; off < step * MIB; off += page)
			p[off] = (char)(off / page) | 1;
		printf("memhog: %lu MiB\n", done + step);
		fflush(stdout);
	}
	printf("memhog: done %lu MiB\n", mib);
	return 0;
}
