// SPDX-License-Identifier: GPL-2.0
/*
 * Booting through a BIOS image (SeaBIOS, as QEMU's PC): the image is
 * mapped to end at 4 GiB, its top 128 KiB is copied to 0xE0000 (why that
 * is enough for SeaBIOS's shadow RAM: pci/pci.c, pci_host_bridge_init),
 * vCPU 0 stays in the reset state vmmon made it in (real mode, CS base
 * 0xffff0000, RIP 0xfff0: the image's last 16 bytes) and the other vCPUs
 * wait for the firmware's INIT/SIPI through their local APICs
 * (vm/vcpu.c).  What SeaBIOS asks the machine goes through fw_cfg; the
 * RAM size also through CMOS (hw/rtc.c), which it reads first.
 */
#include <endian.h>
#include <string.h>
#include <unistd.h>
#include "boot/boot.h"
#include "vmctl.h"

#define FIRMWARE_UNIT		(64ULL << 10)	/* flash parts come so */
#define FIRMWARE_MIN		FIRMWARE_UNIT
#define FIRMWARE_MAX		(16ULL << 20)	/* the 82802's 16 MiB window */

/*
 * How long SeaBIOS waits after "No bootable device" before it resets
 * the machine (etc/boot-fail-wait, ms; its own default is 60 s): the
 * reset ends vmctl with --no-reboot, or boots again.
 */
#define FIRMWARE_BOOT_FAIL_WAIT	1000

/* QEMU's etc/e820 entries: packed, little-endian. */
struct fw_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

static const char *const firmware_paths[] = {
	"/usr/share/seabios/bios-256k.bin",
	"/usr/share/seabios/bios.bin",
};

const char *boot_firmware_default(void)
{
	size_t i;

	for (i = 0; i < sizeof(firmware_paths) / sizeof(firmware_paths[0]);
	     i++)
		if (!access(firmware_paths[i], R_OK))
			return firmware_paths[i];
	return NULL;
}

int boot_firmware_probe(struct boot_image *img, const char *path)
{
	if (boot_read_file(path, "firmware", &img->data, &img->size))
		return -1;
	img->kind = BOOT_FIRMWARE;
	if (img->size >= FIRMWARE_MIN && img->size <= FIRMWARE_MAX &&
	    !(img->size % FIRMWARE_UNIT))
		return 0;
	vmctl_err("firmware %s is %zu bytes: a BIOS image is a whole number of 64 KiB from 64 KiB to 16 MiB (SeaBIOS's bios.bin is 128 KiB, bios-256k.bin 256 KiB)",
		  path, img->size);
	boot_image_free(img);
	return -1;
}

/*
 * The RAM as QEMU gives it, not the map vmctl gives Linux: the firmware
 * makes its own reservations below 1 MiB (EBDA, BIOS area) and hands the
 * result to the OS through INT 15h E820.
 */
static int firmware_e820(struct vm *vm)
{
	struct fw_e820 e[2];
	unsigned int n = 0;

	e[n++] = (struct fw_e820){ .addr = 0, .size = htole64(vm->mem.low_size),
				   .type = htole32(E820_RAM) };
	if (vm->mem.high_size)
		e[n++] = (struct fw_e820){
			.addr = htole64(GUEST_MEM_HIGH_START),
			.size = htole64(vm->mem.high_size),
			.type = htole32(E820_RAM) };
	return fw_cfg_add_file(&vm->fw_cfg, "etc/e820", e, n * sizeof(e[0]));
}

static int firmware_fw_cfg(struct vm *vm)
{
	struct fw_cfg *fw = &vm->fw_cfg;
	uint16_t cpus = htole16(vm->nr_vcpus), port = htole16(VM_COM1_PORT);
	uint32_t wait = htole32(FIRMWARE_BOOT_FAIL_WAIT);

	if (fw_cfg_set_u64(fw, FW_CFG_RAM_SIZE,
			   vm->mem.low_size + vm->mem.high_size) ||
	    fw_cfg_set_u16(fw, FW_CFG_NB_CPUS, vm->nr_vcpus) ||
	    fw_cfg_set_u16(fw, FW_CFG_MAX_CPUS, vm->nr_vcpus) ||
	    fw_cfg_set_u16(fw, FW_CFG_NOGRAPHIC, 1))
		return -1;
	/* SeaBIOS waits for this many vCPUs to answer its SIPI. */
	if (fw_cfg_add_file(fw, "etc/boot-cpus", &cpus, sizeof(cpus)) < 0 ||
	    firmware_e820(vm) < 0 ||
	    /* No order asked: the firmware's own (the disks, in slot order). */
	    fw_cfg_add_file(fw, "bootorder", NULL, 0) < 0 ||
	    /* No VGA: SeaBIOS's console is COM1. */
	    fw_cfg_add_file(fw, "etc/sercon-port", &port, sizeof(port)) < 0 ||
	    fw_cfg_add_file(fw, "etc/boot-fail-wait", &wait, sizeof(wait)) < 0)
		return -1;
	return boot_acpi_fw_cfg(vm, fw);
}

int boot_firmware(struct vm *vm, const uint8_t *image, size_t size)
{
	uint8_t *area = guest_mem_ptr(&vm->mem, VM_BIOS_AREA,
				      VM_BIOS_AREA_SIZE);
	/* A 64 KiB image fills only the F segment, as on QEMU. */
	size_t top = size < VM_BIOS_AREA_SIZE ? size : VM_BIOS_AREA_SIZE;

	if (!area) {
		vmctl_err("guest RAM does not reach the BIOS area");
		return -1;
	}
	/* vm_create() mapped the image's place, after RAM's reservation. */
	memcpy(vm->mem.base + VM_FIRMWARE_END - size, image, size);
	memcpy(area + VM_BIOS_AREA_SIZE - top, image + size - top, top);
	if (firmware_fw_cfg(vm)) {
		vmctl_err("cannot fill the firmware's configuration (fw_cfg)");
		return -1;
	}
	return 0;
}
