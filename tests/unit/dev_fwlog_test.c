// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware's debug port (vm/fwlog.c): there only in firmware boots,
 * reads back 0xe9, copies the log to --firmware-log's file, and ends the
 * VM with VM_END_NO_BOOT at the end of a line that starts with SeaBIOS's
 * "No bootable device" (and for no other line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "vm/fwlog.c"
#include "vmmon_harness.h"

static struct {
	struct vm vm;
	struct vm_options opts;
	int ends;
	enum vm_end end;
	char path[64];
} t;

/* The board's end, counted: the one call fwlog makes into it. */
void vm_request_end(struct vm *vm, enum vm_end end, int detail)
{
	(void)detail;
	if (vm == &t.vm) {
		t.ends++;
		t.end = end;
	}
}

static void setup(uint64_t firmware_size, const char *log)
{
	memset(&t, 0, sizeof(t));
	t.opts.firmware_size = firmware_size;
	t.opts.firmware_log = log;
	t.vm.opts = &t.opts;
	t.vm.pio.name = "port";
}

static void say(const char *s)
{
	uint8_t c;

	for (; *s; s++) {
		c = *s;
		bus_access(&t.vm.pio, VM_FWLOG_PORT, &c, 1, true);
	}
}

TEST(absent_without_firmware)
{
	uint8_t c = 0;

	setup(0, NULL);
	ASSERT_EQ(fwlog_init(&t.vm), 0);
	EXPECT_FALSE(bus_access(&t.vm.pio, VM_FWLOG_PORT, &c, 1, false));
	EXPECT_EQ(c, 0xff);
	fwlog_stop(&t.vm);
}

TEST(reads_back_e9)
{
	uint8_t c = 0;

	setup(256 << 10, NULL);
	ASSERT_EQ(fwlog_init(&t.vm), 0);
	EXPECT_TRUE(bus_access(&t.vm.pio, VM_FWLOG_PORT, &c, 1, false));
	EXPECT_EQ(c, 0xe9);
	fwlog_stop(&t.vm);
}

TEST(no_bootable_device_ends_at_the_line_end)
{
	setup(256 << 10, NULL);
	ASSERT_EQ(fwlog_init(&t.vm), 0);
	say("Booting from Hard Disk...\nBoot failed: not a bootable disk\n\n");
	say("No bootable device.  Retrying in 1 seconds.");
	EXPECT_EQ(t.ends, 0);
	say("\n");
	EXPECT_EQ(t.ends, 1);
	EXPECT_EQ(t.end, VM_END_NO_BOOT);
	fwlog_stop(&t.vm);
}

TEST(other_lines_do_not_end)
{
	setup(256 << 10, NULL);
	ASSERT_EQ(fwlog_init(&t.vm), 0);
	say("xNo bootable device.\n");
	say("No bootable devic\n");
	say("No bootable\n device\n");
	say("Searching bootorder for: HALT\n");
	EXPECT_EQ(t.ends, 0);
	/* A long line before does not shift the next one's start. */
	say("a line far longer than the one fwlog compares, to be cut\n");
	say("No bootable device.\n");
	EXPECT_EQ(t.ends, 1);
	fwlog_stop(&t.vm);
}

TEST(log_copied_to_the_file)
{
	char buf[64] = { 0 };
	FILE *f;
	int fd;

	setup(256 << 10, NULL);
	strcpy(t.path, "/tmp/fwlog-test-XXXXXX");
	fd = mkstemp(t.path);
	ASSERT_GE(fd, 0);
	close(fd);
	t.opts.firmware_log = t.path;
	ASSERT_EQ(fwlog_init(&t.vm), 0);
	say("SeaBIOS (version x)\nfw_cfg\n");
	fwlog_stop(&t.vm);
	f = fopen(t.path, "r");
	ASSERT_TRUE(f != NULL);
	EXPECT_EQ(fread(buf, 1, sizeof(buf) - 1, f), 27u);
	EXPECT_STREQ(buf, "SeaBIOS (version x)\nfw_cfg\n");
	fclose(f);
	unlink(t.path);
}

TEST(unwritable_log_is_an_error)
{
	setup(256 << 10, "/nonexistent/dir/log");
	EXPECT_EQ(fwlog_init(&t.vm), -1);
	fwlog_stop(&t.vm);
}

TEST_HARNESS_MAIN
