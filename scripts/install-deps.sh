#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian 12 packages the build and the emulated test rig need.
# Idempotent: apt is only touched when something is missing.
set -euo pipefail

pkgs=(
	build-essential sparse clang libclang-rt-14-dev
	bochs bochsbios vgabios bochs-term qemu-system-x86
	busybox-static isolinux syslinux-common genisoimage cpio xz-utils zstd kmod
	libnl-3-dev libnl-genl-3-dev pkg-config
	linux-headers-cloud-amd64 linux-headers-amd64
	linux-headers-6.12-cloud-amd64 linux-headers-6.12-amd64
)

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
