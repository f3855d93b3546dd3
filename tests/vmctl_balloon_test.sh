#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The balloon with the Linux guest (issue 13): vmctl run boots the guest
# of tests/vmctl_boot_test.sh with 256 MiB and vmmon.balloon=1, and its
# init (tests/guest/init, balloon()) runs the scenario step by step with
# this script: it says "VMMON-GUEST: balloon STEP memavailable KB ..." on
# its console and waits for "go" on its console's input (a FIFO here),
# while this script sets targets with vmctl balloon and reads the VM's
# figures with vmctl stat --json.
#   boot_balloon        the guest loaded vmmon_balloon.ko (CPUID found the
#                       balloon), the channel is ready, and the console
#                       has no FAIL and no kernel Oops/BUG/WARNING/panic
#   inflate_to_target   vmctl balloon VM 128M: the balloon reaches 32768
#                       pages (the host's count and the guest's), memory
#                       ballooned 32768, every page inflated once
#   inflate_memavailable  the guest's MemAvailable drops by 128 MiB +- 8
#   inflate_host_pages  one host page freed per page inflated, and the VM's
#                       resident pages drop by exactly the pages freed, less
#                       what the guest faulted in meanwhile (its EPT faults)
#   deflate_to_zero     vmctl balloon VM 0: balloon and ballooned 0, 32768
#                       deflated, MemAvailable back within 8 MiB
#   oom_deflates        inflated to 128 MiB again, memhog takes 64 MiB more
#                       than MemAvailable: it finishes, no OOM kill, the
#                       balloon deflated through the OOM notifier, then
#                       inflates back to the target
#   unload_inflated     rmmod while inflated: balloon and ballooned 0, the
#                       channel off, MemAvailable back within 8 MiB
#   kill_mid_inflate    the driver loaded again, target 192 MiB; vmctl
#                       killed (SIGKILL) once the balloon holds pages: no
#                       VM and no guest page left in the module (GET_MODULE
#                       and sysfs)
#   vmmon_clean         nothing left, module unloaded (when loaded here)
# Diagnostics: inflate and deflate rates in pages per emulated second as
# the host sees them (target set to target reached) and as the module
# counts them (pages per second of its own work), the guest's statistics.
#
# usage: vmctl_balloon_test [--module vmmon.ko]
# Settings (environment), as vmctl_boot_test's:
#   VMCTL, VMCTL_GUEST_DIR, JSON_CHECK (json_check_helper)
#   VMCTL_BALLOON_TIMEOUT  seconds for the whole run (default 600)
#   VMCTL_BALLOON_WAIT     seconds for the balloon to reach a target (120)
here=${0%/*}
vmctl=${VMCTL:-$here/vmctl}
guest=${VMCTL_GUEST_DIR:-$here/guest}
jc=${JSON_CHECK:-$here/json_check_helper}
run_timeout=${VMCTL_BALLOON_TIMEOUT:-600}
wait_s=${VMCTL_BALLOON_WAIT:-120}
append="console=ttyS0 quiet panic=-1 cryptomgr.notests vmmon.balloon=1"
vm=vmb-test
mib_pages=256			# 4 KiB pages per MiB
target_pages=$((128 * mib_pages))
slack_kb=$((8 * 1024))		# MemAvailable's noise, either way
module=
[ "${1:-}" = --module ] && module=$2
tmp=$(mktemp -d)
. "$here/ktap.sh"
cases="boot_balloon inflate_to_target inflate_memavailable inflate_host_pages
deflate_to_zero oom_deflates unload_inflated kill_mid_inflate"

finish() {
	exec 4>&- 2>/dev/null
	[ -n "$module" ] && rmmod vmmon 2>/dev/null
	rm -rf "$tmp"
}
trap finish EXIT

# result NAME: ok when $tmp/p.NAME is empty (or absent but the step was
# reached, $tmp/r.NAME), else its lines.
result() {
	if [ ! -f "$tmp/r.$1" ]; then
		echo "# the scenario did not get there (see the console below)"
		ktap_result 1 "$1"
	else
		[ -s "$tmp/p.$1" ] && sed 's/^/# /' "$tmp/p.$1"
		ktap_result "$([ -s "$tmp/p.$1" ] && echo 1 || echo 0)" "$1"
	fi
}

# problem CASE TEXT: CASE fails, saying TEXT.
problem() { echo "$2" >>"$tmp/p.$1"; }
# reached CASE: CASE was checked (passes unless a problem is noted).
reached() { : >>"$tmp/r.$1"; }

uptime_s() { read -r up _ </proc/uptime; echo "$up"; }

# snap NAME: vmctl stat --json of the VM in $tmp/s.NAME; val NAME PATH
# prints one value of it (empty when absent).
snap() { "$vmctl" stat --json "$vm" >"$tmp/s.$1" 2>"$tmp/s.err"; }
val() { "$jc" --print "$2" <"$tmp/s.$1" 2>/dev/null; }

# wait_balloon NAME SIZE: until the balloon holds SIZE pages as the host
# and the guest count them (at most $wait_s s); the last stat in
# $tmp/s.NAME, the seconds it took in $secs.  0 when reached.
wait_balloon() {
	w0=$(uptime_s)
	end=$(awk "BEGIN { print $w0 + $wait_s }")
	while :; do
		snap "$1"
		[ "$(val "$1" balloon.size)" = "$2" ] &&
			[ "$(val "$1" balloon.guest_actual)" = "$2" ] && break
		if awk "BEGIN { exit !($(uptime_s) > $end) }"; then
			secs=$(awk "BEGIN { printf \"%.2f\", $(uptime_s) - $w0 }")
			return 1
		fi
		sleep 0.2
	done
	secs=$(awk "BEGIN { printf \"%.2f\", $(uptime_s) - $w0 }")
	return 0
}

# set_target CASE SIZE PAGES SNAP: vmctl balloon, then wait for PAGES
# (the last stat in $tmp/s.SNAP); a problem of CASE otherwise.
set_target() {
	if ! "$vmctl" balloon "$vm" "$2" >"$tmp/b.out" 2>&1; then
		problem "$1" "vmctl balloon $vm $2 failed: $(cat "$tmp/b.out")"
		return 1
	fi
	if ! wait_balloon "$4" "$3"; then
		problem "$1" "the balloon did not reach $3 pages in $wait_s s: size $(val "$4" balloon.size), guest $(val "$4" balloon.guest_actual), state $(val "$4" balloon.state)"
		return 1
	fi
}

# delta PATH BEFORE AFTER: AFTER's PATH less BEFORE's.
delta() { echo $(($(val "$3" "$1") - $(val "$2" "$1"))); }

# rates WHAT PAGES SNAP: what the host saw (PAGES over $secs) and the
# module's own rate over its busy time so far.
rates() {
	awk -v what="$1" -v pages="$2" -v secs="$secs" \
	    -v rate="$(val "$3" balloon.rate)" -v busy="$(val "$3" balloon.busy_ns)" \
	    -v kicks="$(val "$3" balloon.kicks)" 'BEGIN {
		printf "# %s: %d pages in %.2f s from vmctl balloon to the target (host, emulated): %.0f pages/s; module: %.0f pages per busy second (%.3f s busy, %d kicks, since the VM began)\n",
		       what, pages, secs, (secs > 0 ? pages / secs : 0), rate,
		       busy / 1e9, kicks }'
}

# The guest's line "balloon STEP memavailable KB memfree KB": KB of STEP.
avail_of() {
	sed -n "s/.*VMMON-GUEST: balloon $1 memavailable \([0-9]*\) .*/\1/p" \
		"$tmp/console" | head -n 1
}

