#!/bin/sh
# setup.sh - install the Debian packages dbfleet's build and tests need, if missing.
# Idempotent and quiet when everything is there. Needs root (or sudo) to install.
set -eu

PKGS="gcc make pkg-config libncurses-dev libpq-dev libcurl4-openssl-dev libcjson-dev libssl-dev
postgresql postgresql-contrib tmux python3 procps iproute2 util-linux
libmariadb-dev mariadb-server mariadb-client unixodbc-dev odbc-postgresql odbc-mariadb"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup: installing$missing" >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# the postgresql package would start a cluster on 5432; tests run their own
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
