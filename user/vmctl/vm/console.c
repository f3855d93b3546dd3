// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's serial console on vmctl's terminal.  On a terminal, stdin
 * goes raw while the guest runs (every key reaches the guest, Ctrl-C
 * included) and is restored on every way out; Ctrl-A is the escape key,
 * as in QEMU: Ctrl-A x quits, Ctrl-A s presses the power button, Ctrl-A h
 * prints help, Ctrl-A a sends a Ctrl-A.  On anything else it just streams.
 *
 * Nothing here may stall the machine (review vmctl.md #1, #3):
 * - Input is read by the event loop (vm/loop.c) into a bounded buffer and
 *   handed to the UART as its FIFO has room.  From a terminal, keys the
 *   guest does not take in time are dropped (a serial line overruns), so
 *   that the escape keys are always read; from a file or pipe, reading
 *   pauses until the guest has taken what was read.
 * - Guest output (to stdout) and vmctl's own messages while the VM runs
 *   (to stderr: they come from threads holding the machine lock) go into
 *   bounded buffers, each written by a thread of its own, the only
 *   threads that may block on those files.  What does not fit is dropped
 *   and counted, and the end waits for the writers a bounded time.
 * - When stdout and stderr are one file (the terminal, or a log taking
 *   both), two writers would cut each other's lines.  vmctl's messages
 *   then join the guest's stream at a line start instead: one held while
 *   the guest is in the middle of a line waits for its end, or gets a
 *   line of its own after CONSOLE_HOLD_IDLE_MS of guest silence (a
 *   prompt) or CONSOLE_HOLD_MAX_MS in all (a guest that never ends its
 *   lines).
 * Escape sequences that make a terminal do more than draw (set its
 * title, write the clipboard, answer a query into stdin) are dropped on
 * the way to a terminal (review vmctl.md #15); a file or pipe gets every
 * byte.
 */
#include <errno.h>
#include <poll.h>
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
#define CONSOLE_ERR_MAX		16384	/* vmctl's messages stderr has not */
#define CONSOLE_READ_MAX	256
/* At the end, how long the writers may take in all. */
#define CONSOLE_DRAIN_MS	2000
/* A message held for the guest's line end; see the top. */
#define CONSOLE_HOLD_IDLE_MS	300
#define CONSOLE_HOLD_MAX_MS	2000
#define NSEC_PER_MSEC		1000000L

/* A bounded buffer in front of a file only its writer thread writes. */
struct con_stream {
	int fd;
	bool tty;
	pthread_mutex_t lock;
	pthread_cond_t more;		/* the writer waits for bytes */
	pthread_cond_t progress;	/* the end waits for the writer */
	uint8_t *buf;
	size_t size, head, len;
	uint64_t dropped;
	uint8_t last;			/* the last byte put */
	bool broken;			/* the file failed: drop the rest */
	bool stop, started, done;
	pthread_t writer;
};

/* What the terminal filter is in the middle of. */
enum console_seq {
	SEQ_TEXT,
	SEQ_ESC,	/* after ESC */
	SEQ_CSI,	/* ESC [ params: held back until the final byte */
	SEQ_CSI_DROP,	/* one too long to hold: dropped to its final byte */
	SEQ_STRING,	/* OSC, DCS, APC, PM, SOS: dropped up to ST or BEL */
	SEQ_C2,		/* a UTF-8 lead byte that may start a C1 control */
};

#define CONSOLE_CSI_MAX		32
/* An unterminated string ends here, as output is worth more. */
#define CONSOLE_STRING_MAX	4096

static uint8_t out_buf[CONSOLE_OUT_MAX], err_buf[CONSOLE_ERR_MAX];

static struct {
	struct vm *vm;
	struct termios saved;
	bool raw, escape, in_eof;

	/* Input, under the machine lock. */
	uint8_t in[CONSOLE_IN_MAX];
	size_t in_head, in_len;
	uint64_t in_dropped;
	bool in_paused;			/* full, reading stopped (not raw) */

	struct con_stream out, err;

	/* The filter, under out.lock. */
	enum console_seq seq;
	uint8_t csi[CONSOLE_CSI_MAX];
	size_t csi_len, string_len;
	unsigned int utf8_left;		/* continuation bytes to come */
	uint64_t filtered;

	/* stdout and stderr one file: messages held, under out.lock. */
	bool joined, holder_stop;
	uint8_t held[CONSOLE_ERR_MAX];
	size_t held_len;
	struct timespec held_since;	/* CLOCK_REALTIME, as the waits */
	uint64_t out_seen;		/* guest bytes, for the idle test */
	pthread_cond_t held_more;
	pthread_t holder;
} con = {
	.held_more = PTHREAD_COND_INITIALIZER,
	.out = { .fd = STDOUT_FILENO, .buf = out_buf, .size = CONSOLE_OUT_MAX,
		 .last = '\n',
		 .lock = PTHREAD_MUTEX_INITIALIZER,
		 .more = PTHREAD_COND_INITIALIZER,
		 .progress = PTHREAD_COND_INITIALIZER },
	.err = { .fd = STDERR_FILENO, .buf = err_buf, .size = CONSOLE_ERR_MAX,
		 .lock = PTHREAD_MUTEX_INITIALIZER,
		 .more = PTHREAD_COND_INITIALIZER,
		 .progress = PTHREAD_COND_INITIALIZER },
};

/* s->lock held. */
static void stream_put(struct con_stream *s, uint8_t byte)
{
	s->last = byte;
	if (s->broken || s->len == s->size) {
		s->dropped++;
		return;
	}
	s->buf[(s->head + s->len) % s->size] = byte;
	if (!s->len++)
		pthread_cond_signal(&s->more);
}

/* Wait until @fd takes bytes again (someone set O_NONBLOCK on it). */
static void stream_wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	poll(&p, 1, -1);
}

static void *stream_writer(void *arg)
{
	struct con_stream *s = arg;
	size_t chunk;
	ssize_t n;
	int err;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->len && !s->stop)
			pthread_cond_wait(&s->more, &s->lock);
		if (!s->len)
			break;
		chunk = s->size - s->head;
		if (chunk > s->len)
			chunk = s->len;
		pthread_mutex_unlock(&s->lock);
		/* Bytes at head stay put: only this thread consumes. */
		n = write(s->fd, s->buf + s->head, chunk);
		err = errno;
		if (n < 0 && err == EAGAIN)
			stream_wait_writable(s->fd);
		pthread_mutex_lock(&s->lock);
		if (n < 0 && (err == EINTR || err == EAGAIN))
			continue;
		if (n <= 0) {
			/* EPIPE, EIO: nobody will read the rest. */
			s->broken = true;
			n = s->len;
			s->dropped += n;
		}
		s->head = (s->head + n) % s->size;
		s->len -= n;
		pthread_cond_broadcast(&s->progress);
	}
	s->done = true;
	pthread_cond_broadcast(&s->progress);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int stream_start(struct con_stream *s)
{
	int err;

	s->tty = isatty(s->fd);
	err = pthread_create(&s->writer, NULL, stream_writer, s);
	if (err)
		return err;
	s->started = true;
	return 0;
}

