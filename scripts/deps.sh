#!/bin/sh
# Install the Debian packages certa needs to build and test; idempotent and
# quiet when everything is present.  Run as root (or with sudo available).
set -eu
PKGS="gcc make cmake ninja-build pkg-config libssl-dev openssl libsqlite3-dev
 libjansson-dev libevent-dev libcmocka-dev libcurl4-openssl-dev libpq-dev
 python3 python3-yaml curl"
# --test: what the test suite drives besides certa (none extra yet).
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
