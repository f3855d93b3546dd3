// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/x86/x86_walk.c, built natively: page tables are built
 * in a made-up guest-physical memory, and each walk's address or #PF
 * error code is checked against SDM vol. 3A chapter 4.
 */
#include <stdio.h>
#include <linux/bits.h>
#include <linux/types.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trap_pf.h>
#include "vmmon_harness.h"
#include "x86_walk.h"

#define P	BIT_ULL(0)
#define RW	BIT_ULL(1)
#define US	BIT_ULL(2)
#define PS	BIT_ULL(7)
#define XD	BIT_ULL(63)

#define R	0
#define W	X86_WALK_WRITE
#define U	X86_WALK_USER
#define X	X86_WALK_FETCH

/* #PF error codes */
#define PF_P	X86_PF_PROT
#define PF_W	X86_PF_WRITE
#define PF_U	X86_PF_USER
#define PF_RSVD	X86_PF_RSVD
#define PF_I	X86_PF_INSTR

/* Page tables live below 64 KiB; reads elsewhere fail with -EIO. */
static struct {
	u8 mem[0x10000];
	unsigned int read_sizes;	/* OR of the sizes x86_walk() read */
	struct __test_metadata *test;	/* the running test, for guest_read() */
} guest;

static int guest_read(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	struct __test_metadata *_metadata = guest.test;
	bool ok = opaque == &guest && (len == 4 || len == 8);

	EXPECT_TRUE(ok)
		TH_LOG("read of %u bytes", len);
	if (!ok)
		return -EINVAL;
	if (gpa + len > sizeof(guest.mem))
		return -EIO;
	guest.read_sizes |= len;
	memcpy(buf, guest.mem + gpa, len);
	return 0;
}

static void guest_reset(struct __test_metadata *_metadata)
{
	memset(&guest, 0, sizeof(guest));
	guest.test = _metadata;
}

static void set32(u64 gpa, u32 val)
{
	memcpy(guest.mem + gpa, &val, 4);
}

static void set64(u64 gpa, u64 val)
{
	memcpy(guest.mem + gpa, &val, 8);
}

/* The walk of @la for @access by @p must give @want. */
#define EXPECT_GPA(p, la, access, want) do {				\
	u64 __gpa = 0xbad;						\
	u32 __pf = 0xbad;						\
	EXPECT_EQ(x86_walk(p, la, access, guest_read, &guest, &__gpa, &__pf), 0); \
	EXPECT_EQ(__gpa, (u64)(want));					\
} while (0)

/* The walk of @la for @access by @p must raise #PF with @code. */
#define EXPECT_PF(p, la, access, code) do {				\
	u64 __gpa = 0xbad;						\
	u32 __pf = 0xbad;						\
	EXPECT_EQ(x86_walk(p, la, access, guest_read, &guest, &__gpa, &__pf), -EFAULT); \
	EXPECT_EQ(__pf, (u32)(code));					\
} while (0)

TEST(paging_off_is_identity)
{
	struct x86_paging p = { .cr0 = X86_CR0_PE, .cr3 = 0x1000 };

	guest_reset(_metadata);
	EXPECT_GPA(&p, 0x12345678, R, 0x12345678);
	EXPECT_GPA(&p, 0x12345678, U | W, 0x12345678);
	/* Linear addresses are 32 bits wide outside IA-32e mode. */
	EXPECT_GPA(&p, 0x123456789ULL, X, 0x23456789);
	EXPECT_EQ(guest.read_sizes, 0u);
}

/* 32-bit paging: the page directory at 0x1000, a page table at 0x2000. */
static struct x86_paging setup_32bit(struct __test_metadata *_metadata)
{
	struct x86_paging p = {
		.cr0 = X86_CR0_PG | X86_CR0_PE,
		.cr3 = 0x1000 | 0x18,	/* PWT and PCD are no address bits */
	};

