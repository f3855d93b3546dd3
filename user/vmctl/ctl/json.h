/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --json output through json-c: the module's figures under the keys
 * doc/vmctl.1 documents (named as the figures are).
 */
#ifndef VMCTL_CTL_JSON_H
#define VMCTL_CTL_JSON_H

#include <json-c/json.h>
#include "ctl/vm.h"

/* {"total": N, "io": N, ...}: the reasons the module counts. */
json_object *vmctl_json_exits(const struct ctl_exits *ex);

/* {"configured": N, "resident": N, ...}, in pages. */
json_object *vmctl_json_mem(const struct ctl_mem *mem);

/*
 * A VM: "id" and "owner_uid" always; the rest only when the module gave
 * it (the caller's VM, or CAP_SYS_ADMIN); "balloon" when the module
 * sent it; "vcpu" only when @vcpus.
 */
json_object *vmctl_json_vm(const struct ctl_vm *vm, bool vcpus);

/* Add KEY: u64 to @obj. */
void vmctl_json_u64(json_object *obj, const char *key, uint64_t v);

/*
 * Print @obj on one line of stdout (JSON lines: a reader takes one
 * object per line), flush, and drop the reference.  0, or -1 when
 * stdout refused it (a closed pipe).
 */
int vmctl_json_print(json_object *obj);

#endif /* VMCTL_CTL_JSON_H */
