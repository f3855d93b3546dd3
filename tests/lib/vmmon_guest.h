/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test guests: a VM with RAM at guest-physical 0 and one vCPU, in one of
 * three modes.
 *
 * Real mode (vmmon_guest_create) and 32-bit protected mode
 * (vmmon_guest_create_prot32): machine code copied to guest-physical
 * VMMON_GUEST_CODE and run from there, with flat segments and paging off.
 *
 * Long mode (vmmon_guest_create_long), as Linux's KVM selftests do it:
 * the guest runs C functions of the test program itself.  The program's
 * loaded image (its PT_LOAD segments: text, rodata, data and bss) is
 * copied into guest RAM and mapped by 4-level page tables at the same
 * virtual addresses as in this process, so that guest code can call other
 * functions and read globals and string literals.  They are copies, taken
 * when the guest is created: what the guest writes is not seen by this
 * process, nor the other way round, except through vmmon_guest_read/write
 * (or VMMON_SYNC_TO_GUEST / VMMON_SYNC_FROM_GUEST).
 *
 * Guest code runs at CPL 0 with interrupts off and must:
 *   - not call libc (no memcpy, printf, strlen...): use the guest_*
 *     helpers below, and do not copy or zero large structures, which gcc
 *     may turn into memcpy/memset calls;
 *   - not use thread-local variables (__thread), which live outside the
 *     copied image;
 *   - stay in the copied image and the identity-mapped low memory.
 * The stack protector needs no attribute on guest functions (which would
 * have to be on every one, and on what gcc inlines into them): FS points
 * at a guest TCB whose stack_guard (%fs:0x28, where glibc keeps it)
 * holds a canary, so code built with -fstack-protector* runs in the
 * guest as it does here.  SSE is on (CR4.OSFXSR), as gcc's code uses it.
 *
 * Guest-physical (and, below VMMON_GUEST_LOW_END, guest-virtual) memory
 * of a long-mode guest:
 *   0x000000  not mapped, so that a NULL dereference faults
 *   0x001000  identity-mapped up to 0x080000, starting with the GDT
 *             (VMMON_GUEST_GDT)
 *   0x002000  IDT, 32 exception vectors (VMMON_GUEST_IDT)
 *   0x003000  TSS, its IST1 the exception stack (VMMON_GUEST_TSS)
 *   0x003800  TCB, FS base (VMMON_GUEST_TCB)
 *   0x010000  page-table pool, up to 0x080000
 *   0x080000  guard page (not mapped), exception stack, top 0x090000
 *   0x090000  guard page (not mapped), guest stack, top 0x200000
 *   0x200000  the copy of the program image (VMMON_GUEST_IMAGE_GPA),
 *             4 KiB pages in the order of its segments, mapped at the
 *             program's own addresses; writable where the segment is.
 * A program image loaded below VMMON_GUEST_LOW_END cannot be mapped
 * (static non-PIE programs start at 0x400000, PIE ones far above).
 *
 * Guest-to-host messages (ucall): the guest fills a struct vmmon_ucall
 * on its stack and executes OUT to port VMMON_UCALL_PORT with RDI = the
 * struct's guest-virtual address; vmmon_guest_run_ucall() turns that
 * exit into a decoded copy, checking the address against the mappings
 * the library made (the guest's own page tables are not trusted).
 *
 * Exceptions: the IDT sends vectors 0-31 through stubs in this library to
 * one dispatcher, on the exception stack (IST1, so that an exception does
 * not overwrite the red zone below the interrupted code's RSP).  A handler
 * installed for the vector (vmmon_guest_install_handler from the host,
 * guest_install_handler from the guest) gets the frame and may change it,
 * e.g. advance rip; without one, the guest sends an ABORT ucall naming
 * the vector, error code and RIP.  Handlers must not fault themselves:
 * the nested exception would reuse the same stack.
 */
#ifndef VMMON_GUEST_H
#define VMMON_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <uapi/vmmon.h>

/* Where real- and protected-mode code is copied and starts. */
#define VMMON_GUEST_CODE	0x1000

/* The long-mode layout, described above. */
#define VMMON_GUEST_GDT		0x1000
#define VMMON_GUEST_IDT		0x2000
#define VMMON_GUEST_TSS		0x3000
#define VMMON_GUEST_TCB		0x3800
#define VMMON_GUEST_PT_POOL	0x10000
#define VMMON_GUEST_PT_POOL_END	0x80000
#define VMMON_GUEST_XSTACK_TOP	0x90000
#define VMMON_GUEST_STACK_TOP	0x200000
#define VMMON_GUEST_LOW_END	0x200000
#define VMMON_GUEST_IMAGE_GPA	0x200000
/* Default RAM of a long-mode guest: low memory plus a static program. */
#define VMMON_GUEST_LONG_RAM	(16 << 20)

/* The GDT of both protected modes: one GDT, each uses its code segment. */
#define VMMON_GUEST_SEL_CODE64	0x08
#define VMMON_GUEST_SEL_DATA	0x10
#define VMMON_GUEST_SEL_CODE32	0x18
#define VMMON_GUEST_SEL_TSS	0x20
/* For user mode (CPL 3), as SYSRET loads them: STAR[63:48] = 0x30. */
#define VMMON_GUEST_SEL_USER_CODE32	0x30
#define VMMON_GUEST_SEL_USER_DATA	0x38
#define VMMON_GUEST_SEL_USER_CODE64	0x40

/* An unused ISA port (0xE9 is Bochs' and QEMU's debug console). */
#define VMMON_UCALL_PORT	0xE8

#define VMMON_GUEST_NR_VECTORS	32
#define VMMON_GUEST_MAX_MAPS	16

/* One range of the library's own record of guest-virtual mappings. */
struct vmmon_guest_map {
	uint64_t gva, gpa, size;
};

struct vmmon_guest {
	int vm, vcpu;
	uint8_t *ram;		/* all of guest RAM, mapped */
	size_t ram_size;
	struct vmmon_run *run;
	char error[160];	/* why the last library call failed */
	/* Long mode only. */
	uint64_t cr3;
	uint64_t next_pt;	/* next free page of the page-table pool */
	uint64_t next_gpa;	/* next free page for the image copy */
	int nr_maps;
	struct vmmon_guest_map maps[VMMON_GUEST_MAX_MAPS];
};

/* Real mode at CS:IP 0:VMMON_GUEST_CODE. */
int vmmon_guest_create(struct vmmon_guest *g, int devfd, size_t ram_size,
		       const uint8_t *code, size_t len);
/*
 * A second vCPU (@id) of @g's VM, in vCPU 0's mode and segments, at @rip
 * with @rflags: its fd, its run page in *@run; -1 (g->error says why).
 */
int vmmon_guest_add_vcpu(struct vmmon_guest *g, unsigned int id,
			 uint64_t rip, uint64_t rflags,
			 struct vmmon_run **run);
/*
 * 32-bit protected mode, paging off: flat 4 GiB code (selector 0x18) and
 * data (0x10) segments, EIP = VMMON_GUEST_CODE, ESP = the top of RAM.
 */
int vmmon_guest_create_prot32(struct vmmon_guest *g, int devfd,
			      size_t ram_size, const uint8_t *code,
			      size_t len);
/*
 * 64-bit long mode, running @entry(@arg0, @arg1) of this program on the
 * guest stack (ram_size 0: VMMON_GUEST_LONG_RAM).  Returning from @entry
 * is GUEST_DONE().
 */
int vmmon_guest_create_long(struct vmmon_guest *g, int devfd,
			    size_t ram_size, const void *entry,
			    uint64_t arg0, uint64_t arg1);
void vmmon_guest_destroy(struct vmmon_guest *g);
/* A diagnostic line ("# ...") saying why RUN returned: exit reason and its data. */
void vmmon_show_exit(const struct vmmon_run *run);
/*
 * RUN until the guest's own exit, or a signal whose handler calls
 * vmmon_run_interrupt().  A RUN that ends with EINTR for the kernel's
 * return-to-user work alone (task work: 6.12's mm_cid scan comes every
 * 100 ms of CPU time) is made again, as a VMM does.
 */
int vmmon_vcpu_run(int vcpu, struct vmmon_run *run);
int vmmon_guest_run(struct vmmon_guest *g);
/*
 * For a signal handler: end this thread's RUN with EINTR, or its next
 * one, through immediate_exit (a handler that ran just before the ioctl
 * would otherwise leave RUN to go on).
 */
void vmmon_run_interrupt(void);

/*
 * Guest-virtual addresses, through the library's record of the mappings
 * it made: 0, or -1 with errno EFAULT when part of the range is not
 * mapped.
 */
int vmmon_guest_gva_to_gpa(const struct vmmon_guest *g, uint64_t gva,
			   uint64_t *gpa);
/*
 * Long mode: map guest-virtual @gva to guest-physical @gpa, a page
 * outside RAM, so that guest accesses there are MMIO exits.
 */
int vmmon_guest_map_device(struct vmmon_guest *g, uint64_t gva, uint64_t gpa);
/*
 * Long mode: map @size bytes of guest RAM from guest-physical @gpa at
 * guest-virtual @gva, writable (for RAM outside the image and low
 * memory that guest code should reach, e.g. a shared ring).
 */
int vmmon_guest_map_ram(struct vmmon_guest *g, uint64_t gva, uint64_t gpa,
			uint64_t size);
int vmmon_guest_read(const struct vmmon_guest *g, uint64_t gva, void *buf,
		     size_t len);
int vmmon_guest_write(struct vmmon_guest *g, uint64_t gva, const void *buf,
		      size_t len);
/* Copy a global of this program to the guest's copy of it, or back. */
#define VMMON_SYNC_TO_GUEST(g, var)					\
	vmmon_guest_write(g, (uintptr_t)&(var), &(var), sizeof(var))
#define VMMON_SYNC_FROM_GUEST(g, var)					\
	vmmon_guest_read(g, (uintptr_t)&(var), &(var), sizeof(var))

/* ucall */
enum vmmon_ucall_cmd {
	VMMON_UCALL_NONE	= 0,	/* the exit was not a ucall */
	VMMON_UCALL_SYNC	= 1,	/* args: values for the host */
	VMMON_UCALL_DONE	= 2,	/* the guest finished */
	VMMON_UCALL_ABORT	= 3,	/* file:line, text; args as it says */
	VMMON_UCALL_PRINT	= 4,	/* text */
};

#define VMMON_UCALL_MAX_ARGS	4

struct vmmon_ucall {
	uint32_t cmd;
	uint32_t nargs;
	uint64_t args[VMMON_UCALL_MAX_ARGS];
	uint32_t line;
	uint32_t pad;
	char file[64];
	char text[128];
};

/*
 * Run the vCPU once.  Returns the ucall's command (the guest's struct,
 * copied and checked, in *uc), VMMON_UCALL_NONE for any other exit (see
 * g->run), or -1 with errno: from VMMON_RUN, EFAULT when the ucall's
 * address is not mapped, EINVAL when its command or argument count is
 * not one of ours (g->error says which).  The guest may be run again
 * after any of them.
 */
int vmmon_guest_run_ucall(struct vmmon_guest *g, struct vmmon_ucall *uc);
/* What the guest's pending GUEST_SYNC returns once it is run again. */
int vmmon_guest_ucall_reply(struct vmmon_guest *g, uint64_t value);
/* A one-line description of @uc, for diagnostics; returns @buf. */
const char *vmmon_ucall_describe(const struct vmmon_ucall *uc, char *buf,
				 size_t size);

/* Exceptions */
struct vmmon_guest_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;	/* 0 when the vector has none */
	uint64_t rip, cs, rflags, rsp, ss;	/* restored by IRETQ */
};

typedef void (*vmmon_guest_handler_t)(struct vmmon_guest_frame *frame);

/* Set the guest's handler for @vector (0-31), or clear it with NULL. */
int vmmon_guest_install_handler(struct vmmon_guest *g, unsigned int vector,
				vmmon_guest_handler_t handler);

/*
 * Guest side: only for code running in a long-mode guest.
 */

static inline void guest_outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline uint8_t guest_inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static inline uint64_t guest_rdmsr(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static inline void guest_wrmsr(uint32_t index, uint64_t v)
{
	asm volatile("wrmsr" : : "a"((uint32_t)v), "d"((uint32_t)(v >> 32)),
		     "c"(index) : "memory");
}

size_t guest_strlen(const char *s);
/*
 * Run @fn at CPL 3 (through SYSRET, with IOPL 3 so that its ucalls may
 * use OUT) and come back to CPL 0 when it returns (through SYSCALL).
 * Sets EFER.SCE, STAR, LSTAR and SFMASK (TF: a user single step ends at
 * the SYSCALL).  Every page the library maps is a user page.
 */
void guest_user_call(void (*fn)(void));
void guest_install_handler(unsigned int vector, vmmon_guest_handler_t h);

/* Send a ucall; returns what the host set with vmmon_guest_ucall_reply. */
uint64_t guest_ucall(uint32_t cmd, uint32_t nargs, uint64_t a0, uint64_t a1,
		     uint64_t a2, uint64_t a3);
/* A ucall carrying @text (its tail, when longer than the struct holds). */
uint64_t guest_ucall_text(uint32_t cmd, const char *text);
/* ABORT with file:line, @text and @nargs args; the guest then halts. */
void guest_abort(const char *file, int line, const char *text,
		 uint32_t nargs, uint64_t a0, uint64_t a1, uint64_t a2,
		 uint64_t a3) __attribute__((noreturn));
void guest_done(void) __attribute__((noreturn));

/* The table the dispatcher reads, in the guest's copy of this program. */
extern vmmon_guest_handler_t vmmon_guest_handlers[VMMON_GUEST_NR_VECTORS];

/* A fifth value names an undeclared identifier: a compile error. */
#define __GUEST_NARGS(...)						\
	__GUEST_NARGS_(__VA_ARGS__, GUEST_SYNC_takes_at_most_4_values,	\
		       4, 3, 2, 1, 0)
#define __GUEST_NARGS_(a, b, c, d, e, n, ...)	n
#define __GUEST_ARGS4(...)	__GUEST_ARGS4_(__VA_ARGS__, 0, 0, 0, 0)
#define __GUEST_ARGS4_(a, b, c, d, ...)					\
	(uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d)

/* 1 to 4 values for the host; evaluates to the host's reply (else 0). */
#define GUEST_SYNC(...)							\
	guest_ucall(VMMON_UCALL_SYNC, __GUEST_NARGS(__VA_ARGS__),	\
		    __GUEST_ARGS4(__VA_ARGS__))
#define GUEST_PRINT(text)	guest_ucall_text(VMMON_UCALL_PRINT, text)
/* The guest stops: running it again gives HLT exits. */
#define GUEST_DONE()		guest_done()

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		guest_abort(__FILE__, __LINE__, #cond, 0, 0, 0, 0, 0);	\
} while (0)

/* ABORT with args[0] = a and args[1] = b when they differ. */
#define GUEST_ASSERT_EQ(a, b) do {					\
	uint64_t __ga = (uint64_t)(a), __gb = (uint64_t)(b);		\
	if (__ga != __gb)						\
		guest_abort(__FILE__, __LINE__, #a " == " #b, 2,	\
			    __ga, __gb, 0, 0);				\
} while (0)

#endif /* VMMON_GUEST_H */
