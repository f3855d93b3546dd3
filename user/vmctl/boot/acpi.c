// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI tables a PC guest needs to find its CPUs, its interrupt
 * controllers, the PCI bus and a way to power off (ACPI 6.4): RSDP,
 * RSDT/XSDT, FADT with FACS, MADT, and a DSDT holding only the PCI root
 * bridge (its resources default to everything: Linux keeps the BARs vmctl
 * assigned) and the \_S5 sleep type.  Placed at BOOT_ACPI, where Linux
 * also scans for the RSDP when no boot loader tells it; or, with
 * firmware, handed over through fw_cfg with the BIOS linker/loader's
 * script, as QEMU does, and installed by the firmware where it likes.
 */
#include <string.h>
#include "boot/boot.h"
#include "hw/acpi_loader.h"
#include "vmctl.h"

#define ACPI_OEM_ID		"VMMON "
#define ACPI_OEM_TABLE_ID	"VMMONVM "
#define ACPI_CREATOR_ID		"VMMN"

#define RSDP_OFF		0x000
#define RSDT_OFF		0x040
#define XSDT_OFF		0x080
#define FACS_OFF		0x100	/* 64-byte aligned */
#define FADT_OFF		0x200
#define MADT_OFF		0x400
#define DSDT_OFF		0x800
#define ACPI_AREA		0x1000

#define ACPI_HDR_LEN		36
#define ACPI_HDR_CSUM		9
#define RSDT_LEN		(ACPI_HDR_LEN + 2 * 4)
#define XSDT_LEN		(ACPI_HDR_LEN + 2 * 8)
#define RSDP_LEN		36
#define RSDP_V1_LEN		20
#define RSDP_CSUM		8
#define RSDP_RSDT		16
#define RSDP_XSDT		24
#define RSDP_XCSUM		32
#define RSDP_ALIGN		16
#define FACS_ALIGN		64

/* The fw_cfg files of QEMU's ACPI hand-over, as QEMU names them. */
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_LOADER	"etc/table-loader"
#define FACS_LEN		64
#define FADT_LEN		244	/* revision 4 (ACPI 3.0) */
#define FADT_REVISION		4

/* FADT field offsets (ACPI 6.4 table 5.9) */
#define FADT_FIRMWARE_CTRL	36
#define FADT_DSDT		40
#define FADT_SCI_INT		46
#define FADT_PM1A_EVT_BLK	56
#define FADT_PM1A_CNT_BLK	64
#define FADT_PM_TMR_BLK		76
#define FADT_PM1_EVT_LEN	88
#define FADT_PM1_CNT_LEN	89
#define FADT_PM_TMR_LEN		91
#define FADT_P_LVL2_LAT		96
#define FADT_P_LVL3_LAT		98
#define FADT_CENTURY		108
#define FADT_IAPC_BOOT_ARCH	109
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_X_FIRMWARE_CTRL	132
#define FADT_X_DSDT		140
#define FADT_X_PM1A_EVT_BLK	148
#define FADT_X_PM1A_CNT_BLK	172
#define FADT_X_PM_TMR_BLK	208

#define FADT_F_WBINVD		(1U << 0)
#define FADT_F_PROC_C1		(1U << 2)
#define FADT_F_SLP_BUTTON	(1U << 5)	/* no fixed sleep button */
#define FADT_F_RESET_REG_SUP	(1U << 10)
#define FADT_C2_NONE		101		/* latencies past the limits */
#define FADT_C3_NONE		1001
#define IAPC_VGA_NOT_PRESENT	(1U << 2)
#define IAPC_CMOS_RTC_PRESENT	0		/* bit 5 would say "absent" */

#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1
#define GAS_ACCESS_WORD		2
#define GAS_ACCESS_DWORD	3

