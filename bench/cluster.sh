#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# certa as a cluster: up to three `certa serve` nodes (each its own copy
# of one data directory: same DSN, same passphrase; docs/operations.md
# "Cluster") on one throw-away PostgreSQL cluster (tests/pg.sh: initdb in
# a temporary directory, fsync=off, 127.0.0.1), measured on this machine:
#
#   1. issuance throughput: POST /api/v1/applications/{app}/certificates
#      (JSON, one ECDSA P-256 CSR, bearer token, HTTPS keep-alive; wrk and
#      its Lua script as in bench/api-issue.sh) with 1, 2 and 3 nodes
#      running, the same total number of connections spread over the
#      nodes' API ports (one wrk per node); certificates/s, the ratio to
#      one node, and the certificates added to the store compared with
#      the 2xx answers;
#   2. where the time goes in those runs: CPU seconds (utime + stime from
#      /proc/PID/stat) of each certa process and of PostgreSQL (the
#      postmaster, its live children, and cutime + cstime for children
#      that exited), before and after; µs of CPU per certificate for certa
#      and PostgreSQL, how busy the whole machine was (/proc/stat) and the
#      rest of its busy time ("other": wrk, the kernel, anything else);
#   3. OCSP throughput (POST of one RFC 5019 request, keep-alive, as
#      bench/ocsp.sh) against the public listeners of 1, 2 and 3 nodes,
#      one wrk per node, the same total connections; req/s, ratio;
#   4. propagation delay (bench/cluster_prop.py): N times, revoke a fresh
#      certificate through node A's API and time until the OCSP
#      responders of nodes A, B and C answer "revoked" (each polled every
#      2 ms on a kept-alive connection; certStatus read from the DER, the
#      final answers checked with `openssl ocsp -respin`); and N times, a
#      certificate imported through node A's API (issuer list) and then
#      moved to the trusted list (POST /api/v1/trust/{alias}/trust) until
#      a `certa gate --mode trusted_list` on node B's directory lets a
#      client with it through (a new TLS connection every 2 ms).  Delays
#      are counted from node A's 200 answer (the change committed);
#      p50, p90, p99 and max in ms.
#
# usage: bench/cluster.sh [path/to/certa]      (default build/certa)
# environment (defaults in brackets):
#   CLUSTER_BENCH_SECONDS [8]    length of each throughput measurement
#   CLUSTER_BENCH_ISSUE_CONNS [32]   total wrk connections, issuance
#   CLUSTER_BENCH_OCSP_CONNS  [64]   total wrk connections, OCSP
#   CLUSTER_BENCH_PROP_N [100]   changes per propagation series
#
# All processes (PostgreSQL, nodes, wrk, the gate) share this machine's
# cores: with more nodes than cores, more nodes cannot mean more
# throughput; the CPU split shows what each part costs per certificate,
# which holds on a bigger machine too.  PostgreSQL runs with fsync=off
# (tests/pg.sh), so commits cost no disk flush here.  Takes about 3
# minutes.  Not part of CI; builds nothing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
certa=${1:-$root/build/certa}
secs=${CLUSTER_BENCH_SECONDS:-8}
iconns=${CLUSTER_BENCH_ISSUE_CONNS:-32}
oconns=${CLUSTER_BENCH_OCSP_CONNS:-64}
propn=${CLUSTER_BENCH_PROP_N:-100}

BENCH=cluster.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

