// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's serial console on vmctl's terminal.  On a terminal, stdin
 * goes raw while the guest runs (every key reaches the guest, Ctrl-C
 * included) and is restored on every way out; Ctrl-A is the escape key,
 * as in QEMU: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A a sends a
 * Ctrl-A.  On anything else it just streams.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "vm.h"
#include "vmctl.h"

#define CONSOLE_ESCAPE		0x01	/* Ctrl-A */
#define CONSOLE_OUT_MAX		512

static struct {
	struct vm *vm;
	struct termios saved;
	bool raw, out_tty, escape;
	pthread_t thread;
	bool started;
	int stop_pipe[2];
	uint8_t out[CONSOLE_OUT_MAX];
	size_t out_len;
} con;

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* nowhere to write: drop, never block */
		p += n;
		len -= n;
	}
}

void vm_console_flush(void)
{
	write_all(STDOUT_FILENO, con.out, con.out_len);
	con.out_len = 0;
}

/* The UART's transmitter (machine lock held). */
void vm_console_output(void *opaque, uint8_t byte)
{
	(void)opaque;
	con.out[con.out_len++] = byte;
	/* On a terminal every byte shows at once; a log gets whole lines. */
	if (con.out_tty || byte == '\n' || con.out_len == CONSOLE_OUT_MAX)
		vm_console_flush();
}

static void console_restore(void)
{
	if (con.raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con.saved);
	con.raw = false;
}

/*
 * Signals that end the process without atexit(): the terminal back
 * first (tcsetattr() is async-signal-safe), then the signal's default
 * action, so the exit status and any core dump are as they would be.
 */
static const int console_fatal_signals[] = {
	SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS,
};

static void console_fatal(int sig)
{
	if (con.raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con.saved);
	raise(sig);		/* SA_RESETHAND: the default action now */
}

static void console_catch_fatal(void)
{
	struct sigaction sa = { .sa_handler = console_fatal,
				.sa_flags = SA_RESETHAND | SA_NODEFER };
	size_t i;

	for (i = 0; i < sizeof(console_fatal_signals) /
			sizeof(console_fatal_signals[0]); i++)
		sigaction(console_fatal_signals[i], &sa, NULL);
}

static const char console_help[] =
	"\r\nvmctl console escapes (Ctrl-A then):\r\n"
	"  x  quit: stop the guest, vmctl exits with status 4\r\n"
	"  h  this help\r\n"
	"  a  send Ctrl-A to the guest\r\n";

/* Bytes for the guest after escape handling; returns how many are left. */
static size_t console_filter(uint8_t *buf, size_t len)
{
	size_t i, out = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = buf[i];

		if (!con.escape && c == CONSOLE_ESCAPE && con.raw) {
			con.escape = true;
			continue;
		}
		if (con.escape) {
			con.escape = false;
			if (c == 'x') {
				vm_request_end(con.vm, VM_END_QUIT, 0);
				return out;
			}
			if (c == 'h') {
				write_all(STDERR_FILENO, console_help,
					  sizeof(console_help) - 1);
				continue;
			}
			if (c != 'a' && c != CONSOLE_ESCAPE)
				continue;
			c = CONSOLE_ESCAPE;
		}
		buf[out++] = c;
	}
	return out;
}

/* Hand @len bytes to the UART, waiting while its receive FIFO is full. */
static void console_feed(const uint8_t *buf, size_t len)
{
	struct vm *vm = con.vm;
	size_t done = 0;

	while (done < len) {
		pthread_mutex_lock(&vm->lock);
		done += uart_receive(&vm->uart, buf + done, len - done);
		pthread_mutex_unlock(&vm->lock);
		if (done < len && poll(NULL, 0, 10) < 0)
			return;
	}
}

static void *console_thread(void *arg)
{
	struct pollfd fds[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = con.stop_pipe[0], .events = POLLIN },
	};
	uint8_t buf[64];
	ssize_t n;

	(void)arg;
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* end of input: the guest runs on */
		pthread_mutex_lock(&con.vm->lock);
		n = console_filter(buf, n);
		pthread_mutex_unlock(&con.vm->lock);
		console_feed(buf, n);
	}
	return NULL;
}

int vm_console_start(struct vm *vm)
{
	struct termios raw;
	int err;

	con.vm = vm;
	con.out_tty = isatty(STDOUT_FILENO);
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &con.saved)) {
		raw = con.saved;
		cfmakeraw(&raw);
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)) {
			con.raw = true;
			atexit(console_restore);
			console_catch_fatal();
			fprintf(stderr, "vmctl: console on this terminal; Ctrl-A x quits, Ctrl-A h helps\r\n");
		}
	}
	if (pipe(con.stop_pipe)) {
		vmctl_err("cannot start the console: %s", strerror(errno));
		goto err;
	}
	err = pthread_create(&con.thread, NULL, console_thread, NULL);
	if (err) {
		vmctl_err("cannot start the console thread: %s", strerror(err));
		close(con.stop_pipe[0]);
		close(con.stop_pipe[1]);
		goto err;
	}
	con.started = true;
	return 0;
err:
	console_restore();
	return -1;
}

void vm_console_stop(void)
{
	if (con.started) {
		write_all(con.stop_pipe[1], "x", 1);
		pthread_join(con.thread, NULL);
		close(con.stop_pipe[0]);
		close(con.stop_pipe[1]);
		con.started = false;
	}
	vm_console_flush();
	console_restore();
}