/*
 * Let the writer finish until @deadline (CLOCK_REALTIME); returns
 * whether it did.  A writer still blocked is left behind: exit ends it.
 */
static bool stream_drain(struct con_stream *s, const struct timespec *deadline)
{
	bool done;

	if (!s->started)
		return true;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->more);
	while (!s->done)
		if (pthread_cond_timedwait(&s->progress, &s->lock, deadline))
			break;
	done = s->done;
	pthread_mutex_unlock(&s->lock);
	if (done)
		pthread_join(s->writer, NULL);
	s->started = false;
	return done;
}

/* vmctl's messages while the VM runs: never blocks (vmmon.c's sink). */
/* The held messages into the guest's stream, on a line of their own. */
static void held_release(void)
{
	size_t i;

	if (!con.held_len)
		return;
	if (con.out.last != '\n') {
		if (con.out.tty)
			stream_put(&con.out, '\r');
		stream_put(&con.out, '\n');
	}
	for (i = 0; i < con.held_len; i++)
		stream_put(&con.out, con.held[i]);
	con.held_len = 0;
}

/* A message when stdout and stderr are one file (out.lock held). */
static void held_put(const char *text, size_t len)
{
	size_t i;

	if (!con.held_len) {
		clock_gettime(CLOCK_REALTIME, &con.held_since);
		pthread_cond_signal(&con.held_more);
	}
	for (i = 0; i < len; i++) {
		if (con.held_len + 2 > sizeof(con.held)) {
			con.err.dropped += len - i;
			break;
		}
		if (text[i] == '\n' && con.out.tty &&
		    (i == 0 || text[i - 1] != '\r'))
			con.held[con.held_len++] = '\r';
		con.held[con.held_len++] = text[i];
	}
	if (con.out.last == '\n')
		held_release();
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 +
	       (b->tv_nsec - a->tv_nsec) / NSEC_PER_MSEC;
}

