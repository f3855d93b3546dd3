#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages the build and the emulated test rig need:
# tools only.  The kernels the rig builds against and boots are never
# installed on this machine: scripts/kernel-headers.sh and
# scripts/kernel-fetch.sh unpack their packages into build/kernel/
# (Debian's 6.12 header packages depend on their image packages, so an
# apt-get install of them would put kernels into /boot).
# Idempotent: apt is only touched when something is missing.
# Usage: install-deps.sh [--list]   (--list: print the packages, install nothing)
set -euo pipefail

pkgs=(
	build-essential gcc-12 sparse clang libclang-rt-14-dev
	# The 32-bit VMM suite (tests/vmmon_vmm32_test.c, built with -m32).
	gcc-multilib
	bochs bochsbios vgabios bochs-term qemu-system-x86
	busybox-static isolinux syslinux-common genisoimage cpio xz-utils zstd kmod
	# The disk images SeaBIOS boots (scripts/mkdisk.sh), built unprivileged:
	# partition table, ext2 file systems, both boot loaders (extlinux
	# installed by a QEMU guest).
	fdisk e2fsprogs extlinux grub-pc-bin seabios
	libnl-3-dev libnl-genl-3-dev libjson-c-dev pkg-config
	# What the unpacked kernel build trees run: linux-kbuild's libraries,
	# pahole for the 6.12 modules' BTF, openssl and dkms for signing and
	# the DKMS build test.
	libelf1 libssl3 zlib1g pahole openssl dkms
	# make deb and its lintian check.
	debhelper dh-dkms lintian
)

if [ "${1:-}" = --list ]; then
	printf '%s\n' "${pkgs[@]}"
	exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
