/* SPDX-License-Identifier: GPL-2.0 */
/* The module's figures of a VM and of itself, as vmctl holds them. */
#ifndef VMCTL_CTL_VM_H
#define VMCTL_CTL_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <uapi/vmmon.h>
#include <uapi/vmmon_balloon.h>
#include "ctl/genl.h"
#include "ctl/memsched.h"

/* Exits by reason; a reason the module does not count is not @has. */
struct ctl_exits {
	uint64_t total;
	uint64_t count[VMMON_STAT_EXIT_NR];
	bool has[VMMON_STAT_EXIT_NR];
};

struct ctl_vcpu {
	uint32_t id;
	struct ctl_exits exits;
	uint64_t run_ns;
	uint64_t loads;
};

struct ctl_mem {
	uint64_t configured, resident, ballooned, shared, zero;
	uint64_t cow_breaks, merged, full_scans;	/* page sharing */
};

/* The guest's struct vmmon_balloon_stats: bytes, pages, counts. */
struct ctl_guest_stats {
	uint64_t total, free, available, cached;
	uint64_t swap_in, swap_out, major_faults, oom_kills;
};

/* VMMON_A_VM_BALLOON: pages, counters since the VM's creation. */
struct ctl_balloon {
	bool has;			/* the module sent the nest */
	uint32_t state;			/* enum vmmon_balloon_state */
	uint64_t target, size, guest_actual;
	uint64_t inflated, deflated, freed, kicks, bad_requests, busy_ns;
	uint64_t status[VMMON_BALLOON_S_NR];	/* pages per status */
	bool has_stats;			/* the guest sent its statistics */
	struct ctl_guest_stats stats;
	uint64_t stats_age_ns;
};

/*
 * One VM.  Of a VM of another user (without CAP_SYS_ADMIN) the module
 * gives the id and owner only: then !whole and the rest is zero.
 */
struct ctl_vm {
	uint32_t id;
	uint32_t owner_uid;
	bool whole;
	char name[VMMON_NAME_MAX];	/* "" when it has none */
	uint32_t owner_pid;
	uint32_t state;			/* enum vmmon_vm_state */
	uint32_t nr_vcpus;
	uint64_t created_ns;		/* CLOCK_REALTIME */
	uint64_t run_ns;
	struct ctl_mem mem;
	struct ctl_exits exits;
	struct ctl_balloon balloon;
	struct ctl_memsched memsched;
	unsigned int nr_vcpu;		/* entries in vcpu[] (GET_VM only) */
	struct ctl_vcpu vcpu[VMMON_MAX_VCPUS];
};

/*
 * How a user names a VM on the command line: an id if all digits, else
 * a name (vmmon_genl.h: a name is never all digits).
 */
struct ctl_vm_ref {
	const char *text;
	bool by_id;
	uint32_t id;
};

/* 0, or -1 when @text can be neither (empty, too long, bad id). */
int ctl_vm_ref_parse(struct ctl_vm_ref *ref, const char *text);
/* The same for a command-line word, saying what is wrong with it. */
int ctl_vm_ref_arg(struct ctl_vm_ref *ref, const char *text);

/* GET_VM of one VM: 0 or a negative errno (c->ext_msg says more). */
int ctl_get_vm(struct ctl *c, const struct ctl_vm_ref *ref,
	       struct ctl_vm *vm);

/* GET_VM dump: @each for every VM in id order; 0 or a negative errno. */
int ctl_dump_vms(struct ctl *c, int (*each)(const struct ctl_vm *vm,
					    void *arg), void *arg);

/* VMMON_A_VM_ID or VMMON_A_VM_NAME for @ref (a const struct ctl_vm_ref *). */
int ctl_put_ref(struct nl_msg *msg, const void *ref);

/* SET_VM: rename.  0 or a negative errno. */
int ctl_rename_vm(struct ctl *c, const struct ctl_vm_ref *ref,
		  const char *new_name);

/* SET_VM: the balloon's target in pages.  0 or a negative errno. */
int ctl_set_balloon(struct ctl *c, const struct ctl_vm_ref *ref,
		    uint64_t pages);

/*
 * For a failed request about @ref: "no VM 'X'" for ENOENT, else the
 * errno and the module's words.  Returns the exit status (1).
 */
int ctl_vm_error(const struct ctl *c, const struct ctl_vm_ref *ref,
		 const char *what, int err);

/* Parse a GET_VM reply (or an event's id and owner) into @vm. */
int ctl_vm_parse(struct nlattr **tb, struct ctl_vm *vm);

/* enum vmmon_vm_state in a word. */
const char *ctl_vm_state_name(uint32_t state);

#define CTL_COUNTERS_MAX	32
#define CTL_TEXT_MAX		256

struct ctl_module {
	uint32_t api_version;
	uint32_t genl_version;
	char backend[CTL_TEXT_MAX];
	char features[CTL_TEXT_MAX];
	char mitigations[CTL_TEXT_MAX];
	unsigned int nr_counters;
	struct {
		char name[64];
		uint64_t value;
	} counter[CTL_COUNTERS_MAX];
	uint32_t nr_vms;
	uint32_t nr_vcpus;
	uint64_t guest_pages;
	uint32_t vmx_cpus;
	bool has_ksm_rate;		/* page sharing's scan rate, if sent */
	uint32_t ksm_pages_per_pass, ksm_sleep_ms;
};

/* GET_MODULE: 0 or a negative errno. */
int ctl_get_module(struct ctl *c, struct ctl_module *mod);

/*
 * SET_MODULE of page sharing's scan rate (NULL: left as it is): 0 or a
 * negative errno (c->ext_msg says more).
 */
int ctl_set_ksm_rate(struct ctl *c, const uint32_t *pages_per_pass,
		     const uint32_t *sleep_ms);

#endif /* VMCTL_CTL_VM_H */
