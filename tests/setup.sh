#!/bin/sh
# setup.sh - install the Debian packages dbfleet's build and tests need, if missing.
# Idempotent and quiet when everything is there. Needs root (or sudo) to install.
set -eu

PKGS="gcc make pkg-config libncurses-dev libpq-dev libcurl4-openssl-dev libcjson-dev libssl-dev
postgresql postgresql-contrib tmux python3 procps iproute2 util-linux
libmariadb-dev mariadb-server mariadb-client unixodbc-dev odbc-postgresql odbc-mariadb libexpat1-dev openssl
pgbouncer clang-14 libclang-rt-14-dev redis-server libhiredis-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
# moto (the open-source AWS emulator) for the AWS tests and the demo; they skip without it
if ! python3 -c 'import moto, boto3, flask' 2>/dev/null; then
	echo "setup: installing moto[server] with pip" >&2
	python3 -m pip install -q 'moto[server]' boto3 2>/dev/null ||
		python3 -m pip install -q --break-system-packages 'moto[server]' boto3 2>/dev/null ||
		echo "setup: could not install moto: the AWS tests will be skipped" >&2
fi

[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# the postgresql package would start a cluster on 5432 (redis-server one on 6379); tests run their own
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
