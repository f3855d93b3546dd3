// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl run's console on a terminal (a pty here): Ctrl-A x quits with
 * status 4, Ctrl-A h prints help, and the terminal's modes come back on
 * every way out (quit, SIGTERM, guest power-off).  The guest is the
 * multiboot test kernel beside this program.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "vmmon_test.h"

#define WAIT_MS		20000

/*
 * Each test waits up to WAIT_MS for each line it expects, and as long
 * again for vmctl to end: more than the harness's default on a slow run.
 */
#define SESSION_TIMEOUT	180

/* Set by main() before the tests, which read them in their own processes. */
static char vmctl[PATH_MAX], kernel[PATH_MAX];

struct session {
	int master, slave;
	pid_t pid;
	char out[8192];
	size_t len;
	struct termios before;
};

#define SESSION_MAX_EXTRA	4

/*
 * vmctl run on a new pty, the guest's command line @append; its stdout
 * @out_fd instead of the pty where that is not -1; @extra more options
 * (NULL-terminated, or NULL).
 */
static int session_start_full(struct session *s, const char *append,
			      int out_fd, bool err_too,
			      const char *const *extra)
{
	const char *args[12 + SESSION_MAX_EXTRA] = {
		"vmctl", "run", "--kernel", kernel, "--append", append,
		"-m", "32M",
	};
	unsigned int n = 8;

	pid_t test = getpid();

	memset(s, 0, sizeof(*s));
	s->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (s->master < 0 || grantpt(s->master) || unlockpt(s->master))
		return -1;
	s->slave = open(ptsname(s->master), O_RDWR | O_NOCTTY);
	if (s->slave < 0 || tcgetattr(s->slave, &s->before))
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (!s->pid) {
		/*
		 * A test the harness kills at its time-out takes vmctl (in a
		 * session of its own, out of the test's process group) and its
		 * VM with it.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != test)
			_exit(127);
		setsid();
		ioctl(s->slave, TIOCSCTTY, 0);
		dup2(s->slave, 0);
		dup2(out_fd >= 0 ? out_fd : s->slave, 1);
		dup2(err_too && out_fd >= 0 ? out_fd : s->slave, 2);
		while (extra && *extra && n < 8 + SESSION_MAX_EXTRA)
			args[n++] = *extra++;
		execv(vmctl, (char *const *)args);
		_exit(127);
	}
	return 0;
}

static int session_start_args(struct session *s, const char *append,
			      int out_fd, const char *const *extra)
{
	return session_start_full(s, append, out_fd, false, extra);
}

static int session_start_out(struct session *s, const char *append,
			     int out_fd)
{
	return session_start_args(s, append, out_fd, NULL);
}

static int session_start(struct session *s, const char *append)
{
	return session_start_out(s, append, -1);
}

/* Read the pty until @text shows up (true) or time runs out. */
static bool session_expect(struct __test_metadata *_metadata,
			   struct session *s, const char *text)
{
	struct pollfd p = { .fd = s->master, .events = POLLIN };
	struct timespec t0, t;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		s->out[s->len] = 0;
		if (strstr(s->out, text))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 > WAIT_MS ||
		    s->len == sizeof(s->out) - 1)
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(s->master, s->out + s->len, sizeof(s->out) - 1 - s->len);
		if (n <= 0)
			break;
		s->len += n;
	}
	TH_LOG("no \"%s\" in: %s", text, s->out);
	return false;
}

/*
 * What vmctl wrote within 100 ms, so that it never blocks on the pty (past
 * a full s->out, thrown away).  session_expect() would wait WAIT_MS for
 * text that never comes: 20 s a session, most of this suite's time once.
 */
static void session_drain(struct session *s)
{
	struct pollfd p = { .fd = s->master, .events = POLLIN };
	char scratch[1024];
	size_t room = sizeof(s->out) - 1 - s->len;
	ssize_t n;

	if (poll(&p, 1, 100) <= 0)
		return;
	if (!room)
		n = read(s->master, scratch, sizeof(scratch));
	else if ((n = read(s->master, s->out + s->len, room)) > 0)
		s->len += n;
}

/*
 * vmctl's exit status, 128 + N for signal N as a shell says it (-1 if it
 * did not end in time); the pty then closed.
 */