/* MADT (ACPI 6.4 5.2.12) */
#define MADT_PCAT_COMPAT	1
#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_ISO		2
#define MADT_LAPIC_NMI		4
#define MADT_LAPIC_ENABLED	1
#define MADT_ISO_LEVEL_HIGH	0x000d	/* active high, level triggered */
#define MADT_ALL_CPUS		0xff
#define IOAPIC_ID		0	/* as the model's ID register resets */
#define SCI_IRQ			VM_SCI_IRQ

/* AML opcodes (ACPI 6.4 chapter 20) */
#define AML_ZERO		0x00
#define AML_NAME		0x08
#define AML_DWORD		0x0c
#define AML_SCOPE		0x10
#define AML_PACKAGE		0x12
#define AML_EXT			0x5b
#define AML_DEVICE		0x82
#define AML_BUFFER		0x11
#define AML_WORD		0x0b
#define AML_BYTE		0x0a
#define EISA_PNP0A03		0x030ad041	/* EisaId("PNP0A03"), PCI bus */

/* Resource descriptors of the root bridge's _CRS (ACPI 6.4 6.4.3.5) */
#define RES_WORD_ADDR		0x88
#define RES_DWORD_ADDR		0x87
#define RES_END_TAG		0x79
#define RES_TYPE_MEM		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_PRODUCER_FIXED	0x0c	/* produced, min and max fixed */
#define RES_IO_ENTIRE_RANGE	0x03
#define RES_MEM_RW		0x01
#define PCI_CONF1_PORT		0xcf8
#define PCI_CONF1_LEN		8

struct acpi_buf {
	uint8_t *p;
	size_t len;
};

static void put8(uint8_t *p, size_t off, uint8_t v) { p[off] = v; }
static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t, 4, len);
	put8(t, 8, rev);
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	put32(t, 24, 1);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t, 32, 1);
	t[9] = 0;
	t[9] = checksum(t, len);
}

static void gas_io(uint8_t *p, size_t off, uint8_t bits, uint8_t access,
		   uint64_t port)
{
	put8(p, off, GAS_SYSTEM_IO);
	put8(p, off + 1, bits);
	put8(p, off + 2, 0);
	put8(p, off + 3, access);
	put64(p, off + 4, port);
}

static void build_fadt(uint8_t *t, uint32_t facs, uint32_t dsdt)
{
	put32(t, FADT_FIRMWARE_CTRL, facs);
	put32(t, FADT_DSDT, dsdt);
	put16(t, FADT_SCI_INT, SCI_IRQ);
	put32(t, FADT_PM1A_EVT_BLK, ACPI_PM_BASE + ACPI_PM1_EVT_OFFSET);
	put32(t, FADT_PM1A_CNT_BLK, ACPI_PM_BASE + ACPI_PM1_CNT_OFFSET);
	put32(t, FADT_PM_TMR_BLK, ACPI_PM_BASE + ACPI_PM_TMR_OFFSET);
	put8(t, FADT_PM1_EVT_LEN, 4);
	put8(t, FADT_PM1_CNT_LEN, 2);
	put8(t, FADT_PM_TMR_LEN, 4);
	put16(t, FADT_P_LVL2_LAT, FADT_C2_NONE);
	put16(t, FADT_P_LVL3_LAT, FADT_C3_NONE);
	put8(t, FADT_CENTURY, RTC_CENTURY);
	put16(t, FADT_IAPC_BOOT_ARCH, IAPC_VGA_NOT_PRESENT |
					IAPC_CMOS_RTC_PRESENT);
	/* The power button is the fixed one, in PM1 (hw/acpi_pm.c). */
	put32(t, FADT_FLAGS, FADT_F_WBINVD | FADT_F_PROC_C1 |
			     FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP);
	gas_io(t, FADT_RESET_REG, 8, GAS_ACCESS_BYTE, SYSCTL_CF9);
	put8(t, FADT_RESET_VALUE, SYSCTL_CF9_RESET_VALUE);
	put64(t, FADT_X_FIRMWARE_CTRL, facs);
	put64(t, FADT_X_DSDT, dsdt);
	gas_io(t, FADT_X_PM1A_EVT_BLK, 32, GAS_ACCESS_WORD,
	       ACPI_PM_BASE + ACPI_PM1_EVT_OFFSET);
	gas_io(t, FADT_X_PM1A_CNT_BLK, 16, GAS_ACCESS_WORD,
	       ACPI_PM_BASE + ACPI_PM1_CNT_OFFSET);
	gas_io(t, FADT_X_PM_TMR_BLK, 32, GAS_ACCESS_DWORD,
	       ACPI_PM_BASE + ACPI_PM_TMR_OFFSET);
	header(t, "FACP", FADT_LEN, FADT_REVISION);
}

