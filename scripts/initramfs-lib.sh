# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Busybox initramfs pieces shared by the guests' builders (sourced by
# scripts/mkguest.sh and scripts/mkdisk.sh):
#   initramfs_busybox ROOTFS         the folders and Debian's static busybox
#                                    with a link per applet
#   initramfs_module ROOTFS MODDIR M module M of the kernel tree MODDIR
#                                    (lib/modules/KVER), after what it
#                                    depends on, decompressed, appended to
#                                    ROOTFS/lib/modules/order; nothing if
#                                    the kernel has M built in
#   initramfs_pack ROOTFS OUT        an uncompressed newc cpio of ROOTFS,
#                                    byte-for-byte repeatable (times 0,
#                                    owner root)
# Needs busybox-static, cpio, kmod (modinfo), xz-utils and zstd.

initramfs_busybox() {
	local rootfs=$1 applet
	mkdir -p "$rootfs"/{bin,dev,etc,lib/modules,mnt,proc,sys,tmp}
	cp /bin/busybox "$rootfs/bin/"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
	done
}

# A module after what it needs (modinfo -F depends, as mkimage.sh does),
# decompressed: busybox insmod reads plain ELF.
initramfs_module() {
	local rootfs=$1 moddir=$2 name=$3 f dst deps dep
	f=$(find "$moddir/kernel" -name "${name//[-_]/[-_]}.ko*" | head -n1)
	if [ -z "$f" ]; then
		# Built into this kernel (6.12 cloud's virtio_pci): nothing to add.
		grep -q "/${name//[-_]/[-_]}\.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
		echo "initramfs: module $name not found in $moddir" >&2
		return 1
	fi
	dst=$rootfs/lib/modules/$(basename "${f%.ko*}").ko
	[ -f "$dst" ] && return 0
	deps=$(modinfo -F depends "$f") || return 1
	for dep in ${deps//,/ }; do
		initramfs_module "$rootfs" "$moddir" "$dep" || return 1
	done
	case $f in
	*.xz) xz -dc "$f" >"$dst" ;;
	*.zst) zstd -qdc "$f" >"$dst" ;;
	*) cp "$f" "$dst" ;;
	esac
	basename "$dst" .ko >>"$rootfs/lib/modules/order"
}

initramfs_pack() {
	local rootfs=$1 out=$2
	find "$rootfs" -exec touch -h -d @0 {} +
	(cd "$rootfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
		>"$out"
}