case $certa in /*) ;; *) certa=$(pwd)/$certa ;; esac
[ -x "$certa" ] || die "$certa missing: build first (cmake --build build)"

# -- dependencies (quiet when present, like scripts/deps.sh) ----------
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
	missing="$missing postgresql"
for t in openssl curl python3; do
	command -v $t >/dev/null 2>&1 || die "$t missing (scripts/deps.sh)"
done
# shellcheck disable=SC2086
bench_install $missing

# -- work dir, processes, cleanup -------------------------------------
# Not inside $work (0700): as root the cluster runs as user postgres.
pgdir=""
bench_cleanup_extra() {
	[ -z "$pgdir" ] || [ ! -d "$pgdir" ] ||
		(cd / && "$root/tests/pg.sh" stop "$pgdir")
}
bench_workdir cluster
pgdir=$(mktemp -d /tmp/certa-bench-cluster-pg.XXXXXX)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "work dir $work, load average $load_before, $(nproc) cores"

C() {
	"$certa" --dir "$work/a" "$@"
}
jstr() {
	python3 -c 'import json, sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"
}
# CPU seconds of PostgreSQL: the postmaster (with its exited children's
# cutime + cstime) and its live children.
pg_cpu() {
	pm=$(head -n 1 "$pgdir/data/postmaster.pid")
	{
		awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' \
		    "/proc/$pm/stat"
		for c in $(pgrep -P "$pm"); do
			awk '{ sub(/^.*\) /, ""); print $12 + $13 }' \
			    "/proc/$c/stat" 2>/dev/null || true
		done
	} | awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { print s / hz }'
}
# "busy total" jiffies of the whole machine.
machine() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i
		print t - $5 - $6, t }' /proc/stat
}

# -- PostgreSQL, the store, three data directories --------------------
say "starting PostgreSQL (tests/pg.sh)"
dsn=$(cd / && "$root/tests/pg.sh" start "$pgdir") || die "tests/pg.sh start failed"
env -u CERTA_PASSPHRASE -u CERTA_PASSPHRASE_FILE -u CERTA_DIR \
    "$certa" --dir "$work/a" --store "$dsn" init >/dev/null
unset CERTA_PASSPHRASE CERTA_PASSPHRASE_FILE CERTA_DIR CERTA_STORE
C org create bench >/dev/null
C app create --org bench app >/dev/null
app=$(C app list --json | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["id"])')
token=$(C token create --role admin --name bench | tail -n 1)
[ -n "$token" ] || die "no token"
C ca export --out issuing.pem >/dev/null
C ca export --chain --out chain.pem >/dev/null
cp -a a b
cp -a a c

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout leaf.key -subj "/CN=bench cluster leaf" -out leaf.csr 2>/dev/null
printf '{"type":"transport","csr":%s}' "$(jstr leaf.csr)" >issue.json

# start_node NAME: `certa serve` on directory NAME; NAME.pid, NAME.port
# (public), NAME.apiport.
start_node() {
	"$certa" --dir "$work/$1" serve --public 127.0.0.1:0 \
	    --port-file "$1.port" --api 127.0.0.1:0 --api-port-file \
	    "$1.apiport" --access-log off >"$1.out" 2>"$1.err" &
	echo $! >"$1.pid"
	pids="$pids $!"
	i=0
	while [ ! -s "$1.apiport" ] || [ ! -s "$1.port" ]; do
		kill -0 "$(cat "$1.pid")" 2>/dev/null ||
			die "node $1 died: $(cat "$1.err")"
		i=$((i + 1))
		[ $i -lt 400 ] || die "node $1 did not start: $(cat "$1.err")"
		sleep 0.05
	done
	wait_port "$(cat "$1.apiport")"
	wait_port "$(cat "$1.port")"
	# Its first answer: an issued certificate that chains to the root.
	code=$(curl -sS --cacert chain.pem -o "$1.first.json" \
	    -w '%{http_code}' -H "Authorization: Bearer $token" \
	    -H 'Content-Type: application/json' --data-binary @issue.json \
	    "https://localhost:$(cat "$1.apiport")/api/v1/applications/$app/certificates") ||
		die "curl to node $1 failed"
	[ "$code" = 201 ] || die "node $1 answered $code: $(cat "$1.first.json")"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pem"])' \
	    "$1.first.json" >"$1.first.pem"
	openssl verify -CAfile chain.pem -purpose sslclient "$1.first.pem" \
	    >/dev/null || die "node $1's certificate does not verify"
	say "node $1 up: API $(cat "$1.apiport"), public $(cat "$1.port")"
}
stored() {
	C cert list --json | python3 -c 'import json, sys
print(len(json.load(sys.stdin)))'
}

# The wrk script of both loads: bench/post_status.lua.
lua=$root/bench/post_status.lua

# load KIND N SECONDS CONNS [TAG]: KIND issue or ocsp; one wrk per node
# of the first N (a b c), CONNS split over them, all at once; appends to
# res "TAG N OK BAD FIRST_BAD SOCKERR RATE P50_MS CPU_A CPU_B CPU_C CPU_PG
#    BUSY_JIFFIES TOTAL_JIFFIES"
# (RATE = sum over the wrks of 2xx / wrk's duration; CPU_x 0 for a node
# not running).
load() {
	kind=$1
	n=$2
	tag=${5:-$1}
	nodes=$(echo a b c | cut -d' ' -f1-"$n")
	for nd in a b c; do
		if [ -s "$nd.pid" ]; then
			cpu_s "$(cat "$nd.pid")" >"$nd.c0"
		else
			echo 0 >"$nd.c0"
		fi
	done
	pg0=$(pg_cpu)
	m0=$(machine)
	wpids=""
	k=0
	for nd in $nodes; do
		c=$(($4 / n + (k < $4 % n ? 1 : 0)))
		th=1
		[ "$n" -gt 1 ] || [ "$c" -lt 2 ] || th=2
		if [ "$kind" = issue ]; then
			url="https://127.0.0.1:$(cat "$nd.apiport")/api/v1/applications/$app/certificates"
			BENCH_BODY=issue.json BENCH_CTYPE=application/json \
			    BENCH_AUTH="Bearer $token" wrk -t$th -c"$c" \
			    -d"$3s" --timeout 10s -s "$lua" "$url" \
			    >"wrk-$kind-$n-$nd.out" 2>&1 &
		else
			url="http://127.0.0.1:$(cat "$nd.port")/ocsp"
			BENCH_BODY=req.der BENCH_CTYPE=application/ocsp-request \
			    BENCH_AUTH="" wrk -t$th -c"$c" -d"$3s" \
			    --timeout 10s -s "$lua" "$url" \
			    >"wrk-$kind-$n-$nd.out" 2>&1 &
		fi
		wpids="$wpids $!"
		k=$((k + 1))
	done
	for p in $wpids; do
		wait "$p" || die "wrk ($kind, $n nodes) failed: $(cat wrk-*.out)"
	done
	m1=$(machine)
	pg1=$(pg_cpu)
	cpus=""
	for nd in a b c; do
		if [ -s "$nd.pid" ]; then
			kill -0 "$(cat "$nd.pid")" 2>/dev/null ||
				die "node $nd died: $(cat "$nd.err")"
			cpus="$cpus $(awk -v a="$(cat "$nd.c0")" \
			    -v b="$(cpu_s "$(cat "$nd.pid")")" \
			    'BEGIN { print b - a }')"
		else
			cpus="$cpus 0"
		fi
	done
	st=$(for nd in $nodes; do
		grep '^STATUS' "wrk-$kind-$n-$nd.out" ||
			die "wrk $kind $n $nd: no STATUS: $(cat "wrk-$kind-$n-$nd.out")"
	done | awk '{ ok += $2; bad += $3; if ($4) fb = $4; se += $5
		rate += $2 / $6; if ($7 > p) p = $7 }
		END { printf "%d %d %d %d %.1f %.3f", ok, bad, fb + 0, se,
		    rate, p }')
	# shellcheck disable=SC2086
	echo "$tag $n $st$cpus $(awk -v a="$pg0" -v b="$pg1" \
	    'BEGIN { print b - a }') $(echo $m1 $m0 |
	    awk '{ print $1 - $3, $2 - $4 }')" >>res
}
: >res
: >stored

# -- 1, 2, 3 nodes ----------------------------------------------------
for n in 1 2 3; do
	x=$(echo a b c | cut -d' ' -f"$n")
	start_node "$x"
	if [ "$n" = 1 ]; then
		serial=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["serial"])' a.first.json)
		openssl ocsp -issuer issuing.pem -serial "0x$serial" -no_nonce \
		    -reqout req.der 2>/dev/null
		curl -sS -o ocsp1.der -H 'Content-Type: application/ocsp-request' \
		    --data-binary @req.der "http://127.0.0.1:$(cat a.port)/ocsp"
		openssl ocsp -respin ocsp1.der -issuer issuing.pem \
		    -serial "0x$serial" -CAfile chain.pem >chk.out 2>&1 || true
		{ grep -q "Response verify OK" chk.out &&
		    grep -q ": good" chk.out; } ||
			die "node a's OCSP answer is not a verified 'good': $(cat chk.out)"
		say "warm-up: 2 s of issuance on node a"
		load issue 1 2 "$iconns" warm
	fi
	say "$n node(s): issuance, wrk ${secs}s, $iconns connections in all"
	s0=$(stored)
	load issue "$n" "$secs" "$iconns"
	s1=$(stored)
	echo "$n $((s1 - s0))" >>stored
	say "$n node(s): OCSP, wrk ${secs}s, $oconns connections in all"
	load ocsp "$n" 1 "$oconns" warm	# every node caches its answer
	load ocsp "$n" "$secs" "$oconns"
done

# -- propagation ------------------------------------------------------
say "propagation: $propn revocations through node a, OCSP of a, b, c"
python3 "$root/bench/cluster_prop.py" revoke \
    --api "https://127.0.0.1:$(cat a.apiport)" --token "$token" \
    --app "$app" --csr leaf.csr --issuer issuing.pem --chain chain.pem \
    --ocsp "A=http://127.0.0.1:$(cat a.port)" \
    --ocsp "B=http://127.0.0.1:$(cat b.port)" \
    --ocsp "C=http://127.0.0.1:$(cat c.port)" -n "$propn" --work "$work" \
    >prop.out 2>prop.err || die "revocation propagation: $(cat prop.out prop.err)"

sink=$(free_port)
"$certa" --dir "$work/b" gate --listen 127.0.0.1:0 \
    --upstream "tcp://127.0.0.1:$sink" --mode trusted_list \
    --port-file gate.port --access-log off >gate.out 2>gate.err &
gate_pid=$!
pids="$pids $gate_pid"
i=0
while [ ! -s gate.port ]; do
	kill -0 $gate_pid 2>/dev/null || die "certa gate died: $(cat gate.err)"
	i=$((i + 1))
	[ $i -lt 400 ] || die "certa gate did not start: $(cat gate.err)"
	sleep 0.05
done
say "propagation: $propn trust changes through node a, certa gate on b"
python3 "$root/bench/cluster_prop.py" trust \
    --api "https://127.0.0.1:$(cat a.apiport)" --token "$token" \
    --gate "$(awk '{ print $1; exit }' gate.port)" --sink "$sink" -n "$propn" \
    --work "$work" >>prop.out 2>>prop.err ||
	die "trust propagation: $(cat prop.out prop.err)"

for x in a b c; do
	kill -0 "$(cat "$x.pid")" 2>/dev/null || die "node $x died: $(cat "$x.err")"
done
kill -0 $gate_pid 2>/dev/null || die "certa gate died: $(cat gate.err)"
crash=$(grep -l -E "AddressSanitizer|runtime error|Segmentation" \
    a.err b.err c.err gate.err 2>/dev/null || true)
[ -z "$crash" ] || die "crash reported in $crash"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# -- report -----------------------------------------------------------
# Anything the nodes and the gate said beyond their start lines.
for f in a.err b.err c.err gate.err; do
	grep -v -E "^certa (serve|gate): (node .* now runs|public listener|API on|ingress )" \
	    "$f" | sed "s/^/$f: /" | head -n 5
done >noise
python3 - "$load_before" "$load_after" "$(nproc)" "$secs" "$iconns" \
    "$oconns" "$propn" "$(getconf CLK_TCK)" <<'PY'
import json, sys
lb, la, cores, secs, ic, oc, pn, hz = sys.argv[1:9]
hz = float(hz)
rows = {}
for line in open("res"):
    f = line.split()
    rows[(f[0], int(f[1]))] = dict(
        ok=int(f[2]), bad=int(f[3]), first_bad=int(f[4]), sockerr=int(f[5]),
        rate=float(f[6]), p50=float(f[7]), cpu=[float(x) for x in f[8:11]],
        pg=float(f[11]), busy=float(f[12]), total=float(f[13]))
stored = {int(a): int(b) for a, b in (l.split() for l in open("stored"))}
print("load average %s before, %s after; %s cores; %s s per point"
      % (lb, la, cores, secs))
print()
print("Issuance, POST /api/v1/applications/{app}/certificates, %s "
      "connections in all, one wrk per node" % ic)
print("%5s %8s %6s %8s %6s %6s %6s %6s %6s %7s %7s %6s %8s %8s"
      % ("nodes", "certs/s", "ratio", "p50", "cpu-a", "cpu-b", "cpu-c",
         "cpu-pg", "other", "us/cert", "us/cert", "busy", "2xx", "stored"))
print("%5s %8s %6s %8s %6s %6s %6s %6s %6s %7s %7s %6s %8s %8s"
      % ("", "", "", "", "s", "s", "s", "s", "s", "certa", "pg", "", "", ""))
problems = []
out = {"bench": "cluster", "cores": int(cores), "seconds": int(secs),
       "issue": [], "ocsp": [], "propagation": {}}
base = None
for n in (1, 2, 3):
    r = rows[("issue", n)]
    base = base or r["rate"]
    cc = sum(r["cpu"])
    uc = 1e6 * cc / r["ok"] if r["ok"] else 0
    up = 1e6 * r["pg"] / r["ok"] if r["ok"] else 0
    busy = 100 * r["busy"] / r["total"] if r["total"] else 0
    other = r["busy"] / hz - cc - r["pg"]
    print("%5d %8.0f %5.2fx %6.1fms %6.2f %6.2f %6.2f %6.2f %6.2f %7.0f"
          " %7.0f %5.0f%% %8d %8d" % (n, r["rate"], r["rate"] / base,
                                     r["p50"], r["cpu"][0], r["cpu"][1],
                                     r["cpu"][2], r["pg"], other, uc, up,
                                     busy, r["ok"], stored[n]))
    if r["bad"] or r["sockerr"]:
        problems.append("issuance, %d nodes: %d non-2xx (first %d), %d "
                        "socket errors" % (n, r["bad"], r["first_bad"],
                                           r["sockerr"]))
    if not 0 <= stored[n] - r["ok"] <= int(ic):
        problems.append("issuance, %d nodes: %d stored for %d 2xx"
                        % (n, stored[n], r["ok"]))
    out["issue"].append({"nodes": n, "certs_per_s": round(r["rate"]),
        "ratio": round(r["rate"] / base, 2), "certa_cpu_s": r["cpu"],
        "pg_cpu_s": round(r["pg"], 2), "other_cpu_s": round(other, 2),
        "certa_cpu_us_per_cert": round(uc),
        "pg_cpu_us_per_cert": round(up), "machine_busy_pct": round(busy),
        "ok": r["ok"], "stored": stored[n], "non2xx": r["bad"]})
print("(cpu-x: CPU seconds of node x in the run; other: the rest of the"
      " machine's busy CPU seconds (wrk, kernel, anything else running); busy: the whole"
      " machine, all cores; stored: certificates added, may exceed 2xx by"
      " the requests in flight when wrk stopped)")
print()
print("OCSP, POST /ocsp keep-alive, %s connections in all, one wrk per "
      "node" % oc)
print("%5s %9s %6s %8s %12s %6s" % ("nodes", "req/s", "ratio", "p50",
                                    "us-cpu/req", "busy"))
base = None
for n in (1, 2, 3):
    r = rows[("ocsp", n)]
    base = base or r["rate"]
    u = 1e6 * sum(r["cpu"]) / r["ok"] if r["ok"] else 0
    busy = 100 * r["busy"] / r["total"] if r["total"] else 0
    print("%5d %9.0f %5.2fx %6.2fms %12.1f %5.0f%%"
          % (n, r["rate"], r["rate"] / base, r["p50"], u, busy))
    if r["bad"] or r["sockerr"]:
        problems.append("OCSP, %d nodes: %d non-2xx (first %d), %d socket "
                        "errors" % (n, r["bad"], r["first_bad"], r["sockerr"]))
    out["ocsp"].append({"nodes": n, "req_per_s": round(r["rate"]),
        "ratio": round(r["rate"] / base, 2),
        "certa_cpu_us_per_req": round(u, 1), "machine_busy_pct": round(busy)})
print()
print("Propagation of a change made through node A's API (%s changes each;"
      " from A's 200 answer; the API call itself in the last column)" % pn)
print("%-30s %8s %8s %8s %8s %9s" % ("", "p50 ms", "p90 ms", "p99 ms",
                                     "max ms", "API ms"))
what = {("revoke", "A"): "revoke -> OCSP 'revoked', A",
        ("revoke", "B"): "revoke -> OCSP 'revoked', B",
        ("revoke", "C"): "revoke -> OCSP 'revoked', C",
        ("trust", "gate"): "trust -> gate on B accepts"}
for line in open("prop.out"):
    f = line.split()
    if f and f[0] == "PROP":
        k = (f[1], f[2])
        v = [float(x) for x in f[4:9]]
        print("%-30s %8.1f %8.1f %8.1f %8.1f %9.1f"
              % ((what.get(k, " ".join(k)),) + tuple(v)))
        out["propagation"]["%s_%s" % k] = dict(zip(
            ("p50_ms", "p90_ms", "p99_ms", "max_ms", "api_p50_ms"), v))
    elif f and f[0] == "PROBLEM":
        problems.append(line[8:].strip())
print()
noise = open("noise").read().strip()
if noise:
    print("node/gate stderr beyond the start lines (first 5 each):")
    print(noise)
for p in problems:
    print("CHECK FAILED: " + p)
out["checks_ok"] = not problems
print(json.dumps(out))
sys.exit(1 if problems else 0)
PY
