#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Judge one boot of the test image from its serial log: the KTAP output of
# each named suite (between the "# vmmon suite: NAME begin" and
# "# vmmon suite: NAME end rc=N" lines run.sh prints), and the kernel's log
# and taint after the "vmmon-image: tests begin" mark (pseudo-suite
# kernel-log). A suite missing, unfinished or inconsistent counts as one
# failure. Last line: "ktap-check: P passed, F failed, S skipped".
# --native judges a log of suites run on this machine: no kernel-log.
# Usage: ktap-check.sh --serial LOG [--native] SUITE [SUITE...]
# Exit: 0 if nothing failed, else 1. bash + awk only (mawk will do).
set -euo pipefail

[ "${1:-}" = --serial ] && [ $# -ge 3 ] ||
	{ echo "usage: $0 --serial LOG [--native] SUITE [SUITE...]" >&2; exit 2; }
log=$2
shift 2
native=0
if [ "$1" = --native ]; then
	native=1
	shift
fi
[ -r "$log" ] || { echo "ktap-check: cannot read $log: judging it empty" >&2; log=/dev/null; }

exec awk -v suites="$*" -v native="$native" '
function kernel_line(s) {
	if (after_mark)
		console[++ncon] = s
}

# The one test line being read: KTAP structure per suite.
function text_line(s,   f, n) {
	if (s ~ /^vmmon-image: tests begin/) after_mark = 1
	else if (s ~ /^vmmon-image: done/) done = 1
	else if (s ~ /^vmmon-image: dmesg begin/) indump = 1
	else if (s ~ /^vmmon-image: taint before=[0-9]+ after=[0-9]+/) {
		split(s, f, /[= ]/)
		taint_before = f[4]; taint_after = f[6]; have_taint = 1
	}
	n = split(s, f, " ")
	if (n >= 5 && f[1] == "#" && f[2] == "vmmon" && f[3] == "suite:") {
		if (f[5] == "begin") {
			cur = f[4]; seen[cur] = 1; ended[cur] = 0; plan[cur] = -1
			np[cur] = nf[cur] = ns[cur] = nx[cur] = 0; totals[cur] = notok[cur] = ""
		} else if (f[5] == "end" && f[4] == cur && f[6] ~ /^rc=/) {
			ended[cur] = 1; rc[cur] = substr(f[6], 4) + 0; cur = ""
		}
		return
	}
	if (cur == "") return
	if (s ~ /^1\.\.[0-9]+/) plan[cur] = substr(f[1], 4) + 0
	else if (s ~ /^# Totals: /) { sub(/[ \t]+$/, "", s); totals[cur] = s }
	else if (s ~ /^(not )?ok [0-9]+/) {
		if (s ~ /# [Ss][Kk][Ii][Pp]/) ns[cur]++
		else if (s ~ /^ok .*# XFAIL/) nx[cur]++
		else if (s ~ /^ok /) np[cur]++
		else { nf[cur]++; notok[cur] = notok[cur] cur ": " s "\n" }
	}
}

# A kernel problem is one report: the Oops or Call Trace lines that follow
# a WARNING or BUG line belong to it.  Each is printed with where it
# happened (RIP) and the first frames of its trace, so that a CI log,
# which may hold nothing else, says what went wrong.
# A backtrace a test asked for (SysRq-l: "NMI backtrace for cpu N") is
# not a problem: its 60 lines are skipped unless a report starts there.
function scan(line, n,   i, s, head, last, frames, asked) {
	last = asked = -1000
	for (i = 1; i <= n; i++) {
		s = line[i]
		if (s ~ /---\[ end Kernel panic/) continue
		if (s ~ /NMI backtrace for cpu [0-9]+/) { asked = i; continue }
		head = s ~ /WARNING: CPU:|BUG: |general protection fault|Kernel panic|soft lockup|hard LOCKUP|rcu_sched self-detected stall|rcu: INFO:|INFO: task .* blocked for more than/
		if (!head && i - asked < 60) continue
		if (head || (s ~ /Oops/ && i - last > 10) || (s ~ /Call Trace:/ && i - last > 60)) {
			problems++; print "kernel-log: " s; frames = 0
		}
		if (head || s ~ /Oops|Call Trace:/) last = i
		else if (i - last < 40 && frames < 8 &&
			 (s ~ /\] RIP: / || s ~ /\]  [A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x/)) {
			frames++; print "kernel-log:   " s
		}
	}
}

{ gsub(/\r/, "") }
indump && /^vmmon-image: dmesg end/ { indump = 0; dump_done = 1; next }
indump { dump[++ndump] = $0; next }
{
	# A kernel message can land in the middle of a test line on the
	# console: the test line then goes on after it, on the next line.
	if (match($0, /\[ *[0-9]+\.[0-9]+\] /)) {
		if (RSTART > 1) carry = carry substr($0, 1, RSTART - 1)
		kernel_line(substr($0, RSTART))
		next
	}
	s = carry $0; carry = ""
	text_line(s)
}

END {
	nsuites = split(suites, want, " ")
	for (i = 1; i <= nsuites; i++) {
		t = want[i]; err = ""
		if (!(t in seen)) err = "missing" (done || native ? "" : " (the image did not finish)")
		else if (!ended[t]) err = "did not end"
		else {
			counted = sprintf("# Totals: pass:%d fail:%d xfail:%d xpass:0 skip:%d error:0", np[t], nf[t], nx[t], ns[t])
			printf "%s: %s\n%s", t, counted, notok[t]
			if (plan[t] != np[t] + nf[t] + ns[t] + nx[t])
				err = sprintf("plan 1..%d but %d results", plan[t], np[t] + nf[t] + ns[t] + nx[t])
			else if (totals[t] == "") err = "no Totals line"
			else if (totals[t] != counted) err = "its own Totals disagree: " totals[t]
			else if ((rc[t] == 0) != (nf[t] == 0)) err = "rc=" rc[t] " with " nf[t] " failed"
		}
		P += np[t]; F += nf[t]; S += ns[t]
		if (err != "") { print t ": error: " err; F++ }
	}

	if (native) {
		printf "ktap-check: %d passed, %d failed, %d skipped\n", P, F, S
		exit (F > 0)
	}

	# Kernel log after the mark: the complete dump if there is one (the
	# console shows only messages above loglevel 4), else what we have.
	if (dump_done) {
		start = 1
		for (i = 1; i <= ndump; i++) if (dump[i] ~ /vmmon-image: tests begin/) start = i + 1
		for (i = start; i <= ndump; i++) tail[++ntail] = dump[i]
		scan(tail, ntail)
	} else {
		scan(console, ncon)
		scan(dump, ndump)
	}
	kp = (problems == 0); kf = problems
	if (!done) { print "kernel-log: error: no \"vmmon-image: done\": the image did not finish"; kf++ }
	if (!have_taint) { if (done) { print "kernel-log: error: no taint line"; kf++ } }
	else {
		# New taint bits, bar O (4096, out-of-tree) and E (8192, unsigned).
		letters = "PFSRMBUDAWCIOELKXTN"; bad = ""
		for (b = 0; b < 32; b++) {
			p = 2 ^ b
			if (int(taint_after / p) % 2 && !(int(taint_before / p) % 2) && p != 4096 && p != 8192)
				bad = bad " " p (b < 19 ? "(" substr(letters, b + 1, 1) ")" : "")
		}
		if (bad == "") kp++
		else { print "kernel-log: new taint:" bad " (before=" taint_before " after=" taint_after ")"; kf++ }
	}
	printf "kernel-log: # Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", kp, kf
	P += kp; F += kf
	printf "ktap-check: %d passed, %d failed, %d skipped\n", P, F, S
	exit (F > 0)
}' "$log"