static uint32_t build_madt(const struct vm *vm, uint8_t *t)
{
	uint32_t off = ACPI_HDR_LEN + 8;
	unsigned int i;

	put32(t, ACPI_HDR_LEN, VM_LAPIC_BASE);
	put32(t, ACPI_HDR_LEN + 4, MADT_PCAT_COMPAT);
	/*
	 * Processor Local APIC entries also serve a guest in x2APIC mode:
	 * Local x2APIC entries are needed only for IDs of 255 and up, and
	 * vmctl's vCPUs (VM_MAX_VCPUS) have IDs below that.
	 */
	for (i = 0; i < vm->nr_vcpus; i++, off += 8) {
		put8(t, off, MADT_LAPIC);
		put8(t, off + 1, 8);
		put8(t, off + 2, i);		/* ACPI processor UID */
		put8(t, off + 3, i);		/* APIC id */
		put32(t, off + 4, MADT_LAPIC_ENABLED);
	}
	put8(t, off, MADT_IOAPIC);
	put8(t, off + 1, 12);
	put8(t, off + 2, IOAPIC_ID);
	put32(t, off + 4, VM_IOAPIC_BASE);
	put32(t, off + 8, 0);			/* GSI base */
	off += 12;
	/* The PIT's IRQ 0 is pin 2 of the I/O APIC, as on every PC. */
	put8(t, off, MADT_ISO);
	put8(t, off + 1, 10);
	put8(t, off + 3, 0);
	put32(t, off + 4, 2);
	put16(t, off + 8, 0);
	off += 10;
	put8(t, off, MADT_ISO);
	put8(t, off + 1, 10);
	put8(t, off + 3, SCI_IRQ);
	put32(t, off + 4, SCI_IRQ);
	put16(t, off + 8, MADT_ISO_LEVEL_HIGH);
	off += 10;
	put8(t, off, MADT_LAPIC_NMI);
	put8(t, off + 1, 6);
	put8(t, off + 2, MADT_ALL_CPUS);
	put16(t, off + 3, 0);
	put8(t, off + 5, 1);			/* LINT1 */
	off += 6;
	header(t, "APIC", off, 4);
	return off;
}

/* An AML PkgLength for @len bytes that follow it (ACPI 6.4 20.2.4). */
/*
 * PkgLength (ACPI 6.4, 20.2.4): 1 byte below 63, else a lead byte with
 * the count of following bytes and the low 4 bits, then 8 bits each; the
 * length counts its own bytes.  Up to 2^28 - 1, more than any table here.
 */
static size_t aml_pkglen(uint8_t *p, size_t len)
{
	size_t n = 2, total, i;

	if (len + 1 < 0x40) {
		p[0] = len + 1;
		return 1;
	}
	while (n < 4 && len + n >= 1UL << (4 + 8 * (n - 1)))
		n++;
	total = len + n;
	p[0] = (n - 1) << 6 | (total & 0xf);
	for (i = 1; i < n; i++)
		p[i] = total >> (4 + 8 * (i - 1));
	return n;
}

static size_t aml_name_dword(uint8_t *p, const char *name, uint32_t v)
{
	p[0] = AML_NAME;
	memcpy(p + 1, name, 4);
	p[5] = AML_DWORD;
	put32(p, 6, v);
	return 10;
}

