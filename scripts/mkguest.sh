#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the Linux guest that `vmctl run` boots in tests/vmctl_boot_test.sh:
#   OUTDIR/bzImage     Debian's 6.1 cloud kernel (the same for every host)
#   OUTDIR/initrd.img  busybox initramfs, uncompressed: tests/guest/init and
#                      the virtio_pci, virtio_blk, button and evdev modules
#                      (decompressed, for busybox insmod), in load order;
#                      the balloon driver /lib/modules/vmmon_balloon.ko
#                      (guest/balloon/, built here against this kernel, not
#                      in the load order: a test's init loads it) and
#                      /bin/memhog (tests/guest/memhog.c, static)
#   OUTDIR/disk.img    1 MiB raw disk, ext2: data.bin (256 KiB, fixed
#                      pseudo-random content; its sha256 is in the initramfs)
#   OUTDIR/data.sha256 that sha256, for the host-side check
# Byte-for-byte repeatable: fixed times, owners, UUID and seeds.
# Needs: scripts/kernel-fetch.sh 6.1-cloud done (image and build tree),
# busybox-static, cpio, e2fsprogs (mke2fs -d), kmod (modinfo), perl, gcc
# and libc6-dev (a static memhog).
# Usage: mkguest.sh OUTDIR
set -euo pipefail

out=${1:?usage: mkguest.sh OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/initramfs-lib.sh"
kern=$top/build/kernel/6.1-cloud
[ -f "$kern/vmlinuz" ] || { echo "mkguest: run scripts/kernel-fetch.sh 6.1-cloud first" >&2; exit 1; }
kver=$(cat "$kern/kver")
moddir=$kern/root/lib/modules/$kver
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The data file: 256 KiB from a seeded xorshift32, the same on every machine.
perl -e '
	my $x = 0x766d6d6f;	# "vmmo"
	my $buf = "";
	for (1 .. 65536) {
		$x ^= ($x << 13) & 0xffffffff;
		$x ^= $x >> 17;
		$x ^= ($x << 5) & 0xffffffff;
		$buf .= pack("V", $x);
	}
	print $buf;' >"$work/data.bin"
sum=$(sha256sum "$work/data.bin" | cut -d' ' -f1)

# initramfs
rootfs=$work/rootfs
initramfs_busybox "$rootfs"
install -m 755 "$top/tests/guest/init" "$rootfs/init"
echo "$sum" >"$rootfs/etc/data.sha256"

add_module() { initramfs_module "$rootfs" "$moddir" "$1"; }
add_module virtio_pci
add_module virtio_blk
# The ACPI power button as an input device, for vmmon.button=1.
add_module button
add_module evdev

# The balloon driver, built from a copy of its sources (the tree stays
# clean) with the project's one header; the copy's path mapped away and
# the debug info stripped, so the module is the same wherever it is built.
bal=$work/balloon
mkdir -p "$bal/guest/balloon" "$bal/include/uapi"
cp "$top"/guest/balloon/{Kbuild,Makefile,*.c,*.h} "$bal/guest/balloon/"
cp "$top/include/uapi/vmmon_balloon.h" "$bal/include/uapi/"
make -C "$bal/guest/balloon" KDIR="$(cat "$kern/kdir")" \
	KCFLAGS="-ffile-prefix-map=$bal/=" >"$work/balloon.log" 2>&1 ||
	{ cat "$work/balloon.log" >&2; echo "mkguest: the balloon driver did not build" >&2; exit 1; }
strip --strip-debug -o "$rootfs/lib/modules/vmmon_balloon.ko" \
	"$bal/guest/balloon/vmmon_balloon.ko"

# memhog, for the balloon's memory pressure test.
gcc -static -O2 -Wall -Wextra -Werror -s -o "$rootfs/bin/memhog" \
	"$top/tests/guest/memhog.c"

initramfs_pack "$rootfs" "$out/initrd.img"

# The disk: ext2 (the guest kernel mounts it with its built-in ext4), 1 KiB
# blocks, fixed UUID and hash seed; E2FSPROGS_FAKE_TIME fixes the times
# mke2fs writes.
mkdir "$work/disk"
cp "$work/data.bin" "$work/disk/data.bin"
chmod 644 "$work/disk/data.bin"
chmod 755 "$work/disk"
touch -h -d @0 "$work/disk" "$work/disk/data.bin"
rm -f "$out/disk.img"
E2FSPROGS_FAKE_TIME=1 mke2fs -q -F -t ext2 -b 1024 -N 64 -m 0 -L vmmon-guest \
	-U 766d6d6f-6e2d-6775-6573-742d64697363 \
	-E root_owner=0:0,hash_seed=766d6d6f-6e2d-6775-6573-742d68617368 \
	-d "$work/disk" "$out/disk.img" 1024 >/dev/null
# mke2fs copies the source's change time, which touch cannot set.
debugfs -w -R "set_inode_field /data.bin ctime @0" "$out/disk.img" 2>/dev/null
echo "$sum" >"$out/data.sha256"

cp "$kern/vmlinuz" "$out/bzImage"
touch -d @0 "$out"/{bzImage,initrd.img,disk.img,data.sha256}
echo "mkguest: $out: bzImage $(du -k "$out/bzImage" | cut -f1) KiB ($kver)," \
	"initrd.img $(du -k "$out/initrd.img" | cut -f1) KiB," \
	"disk.img $(du -k --apparent-size "$out/disk.img" | cut -f1) KiB"
