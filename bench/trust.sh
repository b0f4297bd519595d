#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Trust engine benchmark (issue 3): `certa verify` against a trust store of
# N trusted CAs plus one CRL of M revoked serials, for each N, beside
# `openssl verify -CAfile` on the same bundle and CRL in the same run; and
# the in-process validation throughput (bench/trust_throughput: snapshot
# build time, checks per second).  Prints one JSON line per N.  Not part of
# CI.  Use a release build.
#
# usage: bench/trust.sh [BUILD_DIR=build] [SIZES="10 10000 100000"] [M=100000]
# OPENSSL_TIMEOUT (seconds, default 120) caps each openssl verify run.
set -eu
BUILD=${1:-build}
SIZES=${2:-"10 10000 100000"}
M=${3:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD"
CERTA="$BIN/certa"
OTO=${OPENSSL_TIMEOUT:-120}
WORK=$(mktemp -d /tmp/certa-bench-trust.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for t in certa trust_fixture trust_throughput; do
	[ -x "$BIN/$t" ] || { echo "trust.sh: no $BIN/$t" >&2; exit 1; }
done
now() { date +%s.%N; }
ms() { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) * 1000 }'; }

# Median wall milliseconds of 3 runs of a command that must succeed.
median3() {
	for i in 1 2 3; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || { echo "trust.sh: failed: $*" >&2; exit 1; }
		ms "$t0" "$(now)"
		echo
	done | sort -n | sed -n 2p
}

for n in $SIZES; do
	d="$WORK/n$n"
	mkdir -p "$d/fx" "$d/chunks"
	"$BIN/trust_fixture" "$d/fx" "$n" "$M"
	# The store imports files of at most 4 MiB: 1000 certificates each.
	awk -v dir="$d/chunks" '/BEGIN CERTIFICATE/ {
		if (c % 1000 == 0) f = sprintf("%s/a%06d.pem", dir, c / 1000)
		c++ } { print > f }' "$d/fx/anchors.pem"
	"$CERTA" --dir "$d/data" init >/dev/null
	t0=$(now)
	for f in "$d"/chunks/*.pem; do
		"$CERTA" --dir "$d/data" trust import "$f" --list trusted \
		    >/dev/null
	done
	"$CERTA" --dir "$d/data" trust import-crl "$d/fx/crl.pem" >/dev/null
	import_ms=$(ms "$t0" "$(now)")

	store_ms=$(median3 "$CERTA" --dir "$d/data" verify --mode trusted_ca \
	    --purpose client "$d/fx/leaf.pem")
	files_ms=$(median3 "$CERTA" verify --trust-anchor "$d/fx/anchors.pem" \
	    --crl "$d/fx/crl.pem" --purpose client "$d/fx/leaf.pem")
	t0=$(now)
	if timeout "$OTO" openssl verify -CAfile "$d/fx/anchors.pem" \
	    -CRLfile "$d/fx/crl.pem" -crl_check "$d/fx/leaf.pem" \
	    >/dev/null 2>&1; then
		ossl_ms=$(ms "$t0" "$(now)")
	else
		ossl_ms=null	# timed out (or failed)
	fi
	inproc=$("$BIN/trust_throughput" "$d/fx" 2)
	printf '{"entries": %s, "crl_entries": %s, "import_ms": %s, ' \
	    "$n" "$M" "$import_ms"
	printf '"certa_verify_store_ms": %s, "certa_verify_files_ms": %s, ' \
	    "$store_ms" "$files_ms"
	printf '"openssl_verify_ms": %s, "in_process": %s}\n' "$ossl_ms" \
	    "$inproc"
	rm -rf "$d"
done
