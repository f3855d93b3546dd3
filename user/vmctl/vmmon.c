// SPDX-License-Identifier: GPL-2.0
/* Opening /dev/vmmon, with an explanation for each way it can fail. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmctl.h"

void vmctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("vmctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* On a raw terminal (the console) \n alone keeps the column. */
	fputs(isatty(STDERR_FILENO) ? "\r\n" : "\n", stderr);
}

int vmctl_open_device(const char *device)
{
	struct vmmon_version ver;
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			vmctl_err("%s does not exist: is the vmmon module loaded? (insmod vmmon.ko)",
				  device);
		else if (errno == EACCES || errno == EPERM)
			vmctl_err("no permission to open %s: join group vmmon (set by the udev rule that 'make install' installs) or run as root",
				  device);
		else
			vmctl_err("cannot open %s: %s", device, strerror(errno));
		return -1;
	}
	if (ioctl(fd, VMMON_GET_API_VERSION, &ver)) {
		vmctl_err("%s is not a vmmon device: %s", device,
			  strerror(errno));
		goto err;
	}
	if (ver.api != VMMON_API_VERSION) {
		vmctl_err("the vmmon module speaks API %u, this vmctl speaks %u: build both from the same tree",
			  ver.api, VMMON_API_VERSION);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

long vmctl_counter(const char *name)
{
	char path[128];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/vmmon/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &value) != 1)
		value = -1;
	fclose(f);
	return value;
}
