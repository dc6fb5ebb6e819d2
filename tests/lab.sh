#!/bin/sh
# lab.sh - a local lab of real databases on loopback, in a temporary directory.
#
#   tests/lab.sh start [DIR]   start a PostgreSQL primary (pg_stat_statements) and a
#                              streaming replica made with pg_basebackup, plus a bounded
#                              pgbench load; prints the lab directory
#   tests/lab.sh stop DIR      stop exactly what start started and remove DIR
#
# DIR/env holds LAB_DIR, PG_PRIMARY_PORT, PG_REPLICA_PORT, PG_BIN, MDB_PRIMARY_PORT,
# MDB_REPLICA_PORT for scripts to source. MariaDB (when installed): a GTID primary and
# replica with performance_schema on, users mon (monitoring grants) and app, and a
# bounded write load.
# PostgreSQL refuses to run as root: as root the servers run as 'nobody'.
# Ports: LAB_PORT_BASE (default 25432) and the next one. Load: LAB_LOAD_SECONDS (600).
# LAB_MAX_CONNECTIONS: each server's max_connections (PostgreSQL 40, MariaDB 151), for
# fleets of many targets on the lab's servers (the scale tests and bench-scale).
set -eu

pg_bin() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	done
	echo "lab: no PostgreSQL server found (apt-get install postgresql)" >&2
	exit 1
}

as_lab() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

free_port() {
	p=$1
	while (echo > /dev/tcp/127.0.0.1/$p) 2>/dev/null || ss -ltn 2>/dev/null | grep -q ":$p "; do
		p=$((p + 2))
	done
	echo "$p"
}

conf() { # DIR PORT
	cat >> "$1/postgresql.conf" <<CONF
port = $2
listen_addresses = '127.0.0.1'
unix_socket_directories = '$LAB'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = top
wal_level = replica
max_wal_senders = 5
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = ${LAB_MAX_CONNECTIONS:-40}
shared_buffers = 16MB
log_min_messages = warning
CONF
}

start() {
	BIN=$(pg_bin)
	LAB=${1:-$(mktemp -d /tmp/dbfleet-lab.XXXXXX)}
	mkdir -p "$LAB"
	chmod 755 "$LAB"
	[ "$(id -u)" = 0 ] && chown nobody "$LAB"
	P1=$(free_port "${LAB_PORT_BASE:-25432}")
	P2=$(free_port $((P1 + 1)))
	as_lab "$BIN/initdb" -D "$LAB/primary" -U postgres --auth=trust --no-locale -E UTF8 --no-sync >"$LAB/initdb.log" 2>&1
	conf "$LAB/primary" "$P1"
	echo "host replication all 127.0.0.1/32 trust" >> "$LAB/primary/pg_hba.conf"
	as_lab "$BIN/pg_ctl" -D "$LAB/primary" -l "$LAB/primary.log" -w -t 60 start >/dev/null
	psql_() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$P1" -U postgres "$@"; }
	psql_ -d postgres <<SQL
CREATE EXTENSION pg_stat_statements;
CREATE ROLE mon LOGIN;
GRANT pg_monitor TO mon;
-- actions: cancel/terminate other roles' sessions, promote a replica
GRANT pg_signal_backend TO mon;
GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO mon;
CREATE ROLE app LOGIN;
CREATE DATABASE app OWNER app;
SQL
	psql_ -d app -c "CREATE EXTENSION pg_stat_statements"
	"$BIN/pgbench" -q -i -s 1 -h 127.0.0.1 -p "$P1" -U app app >"$LAB/pgbench-init.log" 2>&1
	as_lab "$BIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres -D "$LAB/replica" -X stream -R -c fast --no-sync \
		>"$LAB/basebackup.log" 2>&1
	conf "$LAB/replica" "$P2"
	echo "primary_conninfo = 'host=127.0.0.1 port=$P1 user=postgres application_name=replica'" \
		>> "$LAB/replica/postgresql.auto.conf"
	as_lab "$BIN/pg_ctl" -D "$LAB/replica" -l "$LAB/replica.log" -w -t 60 start >/dev/null
	cat > "$LAB/env" <<ENV
LAB_DIR=$LAB
PG_BIN=$BIN
PG_PRIMARY_PORT=$P1
PG_REPLICA_PORT=$P2
LAB_MAX_CONNECTIONS=${LAB_MAX_CONNECTIONS:-}
ENV
	# bounded load: a fixed rate for a fixed time, then it ends by itself
	"$BIN/pgbench" -n -c 2 -R "${LAB_LOAD_TPS:-40}" -T "${LAB_LOAD_SECONDS:-600}" \
		-h 127.0.0.1 -p "$P1" -U app app >"$LAB/pgbench.log" 2>&1 &
	echo $! > "$LAB/load.pid"
	start_mariadb
	echo "$LAB"
}

