#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a test ISO in Bochs, the emulator here that offers VT-x to its guest.
# Settings and their reasons: shared/RIG.md.
# Usage: boot-bochs.sh --iso FILE --cpus N --serial OUT [--timeout SECONDS] [--live]
# The emulator's own output goes to OUT.emu.log.
# Measured at 50M ips (make check, idle 2-core host): 6.1 cloud with 2 CPUs
# reaches /init after ~63 s and ends after ~116 s; 6.12 cloud with 2 CPUs
# ~143 s and ~241 s; 6.1 plain with 1 CPU ~135 s (xz decompression) and
# ~154 s. With 2 CPUs an emulated second, idle or not, costs several
# seconds of wall time.
set -euo pipefail
# shellcheck source=scripts/boot-lib.sh
. "$(dirname "$0")/boot-lib.sh"
boot_parse_args "$@"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Unmodelled MSRs read on every VM entry (DEBUGCTL) or tick (APERF/MPERF):
# declared, they read 0 without a log line each.
for msr in 0x1d9 0xe7 0xe8; do
	echo "$msr 0 00000000 00000000 00000000 00000000 ffffffff ffffffff"
done >"$tmp/msrs.def"

# The debugger-enabled build stops at the first instruction: "c" continues.
echo c >"$tmp/rc"

# rfb needs no terminal and cannot block on an unread pty; timeout=0 means
# it does not wait for a VNC client. It takes the first free port from 5900.
# ips: emulated instructions per emulated second.  At 50M instead of
# RIG.md's 200M an emulated second costs a quarter of the instructions,
# and idle time (timers, RCU grace periods, module loading waits) with it:
# the 2-CPU test run took 126 s instead of 372 s.  With clock sync=none
# one instruction is then 20 ns of guest time.
# BOCHS_MEGS: the machine's RAM in MiB (512 by default), more for a
# measurement that runs several Linux guests at once (vmctl_ksm: four).
cat >"$tmp/bochsrc" <<RC
megs: ${BOCHS_MEGS:-512}
cpu: model=corei7_haswell_4770, count=$cpus, ips=50000000, msrs="$tmp/msrs.def"
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev="$serial"
display_library: rfb, options="timeout=0"
log: -
panic: action=fatal
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
RC

boot_run boot-bochs bochs -q -f "$tmp/bochsrc" -rc "$tmp/rc"
# The guest's ACPI power-off ends Bochs with this PANIC line and exit 1.
boot_verdict "$(grep -q 'ACPI control: soft power off' "$emulog" && echo 1)"
