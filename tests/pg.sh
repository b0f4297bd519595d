#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A throw-away PostgreSQL cluster for the tests: Debian's server binaries,
# initdb in a temporary directory, started on a free 127.0.0.1 port with
# its socket in that directory, one database "certa".
#
#   tests/pg.sh start DIR   prints the DSN (postgresql://...) on stdout
#   tests/pg.sh stop DIR    stops the cluster and removes DIR
#   tests/pg.sh halt DIR    stops the server, keeps DIR (an outage)
#   tests/pg.sh resume DIR  starts it again on the same port
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the
# Debian package's "postgres" user (or nobody).  Exits 2 when no server
# binaries are installed (scripts/deps.sh --test installs them).
set -eu
cmd=${1:?start|stop}
dir=${2:?directory}
bin=""
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && bin=$d
done
if [ -z "$bin" ]; then
	echo "pg.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2
	exit 2
fi
as() {
	if [ "$(id -u)" -eq 0 ]; then
		u=postgres
		id postgres >/dev/null 2>&1 || u=nobody
		runuser -u "$u" -- "$@"
	else
		"$@"
	fi
}
case "$cmd" in
start)
	mkdir -p "$dir"
	[ "$(id -u)" -ne 0 ] || chown "$(id -u postgres 2>/dev/null || id -u nobody)" "$dir"
	chmod 700 "$dir"
	as "$bin/initdb" -D "$dir/data" -A trust -U certa -E UTF8 \
	    --no-locale >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		exit 1
	}
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	    -o "-k $dir -p $port -h 127.0.0.1 -c fsync=off" start >/dev/null || {
		cat "$dir/server.log" >&2
		exit 1
	}
	echo "$port" >"$dir/port"
	as "$bin/createdb" -h 127.0.0.1 -p "$port" -U certa certa
	echo "postgresql://certa@127.0.0.1:$port/certa"
	;;
halt)
	as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	;;
resume)
	port=$(cat "$dir/port")
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	    -o "-k $dir -p $port -h 127.0.0.1 -c fsync=off" start >/dev/null
	;;
stop)
	if [ -f "$dir/data/postmaster.pid" ]; then
		as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop \
		    >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "pg.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
