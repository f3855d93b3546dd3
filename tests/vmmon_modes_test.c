// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in each mode the test library offers (lib/vmmon_guest.h): real
 * mode and 32-bit protected mode running machine code from asm blocks in
 * this file, and 64-bit long mode running C functions of this program,
 * with ucalls (GUEST_SYNC, GUEST_DONE, GUEST_ASSERT*), exception handlers
 * and a host that refuses a ucall at an address the guest does not map.
 * Loads vmmon.ko if needed; the last test unloads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>
#include <uapi/vmmon.h>
#include "vmmon_guest.h"
#include "vmmon_test.h"

#define GUEST_RAM	(64 * 1024)
#define COM1		0x3f8
#define HELLO		"hello"
/* Seconds a guest may run without an exit to here: none needs one. */
#define RUN_TIMEOUT	20

#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)

/*
 * The same loop in both modes: OUT each byte of "hello" to COM1, then
 * HLT.  Real mode reaches the text at its fixed address; 32-bit code
 * finds it with call/pop, which also uses the 32-bit stack.
 */
asm(
"	.pushsection .rodata, \"a\", @progbits\n"
"	.code16\n"
"modes_real_hello:\n"
"	mov $" __stringify(COM1) ", %dx\n"
"	mov $(" __stringify(VMMON_GUEST_CODE)
	" + modes_real_msg - modes_real_hello), %si\n"
"1:	mov (%si), %al\n"
"	test %al, %al\n"
"	jz 2f\n"
"	out %al, %dx\n"
"	inc %si\n"
"	jmp 1b\n"
"2:	hlt\n"
"modes_real_msg:\n"
"	.asciz \"" HELLO "\"\n"
"modes_real_end:\n"
"	.code32\n"
"modes_prot32_hello:\n"
"	call 1f\n"
"1:	pop %esi\n"
"	add $(modes_prot32_msg - 1b), %esi\n"
"	mov $" __stringify(COM1) ", %dx\n"
"2:	movb (%esi), %al\n"
"	test %al, %al\n"
"	jz 3f\n"
"	out %al, %dx\n"
"	inc %esi\n"
"	jmp 2b\n"
"3:	hlt\n"
"modes_prot32_msg:\n"
"	.asciz \"" HELLO "\"\n"
"modes_prot32_end:\n"
"	.code64\n"
"	.popsection\n"
);

extern const uint8_t modes_real_hello[], modes_real_msg[], modes_real_end[];
extern const uint8_t modes_prot32_hello[], modes_prot32_msg[];
extern const uint8_t modes_prot32_end[];

static void on_alarm(int sig)
{
	(void)sig;
	vmmon_run_interrupt();
}

/*
 * vmmon_guest_run_ucall, but a guest stuck in a loop (an exception
 * handler that does not advance RIP, say) ends it with EINTR after
 * RUN_TIMEOUT seconds instead of hanging the test until the harness
 * kills it.  The handler is set here, in the test's own process: a
 * handler without SA_RESTART, so that the signal ends RUN.
 */
static int run_ucall(struct vmmon_guest *g, struct vmmon_ucall *uc)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_sec = RUN_TIMEOUT } };
	struct itimerval off = { 0 };
	int r;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	r = vmmon_guest_run_ucall(g, uc);
	setitimer(ITIMER_REAL, &off, NULL);
	return r;
}

/*
 * Run once; true when the result is the ucall @want (VMMON_UCALL_NONE:
 * any other exit), else a failure that says what came instead.
 */
static bool expect_ucall(struct __test_metadata *_metadata,
			 struct vmmon_guest *g, struct vmmon_ucall *uc,
			 int want)
{
	int got = run_ucall(g, uc), err = errno;
	char text[320];

	EXPECT_EQ(want, got) {
		if (got < 0 && err == EINTR)
			TH_LOG("the guest ran %d s without an exit to here",
			       RUN_TIMEOUT);
		else if (got < 0)
			TH_LOG("%s", g->error);
		else if (got == VMMON_UCALL_NONE)
			vmmon_show_exit(g->run);
		else
			TH_LOG("%s", vmmon_ucall_describe(uc, text,
							  sizeof(text)));
	}
	return got == want;
}

/*
 * Five exits, each an OUT to COM1 of the next byte of "hello"; at the
 * first that is not, a failure, the exit shown, and false.
 */