static void ms_later(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += ms % 1000 * NSEC_PER_MSEC;
	if (t->tv_nsec >= 1000 * NSEC_PER_MSEC) {
		t->tv_sec++;
		t->tv_nsec -= 1000 * NSEC_PER_MSEC;
	}
}

/*
 * Lets a held message out when the guest has been silent in the middle
 * of a line for CONSOLE_HOLD_IDLE_MS, or held it CONSOLE_HOLD_MAX_MS.
 * Never blocks on a file: it only moves bytes into the out stream.
 */
static void *console_holder(void *arg)
{
	struct timespec deadline, now;
	uint64_t seen;

	(void)arg;
	pthread_mutex_lock(&con.out.lock);
	while (!con.holder_stop) {
		if (!con.held_len) {
			pthread_cond_wait(&con.held_more, &con.out.lock);
			continue;
		}
		seen = con.out_seen;
		clock_gettime(CLOCK_REALTIME, &deadline);
		ms_later(&deadline, CONSOLE_HOLD_IDLE_MS);
		while (!con.holder_stop && con.held_len &&
		       !pthread_cond_timedwait(&con.held_more, &con.out.lock,
					       &deadline))
			;
		clock_gettime(CLOCK_REALTIME, &now);
		if (con.out_seen == seen ||
		    ms_between(&con.held_since, &now) >= CONSOLE_HOLD_MAX_MS)
			held_release();
	}
	pthread_mutex_unlock(&con.out.lock);
	return NULL;
}

static void console_err_sink(const char *text, size_t len)
{
	size_t i;

	pthread_mutex_lock(&con.out.lock);
	if (con.joined) {
		held_put(text, len);
		pthread_mutex_unlock(&con.out.lock);
		return;
	}
	pthread_mutex_unlock(&con.out.lock);
	pthread_mutex_lock(&con.err.lock);
	for (i = 0; i < len; i++) {
		/* A raw terminal needs the carriage return. */
		if (text[i] == '\n' && con.err.tty &&
		    (i == 0 || text[i - 1] != '\r'))
			stream_put(&con.err, '\r');
		stream_put(&con.err, text[i]);
	}
	pthread_mutex_unlock(&con.err.lock);
}

static void out_put_held(void)
{
	size_t i;

	for (i = 0; i < con.csi_len; i++)
		stream_put(&con.out, con.csi[i]);
	con.csi_len = 0;
}

static void out_drop_held(void)
{
	con.filtered += con.csi_len;
	con.csi_len = 0;
}

/*
 * A control sequence that only draws: no intermediate bytes, and a final
 * of SGR, cursor motion, erase, insert/delete, scroll, margins, modes or
 * cursor save/restore; with a private marker (?, >, =, <) only modes and
 * SGR-like settings.  Everything else, the queries a terminal answers
 * into stdin (DA, DSR, DECRQM, XTVERSION, window reports) among them, is
 * dropped.
 */
static bool csi_draws(void)
{
	static const char plain[] = "mABCDEFGHfdJKLMP@XSTrhlsu`";
	static const char private[] = "hlm";
	uint8_t final = con.csi[con.csi_len - 1];
	bool marker = con.csi_len > 3 && con.csi[2] >= '<' && con.csi[2] <= '?';
	size_t i;

	for (i = 2; i < con.csi_len - 1; i++)
		if (con.csi[i] < '0' || con.csi[i] > '?')
			return false;	/* an intermediate byte */
	return strchr(marker ? private : plain, final) != NULL;
}