	guest_reset(_metadata);
	set32(0x1000 + 1 * 4, 0x2000 | P | RW | US);
	set32(0x2000 + 3 * 4, 0xabcde000 | P | RW | US);	/* 0x00403000 */
	set32(0x2000 + 4 * 4, 0x12345000 | P | US);		/* read-only */
	set32(0x2000 + 5 * 4, 0x23456000 | P | RW);		/* supervisor */
	set32(0x2000 + 6 * 4, 0x34567000 | RW | US);		/* not present */
	/* PS: a 4 MiB page (0x00800000) under CR4.PSE, with PSE-36 bits */
	set32(0x1000 + 2 * 4, 0x12c00000 | 0x5 << 13 | PS | P | RW | US);
	/* PS, read-only, and a page table at 0x3000 without CR4.PSE */
	set32(0x1000 + 3 * 4, 0x3000 | PS | P | US);
	set32(0x3000 + 5 * 4, 0x77777000 | P | RW | US);
	/* a 4 MiB page with reserved bit 21 (0x01000000) */
	set32(0x1000 + 4 * 4, 0x00c00000 | BIT(21) | PS | P | RW | US);
	/* the directory entry of 0x01400000 is not present */
	return p;
}

TEST(bit32_translates)
{
	struct x86_paging p = setup_32bit(_metadata);

	EXPECT_GPA(&p, 0x00403123, R, 0xabcde123);
	EXPECT_GPA(&p, 0x00403fff, U | W, 0xabcdefff);
	EXPECT_GPA(&p, 0x00403123, U | X, 0xabcde123);
	EXPECT_GPA(&p, 0xffffffff00403123ULL, R, 0xabcde123);
	/* Without CR4.PSE, PS is ignored. */
	EXPECT_GPA(&p, 0x00c05678, R, 0x77777678);
	/* 4-byte entries only */
	EXPECT_EQ(guest.read_sizes, 4u);

	p.cr4 = X86_CR4_PSE;
	EXPECT_GPA(&p, 0x00812345, U | W, 0x512c12345ULL);
	/* The PAT bit (12) is no address bit; bit 13 is address bit 32. */
	EXPECT_GPA(&p, 0x00c05678, R, 0x100005678ULL);
	/* Small pages work the same. */
	EXPECT_GPA(&p, 0x00403123, R, 0xabcde123);
}

TEST(bit32_faults)
{
	struct x86_paging p = setup_32bit(_metadata);

	/* Not present: the directory entry, then the table entry */
	EXPECT_PF(&p, 0x01400000, R, 0);
	EXPECT_PF(&p, 0x01400000, W, PF_W);
	EXPECT_PF(&p, 0x01400000, U | W, PF_U | PF_W);
	EXPECT_PF(&p, 0x00406000, U, PF_U);
	/* No I/D bit without PAE and NXE, or SMEP */
	EXPECT_PF(&p, 0x00406000, U | X, PF_U);
	p.efer = EFER_NX;
	EXPECT_PF(&p, 0x00406000, U | X, PF_U);
	p.efer = 0;

	/* Read-only: supervisor writes fault only under CR0.WP. */
	EXPECT_GPA(&p, 0x00404010, W, 0x12345010);
	EXPECT_PF(&p, 0x00404010, U | W, PF_P | PF_W | PF_U);
	EXPECT_GPA(&p, 0x00404010, U, 0x12345010);
	p.cr0 |= X86_CR0_WP;
	EXPECT_PF(&p, 0x00404010, W, PF_P | PF_W);

	/* Supervisor page */
	EXPECT_GPA(&p, 0x00405010, W, 0x23456010);
	EXPECT_PF(&p, 0x00405010, U, PF_P | PF_U);
	EXPECT_PF(&p, 0x00405010, U | X, PF_P | PF_U);

	/* Reserved bit 21 of a 4 MiB page, seen only under CR4.PSE */
	p.cr4 = X86_CR4_PSE;
	EXPECT_PF(&p, 0x01000000, R, PF_P | PF_RSVD);
	EXPECT_PF(&p, 0x01000000, U | W, PF_P | PF_RSVD | PF_U | PF_W);

	/* SMEP: no supervisor fetch from a user page; I/D is reported. */
	EXPECT_GPA(&p, 0x00403000, X, 0xabcde000);
	p.cr4 |= X86_CR4_SMEP;
	EXPECT_PF(&p, 0x00403000, X, PF_P | PF_I);
	EXPECT_GPA(&p, 0x00403000, U | X, 0xabcde000);
	EXPECT_GPA(&p, 0x00405000, X, 0x23456000);
	EXPECT_PF(&p, 0x00406000, X, PF_I);
}

