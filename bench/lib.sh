# shellcheck shell=sh
# Shared by the bench/*.sh scripts that run servers: messages, quiet
# package installs, ports, CPU time.  Source it after setting BENCH to the
# script's name: BENCH=ocsp.sh; . "$(dirname "$0")/lib.sh"

die() {
	echo "$BENCH: $*" >&2
	exit 1
}
say() {
	echo "$BENCH: $*" >&2
}

# bench_install PKG...: install the Debian packages given, quietly (like
# scripts/deps.sh); nginx-light falls back to nginx where it is gone.
bench_install() {
	[ $# -gt 0 ] || return 0
	say "installing $*"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >/dev/null
	# shellcheck disable=SC2086,SC2046
	$SUDO apt-get install -y -qq --no-install-recommends "$@" \
	    >/dev/null 2>&1 ||
		$SUDO apt-get install -y -qq --no-install-recommends \
		    $(echo "$*" | sed 's/nginx-light/nginx/') >/dev/null ||
		die "apt-get install $* failed"
}

now() {
	date +%s.%N
}
# A TCP port free on both IPv4 and IPv6 (nginx may listen on [::]).
free_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 0))
print(s.getsockname()[1])'
}
wait_port() {	# PORT: until something accepts on 127.0.0.1:PORT
	python3 - "$1" <<'PY' || die "nothing listens on port $1"
import socket, sys, time
end = time.time() + 10
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}
# CPU seconds (user + system) used so far by process PID.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# bench_workdir NAME: a work directory /tmp/certa-bench-NAME.XXXXXX, made
# current.  On exit every process in $pids is stopped (TERM, then KILL:
# `openssl ocsp -port` ignores TERM while it spins), bench_cleanup_extra
# runs when the script defines it, and the directory is removed.
bench_workdir() {
	work=$(mktemp -d "/tmp/certa-bench-$1.XXXXXX")
	pids=""
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP PIPE
	cd "$work" || die "cannot enter $work"
}
bench_cleanup() {
	set +e
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.3
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if command -v bench_cleanup_extra >/dev/null 2>&1; then
		bench_cleanup_extra
	fi
	rm -rf "$work"
}