/* One guest byte on its way to a terminal (out.lock held). */
static void out_filter(uint8_t c)
{
	/* ESC starts a new sequence anywhere, as in the terminal's parser. */
	if (c == 0x1b) {
		if (con.seq == SEQ_STRING)
			con.string_len = 0;
		else if (con.seq == SEQ_C2)
			stream_put(&con.out, 0xc2);
		else
			out_drop_held();
		con.seq = SEQ_ESC;
		con.csi[con.csi_len++] = c;
		return;
	}
	switch (con.seq) {
	case SEQ_TEXT:
		break;
	case SEQ_ESC:
		if (c < 0x20) {			/* a C0 control ends it */
			out_drop_held();
			con.seq = SEQ_TEXT;
			break;
		}
		con.seq = SEQ_TEXT;
		if (c == '\\') {		/* ST, after a dropped string */
			out_drop_held();
			con.filtered++;
		} else if (c == '[') {
			con.csi[con.csi_len++] = c;
			con.seq = SEQ_CSI;
		} else if (c == ']' || c == 'P' || c == '_' || c == '^' ||
			   c == 'X') {
			out_drop_held();
			con.filtered++;
			con.string_len = 0;
			con.seq = SEQ_STRING;
		} else if (c == 'Z' || c == 'c') {	/* DECID, RIS */
			out_drop_held();
			con.filtered++;
		} else {
			con.csi[con.csi_len++] = c;
			out_put_held();
		}
		return;
	case SEQ_CSI:
		if (c < 0x20) {
			out_drop_held();
			con.seq = SEQ_TEXT;
			break;
		}
		con.csi[con.csi_len++] = c;
		if (c >= 0x40 && c <= 0x7e) {
			con.seq = SEQ_TEXT;
			if (csi_draws())
				out_put_held();
			else
				out_drop_held();
		} else if (con.csi_len == CONSOLE_CSI_MAX) {
			out_drop_held();
			con.seq = SEQ_CSI_DROP;
		}
		return;
	case SEQ_CSI_DROP:
		con.filtered++;
		if (c >= 0x40 && c <= 0x7e)
			con.seq = SEQ_TEXT;
		return;
	case SEQ_STRING:
		con.filtered++;
		if (c == 0x07 || c == 0x18 || c == 0x1a ||	/* BEL CAN SUB */
		    ++con.string_len == CONSOLE_STRING_MAX)
			con.seq = SEQ_TEXT;
		return;
	case SEQ_C2:
		con.seq = SEQ_TEXT;
		if (c >= 0x80 && c <= 0x9f) {	/* U+0080-U+009F: C1 */
			con.filtered += 2;
			con.utf8_left = 0;
			return;
		}
		stream_put(&con.out, 0xc2);
		break;
	}
	/* Text: C1 controls, raw or in UTF-8, and ENQ are dropped. */
	if (c >= 0x80 && c <= 0xbf) {
		if (con.utf8_left) {
			con.utf8_left--;
		} else if (c <= 0x9f) {
			con.filtered++;
			return;
		}
	} else if (c >= 0xc0) {
		con.utf8_left = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
		if (c == 0xc2) {
			con.seq = SEQ_C2;
			return;
		}
	} else {
		con.utf8_left = 0;
	}
	if (c == 0x05) {			/* ENQ asks for an answerback */
		con.filtered++;
		return;
	}
	stream_put(&con.out, c);
}

/* The UART's transmitter (machine lock held): never blocks. */
void vm_console_output(void *opaque, uint8_t byte)
{
	(void)opaque;
	pthread_mutex_lock(&con.out.lock);
	if (con.out.tty)
		out_filter(byte);
	else
		stream_put(&con.out, byte);
	con.out_seen++;
	if (con.held_len && con.out.last == '\n')
		held_release();
	pthread_mutex_unlock(&con.out.lock);
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
	"vmctl console escapes (Ctrl-A then):\n"
	"  x  quit: stop the guest, vmctl exits with status 4\n"
	"  s  press the power button: the guest shuts down (Ctrl-A x if not)\n"
	"  h  this help\n"
	"  a  send Ctrl-A to the guest\n";

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
				vmctl_err_write(console_help,
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

/*
 * Typed bytes into the UART's FIFO as far as it has room (lock held;
 * also the UART's rx_room callback).  Input that paused for room goes
 * on: the event loop hears it through the wake eventfd.
 */
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
			break;
		con.in_head = (con.in_head + n) % CONSOLE_IN_MAX;
		con.in_len -= n;
	}
	if (con.in_paused && con.in_len + CONSOLE_READ_MAX <= CONSOLE_IN_MAX) {
		con.in_paused = false;
		vm_wake_loop(vm);
	}
}

