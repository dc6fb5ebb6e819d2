#!/bin/sh
# bench.sh - start the lab, compare dbfleet with pg_activity on it, stop the lab.
# A benchmark, not a test: it prints figures and whether each target is met.
set -eu
cd "$(dirname "$0")/.."
command -v pg_activity >/dev/null || {
	[ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pg-activity >/dev/null
}
LAB=$(sh tests/lab.sh start)
trap 'sh tests/lab.sh stop "$LAB"' EXIT INT TERM
LAB_DIR=$LAB python3 bench/bench.py