static bool expect_hello(struct __test_metadata *_metadata,
			 struct vmmon_guest *g)
{
	const struct vmmon_run *run = g->run;
	struct vmmon_ucall uc;
	bool ok;
	int i;

	for (i = 0; i < (int)strlen(HELLO); i++) {
		ok = expect_ucall(_metadata, g, &uc, VMMON_UCALL_NONE);
		if (ok) {
			EXPECT_EQ(run->exit_reason, (__u32)VMMON_EXIT_IO);
			ok = run->exit_reason == VMMON_EXIT_IO;
		}
		if (ok) {	/* io.data_offset is valid */
			EXPECT_EQ(run->io.port, COM1);
			EXPECT_EQ(run->io.size, 1);
			EXPECT_EQ(run->io.direction, VMMON_IO_OUT);
			EXPECT_EQ(((const uint8_t *)run)[run->io.data_offset],
				  HELLO[i]);
			ok = run->io.port == COM1 && run->io.size == 1 &&
			     run->io.direction == VMMON_IO_OUT &&
			     ((const uint8_t *)run)[run->io.data_offset] ==
			     HELLO[i];
		}
		if (!ok) {
			vmmon_show_exit(g->run);
			return false;
		}
	}
	return true;
}

typedef void (*check_fn)(struct __test_metadata *_metadata,
			 struct vmmon_guest *g);

/*
 * A case's checks, on the guest it created (@create is what creating it
 * returned); the guest is destroyed after them, or by the test process's
 * exit when an ASSERT ends the test.
 */
static void run_checks(struct __test_metadata *_metadata,
		       struct vmmon_guest *g, int create, check_fn check)
{
	int err = errno;

	ASSERT_EQ(0, create)
		TH_LOG("creating the guest: %s",
		       g->error[0] ? g->error : strerror(err));
	check(_metadata, g);
	vmmon_guest_destroy(g);
}

/* The hello code of one mode, then HLT just past its last instruction. */
static void hello_then_hlt(struct __test_metadata *_metadata,
			   struct vmmon_guest *g, const uint8_t *msg,
			   const uint8_t *start)
{
	struct vmmon_ucall uc;
	struct vmmon_regs regs;

	ASSERT_TRUE(expect_hello(_metadata, g));
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_NONE));
	EXPECT_EQ(g->run->exit_reason, (__u32)VMMON_EXIT_HLT)
		vmmon_show_exit(g->run);
	ASSERT_OK(ioctl(g->vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rip, VMMON_GUEST_CODE + (__u64)(msg - start));
}

static void check_real_hello(struct __test_metadata *_metadata,
			     struct vmmon_guest *g)
{
	hello_then_hlt(_metadata, g, modes_real_msg, modes_real_hello);
}

VMMON_TEST(real_mode_guest_writes_hello)
{
	struct vmmon_guest g;

	run_checks(_metadata, &g,
		   vmmon_guest_create(&g, dev, GUEST_RAM, modes_real_hello,
				      modes_real_end - modes_real_hello),
		   check_real_hello);
}

static void check_prot32_hello(struct __test_metadata *_metadata,
			       struct vmmon_guest *g)
{
	struct vmmon_sregs sregs;
	struct vmmon_regs regs;

	/* An ASSERT there ends the test: these checks then do not run. */
	hello_then_hlt(_metadata, g, modes_prot32_msg, modes_prot32_hello);
	ASSERT_OK(ioctl(g->vcpu, VMMON_GET_SREGS, &sregs));
	EXPECT_EQ(sregs.cr0 & 0x80000001, 1u);	/* PE, not PG */
	EXPECT_EQ(sregs.cs.ar & 0x6000, 0x4000);	/* D, not L */
	ASSERT_OK(ioctl(g->vcpu, VMMON_GET_REGS, &regs));
	EXPECT_EQ(regs.rsp, (__u64)GUEST_RAM);	/* the call's push popped */
}

VMMON_TEST(protected_mode_guest_writes_hello)
{
	struct vmmon_guest g;

	run_checks(_metadata, &g,
		   vmmon_guest_create_prot32(&g, dev, GUEST_RAM,
					     modes_prot32_hello,
					     modes_prot32_end -
					     modes_prot32_hello),
		   check_prot32_hello);
}

static void guest_puts(uint16_t port, const char *s)
{
	while (*s)
		guest_outb(port, *s++);
}

static void guest_hello(void)
{
	guest_puts(COM1, HELLO);
	GUEST_DONE();
}

