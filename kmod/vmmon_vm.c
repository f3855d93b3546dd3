// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects.  A VM lives as long as its file: the fd returned by
 * VMMON_CREATE_VM holds the only reference, so closing its last copy
 * (or the death of the last process holding it) destroys the VM.  The
 * file's fops pin the module, so rmmod is refused while a VM exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/vmmon.h>
#include "vmmon_core.h"

struct vmmon_vm {
	int id;		/* small number for the log, unique among live VMs */
};

static DEFINE_IDA(vmmon_vm_ida);
static atomic_t vmmon_nr_vms = ATOMIC_INIT(0);

unsigned int vmmon_vm_count(void)
{
	return atomic_read(&vmmon_nr_vms);
}

static void vmmon_vm_destroy(struct vmmon_vm *vm)
{
	pr_debug("VM %d destroyed\n", vm->id);
	atomic_dec(&vmmon_nr_vms);
	vmmon_hw_put();
	ida_free(&vmmon_vm_ida, vm->id);
	kfree(vm);
}

static int vmmon_vm_release(struct inode *inode, struct file *file)
{
	vmmon_vm_destroy(file->private_data);
	return 0;
}

static const struct file_operations vmmon_vm_fops = {
	.owner = THIS_MODULE,
	.release = vmmon_vm_release,
	.llseek = noop_llseek,
};

/* Returns the new VM's fd, or a negative errno. */
int vmmon_vm_create(const struct vmmon_create_vm *args)
{
	struct vmmon_vm *vm;
	int err, fd;

	if (args->flags || args->pad)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	vm->id = ida_alloc(&vmmon_vm_ida, GFP_KERNEL);
	if (vm->id < 0) {
		err = vm->id;
		goto free_vm;
	}
	err = vmmon_hw_get();
	if (err)
		goto free_id;

	/* Counted before the fd exists: another thread may close it at once. */
	atomic_inc(&vmmon_nr_vms);
	fd = anon_inode_getfd("vmmon-vm", &vmmon_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		atomic_dec(&vmmon_nr_vms);
		err = fd;
		goto put_hw;
	}
	pr_debug("VM %d created\n", vm->id);
	return fd;

put_hw:
	vmmon_hw_put();
free_id:
	ida_free(&vmmon_vm_ida, vm->id);
free_vm:
	kfree(vm);
	return err;
}