mdb_conf() { # NAME PORT SERVER_ID EXTRA...
	name=$1 port=$2 id=$3
	shift 3
	cat > "$LAB/$name.cnf" <<CONF
[mariadbd]
datadir = $LAB/$name
port = $port
bind-address = 127.0.0.1
socket = $LAB/$name.sock
pid-file = $LAB/$name.pid
log-error = $LAB/$name.err
server-id = $id
log-bin = binlog
binlog-format = ROW
gtid-strict-mode = 1
performance-schema = ON
innodb-buffer-pool-size = 32M
innodb-log-file-size = 16M
skip-name-resolve
max-connections = ${LAB_MAX_CONNECTIONS:-151}
CONF
	for opt in "$@"; do echo "$opt" >> "$LAB/$name.cnf"; done
}

mdb_start() { # NAME
	mkdir -p "$LAB/$1"
	[ "$(id -u)" = 0 ] && chown nobody "$LAB/$1"
	mariadb-install-db --defaults-file="$LAB/$1.cnf" --user=nobody --auth-root-authentication-method=normal \
		--skip-test-db >"$LAB/$1-install.log" 2>&1
	mariadbd --defaults-file="$LAB/$1.cnf" --user=nobody >/dev/null 2>&1 &
	i=0
	until mariadb-admin --no-defaults -uroot --socket="$LAB/$1.sock" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && { echo "lab: MariaDB $1 did not start (see $LAB/$1.err)" >&2; exit 1; }
		sleep 0.1
	done
}

mdb() { # NAME SQL...
	n=$1
	shift
	mariadb --no-defaults -uroot --socket="$LAB/$n.sock" "$@"
}

# A CA, the replica's certificate from it (for 127.0.0.1 and localhost), and a
# CA nobody used: TLS verification, right and wrong, against a real server.
mdb_tls() {
	d=$LAB/tls
	mkdir -p "$d"
	o() { openssl "$@" >/dev/null 2>&1; }
	for ca in ca other-ca; do
		o req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dbfleet lab $ca" \
			-keyout "$d/$ca-key.pem" -out "$d/$ca.pem"
	done
	o req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$d/server-key.pem" -out "$d/server.csr"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/san.ext"
	o x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
		-extfile "$d/san.ext" -out "$d/server.pem"
	[ "$(id -u)" = 0 ] && chown nobody "$d/server-key.pem"
	[ -s "$d/server.pem" ]
}

