// SPDX-License-Identifier: GPL-2.0
/*
 * Device timers.  Few are ever armed (one PIT, one LAPIC timer per vCPU,
 * the RTC), so an unordered list scanned on each run is enough.
 */
#include "machine/machine.h"

void vm_timer_init(struct vm_timer *timer, struct vm_clock *clock,
		   void (*fire)(void *opaque, uint64_t now), void *opaque)
{
	timer->clock = clock;
	timer->fire = fire;
	timer->opaque = opaque;
	timer->armed = false;
	timer->next = NULL;
}

void vm_timer_cancel(struct vm_timer *timer)
{
	struct vm_timer **p;

	if (!timer->armed)
		return;
	for (p = &timer->clock->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = timer->next;
			break;
		}
	timer->armed = false;
}

void vm_timer_arm(struct vm_timer *timer, uint64_t deadline)
{
	struct vm_clock *clock = timer->clock;

	vm_timer_cancel(timer);
	timer->deadline = deadline;
	timer->armed = true;
	timer->next = clock->timers;
	clock->timers = timer;
	if (clock->changed)
		clock->changed(clock);
}

uint64_t vm_clock_next(const struct vm_clock *clock)
{
	const struct vm_timer *t;
	uint64_t next = UINT64_MAX;

	for (t = clock->timers; t; t = t->next)
		if (t->deadline < next)
			next = t->deadline;
	return next;
}

uint64_t vm_clock_run(struct vm_clock *clock, uint64_t now)
{
	struct vm_timer *t;

again:
	for (t = clock->timers; t; t = t->next)
		if (t->deadline <= now) {
			/* The callback may re-arm or cancel any timer. */
			vm_timer_cancel(t);
			t->fire(t->opaque, now);
			goto again;
		}
	return vm_clock_next(clock);
}

static uint64_t fake_now(struct vm_clock *clock)
{
	return clock->fake_now;
}

void vm_clock_init_fake(struct vm_clock *clock)
{
	clock->now = fake_now;
	clock->changed = NULL;
	clock->timers = NULL;
	clock->fake_now = 0;
}

void vm_clock_fake_advance(struct vm_clock *clock, uint64_t now)
{
	clock->fake_now = now;
	vm_clock_run(clock, now);
}
