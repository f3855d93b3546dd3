#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a raw disk image that a PC firmware (SeaBIOS) boots, for issue 14's
# `vmctl run disk.img`, without root, loop devices or mounts: the partition
# table is sfdisk's on the image file, the file systems are written into
# the file at the partition's offset by mke2fs.
#   extlinux    MBR: syslinux's mbr.bin, one active ext2 partition at
#               1 MiB (mke2fs -d) holding the kernel, the initramfs and
#               /boot/extlinux/extlinux.conf, with EXTLINUX installed by
#               scripts/extlinux-install.sh (extlinux --install works only
#               on a mounted file system: a throwaway QEMU guest runs it).
#               ext2, not ext4: SYSLINUX 6.04 reads a file of ext4 extents
#               with holes, which mke2fs -d makes of every all-zero block,
#               as an I/O error ("Loading /boot/vmlinuz... failed"), and
#               block-mapped files with holes well; and without a journal
#               the guest's writes can be made repeatable.
#   grub        MBR: GRUB's boot.img, its core.img (grub-mkimage: biosdisk,
#               part_msdos, ext2, serial, linux, normal, echo) in the gap
#               after the MBR, one ext2 partition at 1 MiB (mke2fs -d) holding
#               /boot/grub/grub.cfg, the kernel and the initramfs
#   nobootable  the extlinux disk with no partition marked active
#   zeroed      the extlinux disk with its first sector zeroed
#   truncated   the extlinux disk cut where its partition starts (1 MiB):
#               the MBR is whole, its partition wholly past the end
# The bootable disks' partition holds hello.txt ("vmmon-disk hello KIND");
# the initramfs (busybox, tests/guest/disk-init) prints it and writes
# written.txt back ("vmmon-disk written by KIND"), then powers off. The
# console is COM1 at 115200, the boot loaders' too.
# Byte-for-byte repeatable: fixed times, volume IDs, UUID and hash seed
# (extlinux-install.sh resets what its guest stamps).
# Needs: scripts/kernel-fetch.sh 6.1-cloud done (unless --kernel), and
# from install-deps.sh busybox-static, cpio, kmod, fdisk, syslinux-common,
# extlinux, qemu-system-x86, grub-pc-bin, e2fsprogs.
# Usage: mkdisk.sh --kind extlinux|grub|nobootable|zeroed|truncated
#                  --out FILE [--kernel VMLINUZ]
# VMLINUZ: a kernel fetched by kernel-fetch.sh; its folder's kver and
# root/lib/modules give the modules the initramfs loads.
set -euo pipefail

# The file system tools and modinfo live in sbin, which a user's PATH
# may not hold.
PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/initramfs-lib.sh"

usage() {
	echo "usage: mkdisk.sh --kind extlinux|grub|nobootable|zeroed|truncated --out FILE [--kernel VMLINUZ]" >&2
	exit 2
}

kind='' out='' kernel=$top/build/kernel/6.1-cloud/vmlinuz
while [ $# -gt 0 ]; do
	case $1 in
	--kind) kind=${2:-}; shift 2 || usage ;;
	--out) out=${2:-}; shift 2 || usage ;;
	--kernel) kernel=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
case $kind in
extlinux | grub | nobootable | zeroed | truncated) ;;
*) usage ;;
esac
[ -n "$out" ] || usage
[ -f "$kernel" ] || { echo "mkdisk: no kernel $kernel (scripts/kernel-fetch.sh 6.1-cloud)" >&2; exit 1; }
kernel_dir=$(cd "$(dirname "$kernel")" && pwd)
kver=$(cat "$kernel_dir/kver")
moddir=$kernel_dir/root/lib/modules/$kver

SECTOR=512
MIB=1048576
# The partition starts at 1 MiB, as fdisk puts it: the gap before it holds
# GRUB's core.img.
PART_START=2048
# Room in the partition beyond the kernel and the initramfs.
SPARE_MIB=4
SYSLINUX_MBR=/usr/lib/syslinux/mbr/mbr.bin
GRUB_DIR=/usr/lib/grub/i386-pc
# Where EXTLINUX and its configuration go, as Debian's extlinux-update
# puts them.
EXTLINUX_DIR=/boot/extlinux
# GRUB's last words before the kernel runs (its 32-bit entry skips the
# setup code that says "Probing EDD"): where tests/vmctl_firmware_test.sh
# ends the loader's phase.
GRUB_LOADED="VMMON-DISK-LOADER: loaded grub"
# Boot code ends where the MBR's disk signature starts.
MBR_CODE_BYTES=440

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The initramfs: the same for both loaders.
rootfs=$work/rootfs
initramfs_busybox "$rootfs"
install -m 755 "$top/tests/guest/disk-init" "$rootfs/init"
# ext4 mounts the ext2 partition; in the plain kernels it is a module,
# whose mount also wants the crc32c it does not depend on (the cloud
# kernels build both in: nothing to add).
for m in virtio_pci virtio_blk ext4 crc32c_generic; do
	initramfs_module "$rootfs" "$moddir" "$m"
done
initramfs_pack "$rootfs" "$work/initrd.img"

loader=$kind
case $kind in nobootable | zeroed | truncated) loader=extlinux ;; esac

