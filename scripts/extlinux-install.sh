#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install EXTLINUX onto the ext2 file system of a disk image's first
# partition, without root, loop devices or mounts on this host: extlinux
# --install works only on a mounted file system, so a throwaway guest does
# it. QEMU (TCG) boots VMLINUZ with a busybox initramfs holding extlinux
# and its shared libraries (scripts/extlinux-install-init), the image as
# its virtio-blk disk; the guest mounts the partition, installs into DIR
# (ldlinux.sys, ldlinux.c32, and EXTLINUX's boot sector at the partition's
# start), unmounts and powers off.
# Checked here afterwards, or the script fails: the guest's "ok", both
# files in DIR (debugfs), and EXTLINUX's boot sector at the partition's
# start. The times and generation numbers the guest wrote are then reset,
# so that the image is the same at each build.
# Usage: extlinux-install.sh IMAGE START VMLINUZ DIR
# START: the first partition's first sector (the guest's /dev/vda1).
# VMLINUZ: a kernel fetched by kernel-fetch.sh (its folder's kver and
# root/lib/modules give the modules the guest loads).
# Needs qemu-system-x86, extlinux, e2fsprogs (debugfs), busybox-static,
# cpio, kmod.
set -euo pipefail

PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/initramfs-lib.sh"

usage="usage: extlinux-install.sh IMAGE START VMLINUZ DIR"
img=${1:?$usage} part_start=${2:?$usage} kernel=${3:?$usage} dir=${4:?$usage}
kernel_dir=$(cd "$(dirname "$kernel")" && pwd)
moddir=$kernel_dir/root/lib/modules/$(cat "$kernel_dir/kver")

SECTOR=512
# A boot under TCG takes a few seconds; past this it has hung.
QEMU_TIMEOUT_S=120
EXTLINUX=/usr/bin/extlinux
# Offsets in the boot sector, as in a FAT one: OEM name, hidden sectors.
VBR_OEM=3
VBR_HIDDEN=28

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() {
	echo "extlinux-install: $*" >&2
	exit 1
}

[ -x "$EXTLINUX" ] || die "no $EXTLINUX (Debian's extlinux package)"

# The guest's initramfs: busybox, extlinux with the libraries ldd names
# (at the same paths), the disk's modules (as mkdisk.sh's initramfs:
# nothing for what the kernel has built in).
rootfs=$work/rootfs
initramfs_busybox "$rootfs"
install -m 755 "$top/scripts/extlinux-install-init" "$rootfs/init"
install -D -m 755 "$EXTLINUX" "$rootfs/bin/extlinux"
for lib in $(ldd "$EXTLINUX" | grep -o '/[^ ]*'); do
	install -D -m 755 "$lib" "$rootfs$lib"
done
for m in virtio_pci virtio_blk ext4 crc32c_generic; do
	initramfs_module "$rootfs" "$moddir" "$m"
done
initramfs_pack "$rootfs" "$work/initrd.img"

# -rtc: the guest's clock starts at a fixed time, not the host's: what
# it stamps carries no build date (and is reset below).
timeout "$QEMU_TIMEOUT_S" qemu-system-x86_64 -nodefaults -accel tcg -m 256 \
	-display none -no-reboot -rtc base=2000-01-01T00:00:00,clock=vm \
	-serial "file:$work/console" -kernel "$kernel" -initrd "$work/initrd.img" \
	-append "console=ttyS0 panic=-1 loglevel=4 extlinux.dir=$dir" \
	-drive "file=$img,if=virtio,format=raw" >"$work/qemu.log" 2>&1 ||
	{ cat "$work/qemu.log" "$work/console" >&2; die "QEMU failed or timed out"; }
grep -q '^EXTLINUX-INSTALL: ok' "$work/console" ||
	{ cat "$work/console" >&2; die "the guest did not install EXTLINUX"; }

fs="$img?offset=$((part_start * SECTOR))"
for f in ldlinux.sys ldlinux.c32; do
	debugfs -R "stat $dir/$f" "$fs" 2>/dev/null | grep -q '^Inode:' ||
		die "no $dir/$f on the partition"
done
# The boot sector extlinux wrote at the partition's start (ext2 leaves
# its first 1 KiB to a boot loader; mke2fs wrote zeros there): the
# loader's name where a FAT boot sector has its OEM name (one ldlinux
# serves every file system, so it says SYSLINUX), the partition's start
# as its hidden sectors (from sysfs in the guest: what it adds to the
# sector numbers of ldlinux.sys) and the PC boot signature.
vbr=$((part_start * SECTOR))
oem=$(dd if="$img" bs=1 skip=$((vbr + VBR_OEM)) count=8 status=none)
hidden=$(od -An -tu4 -j $((vbr + VBR_HIDDEN)) -N 4 "$img" | tr -d ' ')
sig=$(od -An -tx1 -j $((vbr + SECTOR - 2)) -N 2 "$img" | tr -d ' ')
if [ "$oem" != SYSLINUX ] || [ "$hidden" != "$part_start" ] || [ "$sig" != 55aa ]; then
	die "no EXTLINUX boot sector at the partition's start (name '$oem', hidden sectors '$hidden', signature '$sig')"
fi

# What the guest stamped that differs from one build to the next: the
# times (to the nanosecond) and random generation numbers of the inodes
# it wrote, the superblock's mount and write times (its clock starts at
# -rtc's base, but how far it got depends on the host). Set as mke2fs
# under E2FSPROGS_FAKE_TIME=1 (mkdisk.sh) sets the others.
{
	echo "set_super_value mtime 1"
	echo "set_super_value wtime 1"
	for f in "$dir" "$dir/ldlinux.sys" "$dir/ldlinux.c32"; do
		for field in atime mtime ctime crtime; do
			echo "set_inode_field $f $field @0"
			echo "set_inode_field $f ${field}_extra 0"
		done
		echo "set_inode_field $f generation 0"
	done
} | E2FSPROGS_FAKE_TIME=1 debugfs -w -f - "$fs" >"$work/debugfs.log" 2>&1
if grep -qiE 'error|invalid|not found|usage' "$work/debugfs.log"; then
	cat "$work/debugfs.log" >&2
	die "debugfs could not reset the guest's times"
fi
