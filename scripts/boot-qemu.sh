#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test ISO in QEMU (TCG: no VT-x in the guest, but quick): for the
# parts of the suite that do not need VMX.
# Usage: boot-qemu.sh --iso FILE --cpus N --serial OUT [--timeout SECONDS] [--live]
# The emulator's own output goes to OUT.emu.log.
# Measured (6.1 cloud): /init after 7-9 s with 1 or 2 CPUs, most of it
# SeaBIOS and isolinux reading the ISO.
set -euo pipefail
# shellcheck source=scripts/boot-lib.sh
. "$(dirname "$0")/boot-lib.sh"
boot_parse_args "$@"

# -no-reboot: the guest's panic=-1 reboot ends QEMU instead of looping.
boot_run boot-qemu qemu-system-x86_64 -accel tcg -cpu max -smp "$cpus" -m 512 \
	-no-reboot -display none -monitor none -serial "file:$serial" -cdrom "$iso"
# QEMU exits 0 on the guest's power-off and on its reboot alike; the
# "done" line tells them apart.
boot_verdict "$([ "$boot_rc" = 0 ] && echo 1)"
