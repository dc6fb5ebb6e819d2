#!/bin/sh
# demo.sh - start the lab, open dbfleet on it, stop the lab when dbfleet quits.
set -eu
cd "$(dirname "$0")/.."
echo "starting the lab (PostgreSQL and MariaDB, each a primary + replica under load)..."
LAB=$(LAB_LOAD_SECONDS=${LAB_LOAD_SECONDS:-3600} sh tests/lab.sh start)
trap 'echo "stopping the lab..."; sh tests/lab.sh stop "$LAB"' EXIT INT TERM HUP
. "$LAB/env"
cat > "$LAB/dbfleet.conf" <<CONF
[dbfleet]
refresh = 1

[target pg-primary]
engine = postgres
dsn = host=127.0.0.1 port=$PG_PRIMARY_PORT user=mon dbname=app

[target pg-replica]
engine = postgres
dsn = host=127.0.0.1 port=$PG_REPLICA_PORT user=mon dbname=app
CONF
if [ -n "${MDB_PRIMARY_PORT:-}" ]; then
	cat >> "$LAB/dbfleet.conf" <<CONF

[target mdb-primary]
dsn = mysql://mon@127.0.0.1:$MDB_PRIMARY_PORT/

[target mdb-replica]
dsn = mysql://mon@127.0.0.1:$MDB_REPLICA_PORT/
CONF
fi
DBFLEET_KEYMAPS=$PWD/keymaps ./dbfleet -c "$LAB/dbfleet.conf" || true
