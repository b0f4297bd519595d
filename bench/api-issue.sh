#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# REST issuance throughput: certificates per second issued by
#   - `certa serve`: POST /api/v1/applications/{app}/certificates over
#     HTTPS keep-alive, JSON {"type":"transport","csr":PEM}, bearer token;
#     every certificate durably committed (group commit) before its 201;
#   - `cfssl serve` (golang-cfssl): POST /api/v1/cfssl/sign over plain
#     HTTP, JSON {"certificate_request":PEM}, CA made by openssl, signing
#     profile with client auth; cfssl keeps no database here (no
#     -db-config), so it stores nothing and syncs nothing;
# at concurrency 1, 8 and 32 with the same ECDSA P-256 CSR, and the
# two-core limit 1 / (1/sign + 1/verify) from
# `openssl speed -multi 2 ecdsap256` (one CSR verify + one signature per
# certificate, both cores busy), all measured in the same run.
#
# usage: bench/api-issue.sh [path/to/certa]      (default build/certa)
# environment (defaults in brackets):
#   API_BENCH_SECONDS [8]        length of each measurement
#   API_BENCH_CONCS   [1 8 32]   wrk connections (one run per value)
#
# Load generator: wrk (keep-alive HTTP/1.1), -t1 for one connection, -t2
# otherwise (the machine this was written on has two cores, shared by
# wrk, the server and the kernel: absolute figures are lower than on a
# real server, the ratios are what matters).  A Lua script sets method,
# body and headers and counts 2xx and other statuses.  For certa the
# number of certificates stored (`certa cert list --json`) is compared
# with the 2xx count: requests still in flight when wrk stops are
# committed but not counted by wrk, so stored - 2xx must lie in
# [0, connections].  CPU seconds of each server per certificate are
# printed too; they hold on a busy machine, wall rates do not.
#
# Prints a table, the goal lines and one JSON line.  Not part of CI;
# builds nothing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
certa=${1:-$root/build/certa}
secs=${API_BENCH_SECONDS:-8}
concs=${API_BENCH_CONCS:-1 8 32}


BENCH=api-issue.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

