// SPDX-License-Identifier: GPL-2.0
/* Opening /dev/vmmon, with an explanation for each way it can fail. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmctl.h"

static void (*err_sink)(const char *text, size_t len);

void vmctl_err_sink(void (*sink)(const char *text, size_t len))
{
	err_sink = sink;
}

void vmctl_err_write(const char *text, size_t len)
{
	if (err_sink)
		err_sink(text, len);
	else
		fwrite(text, 1, len, stderr);
}

void vmctl_err(const char *fmt, ...)
{
	char line[VMCTL_ERR_MAX];
	va_list ap;
	int n = snprintf(line, sizeof(line), "vmctl: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* A longer message is cut, its line end kept. */
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = 0;
	vmctl_err_write(line, n);
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
