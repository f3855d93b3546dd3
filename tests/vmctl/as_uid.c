// SPDX-License-Identifier: GPL-2.0
/*
 * as_uid: run a program as another user, for the rig's shell suites:
 * the test image's busybox has no setpriv --reuid, and su needs an
 * /etc/passwd it does not have.
 *
 * usage: as_uid UID PROGRAM ARGS...   (uid and gid UID, no groups)
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long id;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: as_uid UID PROGRAM ARGS...\n");
		return 2;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || end == argv[1]) {
		fprintf(stderr, "as_uid: bad uid '%s'\n", argv[1]);
		return 2;
	}
	/* Groups first: after setuid() there is no right to drop them. */
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		perror("as_uid");
		return 126;
	}
	execv(argv[2], argv + 2);
	fprintf(stderr, "as_uid: cannot run %s: %s\n", argv[2], strerror(errno));
	return 127;
}