# check_avail CASE STEP WANT_DROP_KB: the guest's MemAvailable at STEP is
# that of "loaded" less WANT_DROP_KB, within $slack_kb.
check_avail() {
	a0=$(avail_of loaded) a1=$(avail_of "$2")
	if [ -z "$a0" ] || [ -z "$a1" ]; then
		problem "$1" "no MemAvailable from the guest at loaded or $2"
		return
	fi
	echo "# $2: guest MemAvailable $a1 kB, $((a0 - a1)) kB below loaded's $a0 kB (expected $3)"
	d=$((a0 - a1 - $3))
	[ "${d#-}" -le "$slack_kb" ] ||
		problem "$1" "MemAvailable at $2 is $a1 kB, $((a0 - a1)) kB below loaded's $a0; expected $3 +- $slack_kb"
}

# check_values CASE SNAP PATH=VALUE...: each PATH of SNAP is VALUE.
check_values() {
	c=$1 s=$2
	shift 2
	for pv in "$@"; do
		got=$(val "$s" "${pv%%=*}")
		[ "$got" = "${pv#*=}" ] ||
			problem "$c" "${pv%%=*} is '$got', expected ${pv#*=}"
	done
}

# The host's side of each step; then "go" on the guest's input.
on_step() {
	case $1 in
	loaded)
		reached boot_balloon
		snap loaded
		check_values boot_balloon loaded balloon.state=ready
		reached inflate_to_target
		reached inflate_host_pages
		if set_target inflate_to_target 128M $target_pages inflated; then
			rates "inflate 128 MiB" $target_pages inflated
			check_values inflate_to_target inflated \
				memory.ballooned=$target_pages \
				balloon.target=$target_pages
			di=$(delta balloon.inflated loaded inflated)
			[ "$di" = $target_pages ] ||
				problem inflate_to_target "$di pages inflated, expected $target_pages"
			df=$(delta balloon.freed loaded inflated)
			dr=$(($(val loaded memory.resident) - $(val inflated memory.resident)))
			de=$(delta exits.ept_fault loaded inflated)
			echo "# inflate: $df host pages freed for $di inflated; resident $(val loaded memory.resident) -> $(val inflated memory.resident) ($dr fewer), $de EPT faults meanwhile"
			[ "$df" = "$di" ] ||
				problem inflate_host_pages "$df host pages freed for $di pages inflated (every one was resident: the guest zeroes what it allocates)"
			[ "$dr" -le "$df" ] && [ "$dr" -ge $((df - de)) ] ||
				problem inflate_host_pages "resident dropped by $dr pages, $df were freed and the guest faulted in $de meanwhile"
		fi
		;;
	inflated)
		# For whoever reads the log: the balloon as vmctl shows it.
		"$vmctl" stat "$vm" 2>&1 | grep -E '^(memory pages|balloon|  pages|  by status|  guest memory) ' |
			sed 's/^/# stat: /'
		"$vmctl" top --iterations 1 --interval 0.5 2>&1 | grep -E '^(ID|[0-9]+) ' |
			sed 's/^/# top: /'
		reached inflate_memavailable
		check_avail inflate_memavailable inflated $((128 * 1024))
		reached deflate_to_zero
		snap before_deflate
		if set_target deflate_to_zero 0 0 deflated; then
			rates "deflate 128 MiB" $target_pages deflated
			check_values deflate_to_zero deflated memory.ballooned=0
			dd=$(delta balloon.deflated before_deflate deflated)
			[ "$dd" = $target_pages ] ||
				problem deflate_to_zero "$dd pages deflated, expected $target_pages"
		fi
		;;
	deflated)
		check_avail deflate_to_zero deflated 0
		reached oom_deflates
		set_target oom_deflates 128M $target_pages again_inflated
		;;
	inflated-again)
		snap before_pressure
		;;
	pressure)
		grep -E 'VMMON-GUEST: balloon memhog' "$tmp/console" | sed 's/^/# /'
		grep -Eq 'VMMON-GUEST: balloon memhog [0-9]+ MiB done, oom_kill 0$' "$tmp/console" ||
			problem oom_deflates "memhog did not finish, or the guest killed a task: $(grep -o 'balloon memhog.*' "$tmp/console")"
		snap after_pressure
		dd=$(delta balloon.deflated before_pressure after_pressure)
		echo "# pressure: the balloon gave back $dd pages; guest statistics: oom_kills $(val after_pressure balloon.guest.oom_kills), available $(val after_pressure balloon.guest.available) bytes, age $(val after_pressure balloon.guest.age_ns) ns"
		[ "$dd" -gt 0 ] ||
			problem oom_deflates "no page deflated while memhog ran past what the guest had"
		# Inflated again (after the driver's hold-off) before the unload.
		wait_balloon again $target_pages ||
			problem oom_deflates "not back to $target_pages pages after memhog in $wait_s s: size $(val again balloon.size)"
		;;
	unloaded)
		reached unload_inflated
		snap unloaded
		check_values unload_inflated unloaded balloon.size=0 \
			memory.ballooned=0 balloon.state=off
		check_avail unload_inflated unloaded 0
		grep -o 'vmmon_balloon: unloaded.*' "$tmp/console" | sed 's/^/# guest: /'
		# The next load has nothing to do until the kill's target.
		"$vmctl" balloon "$vm" 0 >/dev/null 2>&1 ||
			problem kill_mid_inflate "vmctl balloon $vm 0 failed"
		;;
	reloaded)
		reached kill_mid_inflate
		owner=$(val unloaded owner_pid)
		"$vmctl" balloon "$vm" 192M >"$tmp/b.out" 2>&1 ||
			problem kill_mid_inflate "vmctl balloon $vm 192M failed: $(cat "$tmp/b.out")"
		i=0
		while snap kill && [ "$(val kill balloon.size)" = 0 ] && [ $i -lt 600 ]; do
			i=$((i + 1))
			sleep 0.05
		done
		kill -KILL "$owner"
		echo "# kill: vmctl (pid $owner) killed with the balloon at $(val kill balloon.size) of $((192 * mib_pages)) pages"
		[ "$(val kill balloon.size)" -gt 0 ] ||
			problem kill_mid_inflate "the balloon never held a page after the driver's reload"
		return
		;;
	*)
		problem boot_balloon "unknown step '$1'"
		;;
	esac
	echo go >&4
}

