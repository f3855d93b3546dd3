#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# usage: tests/fuzz/run.sh [NAME...]
# Build and run each libFuzzer harness tests/fuzz/NAME.c (every fuzz_*.c
# by default) for FUZZ_SECONDS seconds (default 20) with a fixed seed,
# starting from its seed corpus tests/fuzz/corpus/NAME/ (and with the
# dictionary tests/fuzz/NAME.dict if there is one), and print KTAP.
# A crash leaves its input as build/fuzz/NAME-crash-*.  No clang or no
# fuzzer runtime is a failure, not a skip: a fuzzer that cannot be built
# has tested nothing.
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SECONDS:-20}
cc=${FUZZ_CC:-clang}
[ $# -gt 0 ] || set -- $(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Why no fuzzer can be built here, if that is so: try a trivial one.
missing=
if ! command -v "$cc" >/dev/null 2>&1; then
	missing="$cc is not installed (scripts/install-deps.sh installs clang)"
else
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' \
		>"$tmp/probe.c"
	"$cc" -fsanitize=fuzzer "$tmp/probe.c" -o "$tmp/probe" \
		2>"$tmp/probe.log" ||
		missing="$cc cannot link -fsanitize=fuzzer, no libFuzzer runtime \
(install libclang-rt-14-dev): $(head -n 1 "$tmp/probe.log")"
fi

echo "TAP version 13"
echo "1..$#"
n=0 pass=0 fail=0
for name; do
	n=$((n + 1))
	log=$tmp/$name.log
	if [ -n "$missing" ]; then
		echo "# $name: $missing"
	elif ! make -s "build/fuzz/$name" FUZZ_CC="$cc" >"$log" 2>&1; then
		echo "# $name: build failed:"
		sed 's/^/#   /' "$log"
	else
		mkdir "$tmp/$name.corpus"
		# A dictionary, tests/fuzz/NAME.dict, where one helps.
		dict=
		[ ! -f "tests/fuzz/$name.dict" ] ||
			dict=-dict="tests/fuzz/$name.dict"
		"build/fuzz/$name" -seed=1 -max_total_time="$secs" -timeout=10 \
			-print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
			$dict "$tmp/$name.corpus" "tests/fuzz/corpus/$name" \
			>"$log" 2>&1
		rc=$?
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) s.*/\1/p' "$log")
		cov=$(sed -n 's/.*DONE *cov: \([0-9]*\).*/\1/p' "$log")
		if [ $rc -eq 0 ] && [ -n "$runs" ]; then
			echo "# $name: $runs executions in ${took}s," \
				"seed 1, coverage $cov edges"
			echo "ok $n $name"
			pass=$((pass + 1))
			continue
		fi
		echo "# $name: exit status $rc; the end of its log:"
		tail -n 40 "$log" | sed 's/^/#   /'
	fi
	echo "not ok $n $name"
	fail=$((fail + 1))
done
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ $fail -eq 0 ]