static int session_end(struct session *s, bool *restored)
{
	struct timespec t0, t;
	struct termios after;
	bool ended = false;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			ended = true;
			break;
		}
		session_drain(s);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
		 (t.tv_nsec - t0.tv_nsec) / 1000000 <= WAIT_MS);
	if (!ended) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		status = -1;
	}
	*restored = !tcgetattr(s->slave, &after) &&
		    after.c_lflag == s->before.c_lflag &&
		    after.c_iflag == s->before.c_iflag &&
		    after.c_oflag == s->before.c_oflag;
	close(s->slave);
	close(s->master);
	if (status == -1)
		return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
				     WEXITSTATUS(status);
}

VMMON_TEST_TIMEOUT(ctrl_a_x_quits_and_restores, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "halt"));
	EXPECT_TRUE(session_expect(_metadata, &s, "multiboot ok: halt"));
	EXPECT_TRUE(session_expect(_metadata, &s, "Ctrl-A x quits"));
	EXPECT_EQ(write(s.master, "\001h", 2), 2);
	EXPECT_TRUE(session_expect(_metadata, &s, "console escapes"));
	EXPECT_EQ(write(s.master, "\001x", 2), 2);
	EXPECT_EQ(session_end(&s, &restored), 4);
	EXPECT_TRUE(restored);
}

/* Signal @sig to vmctl while its guest halts: it ends, the terminal back. */
static void signal_restores(struct __test_metadata *_metadata, int sig)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "halt"));
	EXPECT_TRUE(session_expect(_metadata, &s, "multiboot ok: halt"));
	kill(s.pid, sig);
	EXPECT_EQ(session_end(&s, &restored), 128 + sig);
	EXPECT_TRUE(restored);
}

VMMON_TEST_TIMEOUT(sigterm_restores, SESSION_TIMEOUT)
{
	signal_restores(_metadata, SIGTERM);
}

VMMON_TEST_TIMEOUT(poweroff_restores, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "poweroff"));
	EXPECT_TRUE(session_expect(_metadata, &s, "multiboot ok: poweroff"));
	EXPECT_EQ(session_end(&s, &restored), 0);
	EXPECT_TRUE(restored);
}

/*
 * Fatal signals end vmctl without atexit(): the terminal must come back
 * all the same (review vmctl.md #5).  SIGQUIT (Ctrl-backslash on a terminal
 * that is not raw) ends it as SIGQUIT does.
 */
VMMON_TEST_TIMEOUT(sigquit_restores, SESSION_TIMEOUT)
{
	signal_restores(_metadata, SIGQUIT);
}

/*
 * stdout a pipe nobody reads any more (vmctl run ... | head, after head
 * ended), stdin the terminal: the guest's output is dropped (EPIPE, not
 * SIGPIPE), the guest powers off, the terminal comes back.
 */
VMMON_TEST_TIMEOUT(closed_stdout_pipe_restores, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;
	int p[2];

	ASSERT_OK(pipe(p));
	close(p[0]);
	ASSERT_OK(session_start_out(&s, "poweroff", p[1]));
	close(p[1]);
	EXPECT_EQ(session_end(&s, &restored), 0);
	EXPECT_TRUE(restored);
}

/*
 * Keys typed at a guest that does not read its console (its UART FIFO
 * off: room for one byte) must not keep the escape keys from being
 * read: Ctrl-A x still quits (review vmctl.md #1), and so does SIGTERM.
 */
VMMON_TEST_TIMEOUT(typed_at_a_deaf_guest_then_quit, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "halt"));
	EXPECT_TRUE(session_expect(_metadata, &s, "multiboot ok: halt"));
	EXPECT_EQ(write(s.master, "abcdefgh", 8), 8);
	usleep(200000);
	EXPECT_EQ(write(s.master, "\001x", 2), 2);
	EXPECT_EQ(session_end(&s, &restored), 4);
	EXPECT_TRUE(restored);
}

VMMON_TEST_TIMEOUT(typed_at_a_deaf_guest_then_sigterm, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "halt"));
	EXPECT_TRUE(session_expect(_metadata, &s, "multiboot ok: halt"));
	EXPECT_EQ(write(s.master, "ab", 2), 2);
	usleep(200000);
	kill(s.pid, SIGTERM);
	/* No ACPI in this guest: the power button is not heard. */
	EXPECT_TRUE(session_expect(_metadata, &s, "does not listen to the power button"));
	EXPECT_EQ(session_end(&s, &restored), 128 + SIGTERM);
	EXPECT_TRUE(restored);
}

