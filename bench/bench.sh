#!/bin/sh
# bench.sh - start the lab, compare dbfleet with pg_activity on it, stop the lab.
# A benchmark, not a test: it prints figures and whether each target is met.
set -eu
cd "$(dirname "$0")/.."
# the tools compared: pg_activity, and innotop/mytop (mariadb-client) with their Perl modules
need=""
for p in pg-activity mariadb-client libdbd-mariadb-perl libterm-readkey-perl; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || need="$need $p"
done
if [ -n "$need" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
echo "== AWS: discovery and one metrics round, 1,000 emulated instances"
python3 bench/aws_bench.py || true
echo "== databases: dbfleet beside pg_activity, innotop and mytop"
LAB=$(sh tests/lab.sh start)
trap 'sh tests/lab.sh stop "$LAB"' EXIT INT TERM
LAB_DIR=$LAB python3 bench/bench.py
