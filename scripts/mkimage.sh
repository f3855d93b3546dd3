#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a bootable ISO (isolinux) with a Debian kernel and a busybox
# initramfs holding tests/image/init, the kernel's own kvm modules and a
# payload directory (copied to /vmmon/). An ISO because Bochs cannot boot a
# 64-bit kernel directly; QEMU boots the same file with -cdrom.
# Usage: mkimage.sh --flavour FLAVOUR --payload DIR --out FILE.iso [--append "ARGS"]
set -euo pipefail

usage() { echo "usage: $0 --flavour FLAVOUR --payload DIR --out FILE.iso [--append \"ARGS\"]" >&2; exit 2; }
flavour='' payload='' out='' append=''
while [ $# -gt 0 ]; do
	case $1 in
	--flavour) flavour=$2 ;;
	--payload) payload=$2 ;;
	--out) out=$2 ;;
	--append) append=$2 ;;
	*) usage ;;
	esac
	shift 2 || usage
done
[ -n "$flavour" ] && [ -d "$payload" ] && [ -n "$out" ] || usage

top=$(cd "$(dirname "$0")/.." && pwd)
kern=$top/build/kernel/$flavour
[ -f "$kern/vmlinuz" ] || { echo "mkimage: run scripts/kernel-fetch.sh $flavour first" >&2; exit 1; }
kver=$(cat "$kern/kver")
moddir=$kern/root/lib/modules/$kver

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
iso=$work/iso
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,lib/modules/kvm,vmmon} "$iso/isolinux"

cp /bin/busybox "$rootfs/bin/"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
install -m 755 "$top/tests/image/init" "$rootfs/init"
cp -a "$payload/." "$rootfs/vmmon/"

# kvm-intel and what it needs, decompressed: busybox insmod reads plain ELF.
add_module() {
	local f
	f=$(find "$moddir/kernel" -name "${1//[-_]/[-_]}.ko*" | head -n1)
	[ -n "$f" ] || { echo "mkimage: module $1 not found in $moddir" >&2; exit 1; }
	local dst
	dst=$rootfs/lib/modules/kvm/$(basename "${f%.ko*}").ko
	[ -f "$dst" ] && return
	case $f in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
	local dep
	for dep in $(modinfo -F depends "$f" | tr , ' '); do add_module "$dep"; done
}
add_module kvm-intel
# vmctl_boot reads the guest's disk on a loop mount (ext2, by ext4): loop
# is a module, ext4 one only in the plain kernel (the cloud ones build it in),
# where its mount also wants the crc32c it does not depend on.
add_module loop
if [ -n "$(find "$moddir/kernel/fs/ext4" -name 'ext4.ko*' 2>/dev/null)" ]; then
	add_module ext4
	add_module crc32c_generic
fi

# Fixed owners and times keep the initramfs byte-for-byte repeatable. Not
# compressed: measured in Bochs, inflating it in the guest costs more than
# reading the larger file from the CD.
find "$rootfs" -exec touch -h -d @0 {} +
(cd "$rootfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
	>"$iso/initrd.img"

cp "$kern/vmlinuz" "$iso/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
# idle=halt: CPUs idle in HLT, so a wakeup is always an IPI.  Under
# Bochs 2.7 a CPU idling in MWAIT sometimes missed the write that should
# have woken it (a 2-CPU run then waited forever in synchronize_rcu(),
# with both CPUs idle and nothing on the console).
cat >"$iso/isolinux/isolinux.cfg" <<CFG
DEFAULT vmmon
PROMPT 0
TIMEOUT 0
LABEL vmmon
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND console=ttyS0,115200 quiet panic=-1 idle=halt${append:+ $append}
CFG
find "$iso" -exec touch -h -d @0 {} +
genisoimage -quiet -o "$out" -V VMMON -R \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$iso"
echo "mkimage: $out ($kver, $(du -k "$out" | cut -f1) KiB)"
