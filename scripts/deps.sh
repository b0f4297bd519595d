#!/bin/sh
# Install the Debian packages certa needs to build and test; idempotent and
# quiet when everything is present.  Run as root (or with sudo available).
set -eu
PKGS="gcc make cmake ninja-build pkg-config libssl-dev openssl libsqlite3-dev
 libjansson-dev libevent-dev libcmocka-dev libcurl4-openssl-dev libpq-dev
 python3 python3-yaml curl haproxy nginx-light"
# --test: what the test suite drives besides certa: Debian's chromium,
# PostgreSQL's server (tests/pg.sh runs a throw-away cluster), and
# node + npm for playwright-core (the web console's browser tests, which
# tests/console/package-lock.json pins; installed by npm ci).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--test" ]; then
	PKGS="$PKGS chromium postgresql"
	command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
	command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
fi
console_deps() {
	[ "${1:-}" = "--test" ] || return 0
	[ -d "$ROOT/tests/console/node_modules/playwright-core" ] && return 0
	echo "deps: npm ci --prefix tests/console" >&2
	npm ci --prefix "$ROOT/tests/console" --no-audit --no-fund >/dev/null
}
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	console_deps "$@"
	exit 0
fi
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
console_deps "$@"
