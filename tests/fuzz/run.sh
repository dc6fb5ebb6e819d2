#!/bin/sh
# run.sh - the libFuzzer harnesses (build-fuzz/fuzz/NAME, from tests/fuzz/fuzz_NAME.c).
#   run.sh check NAME...  each fuzzer FUZZ_CHECK_RUNS runs (15000) from seed 1, at most FUZZ_CHECK_TIME s (30), from its checked-in
#                         corpus (tests/fuzz/corpus/NAME), after every input under
#                         tests/fuzz/regressions/NAME; prints PASS/FAIL per fuzzer;
#                         FUZZ_JOBS (the number of cores) fuzzers at a time
#   run.sh long NAME...   FUZZ_TIME seconds each (600), corpus grown in build-fuzz/corpus/NAME
# A crash leaves its input as build-fuzz/crashes/NAME/crash-*: copy it under
# tests/fuzz/regressions/NAME/ once fixed (tests/fuzz/regressions/pending/NAME/ until then).
set -u
cd "$(dirname "$0")/../.."
mode=$1
shift
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
if [ "$mode" = check ]; then
	# one line per fuzzer as each ends; the exit status says if any failed
	printf '%s\n' "$@" | xargs -P "${FUZZ_JOBS:-$(nproc)}" -n 1 sh tests/fuzz/run.sh check1
	exit $?
fi
rc=0
for name in "$@"; do
	bin=build-fuzz/fuzz/$name
	seeds=tests/fuzz/corpus/$name
	regs=tests/fuzz/regressions/$name
	work=build-fuzz/corpus/$name
	crashes=build-fuzz/crashes/$name
	mkdir -p "$work" "$crashes" "$seeds"
	log=build-fuzz/$name.log
	if [ "$mode" = long ]; then
		"$bin" -max_total_time="${FUZZ_TIME:-600}" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$crashes/" -print_final_stats=1 "$work" "$seeds" 2>&1 | tail -n 15
		continue
	fi
	start=$(date +%s)
	ok=1
	if [ -d "$regs" ] && [ -n "$(ls -A "$regs" 2>/dev/null)" ]; then
		"$bin" -runs=0 "$regs"/* >"$log" 2>&1 || ok=0
	fi
	# the checked-in corpus stays as it is: new inputs go to a scratch copy
	scratch=$(mktemp -d)
	# a fixed seed and a cap on runs every harness reaches well inside the time limit:
	# make check explores the same inputs every time, so it finds no new bug by chance
	[ $ok = 1 ] && { "$bin" -seed=1 -runs="${FUZZ_CHECK_RUNS:-15000}" -max_total_time="${FUZZ_CHECK_TIME:-30}" \
		-max_len=8192 -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$scratch" "$seeds" >>"$log" 2>&1 || ok=0; }
	rm -rf "$scratch"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.*DONE *cov: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	secs=$(($(date +%s) - start))
	if [ $ok = 1 ]; then
		echo "PASS fuzz_$name (${execs:-0} runs, cov ${cov:-?}, ${secs}s)"
	else
		echo "FAIL fuzz_$name: see $log; the input is in $crashes/"
		grep -m 3 -E 'ERROR|oracle failed|runtime error' "$log" | sed 's/^/  /'
		rc=1
	fi
done
exit $rc