static void check_long_hello(struct __test_metadata *_metadata,
			     struct vmmon_guest *g)
{
	struct vmmon_sregs sregs;
	struct vmmon_ucall uc;

	ASSERT_TRUE(expect_hello(_metadata, g));
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_DONE));
	ASSERT_OK(ioctl(g->vcpu, VMMON_GET_SREGS, &sregs));
	EXPECT_EQ(sregs.efer & 0x400, 0x400u);	/* LMA */
	EXPECT_EQ(sregs.cs.ar & 0x2000, 0x2000);	/* L */
}

/* @check on a long-mode guest running @entry(@a0, @a1). */
static void run_long(struct __test_metadata *_metadata, const void *entry,
		     uint64_t a0, uint64_t a1, check_fn check)
{
	struct vmmon_guest g;

	run_checks(_metadata, &g,
		   vmmon_guest_create_long(&g, dev, 0, entry, a0, a1), check);
}

VMMON_TEST(long_mode_guest_writes_hello)
{
	run_long(_metadata, guest_hello, 0, 0, check_long_hello);
}

static uint64_t guest_global = 0x1234;
static uint64_t host_value;
static const char sync_text[] = "vmmon guest";

/*
 * A text; the sum of squares 1..n, a string's length and a global; then
 * what the host put in RAX and in memory; then a write of its own.
 */
static void guest_sync_values_guest(uint64_t n, uint64_t text)
{
	uint64_t sum = 0, reply, i;

	GUEST_PRINT("counting");
	for (i = 1; i <= n; i++)
		sum += i * i;
	GUEST_SYNC(sum, guest_strlen((const char *)text), guest_global);
	reply = GUEST_SYNC(1);
	GUEST_SYNC(reply, host_value);
	guest_global++;
	GUEST_SYNC(2);
}

static void check_sync_values(struct __test_metadata *_metadata,
			      struct vmmon_guest *g)
{
	struct vmmon_ucall uc;
	uint64_t seen;

	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_PRINT));
	EXPECT_STREQ(uc.text, "counting");
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	EXPECT_EQ(uc.nargs, 3u);
	EXPECT_EQ(uc.args[0], 385u);
	EXPECT_EQ(uc.args[1], strlen(sync_text));
	EXPECT_EQ(uc.args[2], 0x1234u);

	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	EXPECT_EQ(uc.args[0], 1u);
	ASSERT_OK(vmmon_guest_ucall_reply(g, 0xabcdef));
	host_value = 77;
	ASSERT_OK(VMMON_SYNC_TO_GUEST(g, host_value));
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	EXPECT_EQ(uc.args[0], 0xabcdefu);
	EXPECT_EQ(uc.args[1], 77u);

	/* The guest's increment is in its copy only. */
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	EXPECT_EQ(uc.args[0], 2u);
	ASSERT_OK(vmmon_guest_read(g, (uintptr_t)&guest_global, &seen,
				   sizeof(seen)));
	EXPECT_EQ(seen, 0x1235u);
	EXPECT_EQ(guest_global, 0x1234u);
	/* Returning from the entry function is GUEST_DONE. */
	EXPECT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_DONE));
}

VMMON_TEST(guest_sync_values)
{
	run_long(_metadata, guest_sync_values_guest, 10, (uintptr_t)sync_text,
		 check_sync_values);
}

static int ud_count, bp_count;
static uint64_t ud_vector;
static volatile int guest_zero;

static void on_ud(struct vmmon_guest_frame *f)
{
	ud_vector = f->vector;
	ud_count++;
	f->rip += 2;		/* past ud2 */
}

static void on_bp(struct vmmon_guest_frame *f)
{
	(void)f;		/* a trap: rip is past int3 already */
	bp_count++;
}

static void guest_exceptions(void)
{
	int i;

	guest_install_handler(6, on_ud);
	for (i = 0; i < 3; i++)
		asm volatile("ud2" : : : "memory");
	asm volatile("int3" : : : "memory");
	GUEST_SYNC(ud_count, bp_count, ud_vector);
	GUEST_SYNC(100 / guest_zero);
}

/* Whether the guest's code at @rip is DIV or IDIV. */
static bool is_divide(const struct vmmon_guest *g, uint64_t rip)
{
	uint8_t insn[4];
	int i = 0;

	if (vmmon_guest_read(g, rip, insn, sizeof(insn)))
		return false;
	while (i < 2 && ((insn[i] & 0xf0) == 0x40 || insn[i] == 0x66))
		i++;		/* REX, operand size */
	return (insn[i] == 0xf6 || insn[i] == 0xf7) &&
	       ((insn[i + 1] >> 3) & 7) >= 6;
}