# The partition's size in MiB: the kernel, the initramfs and some spare.
payload=$(($(stat -c %s "$kernel") + $(stat -c %s "$work/initrd.img")))
part_mib=$(((payload + MIB - 1) / MIB + SPARE_MIB))
part_sectors=$((part_mib * MIB / SECTOR))
img=$work/disk.img
truncate -s $(((PART_START + part_sectors) * SECTOR)) "$img"

# loglevel=4 is what "quiet" sets for the kernel's messages; without a
# "quiet" anywhere in the command line SYSLINUX says "Loading FILE... ok"
# and the kernel's real-mode setup code "Probing EDD" (through the BIOS,
# which SeaBIOS puts on COM1): the kernel's first words, where
# tests/vmctl_firmware_test.sh ends the loader's phase.
cmdline="console=ttyS0,115200 loglevel=4 vmmon.disk=$kind"
echo "vmmon-disk hello $kind" >"$work/hello.txt"

# partition TYPE [BOOTABLE]: the one partition, from 1 MiB to the end.
partition() {
	sfdisk -q --no-reread --no-tell-kernel "$img" >/dev/null <<-EOF
	label: dos
	label-id: 0x766d6d6f
	start=$PART_START, size=$part_sectors, type=$1${2:+, bootable}
	EOF
}

# ext_fs TYPE UUID: the partition's file system, written by mke2fs into
# the image at the partition's offset from $stage, every time and owner
# fixed.
ext_fs() {
	chmod -R go-w "$stage"
	find "$stage" -exec touch -h -d @0 {} +
	E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t "$1" -L vmmon-disk -U "$2" \
		-E root_owner=0:0,hash_seed=766d6d6f-6e2d-6469-736b-2d6861736830,offset=$((PART_START * SECTOR)) \
		-d "$stage" "$img" $((part_sectors / 2))k >/dev/null
	# mke2fs copies the files' change times, which touch cannot set.
	(cd "$stage" && find . -mindepth 1) | sed 's/^\.\(.*\)/set_inode_field \1 ctime @0/' |
		debugfs -w -f - "$img?offset=$((PART_START * SECTOR))" >/dev/null 2>&1
}

stage=$work/stage
mkdir -p "$stage/boot"
cp "$kernel" "$stage/boot/vmlinuz"
cp "$work/initrd.img" "$stage/boot/"
cp "$work/hello.txt" "$stage/"

case $loader in
extlinux)
	active=y
	[ "$kind" = nobootable ] && active=
	partition 83 "$active"		# Linux
	mkdir -p "$stage$EXTLINUX_DIR"
	cat >"$stage$EXTLINUX_DIR/extlinux.conf" <<-EOF
	SERIAL 0 115200
	DEFAULT vmmon
	PROMPT 0
	TIMEOUT 0
	LABEL vmmon
	  LINUX /boot/vmlinuz
	  INITRD /boot/initrd.img
	  APPEND $cmdline vmmon.fs=ext2
	EOF
	ext_fs ext2 766d6d6f-6e2d-6469-736b-2d6578746c78
	"$top/scripts/extlinux-install.sh" "$img" $PART_START "$kernel" "$EXTLINUX_DIR"
	dd if="$SYSLINUX_MBR" of="$img" bs=$MBR_CODE_BYTES count=1 conv=notrunc status=none
	;;
grub)
	partition 83			# Linux
	mkdir -p "$stage/boot/grub"
	cat >"$stage/boot/grub/grub.cfg" <<-EOF
	serial --unit=0 --speed=115200
	terminal_input serial
	terminal_output serial
	set timeout=0
	menuentry vmmon {
		linux /boot/vmlinuz $cmdline vmmon.fs=ext2
		initrd /boot/initrd.img
		echo "$GRUB_LOADED"
	}
	EOF
	# ext2: the guest kernel mounts it with its ext4 driver.
	ext_fs ext2 766d6d6f-6e2d-6469-736b-2d6772756230
	# core.img with every module it needs (none are on the disk), its
	# prefix the partition. boot.img loads core.img's first sector from
	# sector 1 and that sector the rest from sector 2, the defaults
	# grub-bios-setup would write: no patching needed.
	grub-mkimage -O i386-pc -d "$GRUB_DIR" -p '(hd0,msdos1)/boot/grub' \
		-o "$work/core.img" biosdisk part_msdos ext2 serial terminal linux normal echo
	gap=$(((PART_START - 1) * SECTOR))
	[ "$(stat -c %s "$work/core.img")" -le $gap ] ||
		{ echo "mkdisk: core.img is larger than the $gap bytes before the partition" >&2; exit 1; }
	dd if="$work/core.img" of="$img" bs=$SECTOR seek=1 conv=notrunc status=none
	dd if="$GRUB_DIR/boot.img" of="$img" bs=$MBR_CODE_BYTES count=1 conv=notrunc status=none
	;;
esac

case $kind in
zeroed) dd if=/dev/zero of="$img" bs=$SECTOR count=1 conv=notrunc status=none ;;
truncated) truncate -s $((PART_START * SECTOR)) "$img" ;;
esac

mkdir -p "$(dirname "$out")"
mv "$img" "$out"
echo "mkdisk: $out: $kind, $(($(stat -c %s "$out") / 1024)) KiB ($kver)"
