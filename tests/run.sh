#!/bin/sh
# run.sh - every test layer, then one summary line: "N passed, N failed".
# Called by `make check` after the builds. Starts the lab and always stops it.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== layering (DESIGN.md arrows)"
sh tests/layering.sh | tee -a "$log"

echo "== unit tests (ASan+UBSan)"
for t in build-asan/tests/test_*; do
	case $t in *.d) continue ;; esac
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t" >"$log.one" 2>&1 || {
		grep -q '^FAIL' "$log.one" || echo "FAIL $t: exited with an error (sanitizer?)" >>"$log.one"
	}
	cat "$log.one" | tee -a "$log"
done
rm -f "$log.one"

echo "== fuzzing (libFuzzer, about ten seconds each, tests/fuzz/)"
start=$(date +%s)
sh tests/fuzz/run.sh check $(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|') 2>&1 | tee -a "$log"
echo "fuzzing took $(($(date +%s) - start)) s"

echo "== lab"
# max_connections 400: the scale tests stand many targets on each of the lab's servers
if LAB=$(LAB_MAX_CONNECTIONS=400 sh tests/lab.sh start); then
	trap 'sh tests/lab.sh stop "$LAB"; rm -f "$log"' EXIT
	trap 'exit 130' INT TERM
	echo "lab in $LAB"
	echo "== integration and end-to-end (the real binary in tmux, ASan+UBSan)"
	LAB_DIR=$LAB DBFLEET_BIN=$PWD/build-asan/dbfleet python3 tests/e2e/run.py 2>&1 | tee -a "$log"
	echo "== threaded paths again under ThreadSanitizer"
	LAB_DIR=$LAB DBFLEET_BIN=$PWD/build-tsan/dbfleet python3 tests/e2e/run.py -k fleet_lists_both,frozen_backend,silent_port_is_stalled,paused_replay,both_topologies,side_by_side,roles_and_cloudwatch,cancel_ends,mariadb_kill_query,get_database_connections,snapshot_goes,fleet_of_300_comes_up,hung_targets_do_not_delay 2>&1 |
		sed 's/^\(PASS\|FAIL\) /\1 tsan: /' | tee -a "$log"
else
	echo "FAIL lab: cannot start the lab" | tee -a "$log"
fi

passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP' "$log")
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