static size_t aml_name_zero(uint8_t *p, const char *name)
{
	p[0] = AML_NAME;
	memcpy(p + 1, name, 4);
	p[5] = AML_ZERO;
	return 6;
}

static size_t res_word(uint8_t *p, uint8_t type, uint8_t tflags,
		       uint16_t min, uint16_t max)
{
	p[0] = RES_WORD_ADDR;
	put16(p, 1, 13);
	p[3] = type;
	p[4] = RES_PRODUCER_FIXED;
	p[5] = tflags;
	put16(p, 6, 0);			/* granularity */
	put16(p, 8, min);
	put16(p, 10, max);
	put16(p, 12, 0);		/* translation */
	put16(p, 14, max - min + 1);
	return 16;
}

static size_t res_dword(uint8_t *p, uint8_t type, uint8_t tflags,
			uint32_t min, uint32_t max)
{
	p[0] = RES_DWORD_ADDR;
	put16(p, 1, 23);
	p[3] = type;
	p[4] = RES_PRODUCER_FIXED;
	p[5] = tflags;
	put32(p, 6, 0);
	put32(p, 10, min);
	put32(p, 14, max);
	put32(p, 18, 0);
	put32(p, 22, max - min + 1);
	return 26;
}

/*
 * Name (_CRS, ResourceTemplate () {...}): the root bridge decodes buses
 * 0-255, every port but configuration mechanism #1's, and the MMIO
 * window where vmctl places BARs.
 */
static size_t aml_crs(uint8_t *p)
{
	uint8_t res[128];
	size_t r = 0, n = 0;

	r += res_word(res + r, RES_TYPE_BUS, 0, 0, 0xff);
	r += res_word(res + r, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0,
		      PCI_CONF1_PORT - 1);
	r += res_word(res + r, RES_TYPE_IO, RES_IO_ENTIRE_RANGE,
		      PCI_CONF1_PORT + PCI_CONF1_LEN, 0xffff);
	r += res_dword(res + r, RES_TYPE_MEM, RES_MEM_RW, VM_PCI_MMIO_START,
		       VM_PCI_MMIO_END - 1);
	res[r++] = RES_END_TAG;
	res[r++] = 0;			/* checksum: 0 means none */

	p[n++] = AML_NAME;
	memcpy(p + n, "_CRS", 4);
	n += 4;
	p[n++] = AML_BUFFER;
	n += aml_pkglen(p + n, 3 + r);
	p[n++] = AML_WORD;
	put16(p, n, r);
	n += 2;
	memcpy(p + n, res, r);
	return n + r;
}

/*
 * Name (_PRT, Package () { Package () { 0xSSSSFFFF, 0, 0, GSI }, ... }):
 * INTA of each slot with a device that has the pin, straight to its
 * I/O APIC pin (no link devices), as vm.h's VM_PCI_GSI() wires it.
 */
static size_t aml_prt(uint8_t *p, const struct pci_bus *pci)
{
	uint8_t pkg[PCI_MAX_SLOTS * 12];
	size_t k = 0, n = 0, count = 0;
	unsigned int slot;

	for (slot = 1; slot < PCI_MAX_SLOTS; slot++) {
		const struct pci_device *dev = pci->slots[slot];

		if (!dev || !dev->config[PCI_INTERRUPT_PIN])
			continue;
		pkg[k++] = AML_PACKAGE;
		k += aml_pkglen(pkg + k, 10);
		pkg[k++] = 4;
		pkg[k++] = AML_DWORD;
		put32(pkg, k, slot << 16 | 0xffff);	/* any function */
		k += 4;
		pkg[k++] = AML_ZERO;			/* INTA */
		pkg[k++] = AML_ZERO;			/* no link device */
		pkg[k++] = AML_BYTE;
		pkg[k++] = VM_PCI_GSI(slot);
		count++;
	}
	p[n++] = AML_NAME;
	memcpy(p + n, "_PRT", 4);
	n += 4;
	p[n++] = AML_PACKAGE;
	n += aml_pkglen(p + n, 1 + k);
	p[n++] = count;
	memcpy(p + n, pkg, k);
	return n + k;
}

