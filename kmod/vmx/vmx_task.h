/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hardware task switch between its exit and its end, the state
 * vmx_task_switch.c keeps in struct vmx_vcpu (its field task).
 *
 * The switch is decided and the new task loaded into the VMCS at the
 * exit, where vmmon may not sleep; the writes to guest memory that it
 * makes (the old task's state in its TSS, the busy flags, the back link,
 * accessed flags, an error code on the new stack) are translated then,
 * and carried out after the VMCS is put away, before the guest runs
 * again.  The switch commits only when every page they write is
 * resident and writable, so that they allocate nothing; else (prefault)
 * nothing changes, the pages are made ready where vmmon may sleep and
 * the guest retries.
 */
#ifndef VMMON_VMX_TASK_H
#define VMMON_VMX_TASK_H

#include <linux/types.h>

/*
 * At most: the old TSS's 64 bytes of state and the back link, 4 bytes
 * of error code (each may cross a page), two busy flags, the accessed
 * flags of six segment descriptors.
 */
#define VMX_TASK_MAX_WRITES	14
#define VMX_TASK_MAX_BYTES	80

/* A busy flag is set or cleared alone, a locked change of one bit. */
enum vmx_task_op {
	VMX_TASK_COPY,		/* len bytes from data + off */
	VMX_TASK_SET_BIT,	/* bit number off (0-7) of the byte at gpa */
	VMX_TASK_CLEAR_BIT,
};

struct vmx_task_write {
	u64 gpa;
	u8 off;			/* into vmx_task_writes.data, or a bit */
	u8 len;
	u8 op;			/* enum vmx_task_op */
};

struct vmx_task_writes {
	unsigned int nr;
	unsigned int used;	/* bytes of data */
	bool prefault;		/* not committed: ready the pages, retry */
	struct vmx_task_write w[VMX_TASK_MAX_WRITES];
	u8 data[VMX_TASK_MAX_BYTES];
};

#endif /* VMMON_VMX_TASK_H */