start_mariadb() {
	command -v mariadbd >/dev/null || PATH=$PATH:/usr/sbin
	command -v mariadbd >/dev/null || return 0
	M1=$(free_port $((P2 + 1)))
	M2=$(free_port $((M1 + 1)))
	mdb_conf mdb-primary "$M1" 1
	# the replica speaks TLS too (clients choose); the primary does not, for the refusal test
	if command -v openssl >/dev/null && mdb_tls; then
		mdb_conf mdb-replica "$M2" 2 "read-only = 1" "ssl-ca = $LAB/tls/ca.pem" \
			"ssl-cert = $LAB/tls/server.pem" "ssl-key = $LAB/tls/server-key.pem"
	else
		mdb_conf mdb-replica "$M2" 2 "read-only = 1"
	fi
	mdb_start mdb-primary
	mdb_start mdb-replica
	mdb mdb-primary <<SQL
CREATE USER repl@'%';
GRANT REPLICATION SLAVE ON *.* TO repl@'%';
CREATE USER mon@'%';
GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR, REPLICA MONITOR, CONNECTION ADMIN ON *.* TO mon@'%';
GRANT SELECT ON performance_schema.* TO mon@'%';
CREATE USER app@'%';
CREATE DATABASE app;
GRANT ALL ON app.* TO app@'%';
CREATE TABLE app.t (id INT PRIMARY KEY AUTO_INCREMENT, v INT, pad VARCHAR(200)) ENGINE=InnoDB;
SQL
	mdb mdb-replica -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$M1, MASTER_USER='repl',
		MASTER_USE_GTID=slave_pos; START SLAVE;"
	cat >> "$LAB/env" <<ENV
MDB_PRIMARY_PORT=$M1
MDB_REPLICA_PORT=$M2
ENV
	# bounded load: one connection, about 20 writes a second, for a fixed time
	n=$(( ${LAB_LOAD_SECONDS:-600} * 20 ))
	awk -v n="$n" 2>/dev/null 'BEGIN { for (i = 0; i < n; i++) {
		printf "INSERT INTO app.t (v, pad) VALUES (%d, REPEAT(\"x\", 100));\n", i
		printf "UPDATE app.t SET v = v + 1 WHERE id = %d;\n", i / 2 + 1
		printf "DO SLEEP(0.05);\n" } }' |
		mariadb --no-defaults -h 127.0.0.1 -P "$M1" -u app app >"$LAB/mdb-load.log" 2>&1 &
	echo $! > "$LAB/mdb-load.pid"
}

stop() {
	LAB=$1
	[ -f "$LAB/env" ] || { echo "lab: $LAB is not a lab directory" >&2; exit 1; }
	. "$LAB/env"
	for f in load.pid mdb-load.pid; do
		if [ -f "$LAB/$f" ]; then kill "$(cat "$LAB/$f")" 2>/dev/null || true; fi
	done
	for n in mdb-replica mdb-primary; do
		if [ -f "$LAB/$n.pid" ]; then
			pid=$(cat "$LAB/$n.pid")
			kill "$pid" 2>/dev/null || true
			i=0
			while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	for pidf in "$LAB"/*/postmaster.pid; do # the replica, extra replicas, then the primary
		d=$(dirname "$pidf")
		[ "$d" = "$LAB/primary" ] && continue
		[ -f "$pidf" ] && as_lab "$PG_BIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
	done
	[ -f "$LAB/primary/postmaster.pid" ] &&
		as_lab "$PG_BIN/pg_ctl" -D "$LAB/primary" -m immediate -w stop >/dev/null 2>&1 || true
	case "$LAB" in /tmp/dbfleet-lab.*) rm -rf "$LAB" ;; esac
}

# Another PostgreSQL replica of the lab's primary in DIR/NAME (tests that promote one);
# prints its port. 'lab.sh stop' stops it with the rest.
replica() {
	LAB=$1 NAME=$2
	. "$LAB/env" # LAB_MAX_CONNECTIONS too: a standby needs the primary's max_connections
	P=$(free_port $((PG_REPLICA_PORT + 10)))
	as_lab "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$LAB/$NAME" -X stream -R \
		-c fast --no-sync >"$LAB/$NAME-basebackup.log" 2>&1
	conf "$LAB/$NAME" "$P"
	echo "primary_conninfo = 'host=127.0.0.1 port=$PG_PRIMARY_PORT user=postgres application_name=$NAME'" \
		>> "$LAB/$NAME/postgresql.auto.conf"
	as_lab "$PG_BIN/pg_ctl" -D "$LAB/$NAME" -l "$LAB/$NAME.log" -w -t 60 start >/dev/null
	echo "$P"
}

# Stop and remove DIR/NAME made by 'replica'.
drop() {
	LAB=$1 NAME=$2
	. "$LAB/env"
	as_lab "$PG_BIN/pg_ctl" -D "$LAB/$NAME" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "${LAB:?}/$NAME"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) shift; stop "$1" ;;
replica) shift; replica "$1" "$2" ;;
drop) shift; drop "$1" "$2" ;;
*) echo "usage: lab.sh start [DIR] | stop DIR | replica DIR NAME | drop DIR NAME" >&2; exit 2 ;;
esac
