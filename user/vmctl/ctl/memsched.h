/* SPDX-License-Identifier: GPL-2.0 */
/* The memory policy's view of a VM (VMMON_A_VM_MEMSCHED), and its settings. */
#ifndef VMCTL_CTL_MEMSCHED_H
#define VMCTL_CTL_MEMSCHED_H

#include <stdbool.h>
#include <stdint.h>
#include "ctl/genl.h"

struct ctl_vm_ref;

struct ctl_memsched {
	bool has;			/* the module sent the nest */
	uint32_t shares;
	uint64_t reserve, size;		/* pages */
	uint32_t active_ppm;		/* the estimate, millionths */
	uint32_t sampled, touched;	/* the last sample */
	uint64_t rho;			/* thousandths of a share per MiB */
	uint64_t alloc;			/* pages the policy gives it */
	bool reclaimable;		/* a working balloon: it takes part */
	uint64_t target_changes, target_age_ns;
};

/*
 * One line of the policy's view, for vmctl stat and top: shares, min and
 * max, the active estimate, rho, the allocation, and the balloon's
 * @target and @actual size (pages).
 */
void ctl_memsched_print(const struct ctl_memsched *m, uint64_t target,
			uint64_t actual);

/* Parse the nest into @m (absent: !m->has).  0 or -EPROTO. */
int ctl_memsched_parse(struct nlattr *nest, struct ctl_memsched *m);

/*
 * SET_VM of shares and/or a reservation in pages (NULL: left as it is):
 * 0 or a negative errno.
 */
int ctl_set_memsched(struct ctl *c, const struct ctl_vm_ref *ref,
		     const uint32_t *shares, const uint64_t *reserve);

/*
 * The same for the VM this process created last (vmctl run: a VM fd
 * carries no id; the module lists its creator's pid).  0, or -1 after a
 * message.
 */
int ctl_set_own_memsched(const uint32_t *shares, const uint64_t *reserve);

#endif /* VMCTL_CTL_MEMSCHED_H */