int vm_console_input_fd(void)
{
	return con.in_eof ? -1 : STDIN_FILENO;
}

bool vm_console_input_wanted(struct vm *vm)
{
	bool wanted;

	pthread_mutex_lock(&vm->lock);
	wanted = !con.in_eof && !con.in_paused;
	pthread_mutex_unlock(&vm->lock);
	return wanted;
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
	/* A file or pipe waits for the guest; a terminal never does. */
	if (!con.raw && con.in_len + CONSOLE_READ_MAX > CONSOLE_IN_MAX)
		con.in_paused = true;
	pthread_mutex_unlock(&vm->lock);
	return true;
}

void vm_console_attach(struct vm *vm)
{
	/* A reboot: what the last machine's UART had not taken is gone. */
	con.vm = vm;
	con.in_head = con.in_len = 0;
	con.in_paused = false;
	pthread_mutex_lock(&con.out.lock);
	con.seq = SEQ_TEXT;
	con.csi_len = 0;
	con.utf8_left = 0;
	pthread_mutex_unlock(&con.out.lock);
	uart_set_rx_room(&vm->uart, console_feed, vm);
}

/* Whether stdout and stderr are one file: a terminal, 2>&1. */
static bool console_one_file(void)
{
	struct stat o, e;

	return !fstat(STDOUT_FILENO, &o) && !fstat(STDERR_FILENO, &e) &&
	       o.st_dev == e.st_dev && o.st_ino == e.st_ino;
}

int vm_console_start(void)
{
	struct termios raw;
	int err;

	err = stream_start(&con.out);
	if (!err)
		err = stream_start(&con.err);
	if (!err && console_one_file()) {
		err = pthread_create(&con.holder, NULL, console_holder, NULL);
		con.joined = !err;
	}
	if (err) {
		vmctl_err("cannot start the console's writers: %s",
			  strerror(err));
		return -1;
	}
	vmctl_err_sink(console_err_sink);
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &con.saved)) {
		raw = con.saved;
		cfmakeraw(&raw);
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)) {
			con.raw = true;
			atexit(console_restore);
			console_catch_fatal();
			vmctl_err("console on this terminal; Ctrl-A x quits, Ctrl-A h helps");
		}
	}
	return 0;
}

/* The end: both writers given CONSOLE_DRAIN_MS in all, the losses said. */
void vm_console_stop(void)
{
	struct timespec deadline;
	uint64_t lost;
	bool joined;

	/* Held messages out first; later ones go to stderr, after. */
	pthread_mutex_lock(&con.out.lock);
	held_release();
	joined = con.joined;
	con.joined = false;
	con.holder_stop = true;
	pthread_cond_signal(&con.held_more);
	pthread_mutex_unlock(&con.out.lock);
	if (joined)
		pthread_join(con.holder, NULL);

	clock_gettime(CLOCK_REALTIME, &deadline);
	ms_later(&deadline, CONSOLE_DRAIN_MS);
	stream_drain(&con.out, &deadline);
	pthread_mutex_lock(&con.out.lock);
	lost = con.out.dropped + con.out.len;
	pthread_mutex_unlock(&con.out.lock);
	if (lost)
		vmctl_err("%llu bytes of guest console output were dropped: stdout %s",
			  (unsigned long long)lost,
			  con.out.broken ? "failed" : "did not keep up");
	if (con.filtered)
		vmctl_err("%llu bytes of terminal control sequences from the guest were dropped (titles, clipboard, queries)",
			  (unsigned long long)con.filtered);
	if (con.in_dropped)
		vmctl_err("%llu typed bytes were dropped: the guest did not read its console",
			  (unsigned long long)con.in_dropped);
	stream_drain(&con.err, &deadline);
	vmctl_err_sink(NULL);
	console_restore();
}
