// SPDX-License-Identifier: GPL-2.0
/*
 * memhog N: allocate and touch N MiB in steps of MEMHOG_STEP_MIB, keep it
 * all until the end, print "memhog: M MiB" after each step and
 * "memhog: done N MiB" at the end; exit 0.  For the balloon's memory
 * pressure test in the Linux guest (static, in the initramfs by
 * scripts/mkguest.sh): the guest's OOM path must give pages back so that
 * this finishes.  Every page is written, not only mapped, so each one
 * really takes memory (no shared zero page).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEMHOG_STEP_MIB	8
#define MIB		(1024UL * 1024)

int main(int argc, char **argv)
{
	unsigned long mib, done, step, off;
	long page = sysconf(_SC_PAGESIZE);
	char *end, *p;

	if (argc != 2 || !*argv[1]) {
		fprintf(stderr, "usage: memhog MIB\n");
		return 2;
	}
	errno = 0;
	mib = strtoul(argv[1], &end, 10);
	if (*end || errno || !mib || mib > (~0UL >> 1) / MIB) {
		fprintf(stderr, "memhog: bad size %s\n", argv[1]);
		return 2;
	}
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
