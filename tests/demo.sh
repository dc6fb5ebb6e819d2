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
dsn = mysql://mon@127.0.0.1:$MDB_REPLICA_PORT/$( [ -f "$LAB/tls/ca.pem" ] && echo "?ssl-mode=VERIFY_IDENTITY&ssl-ca=$LAB/tls/ca.pem")
CONF
fi
# the AWS side: moto and our proxy, an RDS fleet named like the lab's servers
AWSPID=""
python3 tests/awsdemo.py "$LAB/aws.env" 2>"$LAB/aws.log" &
AWSPID=$!
trap 'echo "stopping the lab..."; kill $AWSPID 2>/dev/null; sh tests/lab.sh stop "$LAB"' EXIT INT TERM HUP
i=0
while [ ! -s "$LAB/aws.env" ] && kill -0 $AWSPID 2>/dev/null && [ $i -lt 150 ]; do
	sleep 0.2
	i=$((i + 1))
done
if [ -s "$LAB/aws.env" ]; then
	printf '\n[aws]\nenabled = true\nregions = us-east-1\ncost_tag = team\n' >> "$LAB/dbfleet.conf"
	set -a
	. "$LAB/aws.env"
	export XDG_CACHE_HOME="$LAB/cache"
	set +a
	echo "AWS side: emulated (moto) at $AWS_ENDPOINT_URL"
else
	echo "AWS side: not shown (moto is not installed: pip install 'moto[server]')"
fi
DBFLEET_KEYMAPS=$PWD/keymaps ./dbfleet -c "$LAB/dbfleet.conf" || true