static void check_exceptions(struct __test_metadata *_metadata,
			     struct vmmon_guest *g)
{
	struct vmmon_ucall uc;
	char text[320];

	/* #BP's handler from the host, #UD's from the guest. */
	ASSERT_OK(vmmon_guest_install_handler(g, 3, on_bp));
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	EXPECT_EQ(uc.args[0], 3u);
	EXPECT_EQ(uc.args[1], 1u);
	EXPECT_EQ(uc.args[2], 6u);

	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_ABORT));
	ksft_print_msg("%s\n", vmmon_ucall_describe(&uc, text, sizeof(text)));
	EXPECT_EQ(uc.nargs, 4u);
	EXPECT_EQ(uc.args[0], 0u);		/* #DE */
	EXPECT_EQ(uc.args[1], 0u);
	EXPECT_TRUE(is_divide(g, uc.args[2]));
	EXPECT_TRUE(strstr(uc.text, "#DE") != NULL);
}

VMMON_TEST(guest_exception_handler)
{
	run_long(_metadata, guest_exceptions, 0, 0, check_exceptions);
}

static void guest_assert_fails(void)
{
	GUEST_SYNC(__LINE__ + 1);
	GUEST_ASSERT_EQ(1, 2);
}

static void check_assert_location(struct __test_metadata *_metadata,
				  struct vmmon_guest *g)
{
	struct vmmon_ucall uc;
	char text[320];
	uint64_t line;

	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_SYNC));
	line = uc.args[0];
	ASSERT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_ABORT));
	ksft_print_msg("%s\n", vmmon_ucall_describe(&uc, text, sizeof(text)));
	EXPECT_STREQ(uc.file, __FILE__);
	EXPECT_EQ(uc.line, line);
	EXPECT_STREQ(uc.text, "1 == 2");
	EXPECT_EQ(uc.nargs, 2u);
	EXPECT_EQ(uc.args[0], 1u);
	EXPECT_EQ(uc.args[1], 2u);
}

VMMON_TEST(guest_assert_reports_location)
{
	run_long(_metadata, guest_assert_fails, 0, 0, check_assert_location);
}

/* A ucall's OUT with any address in RDI. */
static void guest_ucall_at(uint64_t gva)
{
	asm volatile("outb %%al, %0"
		     : : "i"(VMMON_UCALL_PORT), "a"(0), "D"(gva)
		     : "memory");
}

static void guest_bad_ucalls(void)
{
	struct vmmon_ucall uc;

	guest_ucall_at(0xdead000000ULL);		/* not mapped */
	guest_ucall_at(VMMON_GUEST_STACK_TOP - 8);	/* runs off the stack */
	guest_ucall_at(1ULL << 63);			/* not canonical */
	uc.cmd = 99;
	uc.nargs = 0;
	guest_ucall_at((uintptr_t)&uc);
	uc.cmd = VMMON_UCALL_SYNC;
	uc.nargs = 5;
	guest_ucall_at((uintptr_t)&uc);
	GUEST_DONE();
}

static void check_bad_ucalls(struct __test_metadata *_metadata,
			     struct vmmon_guest *g)
{
	static const int errs[] = { EFAULT, EFAULT, EFAULT, EINVAL, EINVAL };
	struct vmmon_ucall uc;
	unsigned int i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		g->error[0] = 0;
		EXPECT_ERRNO(run_ucall(g, &uc), errs[i]);
		EXPECT_TRUE(g->error[0] != 0);
		EXPECT_EQ(uc.cmd, (uint32_t)VMMON_UCALL_NONE);
		if (g->error[0])
			ksft_print_msg("refused: %s\n", g->error);
	}
	/* The guest goes on after each. */
	EXPECT_TRUE(expect_ucall(_metadata, g, &uc, VMMON_UCALL_DONE));
}

/*
 * Six runs, each of which a stuck guest makes last RUN_TIMEOUT: time for
 * all of them to say so before the harness ends the test.
 */
VMMON_TEST_TIMEOUT(bad_ucall_address_rejected, 6 * RUN_TIMEOUT + 60)
{
	run_long(_metadata, guest_bad_ucalls, 0, 0, check_bad_ucalls);
}

VMMON_TEST_MAIN
