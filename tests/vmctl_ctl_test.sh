#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vmctl's control commands with vmmon loaded (issues 12, 13): list, stat,
# top, events, rename, balloon and run --name over the module's netlink family, their
# --json output parsed by json_check_helper (json-c; the image has no
# JSON tool), and another user's view through as_uid_helper.  Guests are
# tests/vmctl/multiboot_hello.S: 'h' halts, 'f' floods its console (a
# steady stream of port exits), 'p' powers off, 't' triple-faults.
# usage: vmctl_ctl_test [--module vmmon.ko]  (vmctl and helpers beside it)
here=${0%/*}
vmctl=${VMCTL:-$here/vmctl}
mb=${MULTIBOOT_KERNEL:-$here/multiboot_hello.elf}
jc=${JSON_CHECK:-$here/json_check_helper}
as_uid=${AS_UID:-$here/as_uid_helper}
nobody=65534
module=
[ "${1:-}" = --module ] && module=$2
tmp=$(mktemp -d)
n=0 pass=0 fail=0
bg_pids= as=

finish() {
	for p in $bg_pids; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "$module" ] && rmmod vmmon 2>/dev/null
	rm -rf "$tmp"
}
trap finish EXIT

# check NAME WANT_STATUS PATTERN: judge the last command ($tmp/out, $tmp/rc)
# by its status and a line matching PATTERN (an ERE; "" for no output
# to match).
check() {
	n=$((n + 1))
	got=$(cat "$tmp/rc")
	if [ "$got" = "$2" ] &&
	   { [ -z "$3" ] || grep -q -E -- "$3" "$tmp/out"; }; then
		echo "ok $n $1"
		pass=$((pass + 1))
	else
		tail -n 20 "$tmp/out" | sed 's/^/# /'
		echo "# exit status $got, expected $2; expected output matching: $3"
		echo "not ok $n $1"
		fail=$((fail + 1))
	fi
}

# ctl ARGS...: vmctl with a 60 s limit, output and status kept; as
# another user with $as set ("$as_uid UID").
ctl() {
	timeout 60 $as "$vmctl" "$@" >"$tmp/out" 2>&1 </dev/null
	echo $? >"$tmp/rc"
}

# ctl_json ARGS...: vmctl ARGS, its stdout alone in $tmp/json.
ctl_json() {
	timeout 60 $as "$vmctl" "$@" >"$tmp/json" 2>"$tmp/err" </dev/null
	echo $? >"$tmp/rc"
}

# check_json NAME WANT_STATUS CHECK...: the last ctl_json's status, and
# json_check CHECK... on its output (json_check_helper's syntax).
check_json() {
	name=$1 want=$2
	shift 2
	n=$((n + 1))
	got=$(cat "$tmp/rc")
	if [ "$got" = "$want" ] && "$jc" "$@" <"$tmp/json" 2>"$tmp/jc"; then
		echo "ok $n $name"
		pass=$((pass + 1))
	else
		head -c 2000 "$tmp/json" | sed 's/^/# /'
		sed 's/^/# /' "$tmp/err" "$tmp/jc"
		echo "# exit status $got, expected $want; checks: $*"
		echo "not ok $n $name"
		fail=$((fail + 1))
	fi
}

# wait_vm NAME: up to 30 s for vmctl list to show a VM of that name.
wait_vm() {
	i=0
	while ! "$vmctl" list 2>/dev/null | grep -q -E "^[0-9]+ +$1 " &&
	      [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

echo "TAP version 13"
echo "1..56"
if [ -n "$module" ] && ! insmod "$module"; then
	echo "Bail out! insmod $module failed"
	exit 1
fi

# A VM that stays: it prints a line, then halts with interrupts off.
"$vmctl" run --name t1 --kernel "$mb" --append halt -m 32M \
	--shutdown-timeout 0 >"$tmp/t1.out" 2>&1 </dev/null &
t1_pid=$!
bg_pids="$bg_pids $t1_pid"
wait_vm t1

# list: one line, with the owner (root), its vCPU and its memory.
ctl list
check list_shows_vm 0 "^[0-9]+ +t1 +0 +$t1_pid +1 +(created|running|stopped) .* [0-9.]+/ +32\.0 +[1-9]"
ctl_json list --json
check_json list_json_parses 0 name=t1.owner_uid=0 name=t1.owner_pid=$t1_pid \
	name=t1.vcpus=1 name=t1.memory.configured=8192 \
	name=t1.memory.ballooned=0 'name=t1.exits.total>0' name=t1.created_ns \
	'!name=t1.vcpu'
id=$("$vmctl" list --json | "$jc" --print name=t1.id)

# stat, by name and by id: the vCPU's figures add up to the VM's (the
# guest is halted: its counters stand still).
ctl_json stat t1 --json
check_json stat_json_exits 0 'exits.total>0' 'exits.io>0' exits.hlt \
	exits.cache name=t1 id=$id state vcpus=1 memory.configured=8192 \
	'memory.resident>0' 'vcpu.0.exits.total>0' vcpu.0.run_ns vcpu.0.loads \
	'run_ns>0'
total=$("$jc" --print exits.total <"$tmp/json")
check_json stat_vcpu_exits_sum_to_vm 0 vcpu.0.exits.total=$total
ctl stat "$id"
check stat_by_id 0 "^name +t1\$"
ctl stat t1
sed 's/^/# stat: /' "$tmp/out"		# for whoever reads the log
check stat_text_exits 0 "^exits +io=[0-9]+ mmio=[0-9]+ hlt=[1-9][0-9]* .* total=$total\$"
ctl stat nosuch
check stat_unknown_name 1 "no VM 'nosuch'"
ctl stat 4000000000
check stat_unknown_id 1 "no VM '4000000000'"

# run --name: a second VM of the same user and name is refused.
ctl run --name t1 --kernel "$mb" --append poweroff -m 32M
check run_name_twice_refused 1 "a VM named t1 already exists for this user"

# rename: the owner may, within the rules the module's extack states.
ctl rename t1 t1b
check rename_by_owner 0 ""
ctl_json stat "$id" --json
check_json renamed 0 name=t1b
ctl rename t1b 1234
check rename_bad_name_is_usage 2 "bad VM name '1234': a name is 1 to 31 characters"
ctl rename t1b t1
check rename_back 0 ""

# balloon: the target is set in pages whether or not the guest has a
# driver (this one has none: the channel stays off, nothing is freed).
ctl balloon t1 16M
check balloon_set_by_name 0 ""
ctl_json stat t1 --json
check_json balloon_target_in_pages 0 balloon.target=4096 balloon.state=off \
	balloon.size=0 balloon.guest_actual=0 balloon.freed=0 balloon.kicks=0 \
	balloon.status.done=0 balloon.status.over_limit=0 balloon.busy_ns=0 \
	'!balloon.guest' memory.ballooned=0
ctl stat t1
grep -E '^(balloon|  pages|  by status|  guest memory) ' "$tmp/out" | sed 's/^/# stat: /'
check balloon_stat_text 0 "^balloon +state=off target=4096 size=0 guest=0 \(0\.0/16\.0 MiB\)\$"
check balloon_stat_by_status 0 "^  by status +done=0 not_ram=0 already=0 not_ballooned=0 duplicate=0 channel=0 over_limit=0\$"
ctl balloon "$id" 32M
check balloon_whole_ram_by_id 0 ""
ctl_json stat "$id" --json
check_json balloon_target_whole_ram 0 balloon.target=8192
ctl balloon t1 32772K
check balloon_over_ram_erange 1 "cannot set the balloon's target: Numerical result out of range \(the module says: .+\)\$"
ctl_json stat t1 --json
check_json balloon_refused_target_kept 0 balloon.target=8192
ctl balloon t1 4097
check balloon_bare_number_is_mib 1 "Numerical result out of range"
ctl balloon nosuch 1M
check balloon_unknown_vm 1 "no VM 'nosuch'"
ctl balloon t1 0
check balloon_back_to_zero 0 ""
ctl_json stat t1 --json
check_json balloon_target_zero 0 balloon.target=0

# The name is the VM's again after a reboot (the old VM is gone first):
# a guest that resets at every boot reboots under its name.
"$vmctl" run --name rb --kernel "$mb" --append reset -m 32M \
	--shutdown-timeout 0 >"$tmp/rb.out" 2>&1 </dev/null &
rb_pid=$!
bg_pids="$bg_pids $rb_pid"
i=0
while [ "$(grep -c "^multiboot ok: reset" "$tmp/rb.out")" -lt 3 ] &&
      [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
# Between two boots there is no VM: look until the list catches one.
i=0
while ! "$vmctl" list 2>&1 | grep -E "^[0-9]+ +rb +0 " >"$tmp/out" &&
      [ $i -lt 100 ]; do
	i=$((i + 1))
done
kill -TERM $rb_pid
wait $rb_pid
echo $? >"$tmp/rc"
grep -q "already exists" "$tmp/rb.out" && echo 1 >"$tmp/rc"
cat "$tmp/rb.out" >>"$tmp/out"
check run_name_kept_across_reboots 143 "^[0-9]+ +rb +0 "

# Another user sees the id and owner, finds no VM by name, may not rename.
as="$as_uid $nobody"
ctl stat "$id"
check other_user_stat_by_id 0 "another user's VM"
ctl_json stat "$id" --json
check_json other_user_sees_id_and_owner 0 id=$id owner_uid=0 '!name' \
	'!exits' '!memory' '!owner_pid' '!vcpu'
ctl_json list --json
check_json other_user_list 0 id=$id.owner_uid=0 "!id=$id.name" \
	"!id=$id.exits"
ctl stat t1
check other_user_no_vm_by_name 1 "no VM 't1'"
ctl rename "$id" stolen
check other_user_rename_eperm 1 "Operation not permitted \(the module says: only the VM's owner or CAP_SYS_ADMIN may change it\)"
ctl balloon "$id" 8M
check other_user_balloon_eperm 1 "cannot set the balloon's target: Operation not permitted \(the module says: only the VM's owner or CAP_SYS_ADMIN may change it\)"
ctl_json stat "$id" --json
check_json other_user_no_balloon 0 id=$id '!balloon'
as=
ctl_json stat t1 --json
check_json other_user_balloon_left_alone 0 balloon.target=0

# Page sharing's scan rate (issue 15): CAP_SYS_ADMIN sets it, anyone
# reads it and the ksm_* figures with vmctl ksm.
ctl ksm --pages 300 --sleep 25
check ksm_set_rate 0 ""
ctl ksm
check ksm_shows_pages 0 "^pages per pass: 300\$"
check ksm_shows_pause 0 "^pause between passes: 25 ms\$"
check ksm_shows_figures 0 "^ksm_full_scans: [0-9]+\$"
as="$as_uid $nobody"
ctl ksm --pages 8
check other_user_ksm_eperm 1 "cannot set page sharing's scan rate: Operation not permitted \(the module says: only CAP_SYS_ADMIN may change the module's settings\)"
as=
ctl ksm --sleep 0
check ksm_bad_pause 2 "bad pause '0' \(1 to 60000\)"
ctl ksm --pages 256 --sleep 20
check ksm_rate_back 0 ""

# top: a guest flooding its console makes port exits every second.
"$vmctl" run --name flood --kernel "$mb" --append f -m 32M \
	--shutdown-timeout 0 >/dev/null 2>&1 </dev/null &
flood_pid=$!
bg_pids="$bg_pids $flood_pid"
wait_vm flood
ctl balloon flood 8M
check balloon_flood_for_top 0 ""
# A name the owner has already: refused by the module, in its words.
ctl rename t1 flood
check rename_to_taken_name_extack 1 "cannot rename the VM: File exists \(the module says: the owner has a VM of that name\)"
ctl top --iterations 2 --interval 1
sed 's/^/# top: /' "$tmp/out"
check top_rate_line_for_flood 0 "^[0-9]+ +flood +0 +[a-z]+ +[0-9.]+ +8\.0/0\.0 +[1-9][0-9]* +[0-9.]+  io=[1-9]"
check top_vcpu_line 0 "^  vcpu 0 +[0-9]+ +[0-9.]+ "
check top_line_for_t1 0 "^$id +t1 +0 +[a-z]+ +[0-9.]+ +0\.0/0\.0 "
# Two samples, each over about a second; not a terminal: no clear screen.
grep "^vmctl top:" "$tmp/out" | wc -l | grep -qx 2 || echo 1 >"$tmp/rc"
grep -q "$(printf '\033')" "$tmp/out" && echo 1 >"$tmp/rc"
check top_two_samples_no_escapes 0 "^vmctl top: .*rates over [0-9]+\.[0-9]+ s"
ctl_json top --iterations 1 --interval 1 --json
check_json top_json_rates 0 -n 1 'vms.name=flood.rate.exits.total>0' \
	'vms.name=flood.rate.exits.io>0' 'vms.name=flood.vcpu.0.rate.run>0' \
	vms.name=t1.rate.exits.total 'interval_ns>0' \
	vms.name=flood.balloon.target=2048 vms.name=flood.rate.balloon.inflated \
	vms.name=flood.rate.balloon.deflated
kill -TERM $flood_pid
wait $flood_pid

# events: created and destroyed of a guest that powers off, then created,
# shutdown (its triple fault) and destroyed, in that order.
timeout 120 "$vmctl" events --count 5 >"$tmp/ev" 2>&1 </dev/null &
ev_pid=$!
timeout 120 "$vmctl" events --json --count 2 >"$tmp/evj" 2>&1 </dev/null &
evj_pid=$!
bg_pids="$bg_pids $ev_pid $evj_pid"
sleep 3		# both have joined the group
ctl run --kernel "$mb" --append poweroff -m 32M
check poweroff_guest_for_events 0 "multiboot ok: poweroff"
ctl run --kernel "$mb" --append triple -m 32M --no-reboot
check triple_fault_guest_for_events 3 "multiboot ok: triple"
wait $ev_pid
echo $? >"$tmp/rc"
# The events' names on one line, then the events as printed.
{ awk '{ print $3 }' "$tmp/ev" | tr '\n' ' '; echo; cat "$tmp/ev"; } >"$tmp/out"
check events_in_order 0 "^created destroyed created shutdown destroyed \$"
wait $evj_pid
echo $? >"$tmp/rc"
sed -n 1p "$tmp/evj" >"$tmp/json"
check_json events_json_created 0 event=created 'id>0' owner_uid=0 time_ns
sed -n 2p "$tmp/evj" >"$tmp/json"
check_json events_json_destroyed 0 event=destroyed 'id>0' owner_uid=0

# info: the module's own account over netlink.
ctl info
sed 's/^/# info: /' "$tmp/out"
check info_netlink 0 "^netlink family +vmmon version 1\$"
check info_backend 0 "^backend +VT-x"

# Measured, not judged: a whole vmctl list and stat (process start, the
# family's lookup, the request), 20 of each, with one VM.
ms_each() {
	ta=$(cut -d' ' -f1 /proc/uptime)
	i=0
	while [ $i -lt 20 ]; do
		"$vmctl" "$@" >/dev/null 2>&1
		i=$((i + 1))
	done
	tb=$(cut -d' ' -f1 /proc/uptime)
	awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.1f", (b - a) * 1000 / 20 }'
}
echo "# measured: vmctl list $(ms_each list) ms, vmctl stat $(ms_each stat t1) ms, vmctl list --json $(ms_each list --json) ms (each, 1 VM)"

# The VM gone, it is gone from the list.
kill -TERM $t1_pid
wait $t1_pid
ctl_json list --json
check_json list_after_exit 0 '!name=t1.id' '!name=flood.id'

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" -eq 0 ]
