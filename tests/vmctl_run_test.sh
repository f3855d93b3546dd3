#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl run with vmmon loaded: the multiboot loader, the ways a guest
# ends and the exit status each gives, signals, the disk lock and --stats
# (the console on a terminal: vmctl_console_test), and vmctl info.  Guests are tests/vmctl/multiboot_hello.S (its
# command line picks how it ends), so each case takes well under a second.
# usage: vmctl_run_test [--module vmmon.ko]  (vmctl and the kernel beside it)
here=${0%/*}
vmctl=${VMCTL:-$here/vmctl}
mb=${MULTIBOOT_KERNEL:-$here/multiboot_hello.elf}
apic=${APIC_GUEST:-$here/apic_guest.elf}
module=
cpus=		# run()'s host CPUs: any
[ "${1:-}" = --module ] && module=$2
tmp=$(mktemp -d)
. "$here/ktap.sh"

finish() {
	[ -n "$module" ] && rmmod vmmon 2>/dev/null
	rm -rf "$tmp"
}
trap finish EXIT

# check NAME WANT_STATUS PATTERN: judge the last run ($tmp/out, $tmp/rc).
check() {
	got=$(cat "$tmp/rc")
	if [ "$got" = "$2" ] && grep -q -- "$3" "$tmp/out"; then
		ktap_result 0 "$1"
	else
		tail -n 20 "$tmp/out" | sed 's/^/# /'
		echo "# exit status $got, expected $2; expected output matching: $3"
		ktap_result 1 "$1"
	fi
}

# run ARGS...: vmctl run with a 20 s limit, output and status kept; on
# the host CPUs $cpus lists, if set.
run() {
	timeout 20 ${cpus:+taskset -c "$cpus"} "$vmctl" run "$@" \
		>"$tmp/out" 2>&1 </dev/null
	echo $? >"$tmp/rc"
}

ktap_plan 47
if [ -n "$module" ] && ! insmod "$module"; then
	echo "Bail out! insmod $module failed"
	exit 1
fi

run --kernel "$mb" --debug-exit --append "go" -m 32M
check multiboot_debug_exit 67 "^multiboot ok: go$"
run --kernel "$mb" --append "poweroff" -m 32M
check acpi_poweroff_is_0 0 "^multiboot ok: poweroff$"
run --kernel "$mb" --append "reset" -m 32M --no-reboot
check cf9_reset_is_3 3 "^multiboot ok: reset$"
run --kernel "$mb" --append "triple" -m 32M --no-reboot
check triple_fault_is_3 3 "^multiboot ok: triple$"
run --kernel "$mb" --debug-exit=0xf4 --append "go" -m 32M
check debug_exit_port_option 67 "^multiboot ok: go$"
run --kernel "$mb" --debug-exit --append "go" -m 32M -c 4 --stats
check four_vcpus_and_stats 67 "^vmctl: exits io=[1-9]"
# The LAPIC's self-NMI reaches a guest halted with interrupts off.
run --kernel "$mb" --debug-exit --append "nmi" -m 32M
check self_nmi_reaches_the_guest 85 "^nmi taken$"
# That guest ended inside its NMI handler, NMIs blocked; the next guest
# on the same host CPU starts with them unblocked (under Bochs 2.7 it
# inherited the blocking, and its NMI waited for ever).  Three in a row
# on CPU 0: each of the last two follows one that ended so there.
cpus=0
for i in 1 2 3; do
	run --kernel "$mb" --debug-exit --append "nmi" -m 32M
	[ "$(cat "$tmp/rc")" = 85 ] && grep -q "^nmi taken$" "$tmp/out" ||
		break
done
cpus=
check self_nmi_after_guests_that_ended_in_their_handler 85 "^nmi taken$"

# The APIC guest (tests/vmctl/apic_guest.c) raises its own interrupt
# lines through --test-irqs: the I/O APIC's edge and level delivery,
# Remote IRR, EOI and coalescing, masks, destinations, the TMR and TPR,
# illegal vectors, once in xAPIC and once in x2APIC mode.  One check per case it must
# report (a case it does not print fails), then its own count.
timeout 60 "$vmctl" run --kernel "$apic" --test-irqs --debug-exit -m 32M \
	>"$tmp/apic" 2>&1 </dev/null
echo $? >"$tmp/apic.rc"
apic_cases="edge level level_retrigger level_sequential level_coalesce
	edge_coalesce level_masked_then_unmasked edge_masked_is_lost
	simultaneous remote_irr_cleared_by_edge_mode tpr_defers halt_until_timer
	illegal_vector logical_flat level_pci_pin level_no_destination"
for mode in xapic x2apic; do
	for c in $apic_cases; do
		# Flat logical destinations are xAPIC's only.
		[ "$mode.$c" = x2apic.logical_flat ] && continue
		if grep -q "^ok [0-9]* ${mode}_$c\$" "$tmp/apic"; then
			ktap_result 0 "apic_${mode}_$c"
		else
			grep -A 1 " ${mode}_$c\$" "$tmp/apic" | sed 's/^/# /'
			echo "# the APIC guest did not report ${mode}_$c as ok (vmctl status $(cat "$tmp/apic.rc"))"
			ktap_result 1 "apic_${mode}_$c"
		fi
	done
done
cp "$tmp/apic" "$tmp/out"
cp "$tmp/apic.rc" "$tmp/rc"
check apic_guest_reports_no_failure 1 "^apic guest: 0 of 31 failed$"

# A guest that halts with interrupts off forever ends by signal.
"$vmctl" run --kernel "$mb" --append "halt" -m 32M >"$tmp/out" 2>&1 </dev/null &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
echo $? >"$tmp/rc"
check sigterm_is_143 143 "^multiboot ok: halt$"

# A guest that resets boots again (QEMU's default): this one resets at
# every boot, so it boots until SIGTERM (heard by no ACPI driver: 143).
# wait_lines N PATTERN FILE: up to 30 s for N lines matching PATTERN.
wait_lines() {
	i=0
	while [ "$(grep -c -- "$2" "$3")" -lt "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
"$vmctl" run --kernel "$mb" --append "reset" -m 32M --stats \
	>"$tmp/out" 2>&1 </dev/null &
pid=$!
wait_lines 3 "^multiboot ok: reset$" "$tmp/out"
kill -TERM $pid
wait $pid
echo $? >"$tmp/rc"
check reset_reboots 143 "reboots=[2-9]"

# The disk is the same one after the reboot (still open and locked).
# The rebooting vmctl writes a file of its own: it goes on printing
# while the second one's refusal is checked in $tmp/out.
head -c 1048576 /dev/zero >"$tmp/rb.img"
"$vmctl" run --kernel "$mb" --append "triple" -m 32M "$tmp/rb.img" \
	>"$tmp/bg" 2>&1 </dev/null &
pid=$!
wait_lines 2 "^multiboot ok: triple$" "$tmp/bg"
run --kernel "$mb" --append "poweroff" -m 32M "$tmp/rb.img"
kill -TERM $pid
wait $pid
check disk_locked_across_reboot 1 "disk $tmp/rb.img is in use by another vmctl"

# The disk lock: a second vmctl on the same image is refused.
head -c 1048576 /dev/zero >"$tmp/disk.img"
"$vmctl" run --kernel "$mb" --append "halt" -m 32M "$tmp/disk.img" \
	>"$tmp/first" 2>&1 </dev/null &
pid=$!
sleep 2
run --kernel "$mb" --append "poweroff" -m 32M "$tmp/disk.img"
check disk_in_use_refused 1 "disk $tmp/disk.img is in use by another vmctl"
run --kernel "$mb" --append "poweroff" -m 32M --disk "$tmp/disk.img,ro"
check disk_ro_refused_while_written 1 "in use by another vmctl"
kill -TERM $pid
wait $pid

# A bzImage whose kernel (40 MiB here) does not fit the guest's RAM,
# though where it says it unpacks (pref_address 2 MiB, init_size 0)
# would: refused, where vmctl used to copy past the end of RAM (review
# vmctl.md #4: SIGSEGV).
head -c 41943040 /dev/zero >"$tmp/big.bzImage"
put() {
	printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc 2>/dev/null
}
put "$tmp/big.bzImage" 0x1f1 '\001'
put "$tmp/big.bzImage" 0x1fe '\125\252\353\146HdrS\017\002'
put "$tmp/big.bzImage" 0x234 '\001'
put "$tmp/big.bzImage" 0x236 '\001'
put "$tmp/big.bzImage" 0x258 '\000\000\040'
run --kernel "$tmp/big.bzImage" -m 16M
check bzimage_larger_than_ram_refused 1 "needs 41 MiB of RAM to unpack"
rm -f "$tmp/big.bzImage"

# info names the speculation mitigations the module applies.
"$vmctl" info >"$tmp/out" 2>&1
echo $? >"$tmp/rc"
check info_shows_mitigations 0 \
	"^speculation mitigations *$(cat /sys/class/misc/vmmon/mitigations/active)\$"

ktap_totals
