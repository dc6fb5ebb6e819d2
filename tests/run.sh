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
	ASAN_OPTIONS=detect_leaks=1 "$t" 2>&1 | tee -a "$log"
done

echo "== lab"
if LAB=$(sh tests/lab.sh start); then
	trap 'sh tests/lab.sh stop "$LAB"; rm -f "$log"' EXIT
	trap 'exit 130' INT TERM
	echo "lab in $LAB"
	echo "== integration and end-to-end (the real binary in tmux, ASan+UBSan)"
	LAB_DIR=$LAB DBFLEET_BIN=$PWD/build-asan/dbfleet python3 tests/e2e/run.py 2>&1 | tee -a "$log"
else
	echo "FAIL lab: cannot start the lab" | tee -a "$log"
fi

passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
