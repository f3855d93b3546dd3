// SPDX-License-Identifier: GPL-2.0
/*
 * find_bytes: whether a file holds a string, anywhere in its bytes, for
 * the rig's shell suites (vmctl_firmware looks for the file its disk
 * guest wrote in the disk image). Busybox's grep cannot: it matches
 * line by line, and -F stops at a line's first NUL, which a disk image
 * is full of; its regular expressions go past them at about 230
 * instructions a byte (94 s of the rig's emulated time for a 21 MiB
 * image), a pipe through tr -d '\0' at about 18 (7.6 s).
 *
 * usage: find_bytes FILE STRING   (status 0 found, 1 not found, 2 error)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FOUND, NOT_FOUND, FAILED };

int main(int argc, char **argv)
{
	struct stat st;
	void *map;
	int fd, ret;

	if (argc != 3 || !argv[2][0]) {
		fprintf(stderr, "usage: find_bytes FILE STRING\n");
		return FAILED;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return FAILED;
	}
	if (st.st_size == 0) {
		close(fd);
		return NOT_FOUND;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		perror(argv[1]);
		close(fd);
		return FAILED;
	}
	ret = memmem(map, st.st_size, argv[2], strlen(argv[2])) ? FOUND : NOT_FOUND;
	munmap(map, st.st_size);
	close(fd);
	return ret;
}
