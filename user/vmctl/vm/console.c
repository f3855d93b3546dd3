// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's serial console on vmctl's terminal.  On a terminal, stdin
 * goes raw while the guest runs (every key reaches the guest, Ctrl-C
 * included) and is restored on every way out; Ctrl-A is the escape key,
 * as in QEMU: Ctrl-A x quits, Ctrl-A s presses the power button, Ctrl-A h
 * prints help, Ctrl-A a sends a Ctrl-A.  On anything else it just streams.
 *
 * Neither direction may stall the machine (review vmctl.md #1, #3):
 * - Input is read by the event loop (vm/loop.c) into a bounded buffer
 *   and handed to the UART as its FIFO has room.  A guest that stops
 *   reading loses what does not fit, as a real serial line overruns, so
 *   that the escape keys are still read.
 * - Output goes into a bounded buffer, which a writer thread of its own
 *   writes to stdout, the only thread that may block on it.  What does
 *   not fit while stdout is not read is dropped and counted.
 * Escape sequences that make a terminal do more than draw (set its
 * title, write the clipboard, answer a query into stdin) are dropped on
 * the way to a terminal (review vmctl.md #15); a file or pipe gets every
 * byte.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "vm/vm.h"
#include "vmctl.h"

#define CONSOLE_ESCAPE		0x01	/* Ctrl-A */
#define CONSOLE_IN_MAX		4096	/* typed ahead of the guest */
#define CONSOLE_OUT_MAX		65536	/* guest output stdout has not taken */
#define CONSOLE_READ_MAX	256
/* At the end, how long the writer may go without progress. */
#define CONSOLE_DRAIN_MS	1000

/* What the terminal filter is in the middle of. */
enum console_seq {
	SEQ_TEXT,
	SEQ_ESC,	/* after ESC */
	SEQ_CSI,	/* ESC [ params: held back until the final byte */
	SEQ_STRING,	/* OSC, DCS, APC, PM, SOS: dropped up to ST or BEL */
	SEQ_STRING_ESC,	/* ESC inside one: ST if '\' follows */
};

#define CONSOLE_CSI_MAX		32

static struct {
	struct vm *vm;
	struct termios saved;
	bool raw, out_tty, escape, in_eof;

	/* Input, under the machine lock. */
	uint8_t in[CONSOLE_IN_MAX];
	size_t in_head, in_len;
	uint64_t in_dropped;

	/* Output, under out_lock. */
	pthread_mutex_t out_lock;
	pthread_cond_t out_more;	/* the writer waits for bytes */
	pthread_cond_t out_progress;	/* the end waits for the writer */
	uint8_t out[CONSOLE_OUT_MAX];
	size_t out_head, out_len;
	uint64_t out_written, out_dropped;
	bool out_broken;		/* stdout failed: drop the rest */
	bool out_stop;
	bool writer_started, writer_done;
	pthread_t writer;
	enum console_seq seq;
	uint8_t csi[CONSOLE_CSI_MAX];
	size_t csi_len;
} con = {
	.out_lock = PTHREAD_MUTEX_INITIALIZER,
	.out_more = PTHREAD_COND_INITIALIZER,
	.out_progress = PTHREAD_COND_INITIALIZER,
};

/* Only for messages of vmctl's own (help): never for guest bytes. */
static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/* out_lock held. */
static void out_put(uint8_t byte)
{
	if (con.out_broken || con.out_len == CONSOLE_OUT_MAX) {
		con.out_dropped++;
		return;
	}
	con.out[(con.out_head + con.out_len) % CONSOLE_OUT_MAX] = byte;
	if (!con.out_len++)
		pthread_cond_signal(&con.out_more);
}

static void out_put_csi(void)
{
	size_t i;

	for (i = 0; i < con.csi_len; i++)
		out_put(con.csi[i]);
	con.csi_len = 0;
}

/*
 * A control sequence the terminal answers (into stdin, so into the
 * shell after vmctl ends) or that drives the window: DA (c), DSR (n),
 * DECRQM ($p), window operations and reports (t), DECRQSS-like (q with
 * an intermediate).  Colours, cursor motion and erasing pass.
 */
static bool csi_answers(void)
{
	uint8_t final = con.csi[con.csi_len - 1];

	if (final == 'c' || final == 'n' || final == 't')
		return true;
	return (final == 'p' || final == 'q') && con.csi_len > 3 &&
		con.csi[con.csi_len - 2] >= 0x20 &&
		con.csi[con.csi_len - 2] <= 0x2f;
}

/* One guest byte on its way to a terminal (out_lock held). */
static void out_filter(uint8_t c)
{
	switch (con.seq) {
	case SEQ_TEXT:
		if (c == 0x1b) {
			con.seq = SEQ_ESC;
			con.csi[0] = c;
			con.csi_len = 1;
		} else if (c != 0x05) {		/* ENQ asks for an answerback */
			out_put(c);
		}
		return;
	case SEQ_ESC:
		con.seq = SEQ_TEXT;
		if (c == '[') {
			con.csi[con.csi_len++] = c;
			con.seq = SEQ_CSI;
		} else if (c == ']' || c == 'P' || c == '_' || c == '^' ||
			   c == 'X') {
			con.csi_len = 0;
			con.seq = SEQ_STRING;
		} else if (c == 'Z') {		/* DECID: identify yourself */
			con.csi_len = 0;
		} else {
			con.csi[con.csi_len++] = c;
			out_put_csi();
		}
		return;
	case SEQ_CSI:
		con.csi[con.csi_len++] = c;
		if (c >= 0x40 && c <= 0x7e) {
			con.seq = SEQ_TEXT;
			if (csi_answers())
				con.csi_len = 0;
			else
				out_put_csi();
		} else if (con.csi_len == CONSOLE_CSI_MAX) {
			/* Too long for any real one: pass it, stop holding. */
			con.seq = SEQ_TEXT;
			out_put_csi();
		}
		return;
	case SEQ_STRING:
		if (c == 0x07 || c == 0x18 || c == 0x1a)  /* BEL, CAN, SUB */
			con.seq = SEQ_TEXT;
		else if (c == 0x1b)
			con.seq = SEQ_STRING_ESC;
		return;
	case SEQ_STRING_ESC:
		con.seq = c == '\\' ? SEQ_TEXT : SEQ_STRING;
		return;
	}
}

/* The UART's transmitter (machine lock held): never blocks. */
void vm_console_output(void *opaque, uint8_t byte)
{
	(void)opaque;
	pthread_mutex_lock(&con.out_lock);
	if (con.out_tty)
		out_filter(byte);
	else
		out_put(byte);
	pthread_mutex_unlock(&con.out_lock);
}

/* The one thread that writes guest output to stdout, and may block. */
static void *console_writer(void *arg)
{
	size_t chunk;
	ssize_t n;
	int err;

	(void)arg;
	pthread_mutex_lock(&con.out_lock);
	for (;;) {
		while (!con.out_len && !con.out_stop)
			pthread_cond_wait(&con.out_more, &con.out_lock);
		if (!con.out_len)
			break;
		chunk = CONSOLE_OUT_MAX - con.out_head;
		if (chunk > con.out_len)
			chunk = con.out_len;
		pthread_mutex_unlock(&con.out_lock);
		/* Bytes at out_head stay put: only this thread consumes. */
		n = write(STDOUT_FILENO, con.out + con.out_head, chunk);
		err = errno;
		pthread_mutex_lock(&con.out_lock);
		if (n < 0 && err == EINTR)
			continue;
		if (n <= 0) {
			/* EPIPE, EIO: nobody will read the rest. */
			con.out_broken = true;
			n = con.out_len;
			con.out_dropped += n;
		} else {
			con.out_written += n;
		}
		con.out_head = (con.out_head + n) % CONSOLE_OUT_MAX;
		con.out_len -= n;
		pthread_cond_broadcast(&con.out_progress);
	}
	con.writer_done = true;
	pthread_cond_broadcast(&con.out_progress);
	pthread_mutex_unlock(&con.out_lock);
	return NULL;
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
	"  s  press the power button: the guest shuts down (Ctrl-A x if not)\r\n"
	"  h  this help\r\n"
	"  a  send Ctrl-A to the guest\r\n";

/* Bytes for the guest after escape handling (machine lock held). */
static size_t console_escapes(uint8_t *buf, size_t len)
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
			if (c == 's') {
				vm_request_shutdown(con.vm, VM_END_QUIT, 0);
				continue;
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

/* Typed bytes into the UART's FIFO as far as it has room (lock held). */
static void console_feed(void *opaque)
{
	struct vm *vm = opaque;
	size_t n;

	while (con.in_len) {
		n = CONSOLE_IN_MAX - con.in_head;
		if (n > con.in_len)
			n = con.in_len;
		n = uart_receive(&vm->uart, con.in + con.in_head, n);
		if (!n)
			return;
		con.in_head = (con.in_head + n) % CONSOLE_IN_MAX;
		con.in_len -= n;
	}
}

int vm_console_input_fd(void)
{
	return con.in_eof ? -1 : STDIN_FILENO;
}

bool vm_console_input(struct vm *vm)
{
	uint8_t buf[CONSOLE_READ_MAX];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	size_t i, len;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		con.in_eof = true;	/* end of input: the guest runs on */
		return false;
	}
	pthread_mutex_lock(&vm->lock);
	len = console_escapes(buf, n);
	for (i = 0; i < len; i++) {
		if (con.in_len == CONSOLE_IN_MAX) {
			con.in_dropped += len - i;
			break;
		}
		con.in[(con.in_head + con.in_len++) % CONSOLE_IN_MAX] = buf[i];
	}
	console_feed(vm);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

void vm_console_attach(struct vm *vm)
{
	con.vm = vm;
	uart_set_rx_room(&vm->uart, console_feed, vm);
}

int vm_console_start(void)
{
	struct termios raw;
	int err;

	con.out_tty = isatty(STDOUT_FILENO);
	err = pthread_create(&con.writer, NULL, console_writer, NULL);
	if (err) {
		vmctl_err("cannot start the console's writer: %s",
			  strerror(err));
		return -1;
	}
	con.writer_started = true;
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
	return 0;
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
		sa.st_ino == sb.st_ino;
}

/*
 * Let the writer finish what the guest wrote, for as long as stdout
 * keeps taking bytes; give up after CONSOLE_DRAIN_MS without progress
 * (a reader that went away).  Returns whether it finished.
 */
static bool console_drain(void)
{
	struct timespec ts;
	uint64_t seen;

	pthread_mutex_lock(&con.out_lock);
	con.out_stop = true;
	pthread_cond_signal(&con.out_more);
	while (!con.writer_done) {
		seen = con.out_written;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += CONSOLE_DRAIN_MS / 1000;
		while (!con.writer_done && con.out_written == seen)
			if (pthread_cond_timedwait(&con.out_progress,
						   &con.out_lock, &ts))
				break;
		if (!con.writer_done && con.out_written == seen)
			break;
	}
	pthread_mutex_unlock(&con.out_lock);
	return con.writer_done;
}

void vm_console_stop(void)
{
	bool stuck = false;
	uint64_t lost;

	if (con.writer_started) {
		if (console_drain())
			pthread_join(con.writer, NULL);
		else
			stuck = true;	/* blocked in write(): exit takes it */
		con.writer_started = false;
	}
	console_restore();
	pthread_mutex_lock(&con.out_lock);
	lost = con.out_dropped + con.out_len;
	pthread_mutex_unlock(&con.out_lock);
	/* A message into the stdout that stopped would block for good. */
	if (stuck && same_file(STDOUT_FILENO, STDERR_FILENO))
		return;
	if (lost)
		vmctl_err("%llu bytes of guest console output were dropped: stdout %s",
			  (unsigned long long)lost,
			  con.out_broken ? "failed" : "did not keep up");
	if (con.in_dropped)
		vmctl_err("%llu typed bytes were dropped: the guest did not read its console",
			  (unsigned long long)con.in_dropped);
}