case $certa in /*) ;; *) certa=$(pwd)/$certa ;; esac
[ -x "$certa" ] || die "$certa missing: build first (cmake --build build)"

# -- dependencies (quiet when present, like scripts/deps.sh) ----------
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v cfssl >/dev/null 2>&1 || missing="$missing golang-cfssl"
for t in openssl curl python3; do
	command -v $t >/dev/null 2>&1 || die "$t missing (scripts/deps.sh)"
done
# shellcheck disable=SC2086
bench_install $missing

# -- work dir, processes, cleanup -------------------------------------
bench_workdir api-issue
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "work dir $work, load average $load_before, $(nproc) cores"

# CPU seconds (user + system) used so far by process PID.
C() {
	"$certa" --dir "$work/data" "$@"
}
stored() {
	C cert list --json | python3 -c 'import json, sys
print(len(json.load(sys.stdin)))'
}
# JSON string of a file's contents.
jstr() {
	python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"
}

# -- one CSR (P-256) for both -----------------------------------------
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout leaf.key -subj "/CN=bench api leaf" -out leaf.csr 2>/dev/null
printf '{"type":"transport","csr":%s}' "$(jstr leaf.csr)" >certa.json
printf '{"certificate_request":%s}' "$(jstr leaf.csr)" >cfssl.json

# -- wrk script: bench/post_status.lua (POST BENCH_BODY, count statuses)
# run_wrk NAME CONNS URL BODY AUTH PID: one measurement; appends
# "NAME CONNS OK BAD FIRST_BAD SOCKERR P50_MS WALL_S CPU_S" to res.
run_wrk() {
	th=2
	[ "$2" -gt 1 ] || th=1
	c0=$(cpu_s "$6")
	t0=$(date +%s.%N)
	BENCH_BODY=$4 BENCH_AUTH=$5 wrk -t$th -c"$2" -d"${secs}s" \
	    --timeout 10s -s "$root/bench/post_status.lua" "$3" \
	    >"wrk-$1-$2.out" 2>&1 ||
		die "wrk $1 c=$2 failed: $(cat "wrk-$1-$2.out")"
	t1=$(date +%s.%N)
	c1=$(cpu_s "$6")
	st=$(awk '/^STATUS/ {print $2, $3, $4, $5, $7}' "wrk-$1-$2.out")
	[ -n "$st" ] || die "wrk $1 c=$2: no STATUS line: $(cat "wrk-$1-$2.out")"
	# wrk's own duration ("N requests in X.XXs") is the rate's divisor.
	wall=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' \
	    "wrk-$1-$2.out")
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')
	echo "$1 $2 $st ${wall:-$(awk -v a="$t0" -v b="$t1" \
	    'BEGIN { print b - a }')} $cpu" >>res
}
: >res

# -- certa serve ------------------------------------------------------
env -u CERTA_PASSPHRASE -u CERTA_PASSPHRASE_FILE -u CERTA_DIR \
    "$certa" --dir "$work/data" init >/dev/null
unset CERTA_PASSPHRASE CERTA_PASSPHRASE_FILE CERTA_DIR
C org create bench >/dev/null
C app create --org bench app >/dev/null
token=$(C token create --role admin --name bench | tail -n 1)
[ -n "$token" ] || die "no token"
app=$(C app list --json 2>/dev/null | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["id"])' 2>/dev/null || echo 1)
C ca export --chain --out chain.pem >/dev/null
# Not through C(): $! must be certa's own pid (its CPU time is read).
"$certa" --dir "$work/data" serve --public 127.0.0.1:0 --port-file port \
    --api 127.0.0.1:0 --api-port-file apiport --access-log off \
    >serve.out 2>serve.err &
certa_pid=$!
pids="$pids $certa_pid"
i=0
while [ ! -s apiport ]; do
	kill -0 $certa_pid 2>/dev/null || die "certa serve died: $(cat serve.err)"
	i=$((i + 1))
	[ $i -lt 200 ] || die "certa serve did not start: $(cat serve.err)"
	sleep 0.05
done
aport=$(cat apiport)
wait_port "$aport"
curl_url="https://localhost:$aport/api/v1/applications/$app/certificates"
wrk_url="https://127.0.0.1:$aport/api/v1/applications/$app/certificates"

# Check: 201, a certificate for our key that chains to certa's root.
code=$(curl -sS --cacert chain.pem -o first.json -w '%{http_code}' \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @certa.json "$curl_url") || die "curl to certa failed"
[ "$code" = 201 ] || die "certa answered $code: $(cat first.json)"
python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pem"])' \
    first.json >first.pem
openssl verify -CAfile chain.pem -purpose sslclient first.pem >/dev/null ||
	die "certa's certificate does not verify"
[ "$(openssl x509 -in first.pem -noout -pubkey)" = \
    "$(openssl req -in leaf.csr -noout -pubkey)" ] ||
	die "certa's certificate is not for the CSR's key"
say "certa: curl POST -> 201, certificate verifies (clientAuth)"

for c in $concs; do
	n0=$(stored)
	run_wrk certa "$c" "$wrk_url" certa.json "Bearer $token" $certa_pid
	n1=$(stored)
	echo "certa $c $((n1 - n0))" >>stored
done
kill -0 $certa_pid 2>/dev/null || die "certa serve died: $(cat serve.err)"

# -- cfssl serve ------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -subj "/CN=cfssl bench CA" -days 30 \
    -addext "subjectKeyIdentifier=hash" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cat >cfssl-config.json <<'CFG'
{"signing": {"default": {"expiry": "8760h",
 "usages": ["digital signature", "key agreement", "client auth"]}}}
CFG
cport=$(free_port)
# -loglevel 2: warnings only, as certa runs with --access-log off.
cfssl serve -loglevel 2 -address 127.0.0.1 -port "$cport" -ca ca.pem \
    -ca-key ca.key -config cfssl-config.json >cfssl.out 2>cfssl.err &
cfssl_pid=$!
pids="$pids $cfssl_pid"
wait_port "$cport"
curl_c="http://127.0.0.1:$cport/api/v1/cfssl/sign"
code=$(curl -sS -o cfirst.json -w '%{http_code}' --data-binary @cfssl.json \
    "$curl_c") || die "curl to cfssl failed"
[ "$code" = 200 ] || die "cfssl answered $code: $(cat cfirst.json)"
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["success"], r
print(r["result"]["certificate"])' cfirst.json >cfirst.pem ||
	die "cfssl: $(cat cfirst.json)"
openssl verify -CAfile ca.pem -purpose sslclient cfirst.pem >/dev/null ||
	die "cfssl's certificate does not verify"
say "cfssl: curl POST -> 200, certificate verifies (clientAuth)"
for c in $concs; do
	run_wrk cfssl "$c" "$curl_c" cfssl.json "" $cfssl_pid
done

# -- two-core limit ---------------------------------------------------
speed=$(openssl speed -multi 2 -seconds 3 ecdsap256 2>/dev/null |
    awk '/nistp256/ {print $(NF-1), $NF}' | tail -n 1)
[ -n "$speed" ] || die "openssl speed gave nothing"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# -- report -----------------------------------------------------------
python3 - "$speed" "$load_before" "$load_after" "$(nproc)" "$secs" <<'PY'
import json, sys
sign, verify = map(float, sys.argv[1].split())
limit = 1 / (1 / sign + 1 / verify)
rows = {}
for line in open("res"):
    name, c, ok, bad, fb, serr, p50, wall, cpu = line.split()
    rows[(name, int(c))] = dict(ok=int(ok), bad=int(bad), first_bad=int(fb),
        sock_errors=int(serr), p50_ms=float(p50), wall_s=float(wall),
        cpu_s=float(cpu))
stored = {}
for line in open("stored"):
    name, c, n = line.split()
    stored[int(c)] = int(n)
concs = sorted({c for _, c in rows})
print("load average %s before, %s after; %s cores; %s s per run"
      % (sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
print("openssl speed -multi 2 ecdsap256: %.0f sign/s, %.0f verify/s"
      " -> two-core limit %.0f certs/s" % (sign, verify, limit))
print()
hdr = ("conc", "certa/s", "cfssl/s", "ratio", "certa%lim", "certa us-cpu",
       "cfssl us-cpu", "certa p50", "cfssl p50", "2xx", "stored", "non-2xx")
print("%4s %9s %9s %6s %9s %12s %12s %9s %9s %7s %7s %7s" % hdr)
out = {"bench": "api-issue", "cores": int(sys.argv[4]),
       "load_before": sys.argv[2], "load_after": sys.argv[3],
       "sign_per_s": sign, "verify_per_s": verify,
       "two_core_limit_per_s": round(limit), "runs": []}
problems = []
for c in concs:
    a, f = rows[("certa", c)], rows[("cfssl", c)]
    ar, fr = a["ok"] / a["wall_s"], f["ok"] / f["wall_s"]
    au = a["cpu_s"] / a["ok"] * 1e6 if a["ok"] else 0
    fu = f["cpu_s"] / f["ok"] * 1e6 if f["ok"] else 0
    st = stored[c]
    print("%4d %9.0f %9.0f %6.2f %8.1f%% %12.0f %12.0f %7.1fms %7.1fms"
          " %7d %7d %3d/%-3d" % (c, ar, fr, ar / fr if fr else 0,
          100 * ar / limit, au, fu, a["p50_ms"], f["p50_ms"], a["ok"], st,
          a["bad"], f["bad"]))
    if a["bad"] or f["bad"] or a["sock_errors"] or f["sock_errors"]:
        problems.append("c=%d: certa %d non-2xx (first %d), %d socket errors;"
            " cfssl %d non-2xx (first %d), %d socket errors" % (c, a["bad"],
            a["first_bad"], a["sock_errors"], f["bad"], f["first_bad"],
            f["sock_errors"]))
    if not 0 <= st - a["ok"] <= c:
        problems.append("c=%d: certa stored %d certificates for %d 2xx"
                        % (c, st, a["ok"]))
    out["runs"].append({"conc": c, "certa_per_s": round(ar),
        "cfssl_per_s": round(fr), "ratio": round(ar / fr, 2) if fr else None,
        "certa_fraction_of_limit": round(ar / limit, 3),
        "certa_cpu_us_per_cert": round(au), "cfssl_cpu_us_per_cert": round(fu),
        "certa_2xx": a["ok"], "certa_stored": st, "certa_non2xx": a["bad"],
        "cfssl_2xx": f["ok"], "cfssl_non2xx": f["bad"],
        "certa_p50_ms": a["p50_ms"], "cfssl_p50_ms": f["p50_ms"]})
print("(stored = certificates added to certa's store during the run;"
      " it may exceed 2xx by up to conc: requests in flight when wrk stops)")
print()
for p in problems:
    print("CHECK FAILED: " + p)
top = max(concs)
a, f = rows[("certa", top)], rows[("cfssl", top)]
ar, fr = a["ok"] / a["wall_s"], f["ok"] / f["wall_s"]
g1 = fr > 0 and ar >= 1.5 * fr
g2 = ar >= 0.4 * limit
print("goal: at c=%d certa >= 1.5x cfssl: %.2fx  %s"
      % (top, ar / fr if fr else 0, "MET" if g1 else "NOT MET"))
print("goal: at c=%d certa >= 40%% of the two-core limit: %.1f%%  %s"
      % (top, 100 * ar / limit, "MET" if g2 else "NOT MET"))
out["goal_ratio_met"], out["goal_limit_met"] = g1, g2
out["checks_ok"] = not problems
print(json.dumps(out))
sys.exit(1 if problems else 0)
PY