set -- $cases
ktap_plan $(($# + 1))
if [ -n "$module" ] && [ ! -d /sys/module/vmmon ] && ! insmod "$module"; then
	echo "Bail out! insmod $module failed"
	exit 1
fi
missing=
for f in bzImage initrd.img; do
	[ -f "$guest/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	echo "no guest in $guest:$missing (scripts/mkguest.sh, then stage-payload.sh GUESTDIR)" >"$tmp/p.boot_balloon"
	: >"$tmp/r.boot_balloon"
else
	# The guest's console input: a FIFO held open here (read and write,
	# so that neither open waits), written by on_step.
	mkfifo "$tmp/in"
	exec 4<>"$tmp/in"
	t0=$(uptime_s)
	(
		timeout -k 10 "$run_timeout" "$vmctl" run --name "$vm" \
			--kernel "$guest/bzImage" --initrd "$guest/initrd.img" \
			--append "$append" -m 256M --stats <"$tmp/in" 4>&- \
			2>"$tmp/stderr" &
		# (No "Killed" from the shell in the TAP stream.)
		wait $! 2>/dev/null
		echo $? >"$tmp/rc"
	) | tr -d '\r' | while IFS= read -r line; do
		printf '%s\n' "$line" >>"$tmp/console"
		case $line in
		*"VMMON-GUEST: balloon "*" memavailable "*)
			step=${line#*VMMON-GUEST: balloon }
			echo "# step ${step%% *} at $(awk "BEGIN { printf \"%.1f\", $(uptime_s) - $t0 }") s"
			on_step "${step%% *}" ;;
		esac
	done
	rc=$(cat "$tmp/rc" 2>/dev/null)
	echo "# vmctl ended after $(awk "BEGIN { printf \"%.1f\", $(uptime_s) - $t0 }") s, status ${rc:-none}"
	grep '^vmctl: exits' "$tmp/stderr" | sed 's/^/# /'
	[ "$rc" = 137 ] ||
		problem kill_mid_inflate "vmctl exit status ${rc:-none}, expected 137 (SIGKILL)"
	grep -E 'VMMON-GUEST: (FAIL|klog)|WARNING: CPU|BUG: |Oops|general protection fault|Kernel panic|Call Trace:' \
		"$tmp/console" | head -n 20 | sed 's/^/console: /' >>"$tmp/p.boot_balloon"
	# The module's account after the kill: no VM, no guest page.
	"$vmctl" info >"$tmp/info" 2>&1
	grep 'guest pages' "$tmp/info" | sed 's/^/# info: /'
	grep -Eq ' 0 VMs, 0 vCPUs, 0 guest pages' "$tmp/info" ||
		problem kill_mid_inflate "after the kill the module reports: $(grep -E 'guest pages' "$tmp/info")"
fi
for k in vms vcpus guest_pages; do
	v=$(cat "/sys/class/misc/vmmon/$k" 2>/dev/null)
	[ "$v" = 0 ] || problem vmmon_clean "/sys/class/misc/vmmon/$k is '${v:-unreadable}', expected 0"
done
if [ -n "$module" ]; then
	rmmod vmmon || problem vmmon_clean "rmmod vmmon failed"
fi
reached vmmon_clean
for c in $cases; do
	if [ -s "$tmp/p.$c" ] || [ ! -f "$tmp/r.$c" ]; then
		echo "# last 40 console lines:"
		tail -n 40 "$tmp/console" 2>/dev/null | sed 's/^/# /'
		tail -n 10 "$tmp/stderr" 2>/dev/null | sed 's/^/# stderr: /'
		break
	fi
done
for c in $cases vmmon_clean; do
	result "$c"
done

ktap_totals