/*
 * PAE paging: the four PDPTEs at 0x1020 (32-byte aligned, no page),
 * a page directory at 0x4000, a page table at 0x5000.
 */
static struct x86_paging setup_pae(struct __test_metadata *_metadata)
{
	struct x86_paging p = {
		.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr3 = 0x1020,
		.cr4 = X86_CR4_PAE,
	};

	guest_reset(_metadata);
	/* PDPTEs have no R/W or U/S bit */
	set64(0x1020 + 3 * 8, 0x4000 | P);			/* 0xc0000000 */
	set64(0x4000 + 1 * 8, 0x5000 | P | RW | US);		/* 0xc0200000 */
	set64(0x5000 + 1 * 8, 0x123456000ULL | P | RW | US);	/* 0xc0201000 */
	set64(0x5000 + 2 * 8, 0x23456000 | XD | P | RW | US);	/* 0xc0202000 */
	set64(0x5000 + 3 * 8, 0x34567000 | P | US);		/* 0xc0203000 */
	set64(0x5000 + 4 * 8, 0x45678000 | P | RW);		/* 0xc0204000 */
	/* a 2 MiB page with the PAT bit, 0xc0400000 */
	set64(0x4000 + 2 * 8, 0x200000000ULL | BIT(12) | PS | P | RW | US);
	/* a 2 MiB page with reserved bit 13, 0xc0600000 */
	set64(0x4000 + 3 * 8, 0x200000000ULL | BIT(13) | PS | P | RW | US);
	/* a page table outside guest memory, 0xc0800000 */
	set64(0x4000 + 4 * 8, 0x100000 | P | RW | US);
	/* PDPTE 0 (0x00000000) and PDE 0 are not present */
	return p;
}

TEST(pae_translates)
{
	struct x86_paging p = setup_pae(_metadata);

	EXPECT_GPA(&p, 0xc0201234, U | W, 0x123456234ULL);
	EXPECT_GPA(&p, 0xffffffffc0201234ULL, R, 0x123456234ULL);
	/* Only bits 31:0 index the PDPTEs. */
	EXPECT_PF(&p, 0x100001000ULL, R, 0);
	EXPECT_GPA(&p, 0xc0412345, U | W, 0x200012345ULL);
	EXPECT_GPA(&p, 0xc05fffff, R, 0x2001fffffULL);
	EXPECT_EQ(guest.read_sizes, 8u);
	/* The error of the read goes through. */
	EXPECT_EQ(x86_walk(&p, 0xc0800000, R, guest_read, &guest,
			   &(u64){ 0 }, &(u32){ 0 }), -EIO);
}

TEST(pae_faults)
{
	struct x86_paging p = setup_pae(_metadata);

	EXPECT_PF(&p, 0x00001000, R, 0);
	EXPECT_PF(&p, 0xc0001000, W, PF_W);
	EXPECT_PF(&p, 0xc0205000, U, PF_U);
	EXPECT_PF(&p, 0xc0203000, U | W, PF_P | PF_U | PF_W);
	EXPECT_PF(&p, 0xc0203000, W, PF_P | PF_W);
	EXPECT_PF(&p, 0xc0204000, U, PF_P | PF_U);
	EXPECT_PF(&p, 0xc0600000, R, PF_P | PF_RSVD);
	/* XD is reserved without EFER.NXE, and a fetch has no I/D then. */
	EXPECT_PF(&p, 0xc0202000, R, PF_P | PF_RSVD);
	EXPECT_PF(&p, 0xc0202000, X, PF_P | PF_RSVD);

	p.efer = EFER_NX;
	EXPECT_GPA(&p, 0xc0202000, U | W, 0x23456000);
	EXPECT_PF(&p, 0xc0202000, X, PF_P | PF_I);
	EXPECT_PF(&p, 0xc0202000, U | X, PF_P | PF_U | PF_I);
	EXPECT_GPA(&p, 0xc0201000, U | X, 0x123456000ULL);
	EXPECT_PF(&p, 0x00001000, X, PF_I);
}