/*
 * Scope (\_SB) { Device (PCI0) { _HID PNP0A03, _UID 0, _CRS, _PRT } },
 * \_S5
 */
static uint32_t build_dsdt(uint8_t *t, const struct pci_bus *pci)
{
	uint8_t dev[1024], scope[1056];
	size_t n = 0, d = 0, s = 0;

	memcpy(dev + d, "PCI0", 4);
	d += 4;
	d += aml_name_dword(dev + d, "_HID", EISA_PNP0A03);
	d += aml_name_zero(dev + d, "_UID");
	d += aml_crs(dev + d);
	d += aml_prt(dev + d, pci);

	memcpy(scope + s, "\\_SB_", 5);
	s += 5;
	scope[s++] = AML_EXT;
	scope[s++] = AML_DEVICE;
	s += aml_pkglen(scope + s, d);
	memcpy(scope + s, dev, d);
	s += d;

	n = ACPI_HDR_LEN;
	t[n++] = AML_SCOPE;
	n += aml_pkglen(t + n, s);
	memcpy(t + n, scope, s);
	n += s;
	/* Name (\_S5, Package () { 0, 0, 0, 0 }): SLP_TYP for soft-off. */
	t[n++] = AML_NAME;
	memcpy(t + n, "\\_S5_", 5);
	n += 5;
	t[n++] = AML_PACKAGE;
	n += aml_pkglen(t + n, 5);
	t[n++] = 4;
	memset(t + n, AML_ZERO, 4);
	n += 4;
	header(t, "DSDT", n, 2);
	return n;
}

/*
 * The tables in @a (ACPI_AREA bytes), their pointers made from @base,
 * the area's guest-physical address (0 for the firmware's loader, which
 * adds where it puts them).
 */
static int acpi_build(struct vm *vm, uint8_t *a, uint64_t base)
{
	uint8_t *rsdp = a + RSDP_OFF, *rsdt = a + RSDT_OFF, *xsdt = a + XSDT_OFF;

	if (vm->nr_vcpus > MADT_ALL_CPUS - 1) {
		vmctl_err("cannot build the ACPI tables");
		return -1;
	}
	memset(a, 0, ACPI_AREA);
	memcpy(a + FACS_OFF, "FACS", 4);
	put32(a + FACS_OFF, 4, FACS_LEN);
	put8(a + FACS_OFF, 32, 2);		/* version */
	build_dsdt(a + DSDT_OFF, &vm->pci);
	build_fadt(a + FADT_OFF, base + FACS_OFF, base + DSDT_OFF);
	build_madt(vm, a + MADT_OFF);

	put32(rsdt, ACPI_HDR_LEN, base + FADT_OFF);
	put32(rsdt, ACPI_HDR_LEN + 4, base + MADT_OFF);
	header(rsdt, "RSDT", RSDT_LEN, 1);
	put64(xsdt, ACPI_HDR_LEN, base + FADT_OFF);
	put64(xsdt, ACPI_HDR_LEN + 8, base + MADT_OFF);
	header(xsdt, "XSDT", XSDT_LEN, 1);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, ACPI_OEM_ID, 6);
	put8(rsdp, 15, 2);			/* ACPI 2.0+ */
	put32(rsdp, RSDP_RSDT, base + RSDT_OFF);
	put32(rsdp, 20, RSDP_LEN);
	put64(rsdp, RSDP_XSDT, base + XSDT_OFF);
	rsdp[RSDP_CSUM] = checksum(rsdp, RSDP_V1_LEN);
	rsdp[RSDP_XCSUM] = checksum(rsdp, RSDP_LEN);
	return 0;
}

int boot_acpi_build(struct vm *vm, uint64_t *rsdp_addr)
{
	uint8_t *a = guest_mem_ptr(&vm->mem, BOOT_ACPI, ACPI_AREA);

	if (!a || acpi_build(vm, a, BOOT_ACPI))
		return -1;
	*rsdp_addr = BOOT_ACPI + RSDP_OFF;
	return 0;
}