/*
 * stdout a pipe nobody reads (vmctl run ... | less, paused) and a guest
 * that writes its console without end: the vCPU must not block on it,
 * so SIGTERM still ends vmctl at once (review vmctl.md #3).
 */
/* A pipe that takes no more bytes; its read end in @p[0]. */
static int full_pipe(int p[2])
{
	static const char filler[4096];

	if (pipe2(p, O_NONBLOCK))
		return -1;
	while (write(p[1], filler, sizeof(filler)) > 0)
		;
	return fcntl(p[1], F_SETFL, 0);
}

/*
 * stdout and stderr both a stalled pipe (2>&1 | less, paused): vmctl's
 * own messages, written while the machine lock is held, must not block
 * either (a helper's review of the event loop change).
 */
VMMON_TEST_TIMEOUT(stalled_stdout_and_stderr_then_sigterm, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;
	int p[2];

	ASSERT_OK(full_pipe(p));
	ASSERT_OK(session_start_full(&s, "flood", p[1], true, NULL));
	close(p[1]);
	sleep(3);
	kill(s.pid, SIGTERM);		/* a message: no ACPI in the guest */
	EXPECT_EQ(session_end(&s, &restored), 128 + SIGTERM);
	EXPECT_TRUE(restored);
	close(p[0]);
}

VMMON_TEST_TIMEOUT(stalled_stdout_then_sigterm, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;
	int p[2];

	/* Full before the guest writes a byte: vmctl's first write blocks. */
	ASSERT_OK(full_pipe(p));
	ASSERT_OK(session_start_out(&s, "flood", p[1]));
	close(p[1]);
	EXPECT_TRUE(session_expect(_metadata, &s, "Ctrl-A x quits"));
	sleep(2);
	kill(s.pid, SIGTERM);
	EXPECT_TRUE(session_expect(_metadata, &s, "bytes of guest console output were dropped"));
	EXPECT_EQ(session_end(&s, &restored), 128 + SIGTERM);
	EXPECT_TRUE(restored);
	close(p[0]);
}

/*
 * Whether every escape sequence in @out only draws: CSI with parameter
 * bytes and a drawing final (with a private marker: modes and SGR), no
 * other ESC, and no C1 control raw or in UTF-8.
 */
static bool only_drawing_sequences(const char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t i = 0, j;

	for (i = 0; i < len; i++) {
		if (p[i] == 0x9b || p[i] == 0x9d || p[i] == 0x90 ||
		    (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		     p[i + 1] <= 0x9f))
			return false;
		if (p[i] != 0x1b)
			continue;
		if (i + 1 >= len || p[i + 1] != '[')
			return false;
		for (j = i + 2; j < len && p[j] >= 0x30 && p[j] <= 0x3f; j++)
			;
		if (j >= len ||
		    !strchr(j > i + 2 && p[i + 2] >= '<' ? "hlm" :
			    "mABCDEFGHfdJKLMP@XSTrhlsu`", p[j]))
			return false;
		i = j;
	}
	return true;
}

/*
 * On a terminal, sequences that set its title, write the clipboard or
 * make it answer into stdin are dropped; colours pass (review vmctl.md
 * #15), and text after an unterminated string still shows.
 */
VMMON_TEST_TIMEOUT(terminal_queries_filtered, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "escapes"));
	EXPECT_TRUE(session_expect(_metadata, &s, "escapes done"));
	EXPECT_NE(NULL, strstr(s.out, "\033[1mbold\033[0m"));
	EXPECT_EQ(NULL, strstr(s.out, "\033]0;"));
	EXPECT_EQ(NULL, strstr(s.out, "vmmon-title"));
	EXPECT_EQ(NULL, strstr(s.out, "\033[6n"));
	EXPECT_EQ(NULL, strstr(s.out, "\033[c"));
	EXPECT_EQ(NULL, strstr(s.out, "\033]52"));
	EXPECT_EQ(NULL, strstr(s.out, "Zm9v"));
	EXPECT_EQ(NULL, strchr(s.out, '\005'));
	EXPECT_EQ(NULL, strstr(s.out, "\033Z"));
	EXPECT_NE(NULL, strstr(s.out, "\033[1mafter\033[0m"));
	EXPECT_TRUE(only_drawing_sequences(s.out, s.len));
	EXPECT_EQ(write(s.master, "\001x", 2), 2);
	EXPECT_EQ(session_end(&s, &restored), 4);
	EXPECT_TRUE(restored);
}

