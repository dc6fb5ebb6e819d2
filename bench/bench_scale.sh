#!/bin/sh
# bench_scale.sh - dbfleet on 1,000 targets (the lab's servers under many names) plus 50
# hung ones, or the probe's server cost old against new; starts and stops its own lab.
#
#   sh bench/bench_scale.sh                 the fleet run (bench_scale.py scale)
#   BENCH_TLS=1 sh bench/bench_scale.sh     the same with every connection verified TLS
#   sh bench/bench_scale.sh probe BIN...    each BIN on the 4 lab servers: server CPU per refresh
#   sh bench/bench_scale.sh triage [BIN]    one target's server CPU per refresh with the fleet,
#                                           sessions and triage panes showing it
#
# Knobs (environment): BENCH_TARGETS (1000), BENCH_HUNG (50), BENCH_REFRESH (2),
# BENCH_SECONDS (600), BENCH_TLS (0), BENCH_SAMPLERS, DBFLEET_BIN (./dbfleet, the -O2 build);
# see bench_scale.py. A benchmark, not a test: it prints figures and whether each target is met.
set -eu
cd "$(dirname "$0")/.."
targets=${BENCH_TARGETS:-1000}
secs=${BENCH_SECONDS:-600}
# each server holds its share of the fleet (a half with TLS: MariaDB's replica takes the primary's)
LAB_MAX_CONNECTIONS=${LAB_MAX_CONNECTIONS:-$((targets / 2 + 60))}
LAB_LOAD_SECONDS=${LAB_LOAD_SECONDS:-$((secs + 300))}
export LAB_MAX_CONNECTIONS LAB_LOAD_SECONDS
LAB=$(sh tests/lab.sh start)
trap 'sh tests/lab.sh stop "$LAB"' EXIT INT TERM
. "$LAB/env"
mode=${1:-scale}
[ $# -gt 0 ] && shift
# The fleet's PostgreSQL half spread over BENCH_PG_SERVERS servers (the lab's two and more
# replicas of its primary): a probe reads every backend of its server, so a few servers each
# holding hundreds of dbfleet's connections would measure the lab's O(n^2), not dbfleet.
# At most 5: the lab's primary has max_wal_senders = 5, a base backup takes two while it runs
# and a standby that lost its sender must find one free to come back; WAL is kept for it.
BENCH_PG_EXTRA=""
if [ "$mode" = scale ]; then
	"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -d postgres \
		-c "ALTER SYSTEM SET wal_keep_size = '512MB'" -c "SELECT pg_reload_conf()" >/dev/null
	i=2
	while [ $i -lt "${BENCH_PG_SERVERS:-5}" ]; do
		BENCH_PG_EXTRA="$BENCH_PG_EXTRA $(sh tests/lab.sh replica "$LAB" "pg$i")"
		i=$((i + 1))
	done
fi
export BENCH_PG_EXTRA
# PostgreSQL serves TLS with the certificate lab.sh made for MariaDB's replica (CN localhost,
# SAN 127.0.0.1, signed by the lab's CA): libpq's verify-full checks it as MariaDB's client does
if [ "${BENCH_TLS:-0}" = 1 ]; then
	[ -s "$LAB/tls/server.pem" ] || { echo "bench-scale: the lab made no certificate (openssl?)" >&2; exit 1; }
	chmod 600 "$LAB/tls/server-key.pem"
	for pidf in "$LAB"/*/postmaster.pid; do
		d=$(basename "$(dirname "$pidf")")
		printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" \
			"$LAB/tls/server.pem" "$LAB/tls/server-key.pem" >> "$LAB/$d/postgresql.conf"
	done
	for p in "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" $BENCH_PG_EXTRA; do
		"$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$p" -U postgres -d postgres -c "SELECT pg_reload_conf()" >/dev/null
	done
	sleep 1
	"$PG_BIN/psql" -X -q -A -t -d "host=127.0.0.1 port=$PG_REPLICA_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$LAB/tls/ca.pem" \
		-c "SELECT 'pg-replica TLS: ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
fi
LAB_DIR=$LAB python3 bench/bench_scale.py "$mode" "$@"
