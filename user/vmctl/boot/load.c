// SPDX-License-Identifier: GPL-2.0
/* Pick the loader for --kernel, and what every loader shares. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "boot/boot.h"
#include "vmctl.h"

/*
 * A kernel or initrd goes below 4 GiB, beside the rest: 1 GiB is already
 * more than any guest of vmctl's needs.
 */
#define BOOT_FILE_MAX		(1ULL << 30)

/* Open @path, a regular file vmctl can load; -1 after a message. */
static int boot_open_file(const char *path, const char *what,
			  struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		vmctl_err("cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		/* Its size is needed first: a pipe has none. */
		vmctl_err("%s %s is not a regular file (a pipe or <(...) cannot be loaded: save it to a file)",
			  what, path);
		goto err;
	}
	if ((uint64_t)st->st_size > BOOT_FILE_MAX) {
		vmctl_err("%s %s is larger than vmctl loads (%llu MiB, at most 1024)",
			  what, path, (unsigned long long)(st->st_size >> 20));
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

int boot_check_file(const char *path, const char *what)
{
	struct stat st;
	int fd = boot_open_file(path, what, &st);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int boot_read_file(const char *path, const char *what, uint8_t **data,
		   size_t *size)
{
	struct stat st;
	ssize_t n;
	size_t done = 0;
	int fd = boot_open_file(path, what, &st);

	if (fd < 0)
		return -1;
	*size = st.st_size;
	*data = malloc(*size ? *size : 1);
	if (!*data) {
		vmctl_err("no memory to read %s %s", what, path);
		goto err;
	}
	while (done < *size) {
		n = read(fd, *data + done, *size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vmctl_err("cannot read %s %s: %s", what, path,
				  n ? strerror(errno) : "file shrank");
			free(*data);
			goto err;
		}
		done += n;
	}
	close(fd);
	return 0;
err:
	close(fd);
	return -1;
}

void boot_flat_segment(struct vmmon_segment *s, uint16_t selector,
		       uint16_t ar)
{
	*s = (struct vmmon_segment){ .limit = 0xffffffff, .selector = selector,
				     .ar = ar };
}

int boot_enter(struct vm *vm, const struct vmmon_sregs *s,
	       const struct vmmon_regs *r)
{
	struct vcpu *v = &vm->vcpus[0];

	if (ioctl(v->fd, VMMON_SET_SREGS, s) || ioctl(v->fd, VMMON_SET_REGS, r)) {
		vmctl_err("vmmon refused the kernel's entry state: %s",
			  strerror(errno));
		return -1;
	}
	return 0;
}

unsigned int boot_memory_map(const struct vm *vm,
			     struct boot_mem_range r[BOOT_MAX_RANGES])
{
	const struct guest_mem *m = &vm->mem;
	unsigned int n = 0;

	r[n++] = (struct boot_mem_range){ 0, BOOT_EBDA, E820_RAM };
	r[n++] = (struct boot_mem_range){ BOOT_EBDA, BOOT_HIGH - BOOT_EBDA,
					  E820_RESERVED };
	r[n++] = (struct boot_mem_range){ BOOT_HIGH, m->low_size - BOOT_HIGH,
					  E820_RAM };
	if (m->high_size)
		r[n++] = (struct boot_mem_range){ GUEST_MEM_HIGH_START,
						  m->high_size, E820_RAM };
	return n;
}

int boot_probe(struct boot_image *img, const char *path)
{
	int err = 0;

	if (boot_read_file(path, "kernel", &img->data, &img->size))
		return -1;
	if (boot_linux_probe(path, img->data, img->size, &err)) {
		img->kind = BOOT_LINUX;
	} else if (!err &&
		   boot_multiboot_probe(path, img->data, img->size, &err)) {
		img->kind = BOOT_MULTIBOOT;
	} else {
		if (!err)
			vmctl_err("%s is neither a bzImage nor a multiboot kernel",
				  path);
		boot_image_free(img);
		return -1;
	}
	return 0;
}

void boot_image_free(struct boot_image *img)
{
	free(img->data);
	img->data = NULL;
}

int boot_load(struct vm *vm, const struct boot_image *img)
{
	switch (img->kind) {
	case BOOT_LINUX:
		return boot_linux(vm, img->data, img->size);
	case BOOT_MULTIBOOT:
		return boot_multiboot(vm, img->data, img->size);
	case BOOT_FIRMWARE:
		break;
	}
	return boot_firmware(vm, img->data, img->size);
}