/* Ctrl-A s and SIGTERM press the ACPI power button; the guest powers off. */
static void button_powers_off(struct __test_metadata *_metadata, bool key)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "button"));
	EXPECT_TRUE(session_expect(_metadata, &s, "waiting for the power button"));
	if (key) {
		EXPECT_EQ(write(s.master, "\001s", 2), 2);
	} else {
		kill(s.pid, SIGTERM);
	}
	EXPECT_TRUE(session_expect(_metadata, &s, "power button pressed"));
	EXPECT_EQ(session_end(&s, &restored), 0);
	EXPECT_TRUE(restored);
}

VMMON_TEST_TIMEOUT(ctrl_a_s_presses_power_button, SESSION_TIMEOUT)
{
	button_powers_off(_metadata, true);
}

VMMON_TEST_TIMEOUT(sigterm_presses_power_button, SESSION_TIMEOUT)
{
	button_powers_off(_metadata, false);
}

/*
 * stdout and stderr one terminal: vmctl's message waits for the end of
 * the guest's line instead of cutting it (a make check run saw "powe",
 * then vmctl's line, then "r button pressed").  The guest waits for the
 * button in the middle of a line, so the message comes mid-line.
 */
VMMON_TEST_TIMEOUT(message_waits_for_the_guests_line_end, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "wait"));
	EXPECT_TRUE(session_expect(_metadata, &s, "press the button> "));
	EXPECT_EQ(write(s.master, "\001s", 2), 2);
	EXPECT_TRUE(session_expect(_metadata, &s, "pressed the guest's power button"));
	EXPECT_TRUE(session_expect(_metadata, &s, "press the button> pressed mid-line\n"));
	EXPECT_EQ(session_end(&s, &restored), 0);
	EXPECT_TRUE(restored);
}

/* A guest silent in the middle of a line (a prompt): a line of its own. */
VMMON_TEST_TIMEOUT(message_at_a_prompt_gets_its_own_line, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "wait"));
	EXPECT_TRUE(session_expect(_metadata, &s, "press the button> "));
	EXPECT_EQ(write(s.master, "\001h", 2), 2);
	EXPECT_TRUE(session_expect(_metadata, &s, "press the button> \r\n"));
	EXPECT_TRUE(session_expect(_metadata, &s, "vmctl console escapes"));
	EXPECT_EQ(write(s.master, "\001x", 2), 2);
	EXPECT_EQ(session_end(&s, &restored), 4);
	EXPECT_TRUE(restored);
}

/*
 * A guest that hears the button but does not power off: stopped after
 * --shutdown-timeout, or at once by a second SIGTERM.
 */
VMMON_TEST_TIMEOUT(ignored_button_times_out, SESSION_TIMEOUT)
{
	static const char *const timeout1[] = { "--shutdown-timeout", "1",
						NULL };
	struct session s;
	bool restored;

	ASSERT_OK(session_start_args(&s, "ignore", -1, timeout1));
	EXPECT_TRUE(session_expect(_metadata, &s, "enabled and ignored"));
	kill(s.pid, SIGTERM);
	EXPECT_TRUE(session_expect(_metadata, &s, "it has 1 s to power off"));
	EXPECT_TRUE(session_expect(_metadata, &s, "did not power off within 1 s"));
	EXPECT_EQ(session_end(&s, &restored), 128 + SIGTERM);
	EXPECT_TRUE(restored);
}

VMMON_TEST_TIMEOUT(second_sigterm_stops_at_once, SESSION_TIMEOUT)
{
	struct session s;
	bool restored;

	ASSERT_OK(session_start(&s, "ignore"));
	EXPECT_TRUE(session_expect(_metadata, &s, "enabled and ignored"));
	kill(s.pid, SIGTERM);
	EXPECT_TRUE(session_expect(_metadata, &s, "it has 30 s to power off"));
	kill(s.pid, SIGTERM);
	/* Well before the 30 s (session_end waits 20 s at most). */
	EXPECT_EQ(session_end(&s, &restored), 128 + SIGTERM);
	EXPECT_TRUE(restored);
}

VMMON_UNLOAD_TEST(unload_clean)

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	const char *dir;

	snprintf(self, sizeof(self), "%s", argv[0]);
	dir = dirname(self);
	snprintf(vmctl, sizeof(vmctl), "%s/vmctl", dir);
	snprintf(kernel, sizeof(kernel), "%s/multiboot_hello.elf", dir);
	return vmmon_test_main(argc, argv);
}