/*
 * 4-level paging: PML4 at 0x1000, PDPT at 0x2000, PD at 0x3000, PT at
 * 0x4000, on the path of LA(1, 2, 3, 4); other entries hang off them.
 */
#define LA(l4, l3, l2, l1)	((u64)(l4) << 39 | (u64)(l3) << 30 | \
				 (u64)(l2) << 21 | (u64)(l1) << 12)

static struct x86_paging setup_4level(struct __test_metadata *_metadata)
{
	struct x86_paging p = {
		.cr0 = X86_CR0_PG | X86_CR0_PE | X86_CR0_WP,
		.cr3 = 0x1000 | 0x18,
		.cr4 = X86_CR4_PAE,
		.efer = EFER_LMA | EFER_NX,
	};

	guest_reset(_metadata);
	set64(0x1000 + 1 * 8, 0x2000 | P | RW | US);
	set64(0x2000 + 2 * 8, 0x3000 | P | RW | US);
	set64(0x3000 + 3 * 8, 0x4000 | P | RW | US);
	set64(0x4000 + 4 * 8, 0x8123456789000ULL | P | RW | US);
	/* 1 GiB page at LA(1, 5, 0, 0), 2 MiB page at LA(1, 2, 6, 0) */
	set64(0x2000 + 5 * 8, 0x1c0000000ULL | PS | P | RW | US);
	set64(0x3000 + 6 * 8, 0x7fe00000ULL | PS | P | RW | US);
	/* the same with a reserved bit at 13, at LA(1, 6, 0, 0), LA(1, 2, 7, 0) */
	set64(0x2000 + 6 * 8, 0x1c0000000ULL | BIT(13) | PS | P | RW | US);
	set64(0x3000 + 7 * 8, 0x7fe00000ULL | BIT(20) | PS | P | RW | US);
	/* not present: LA(2, ...), LA(1, 3, ...), LA(1, 2, 8, ...), LA(1, 2, 3, 5) */
	set64(0x4000 + 5 * 8, 0x5000 | RW | US);
	/* PS in a PML4E is reserved: LA(3, ...) */
	set64(0x1000 + 3 * 8, 0x2000 | PS | P | RW | US);
	/* read-only PML4E: LA(4, 0, 0, 0) -> PDPT 0x6000 -> PD 0x7000 -> 2 MiB */
	set64(0x1000 + 4 * 8, 0x6000 | P | US);
	set64(0x6000, 0x7000 | P | RW | US);
	set64(0x7000, 0x40000000ULL | PS | P | RW | US);
	/* supervisor PD entry: LA(1, 2, 9, 0) -> 2 MiB page */
	set64(0x3000 + 9 * 8, 0x600000 | PS | P | RW);
	/* execute-disable PML4E: LA(5, 0, 0, 0) -> the PDPT at 0x6000 */
	set64(0x1000 + 5 * 8, 0x6000 | XD | P | RW | US);
	/* the top half: LA(256, 0, 0, 0) -> the PDPT at 0x6000 */
	set64(0x1000 + 256 * 8, 0x6000 | P | RW);
	return p;
}

