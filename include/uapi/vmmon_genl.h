/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmmon's generic netlink family: see and steer the VMs of the module,
 * from any process (not only the vmctl that runs a VM).
 *
 * Family VMMON_GENL_NAME, version VMMON_GENL_VERSION, one multicast
 * group VMMON_GENL_MCGRP_EVENTS, in the initial network namespace only
 * (VMs are not per namespace).  Each command has a policy in the module:
 * a message with an attribute the command does not take, a wrong type
 * or length is refused (EINVAL or ERANGE, with an extended ack naming
 * the attribute) before a handler runs.
 *
 * Who sees what: a VM's owner is the effective uid that created it.  Its
 * owner and CAP_SYS_ADMIN see everything and may change it; anyone else
 * sees only VMMON_A_VM_ID and VMMON_A_VM_OWNER_UID (and finds no VM by
 * a name), and a change gets EPERM with an extended ack message.  Events
 * go to every listener: a VM's id, owner and what happened.  Uids and
 * pids in replies are as the requester's namespaces number them (0 for
 * an owner process that has exited); in events, as the initial ones.
 *
 * Commands (request attributes -> reply attributes):
 *
 *   VMMON_CMD_GET_MODULE   -> VMMON_A_MOD_*: the module's version, its
 *                             backend and features, its speculation
 *                             mitigations with their counters, and the
 *                             VMs, vCPUs, guest pages, CPUs in VMX root.
 *   VMMON_CMD_GET_VM       VM_ID or VM_NAME -> one VM (VMMON_A_VM_*),
 *                          up to about 21 KiB with 64 vCPUs: read with a
 *                          32 KiB buffer (or MSG_PEEK).
 *                          With NLM_F_DUMP (no attributes): every VM,
 *                          one message each, in the order of their ids,
 *                          without VMMON_A_VM_VCPUS.  By name: the
 *                          caller's VM of that name, else the one with
 *                          the lowest id.
 *   VMMON_CMD_SET_VM       VM_ID or VM_NAME, and VMMON_A_VM_NEW_NAME
 *                          (rename it) and/or VMMON_A_VM_BALLOON_TARGET
 *                          (pages the guest's balloon should hold; at
 *                          most the VM's RAM): the owner or
 *                          CAP_SYS_ADMIN.
 *   VMMON_CMD_EVENT        (multicast only) VM_ID, VM_OWNER_UID,
 *                          EVENT (enum vmmon_event), in the order they
 *                          happened.
 *   VMMON_CMD_SET_MODULE   VMMON_A_MEM_BUDGET and/or VMMON_A_MEM_TAU:
 *                          the memory policy's host budget and idle
 *                          tax; VMMON_A_KSM_PAGES_PER_PASS and/or
 *                          VMMON_A_KSM_SLEEP_MS: page sharing's scan
 *                          rate (as its module parameters; GET_MODULE
 *                          shows both).  CAP_SYS_ADMIN only; a value
 *                          out of range is refused (ERANGE), a budget
 *                          below the VMs' reservations too (ENOSPC);
 *                          nothing is changed then.
 *
 * Memory policy (issue 16; Waldspurger, OSDI 2002, sections 5-6): with a
 * budget (module parameter mem_budget, or SET_MODULE; 0: none), the
 * module sets every VM's balloon target itself each period, from its
 * shares, reservation, size and sampled active memory: a target set
 * over SET_VM then lasts until the next period.  SET_VM takes a VM's
 * VMMON_A_VM_MEM_SHARES and VMMON_A_VM_MEM_RESERVE (its owner or
 * CAP_SYS_ADMIN; an owner without CAP_SYS_ADMIN may only lower them:
 * shares up to the default, one per MiB, or to an administrator's last
 * setting, and no higher reservation, else EPERM; the reservations of
 * all VMs must fit the budget, else ENOSPC); GET_VM shows the policy's view of it in
 * VMMON_A_VM_MEMSCHED, GET_MODULE the host's in VMMON_A_MOD_MEMSCHED,
 * and VMMON_EVENT_MEM_TARGET goes out when the policy changes a target.
 * The VMs whose guest set up a balloon channel take part: the module
 * samples their EPT accessed flags each period, budget or not (so
 * VMMON_SAMPLE_ACCESSED on such a VM sees flags the module cleared); a
 * VM without one is charged the pages it holds and never sampled.
 *
 * A VM's id is not reused until 2^31 VMs were made while the module is
 * loaded.  Its name: 1 to VMMON_NAME_MAX - 1 characters from
 * [A-Za-z0-9._-], not all digits (so a number always means an id),
 * unique among the VMs of one owner.  Set by VMMON_SET_NAME on the VM's
 * fd, or renamed over netlink.
 */
#ifndef _UAPI_VMMON_GENL_H
#define _UAPI_VMMON_GENL_H

#define VMMON_GENL_NAME		"vmmon"
#define VMMON_GENL_VERSION	1
#define VMMON_GENL_MCGRP_EVENTS	"events"

/* VMMON_NAME_MAX (with the NUL) is in vmmon.h, for VMMON_SET_NAME. */

enum vmmon_genl_cmd {
	VMMON_CMD_UNSPEC,
	VMMON_CMD_GET_MODULE,
	VMMON_CMD_GET_VM,
	VMMON_CMD_SET_VM,
	VMMON_CMD_EVENT,
	VMMON_CMD_SET_MODULE,
	__VMMON_CMD_MAX,
};
#define VMMON_CMD_MAX (__VMMON_CMD_MAX - 1)

/* What the VM's vCPUs are doing, as far as the module knows. */
enum vmmon_vm_state {
	VMMON_VM_STATE_CREATED	= 0,	/* no vCPU has run yet */
	VMMON_VM_STATE_RUNNING	= 1,	/* a vCPU is in VMMON_RUN now */
	VMMON_VM_STATE_STOPPED	= 2,	/* vCPUs ran; none is in RUN now */
};

enum vmmon_event {
	VMMON_EVENT_CREATED		= 1,
	VMMON_EVENT_DESTROYED		= 2,
	VMMON_EVENT_SHUTDOWN		= 3,	/* triple fault: VMMON_EXIT_SHUTDOWN */
	VMMON_EVENT_INTERNAL_ERROR	= 4,	/* VMMON_EXIT_INTERNAL or _FAIL_ENTRY */
	VMMON_EVENT_MEM_TARGET		= 5,	/* the policy set its balloon target */
};

enum vmmon_genl_attr {
	VMMON_A_UNSPEC,
	VMMON_A_PAD,			/* 64-bit alignment */

	/* A VM. */
	VMMON_A_VM_ID,			/* u32 */
	VMMON_A_VM_NAME,		/* string, may be absent */
	VMMON_A_VM_NEW_NAME,		/* string: SET_VM */
	VMMON_A_VM_OWNER_UID,		/* u32 */
	VMMON_A_VM_OWNER_PID,		/* u32: the creating process (tgid) */
	VMMON_A_VM_STATE,		/* u32: enum vmmon_vm_state */
	VMMON_A_VM_CREATED_NS,		/* u64: CLOCK_REALTIME at creation */
	VMMON_A_VM_NR_VCPUS,		/* u32 */
	VMMON_A_VM_MEM,			/* nest: VMMON_A_MEM_* */
	VMMON_A_VM_EXITS,		/* nest: VMMON_A_EXITS_* */
	VMMON_A_VM_RUN_NS,		/* u64: time in RUN, all vCPUs,
					 * less HLTs' waits there */
	VMMON_A_VM_VCPUS,		/* nest of VMMON_A_VCPU (each a nest) */

	/* One vCPU, in VMMON_A_VM_VCPUS. */
	VMMON_A_VCPU,			/* nest: VMMON_A_VCPU_* */
	VMMON_A_VCPU_ID,		/* u32 */
	VMMON_A_VCPU_EXITS,		/* nest: VMMON_A_EXITS_* */
	VMMON_A_VCPU_RUN_NS,		/* u64 */
	VMMON_A_VCPU_LOADS,		/* u64: vmmon_vcpu_stats.loads */

	/* Events. */
	VMMON_A_EVENT,			/* u32: enum vmmon_event */

	/* The module. */
	VMMON_A_MOD_API_VERSION,	/* u32: VMMON_API_VERSION */
	VMMON_A_MOD_GENL_VERSION,	/* u32: VMMON_GENL_VERSION */
	VMMON_A_MOD_BACKEND,		/* string: "VT-x" */
	VMMON_A_MOD_FEATURES,		/* string: the backend's capabilities */
	VMMON_A_MOD_MITIGATIONS,	/* string: mitigations/active */
	VMMON_A_MOD_COUNTERS,		/* nest of VMMON_A_COUNTER */
	VMMON_A_MOD_NR_VMS,		/* u32 */
	VMMON_A_MOD_NR_VCPUS,		/* u32 */
	VMMON_A_MOD_GUEST_PAGES,	/* u64 */
	VMMON_A_MOD_VMX_CPUS,		/* u32: CPUs in VMX root now */

	/* A named counter, in VMMON_A_MOD_COUNTERS. */
	VMMON_A_COUNTER,		/* nest: NAME and VALUE */
	VMMON_A_COUNTER_NAME,		/* string */
	VMMON_A_COUNTER_VALUE,		/* u64 */

	/* The balloon (uapi/vmmon_balloon.h), in GET_VM and SET_VM. */
	VMMON_A_VM_BALLOON,		/* nest: VMMON_A_BALLOON_* (GET_VM) */
	VMMON_A_VM_BALLOON_TARGET,	/* u64, pages (SET_VM) */

	/* The memory policy. */
	VMMON_A_VM_MEM_SHARES,		/* u32, 1 to VMMON_MEM_SHARES_MAX (SET_VM) */
	VMMON_A_VM_MEM_RESERVE,		/* u64, pages (SET_VM) */
	VMMON_A_VM_MEMSCHED,		/* nest: VMMON_A_MS_* (GET_VM) */
	VMMON_A_MEM_BUDGET,		/* u64, pages; 0: none (SET_MODULE) */
	VMMON_A_MEM_TAU,		/* u32, percent, 0 to 99 (SET_MODULE) */
	VMMON_A_MOD_MEMSCHED,		/* nest: VMMON_A_MSM_* (GET_MODULE) */

	/* Page sharing's scan rate (SET_MODULE, GET_MODULE). */
	VMMON_A_KSM_PAGES_PER_PASS,	/* u32, 0 (off) to VMMON_KSM_PASS_MAX */
	VMMON_A_KSM_SLEEP_MS,		/* u32, 1 to VMMON_KSM_SLEEP_MS_MAX */

	__VMMON_A_MAX,
};
#define VMMON_A_MAX (__VMMON_A_MAX - 1)

/* Guest memory in pages, in VMMON_A_VM_MEM. */
enum vmmon_genl_mem_attr {
	VMMON_A_MEM_UNSPEC,
	VMMON_A_MEM_PAD,
	VMMON_A_MEM_CONFIGURED,		/* u64: RAM in the memory regions */
	VMMON_A_MEM_RESIDENT,		/* u64: backed by host pages now */
	VMMON_A_MEM_BALLOONED,		/* u64: given back by the balloon */
	/* Content-based page sharing (kmod/ksm/). */
	VMMON_A_MEM_SHARED,		/* u64: backed by a shared page */
	VMMON_A_MEM_ZERO,		/* u64: backed by the shared zero page */
	VMMON_A_MEM_COW_BREAKS,		/* u64: private copies made at writes */
	VMMON_A_MEM_MERGED,		/* u64: pages the scanner shared */
	VMMON_A_MEM_FULL_SCANS,		/* u64: its rounds over the VM's RAM */
	__VMMON_A_MEM_MAX,
};
#define VMMON_A_MEM_MAX (__VMMON_A_MEM_MAX - 1)

/* The balloon channel's state, VMMON_A_BALLOON_STATE. */
enum vmmon_balloon_state {
	VMMON_BALLOON_STATE_OFF		= 0,	/* no channel set up */
	VMMON_BALLOON_STATE_READY	= 1,
	VMMON_BALLOON_STATE_BROKEN	= 2,	/* a malformed ring; SETUP revives it */
};

/*
 * A VM's balloon, in VMMON_A_VM_BALLOON (its owner and CAP_SYS_ADMIN
 * only).  Page counts are guest pages; the counters run from the VM's
 * creation.  Per status: one u64 for each VMMON_BALLOON_S_* status,
 * attribute VMMON_A_BALLOON_STATUS0 + status, the pages that got it.
 */
enum vmmon_genl_balloon_attr {
	VMMON_A_BALLOON_UNSPEC,
	VMMON_A_BALLOON_PAD,
	VMMON_A_BALLOON_STATE,		/* u32: enum vmmon_balloon_state */
	VMMON_A_BALLOON_TARGET,		/* u64: pages */
	VMMON_A_BALLOON_SIZE,		/* u64: pages in the balloon (host's count) */
	VMMON_A_BALLOON_GUEST_ACTUAL,	/* u64: the guest's count, config.actual */
	VMMON_A_BALLOON_INFLATED,	/* u64: pages inflated (S_DONE) */
	VMMON_A_BALLOON_DEFLATED,	/* u64: pages deflated (S_DONE) */
	VMMON_A_BALLOON_FREED,		/* u64: host pages freed by inflates */
	VMMON_A_BALLOON_KICKS,		/* u64: doorbells */
	VMMON_A_BALLOON_BAD_REQUESTS,	/* u64: VMMON_BALLOON_USED_BAD answers */
	VMMON_A_BALLOON_BUSY_NS,	/* u64: time spent serving requests */
	VMMON_A_BALLOON_STATS,		/* nest: VMMON_A_GSTAT_*, once the guest sent them */
	VMMON_A_BALLOON_STATS_AGE_NS,	/* u64: since the guest's last STATS */
	VMMON_A_BALLOON_STATUS0,	/* u64 each, up to VMMON_BALLOON_S_NR */
	__VMMON_A_BALLOON_MAX = VMMON_A_BALLOON_STATUS0 + 8,
};
#define VMMON_A_BALLOON_MAX (__VMMON_A_BALLOON_MAX - 1)

/* The guest's struct vmmon_balloon_stats, field by field, all u64. */
enum vmmon_genl_gstat_attr {
	VMMON_A_GSTAT_UNSPEC,
	VMMON_A_GSTAT_PAD,
	VMMON_A_GSTAT_TOTAL,		/* bytes */
	VMMON_A_GSTAT_FREE,		/* bytes */
	VMMON_A_GSTAT_AVAILABLE,	/* bytes */
	VMMON_A_GSTAT_CACHED,		/* bytes */
	VMMON_A_GSTAT_SWAP_IN,		/* pages */
	VMMON_A_GSTAT_SWAP_OUT,		/* pages */
	VMMON_A_GSTAT_MAJOR_FAULTS,
	VMMON_A_GSTAT_OOM_KILLS,
	__VMMON_A_GSTAT_MAX,
};
#define VMMON_A_GSTAT_MAX (__VMMON_A_GSTAT_MAX - 1)

/*
 * The memory policy's view of a VM, in VMMON_A_VM_MEMSCHED (its owner
 * and CAP_SYS_ADMIN only).  Shares default to the VM's RAM in MiB; rho,
 * the shares per page charged (idle pages at 1 / (1 - tau) each), in
 * thousandths of a share per MiB: a VM of default shares, all active,
 * reads 1000.  The active fraction is in millionths.
 */
#define VMMON_MEM_SHARES_MAX	(1U << 20)
/* Page sharing's scan rate: pages per pass, and the pause between passes. */
#define VMMON_KSM_PASS_MAX	65536U
#define VMMON_KSM_SLEEP_MS_MAX	60000U

enum vmmon_genl_memsched_attr {
	VMMON_A_MS_UNSPEC,
	VMMON_A_MS_PAD,
	VMMON_A_MS_SHARES,		/* u32 */
	VMMON_A_MS_RESERVE,		/* u64: pages */
	VMMON_A_MS_SIZE,		/* u64: pages, the VM's RAM (its max) */
	VMMON_A_MS_ACTIVE_PPM,		/* u32: the estimate */
	VMMON_A_MS_SAMPLED,		/* u32: pages of the last sample */
	VMMON_A_MS_TOUCHED,		/* u32: of them, used by the guest */
	VMMON_A_MS_RHO,			/* u64 */
	VMMON_A_MS_ALLOC,		/* u64: pages the policy gives it */
	VMMON_A_MS_RECLAIMABLE,		/* u32: 1 with a working balloon */
	VMMON_A_MS_TARGET_CHANGES,	/* u64: targets the policy set */
	VMMON_A_MS_TARGET_AGE_NS,	/* u64: since the last, if any */
	__VMMON_A_MS_MAX,
};
#define VMMON_A_MS_MAX (__VMMON_A_MS_MAX - 1)

/* The host's side, in VMMON_A_MOD_MEMSCHED. */
enum vmmon_genl_memsched_mod_attr {
	VMMON_A_MSM_UNSPEC,
	VMMON_A_MSM_PAD,
	VMMON_A_MSM_BUDGET,		/* u64: pages; 0: no budget */
	VMMON_A_MSM_TAU,		/* u32: percent */
	VMMON_A_MSM_PERIOD_MS,		/* u32 */
	VMMON_A_MSM_SAMPLE,		/* u32: pages sampled per VM */
	VMMON_A_MSM_DEMAND,		/* u64: pages the VMs hold, less savings */
	VMMON_A_MSM_PRESSURE,		/* u32: 1 when they pass the budget */
	VMMON_A_MSM_OVERCOMMITTED,	/* u32: 1 when reservations pass it */
	VMMON_A_MSM_PERIODS,		/* u64: periods run */
	VMMON_A_MSM_WORK_NS,		/* u64: the last period's work */
	__VMMON_A_MSM_MAX,
};
#define VMMON_A_MSM_MAX (__VMMON_A_MSM_MAX - 1)

/*
 * Exits by reason, in VMMON_A_VM_EXITS and VMMON_A_VCPU_EXITS: the total,
 * then one u64 for each of the VMMON_STAT_EXIT_NR slots of enum
 * vmmon_stat_exit, attribute VMMON_A_EXITS_REASON0 + slot (a slot no
 * reason uses yet reads 0).
 */
enum vmmon_genl_exits_attr {
	VMMON_A_EXITS_UNSPEC,
	VMMON_A_EXITS_PAD,
	VMMON_A_EXITS_TOTAL,		/* u64 */
	VMMON_A_EXITS_REASON0,		/* u64 each, up to VMMON_STAT_EXIT_NR */
	__VMMON_A_EXITS_MAX = VMMON_A_EXITS_REASON0 + 16,
};
#define VMMON_A_EXITS_MAX (__VMMON_A_EXITS_MAX - 1)

#endif /* _UAPI_VMMON_GENL_H */