/* Where the tables point at each other, for the loader to relocate. */
static const struct { uint32_t off; uint8_t size; } acpi_pointers[] = {
	{ FADT_OFF + FADT_FIRMWARE_CTRL, 4 },
	{ FADT_OFF + FADT_DSDT, 4 },
	{ FADT_OFF + FADT_X_FIRMWARE_CTRL, 8 },
	{ FADT_OFF + FADT_X_DSDT, 8 },
	{ RSDT_OFF + ACPI_HDR_LEN, 4 },
	{ RSDT_OFF + ACPI_HDR_LEN + 4, 4 },
	{ XSDT_OFF + ACPI_HDR_LEN, 8 },
	{ XSDT_OFF + ACPI_HDR_LEN + 8, 8 },
};

/* The tables whose checksums change when their pointers do. */
static const struct { uint32_t off, len; } acpi_relocated[] = {
	{ FADT_OFF, FADT_LEN },
	{ RSDT_OFF, RSDT_LEN },
	{ XSDT_OFF, XSDT_LEN },
};

/* The loader's script: allocate both blobs, relocate, checksum. */
static int acpi_script(struct acpi_loader *l)
{
	int err = 0;
	size_t i;

	acpi_loader_init(l);
	err |= acpi_loader_allocate(l, ACPI_FILE_RSDP, RSDP_ALIGN,
				    ACPI_LOADER_ZONE_FSEG);
	err |= acpi_loader_allocate(l, ACPI_FILE_TABLES, FACS_ALIGN,
				    ACPI_LOADER_ZONE_HIGH);
	for (i = 0; i < sizeof(acpi_pointers) / sizeof(acpi_pointers[0]); i++)
		err |= acpi_loader_add_pointer(l, ACPI_FILE_TABLES,
					       ACPI_FILE_TABLES,
					       acpi_pointers[i].off,
					       acpi_pointers[i].size);
	for (i = 0; i < sizeof(acpi_relocated) / sizeof(acpi_relocated[0]); i++)
		err |= acpi_loader_add_checksum(l, ACPI_FILE_TABLES,
						acpi_relocated[i].off +
						ACPI_HDR_CSUM,
						acpi_relocated[i].off,
						acpi_relocated[i].len);
	err |= acpi_loader_add_pointer(l, ACPI_FILE_RSDP, ACPI_FILE_TABLES,
				       RSDP_RSDT, 4);
	err |= acpi_loader_add_pointer(l, ACPI_FILE_RSDP, ACPI_FILE_TABLES,
				       RSDP_XSDT, 8);
	err |= acpi_loader_add_checksum(l, ACPI_FILE_RSDP, RSDP_CSUM, 0,
					RSDP_V1_LEN);
	err |= acpi_loader_add_checksum(l, ACPI_FILE_RSDP, RSDP_XCSUM, 0,
					RSDP_LEN);
	return err ? -1 : 0;
}

int boot_acpi_fw_cfg(struct vm *vm, struct fw_cfg *fw)
{
	static uint8_t a[ACPI_AREA];
	static struct acpi_loader l;

	if (acpi_build(vm, a, 0) || acpi_script(&l) ||
	    fw_cfg_add_file(fw, ACPI_FILE_RSDP, a + RSDP_OFF, RSDP_LEN) < 0)
		return -1;
	/* The RSDP is its own blob, in the BIOS segment where it is sought. */
	memset(a + RSDP_OFF, 0, RSDT_OFF - RSDP_OFF);
	if (fw_cfg_add_file(fw, ACPI_FILE_TABLES, a, ACPI_AREA) < 0 ||
	    fw_cfg_add_file(fw, ACPI_FILE_LOADER, l.script,
			    acpi_loader_size(&l)) < 0)
		return -1;
	return 0;
}
