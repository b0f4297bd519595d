#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# CRL build benchmark: certa_crl_build against `openssl ca -gencrl` on the
# same N revoked certificates (bench/fill_revoked writes both databases).
# Measures wall seconds and peak RSS of each, checks that both CRLs verify
# against the CA, list N entries and list the same entries (serial, date,
# reason), and prints one JSON line.  Not part of CI; builds nothing.
#
# usage: bench/crl.sh [N] [BINDIR]
#   N       revoked certificates (default 1000000)
#   BINDIR  directory holding fill_revoked and crl_build (default build/)
# A numeric argument is N, any other BINDIR.  Work files go to
# ${CERTA_BENCH_OUT:-bench/out}/crl-N and are replaced on each run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
n=1000000
bin=$root/build
for a in "$@"; do
	case $a in
	'' | *[!0-9]*) bin=$a ;;
	*) n=$a ;;
	esac
done

die() {
	echo "crl.sh: $*" >&2
	exit 1
}

bin=$(cd "$bin" 2>/dev/null && pwd) || die "no directory $bin"
for t in fill_revoked crl_build; do
	[ -x "$bin/$t" ] ||
		die "$bin/$t missing: build first (cmake --build build)"
done
command -v openssl >/dev/null || die "openssl CLI missing"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"

out=${CERTA_BENCH_OUT:-$root/bench/out}/crl-$n
rm -rf "$out"
mkdir -p "$(dirname "$out")"

now() {
	date +%s.%N
}

# Serial, revocation date and reason of every entry, one line each, sorted.
entries() {
	openssl crl -inform "$2" -in "$1" -noout -text | awk '
	/Serial Number:/ {
		if (s != "")
			print s, d, r
		s = $3; d = ""; r = "-"; next
	}
	/Revocation Date:/ { sub(/.*Revocation Date: */, ""); d = $0; next }
	/CRL Reason Code:/ {
		getline; sub(/^ */, ""); gsub(/ /, "_"); r = $0; next
	}
	END { if (s != "") print s, d, r }' | LC_ALL=C sort
}

verify() {
	openssl crl -inform "$2" -in "$1" -noout -CAfile ca.pem 2>&1 |
		grep -q "verify OK" || die "$1 does not verify against ca.pem"
}

echo "crl.sh: $n revoked certificates into $out" >&2
t0=$(now)
"$bin/fill_revoked" "$out" "$n"
t1=$(now)
cd "$out"

echo "crl.sh: certa" >&2
t2=$(now)
/usr/bin/time -f %M -o certa.rss "$bin/crl_build" . certa.crl >certa.json
t3=$(now)

echo "crl.sh: openssl ca -gencrl" >&2
t4=$(now)
/usr/bin/time -f %M -o openssl.rss openssl ca -gencrl -config openssl.cnf \
	-keyfile ca.key -cert ca.pem -crldays 7 -out openssl.crl 2>openssl.log
t5=$(now)
openssl crl -in openssl.crl -outform DER -out openssl.der

echo "crl.sh: checking both CRLs" >&2
verify certa.crl DER
verify openssl.crl PEM
entries certa.crl DER >certa.entries
entries openssl.crl PEM >openssl.entries
for f in certa openssl; do
	c=$(wc -l <$f.entries)
	[ "$c" -eq "$n" ] || die "$f CRL lists $c entries, not $n"
done
cmp -s certa.entries openssl.entries ||
	die "the CRLs list different entries (diff $out/*.entries)"

awk -v n="$n" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" \
    -v t4="$t4" -v t5="$t5" \
    -v crss="$(tail -n 1 certa.rss)" -v orss="$(tail -n 1 openssl.rss)" \
    -v cbytes="$(wc -c <certa.crl)" -v obytes="$(wc -c <openssl.der)" \
    -v cbuild="$(sed 's/.*"build_s":\([0-9.]*\).*/\1/' certa.json)" '
BEGIN {
	cs = t3 - t2; os = t5 - t4
	printf "{\"bench\":\"crl\",\"n\":%d,\"fill_s\":%.2f," \
	    "\"certa_s\":%.3f,\"certa_build_s\":%.3f,\"certa_rss_kb\":%d," \
	    "\"certa_bytes\":%d,\"openssl_s\":%.3f,\"openssl_rss_kb\":%d," \
	    "\"openssl_der_bytes\":%d,\"speedup\":%.1f," \
	    "\"certa_rss_per_byte\":%.2f,\"openssl_rss_per_byte\":%.2f," \
	    "\"same_entries\":true}\n", n, t1 - t0, cs, cbuild, crss,
	    cbytes, os, orss, obytes, os / cs, crss * 1024 / cbytes,
	    orss * 1024 / obytes
}'
