/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests that run against the loaded module, inside the
 * emulated test image or on a real VT-x host (as root).
 */
#ifndef VMMON_UTIL_H
#define VMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define VMMON_DEV	"/dev/vmmon"
#define VMMON_SYSFS	"/sys/class/misc/vmmon/"

/* The module file: --module PATH, else vmmon.ko beside the program. */
const char *vmmon_module_path(int argc, char **argv);

int module_load(const char *path, const char *params);
int module_unload(const char *name);
bool module_loaded(const char *name);

long read_long_file(const char *path);
int write_file(const char *path, const char *text);
/* Whether reading *@p raises SIGBUS (a guest page that cannot be had). */
bool touch_faults(volatile unsigned char *p);
/* @cap out of this thread's effective set (the uid stays): 0 or -1. */
int drop_capability(int cap);
/* A /sys/class/misc/vmmon/ counter, or -1 when it cannot be read. */
long vmmon_counter(const char *name);
int vmmon_open(void);
int vmmon_create_vm(int devfd);

int online_cpus(void);
/* A word in the "flags" or "vmx flags" lines of /proc/cpuinfo. */
bool cpuinfo_has_flag(const char *flag);
/* Whether /proc/cpuinfo has a "vmx flags" line at all. */
bool cpuinfo_has_vmx_flags_line(void);
/* A field of /proc/meminfo, in kB, or -1. */
long meminfo_kb(const char *field);
/*
 * The count of /proc/interrupts line @name ("CAL": function-call IPIs)
 * on CPU @cpu, or over all CPUs when @cpu < 0; -1 without such a line.
 */
long cpu_interrupts(const char *name, int cpu);

/*
 * Kernel log: log_mark() writes a unique line to /dev/kmsg and returns
 * its id; log_since() tells whether @needle was logged after that mark.
 */
int log_mark(void);
bool log_since(int mark, const char *needle);

/*
 * KVM as "another hypervisor".  kvm_can_try(): KVM is loaded or can be.
 * kvm_take_vmx(): load KVM if needed (once) and create a KVM VM, which
 * makes it take VMX on every CPU; returns the VM fd, or -1 with errno
 * from the load or the VM creation.  Closing the fd gives VMX back.
 * Tests run in processes of their own and KVM stays loaded between them
 * (loading it is slow under Bochs), so the program's main() calls
 * kvm_remember_loaded() before any test and kvm_release() at exit, which
 * unloads the KVM modules that were not loaded then, last loaded first.
 */
bool kvm_can_try(void);
int kvm_take_vmx(void);
void kvm_remember_loaded(void);
void kvm_release(void);

/*
 * Unreclaimable slab, where a leaked VM, vCPU, file or id would stay,
 * over a warm-up round(@warmup) and two round(@n): 1 when one round grew
 * it by less than 32 kB (a leak grows both, the slab caches' own growth
 * one at most), 0 when both grew, -1 when a round failed.
 */
int slab_leak_check(int (*round)(int n), int warmup, int n, const char *what);

/*
 * Before a suite that needs the module: load vmmon.ko (--module PATH,
 * else beside the program) if it is not loaded; 0, or -1 after a
 * "Bail out!" line.
 */
int vmmon_suite_load(int argc, char **argv);

#endif /* VMMON_UTIL_H */