TEST(level4_translates)
{
	struct x86_paging p = setup_4level(_metadata);

	EXPECT_GPA(&p, LA(1, 2, 3, 4) + 0x567, U | W, 0x8123456789567ULL);
	EXPECT_GPA(&p, LA(1, 2, 3, 4) + 0xfff, U | X, 0x8123456789fffULL);
	EXPECT_GPA(&p, LA(1, 5, 0, 0) + 0x2345678, U | W, 0x1c2345678ULL);
	EXPECT_GPA(&p, LA(1, 5, 0, 0) + 0x3fffffff, R, 0x1ffffffffULL);
	EXPECT_GPA(&p, LA(1, 2, 6, 0) + 0x12345, U | W, 0x7fe12345ULL);
	EXPECT_GPA(&p, 0xffff800000000000ULL + 0x1234, W, 0x40001234ULL);
	EXPECT_EQ(guest.read_sizes, 8u);
}

TEST(level4_faults)
{
	struct x86_paging p = setup_4level(_metadata);
	u8 before[sizeof(guest.mem)];
	u64 gpa;
	u32 pf;

	memcpy(before, guest.mem, sizeof(before));

	/* Not present at each level, with I/D under NXE */
	EXPECT_PF(&p, LA(2, 0, 0, 0), R, 0);
	EXPECT_PF(&p, LA(1, 3, 0, 0), W, PF_W);
	EXPECT_PF(&p, LA(1, 2, 8, 0), U | W, PF_U | PF_W);
	EXPECT_PF(&p, LA(1, 2, 3, 5), U | X, PF_U | PF_I);

	/* Reserved bits */
	EXPECT_PF(&p, LA(3, 0, 0, 0), R, PF_P | PF_RSVD);
	EXPECT_PF(&p, LA(1, 6, 0, 0), U, PF_P | PF_RSVD | PF_U);
	EXPECT_PF(&p, LA(1, 2, 7, 0), W, PF_P | PF_RSVD | PF_W);

	/* Read-only at the PML4 level */
	EXPECT_GPA(&p, LA(4, 0, 0, 0) + 0x10, U, 0x40000010ULL);
	EXPECT_PF(&p, LA(4, 0, 0, 0), U | W, PF_P | PF_U | PF_W);
	EXPECT_PF(&p, LA(4, 0, 0, 0), W, PF_P | PF_W);
	p.cr0 &= ~X86_CR0_WP;
	EXPECT_GPA(&p, LA(4, 0, 0, 0) + 0x10, W, 0x40000010ULL);
	EXPECT_PF(&p, LA(4, 0, 0, 0), U | W, PF_P | PF_U | PF_W);
	p.cr0 |= X86_CR0_WP;

	/* Supervisor-only at the PD level */
	EXPECT_GPA(&p, LA(1, 2, 9, 0) + 0x20, W, 0x600020);
	EXPECT_PF(&p, LA(1, 2, 9, 0), U, PF_P | PF_U);

	/* Execute-disable at the PML4 level */
	EXPECT_GPA(&p, LA(5, 0, 0, 0) + 0x30, U | W, 0x40000030ULL);
	EXPECT_PF(&p, LA(5, 0, 0, 0), X, PF_P | PF_I);
	EXPECT_PF(&p, LA(5, 0, 0, 0), U | X, PF_P | PF_U | PF_I);
	p.efer &= ~EFER_NX;
	EXPECT_PF(&p, LA(5, 0, 0, 0), R, PF_P | PF_RSVD);
	p.efer |= EFER_NX;

	/* Non-canonical, and 5-level paging, are no page faults. */
	EXPECT_EQ(x86_walk(&p, 0x0000800000000000ULL, R, guest_read, &guest,
			   &gpa, &pf), -ERANGE);
	EXPECT_EQ(x86_walk(&p, 0xffff7fffffffffffULL, R, guest_read, &guest,
			   &gpa, &pf), -ERANGE);
	p.cr4 |= X86_CR4_LA57;
	EXPECT_EQ(x86_walk(&p, LA(1, 2, 3, 4), R, guest_read, &guest,
			   &gpa, &pf), -EINVAL);

	/* A read-only walk: no accessed or dirty bit was set. */
	EXPECT_EQ(memcmp(before, guest.mem, sizeof(before)), 0);
}

TEST_HARNESS_MAIN
