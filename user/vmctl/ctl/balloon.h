/* SPDX-License-Identifier: GPL-2.0 */
/* A VM's balloon as GET_VM tells it (VMMON_A_VM_BALLOON), in words. */
#ifndef VMCTL_CTL_BALLOON_H
#define VMCTL_CTL_BALLOON_H

#include "ctl/vm.h"

/* Parse the nest into @b (absent: !b->has).  0 or -EPROTO. */
int ctl_balloon_parse(struct nlattr *nest, struct ctl_balloon *b);

/* enum vmmon_balloon_state in a word. */
const char *ctl_balloon_state_name(uint32_t state);

/*
 * enum vmmon_balloon_status in words (the JSON keys under "status"):
 * done, not_ram, already, not_ballooned, duplicate, channel, over_limit.
 */
extern const char *const ctl_balloon_status_names[VMMON_BALLOON_S_NR];

/* Pages inflated and deflated per second of the module's work on them. */
double ctl_balloon_rate(const struct ctl_balloon *b);

#endif /* VMCTL_CTL_BALLOON_H */
