// SPDX-License-Identifier: GPL-2.0
/*
 * The main thread's event loop, one epoll over everything that is not a
 * vCPU or a disk: signals (signalfd), the device timers (one timerfd at
 * the earliest deadline), console input, and the wake eventfd that other
 * threads write when the VM ends.  Each event is handled under the
 * machine lock and briefly; nothing here waits for another thread, so a
 * quit or a signal always ends vmctl (review vmctl.md #1-#3).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "vm/vm.h"
#include "vmctl.h"

#define NSEC_PER_SEC	1000000000ULL

enum loop_source { LOOP_SIGNAL, LOOP_WAKE, LOOP_TIMER, LOOP_CONSOLE };

/* Point timer_fd at @deadline (UINT64_MAX: disarm); lock held. */
static void loop_timer_set(struct vm *vm, uint64_t deadline)
{
	struct itimerspec its = { 0 };

	if (deadline != UINT64_MAX) {
		/* A zero it_value disarms: 1 ns is as much in the past. */
		if (!deadline)
			deadline = 1;
		its.it_value.tv_sec = deadline / NSEC_PER_SEC;
		its.it_value.tv_nsec = deadline % NSEC_PER_SEC;
	}
	timerfd_settime(vm->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
	vm->timer_deadline = deadline;
}

void vm_timer_update(struct vm *vm)
{
	uint64_t next = vm_clock_next(&vm->clock);

	/* Only sooner: the loop sets a later one after each run. */
	if (next < vm->timer_deadline)
		loop_timer_set(vm, next);
}

static void loop_timers(struct vm *vm)
{
	uint64_t expirations;

	if (read(vm->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	pthread_mutex_lock(&vm->lock);
	loop_timer_set(vm, vm_clock_run(&vm->clock,
					vm_clock_now(&vm->clock)));
	pthread_mutex_unlock(&vm->lock);
}

/*
 * SIGTERM asks the guest to shut down (the power button), once; SIGINT
 * and SIGHUP (the terminal went away) stop it at once, as before; SIGCONT
 * resumes a VM a disk error paused.
 */
static void loop_signal(struct vm *vm, int signal_fd)
{
	struct signalfd_siginfo si;

	if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	pthread_mutex_lock(&vm->lock);
	/*
	 * A reset under way (the vCPUs stop, the loop ends): the machine
	 * that would hear the signal is going, and vm_request_*() would
	 * drop it, so it stops the next one before it starts (run_run()).
	 */
	if (vm->end == VM_END_RESET && si.ssi_signo != SIGCONT) {
		vm->shutdown_pending = true;
		vm->shutdown_end = VM_END_SIGNAL;
		vm->shutdown_detail = si.ssi_signo;
		pthread_mutex_unlock(&vm->lock);
		return;
	}
	switch (si.ssi_signo) {
	case SIGTERM:
		vm_request_shutdown(vm, VM_END_SIGNAL, SIGTERM);
		break;
	case SIGCONT:
		if (vm->paused)
			vmctl_err("SIGCONT: the VM runs again");
		vm_resume(vm);
		break;
	default:
		vm_request_end(vm, VM_END_SIGNAL, si.ssi_signo);
	}
	pthread_mutex_unlock(&vm->lock);
}

static int loop_add(int epfd, int fd, enum loop_source src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * Console input from a pollable stdin is in the epoll set while the
 * console wants it; a regular file (epoll refuses those) is read on
 * each pass while wanted, as it never blocks.
 */
struct loop_input {
	int fd;			/* -1: none, or ended */
	bool polled;		/* in the epoll set */
	bool armed;		/* with EPOLLIN */
	bool file;		/* read without epoll */
};

static void loop_input_update(struct vm *vm, int epfd, struct loop_input *in)
{
	struct epoll_event ev = { .data.u32 = LOOP_CONSOLE };
	bool want = in->fd >= 0 && vm_console_input_wanted(vm);

	if (!in->polled || want == in->armed)
		return;
	ev.events = want ? EPOLLIN : 0;
	if (!epoll_ctl(epfd, EPOLL_CTL_MOD, in->fd, &ev))
		in->armed = want;
}

static void loop_input_read(struct vm *vm, int epfd, struct loop_input *in)
{
	if (vm_console_input(vm))
		return;
	if (in->polled)
		epoll_ctl(epfd, EPOLL_CTL_DEL, in->fd, NULL);
	in->fd = -1;
	in->polled = in->file = false;
}

void vm_loop_run(struct vm *vm, int signal_fd)
{
	struct loop_input in = { .fd = vm_console_input_fd() };
	struct epoll_event evs[4];
	uint64_t count;
	int epfd, n, i, timeout;
	bool ended = false;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0 || loop_add(epfd, signal_fd, LOOP_SIGNAL) ||
	    loop_add(epfd, vm->wake_fd, LOOP_WAKE) ||
	    loop_add(epfd, vm->timer_fd, LOOP_TIMER)) {
		vmctl_err("cannot start the event loop: %s", strerror(errno));
		pthread_mutex_lock(&vm->lock);
		vm_request_end(vm, VM_END_ERROR, 0);
		pthread_mutex_unlock(&vm->lock);
		goto out;
	}
	if (in.fd >= 0) {
		if (!loop_add(epfd, in.fd, LOOP_CONSOLE))
			in.polled = in.armed = true;
		else if (errno == EPERM)
			in.file = true;		/* a regular file, /dev/null */
		else
			in.fd = -1;
	}
	/* Timers armed while the devices were built. */
	pthread_mutex_lock(&vm->lock);
	loop_timer_set(vm, vm_clock_next(&vm->clock));
	pthread_mutex_unlock(&vm->lock);

	while (!ended) {
		timeout = in.file && vm_console_input_wanted(vm) ? 0 : -1;
		n = epoll_wait(epfd, evs, 4, timeout);
		if (n < 0 && errno != EINTR) {
			vmctl_err("event loop: %s", strerror(errno));
			pthread_mutex_lock(&vm->lock);
			vm_request_end(vm, VM_END_ERROR, 0);
			pthread_mutex_unlock(&vm->lock);
			break;
		}
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case LOOP_SIGNAL:
				loop_signal(vm, signal_fd);
				break;
			case LOOP_WAKE:
				/* EAGAIN: an earlier pass took it. */
				if (read(vm->wake_fd, &count, sizeof(count)) < 0)
					count = 0;
				break;
			case LOOP_TIMER:
				loop_timers(vm);
				break;
			case LOOP_CONSOLE:
				loop_input_read(vm, epfd, &in);
				break;
			}
		}
		if (in.file && !timeout)
			loop_input_read(vm, epfd, &in);
		loop_input_update(vm, epfd, &in);
		pthread_mutex_lock(&vm->lock);
		ended = vm->end != VM_END_NONE;
		pthread_mutex_unlock(&vm->lock);
	}
out:
	if (epfd >= 0)
		close(epfd);
}
