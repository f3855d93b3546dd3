// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's memory as /proc/meminfo and /proc/vmstat show it, for the
 * host's view of the guest (VMMON_BALLOON_REQ_STATS): bytes for sizes,
 * counts since boot for events.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/vmstat.h>
#include "vmb.h"

#if !IS_ENABLED(CONFIG_VM_EVENT_COUNTERS)
#error "vmmon_balloon reports swap, fault and OOM counts: it needs CONFIG_VM_EVENT_COUNTERS"
#endif

/* @events: room for NR_VM_EVENT_ITEMS counts (too big for the stack). */
void vmb_stats_fill(struct vmmon_balloon_stats *st, unsigned long *events)
{
	struct sysinfo i;
	long cached;

	si_meminfo(&i);
	all_vm_events(events);
	/* Cached as in /proc/meminfo: the page cache, less swap and buffers. */
	cached = global_node_page_state(NR_FILE_PAGES) -
		 global_node_page_state(NR_SWAPCACHE) - i.bufferram;
	st->total = (u64)i.totalram * i.mem_unit;
	st->free = (u64)i.freeram * i.mem_unit;
	st->available = (u64)si_mem_available() << PAGE_SHIFT;
	st->cached = (u64)max(cached, 0L) << PAGE_SHIFT;
	st->swap_in = events[PSWPIN];
	st->swap_out = events[PSWPOUT];
	st->major_faults = events[PGMAJFAULT];
	st->oom_kills = events[OOM_KILL];
}
