#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# OCSP responder throughput: `certa serve` POST /ocsp against
#   - nginx serving certa's own pre-signed response as a static file (the
#     ceiling: no parsing, no lookup, no signing), and
#   - `openssl ocsp -port` answering for the same CA and certificates
#     (index.txt built from `certa cert list --json`, a delegated responder
#     certificate signed by the same CA key),
# all measured in the same run on this machine.  Also checks that a
# revocation made by another process (`certa cert revoke`) is seen by
# `openssl ocsp` against the running daemon within 1 s, under load.
#
# usage: bench/ocsp.sh [path/to/certa]      (default build/certa)
# environment (defaults in brackets):
#   OCSP_BENCH_SECONDS [10]   length of each measurement
#   OCSP_BENCH_THREADS [2]    wrk threads
#   OCSP_BENCH_CONNS   [64]   wrk connections (keep-alive)
#   OCSP_BENCH_AB_CONC [8]    ab concurrency (connection per request)
#   OCSP_BENCH_NGINX_WORKERS [1]  nginx worker processes
#   OCSP_BENCH_CERTA_ENV [empty]  VAR=VALUE ... set for `certa serve` only
#                             (e.g. EVENT_EPOLL_USE_CHANGELIST=1, a libevent
#                             switch, to try its effect without rebuilding)
#
# Load generators and why:
#   wrk -t2 -c64 (keep-alive, HTTP/1.1, POST of one RFC 5019 request: no
#   nonce, SHA-1 CertID) for certa and nginx.  Two threads because the
#   machine this was written on has two cores: wrk, the server and the
#   kernel share them, so absolute figures are lower than on a real server;
#   the ratios are what matters.  64 connections keep the server busy
#   without queueing much in wrk.
#   nginx runs one worker by default, like certa's single event loop.
#   `openssl ocsp -port` (OpenSSL 3.0) cannot be driven by wrk: wrk opens
#   and closes a probe connection before the run, and the 3.0 responder
#   then spins forever reading EOF on that socket, never accepting the
#   next one.  It is single-threaded and answers HTTP/1.0 with the
#   connection closed, so it is measured "as it is" with ApacheBench (ab:
#   a new connection per request, no keep-alive), and certa is measured
#   the same way with ab for the like-for-like ratio.  ab counts responses
#   whose length differs from the first as "failed (Length)": openssl signs
#   every answer afresh and ECDSA signatures vary by a byte or two, so
#   those are reported but are not errors.
#
# Prints one line per target, the ratios, the revocation delay and one
# JSON line.  Not part of CI; builds nothing.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
certa=${1:-$root/build/certa}
secs=${OCSP_BENCH_SECONDS:-10}
threads=${OCSP_BENCH_THREADS:-2}
conns=${OCSP_BENCH_CONNS:-64}
abc=${OCSP_BENCH_AB_CONC:-8}
ngw=${OCSP_BENCH_NGINX_WORKERS:-1}


BENCH=ocsp.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

case $certa in /*) ;; *) certa=$(pwd)/$certa ;; esac
[ -x "$certa" ] || die "$certa missing: build first (cmake --build build)"

# -- dependencies (quiet when present, like scripts/deps.sh) ----------
missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v ab >/dev/null 2>&1 || missing="$missing apache2-utils"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	missing="$missing nginx-light"
for t in openssl curl python3; do
	command -v $t >/dev/null 2>&1 || die "$t missing (scripts/deps.sh)"
done
# shellcheck disable=SC2086
bench_install $missing
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)

# -- work dir, processes, cleanup -------------------------------------
bench_workdir ocsp

# CPU seconds (user + system) used so far by process PID.
C() {
	"$certa" --dir "$work/data" "$@"
}

# -- CA made with openssl, imported into certa ------------------------
say "work dir $work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -subj "/CN=certa bench OCSP CA" -days 30 \
    -addext "subjectKeyIdentifier=hash" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
env -u CERTA_PASSPHRASE -u CERTA_PASSPHRASE_FILE -u CERTA_DIR \
    "$certa" --dir "$work/data" init --import-ca ca.pem ca.key >/dev/null
unset CERTA_PASSPHRASE CERTA_PASSPHRASE_FILE CERTA_DIR
C org create bench >/dev/null
C app create --org bench app >/dev/null
for i in 1 2 3 4; do
	C csr --key ec:P-256 --subject "CN=bench leaf $i" --out-key l$i.key \
	    --out-csr l$i.csr >/dev/null 2>&1
	C cert issue --app bench/app --type transport --csr l$i.csr \
	    --out l$i.pem >/dev/null
done
serial() {
	openssl x509 -in "$1" -noout -serial | cut -d= -f2
}
C cert revoke "$(serial l3.pem)" --reason keyCompromise >/dev/null

# openssl-ca style index.txt for the same certificates.
C cert list --json | python3 -c '
import datetime, json, sys
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").strftime(
        "%y%m%d%H%M%SZ")
for c in json.load(sys.stdin):
    s = c["serial"].upper()
    s = "0" + s if len(s) % 2 else s
    st, rv = "V", ""
    if c["status"] == "revoked":
        st, rv = "R", t(c["revoked_at"]) + "," + c["revocation_reason"]
    print("\t".join([st, t(c["not_after"]), rv, s, "unknown",
                     "/" + c["subject"].replace(",", "/")]))' >index.txt
[ "$(wc -l <index.txt)" -eq 4 ] || die "index.txt: expected 4 certificates"
# Delegated responder for openssl ocsp, shaped like certa's own.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout rsp.key -subj "/CN=openssl OCSP Responder" -out rsp.csr \
    2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=OCSPSigning" \
    "noCheck=ignored" >rsp.ext
openssl x509 -req -in rsp.csr -CA ca.pem -CAkey ca.key -days 2 \
    -extfile rsp.ext -out rsp.pem 2>/dev/null

# -- certa serve ------------------------------------------------------
# shellcheck disable=SC2086
env ${OCSP_BENCH_CERTA_ENV:-} "$certa" --dir "$work/data" serve \
    --public 127.0.0.1:0 --api off --port-file port --access-log off \
    >serve.out 2>serve.err &
certa_pid=$!
pids="$pids $certa_pid"
i=0
while [ ! -s port ]; do
	kill -0 $certa_pid 2>/dev/null || die "certa serve died: $(cat serve.err)"
	i=$((i + 1))
	[ $i -lt 200 ] || die "certa serve did not start"
	sleep 0.05
done
cport=$(cat port)
curl_ocsp() {	# URL OUT: POST req.der
	curl -sS -o "$2" -w '%{http_code}' -H \
	    'Content-Type: application/ocsp-request' --data-binary @req.der "$1"
}
check_resp() {	# FILE LEAF STATUS WHO
	openssl ocsp -respin "$1" -issuer ca.pem -cert "$2" -CAfile ca.pem \
	    >chk.out 2>&1 || true
	{ grep -q "Response verify OK" chk.out &&
	    grep -q "^$2: $3" chk.out; } ||
		die "$4 answer for $2 is not a verified '$3': $(cat chk.out)"
}

openssl ocsp -issuer ca.pem -cert l1.pem -no_nonce -reqout req.der \
    2>/dev/null
[ "$(curl_ocsp "http://127.0.0.1:$cport/ocsp" certa.der)" = 200 ] ||
	die "certa POST /ocsp did not answer 200"
check_resp certa.der l1.pem good certa
# And the revoked one, through openssl ocsp's own HTTP client.
openssl ocsp -issuer ca.pem -cert l3.pem -no_nonce -CAfile ca.pem \
    -url "http://127.0.0.1:$cport/ocsp" >chk.out 2>&1 || true
{ grep -q "^l3.pem: revoked" chk.out &&
    grep -q "Response verify OK" chk.out; } ||
	die "certa does not answer 'revoked' for l3: $(cat chk.out)"
# The benchmarked answer is pre-signed: the second one is byte-identical.
curl_ocsp "http://127.0.0.1:$cport/ocsp" certa2.der >/dev/null
cmp -s certa.der certa2.der || say "note: certa's two answers differ"

# -- nginx with certa's bytes ----------------------------------------
nport=$(free_port)
mkdir -p ngx/tmp
cp certa.der ngx/resp.der
chmod 755 ngx
chmod 644 ngx/resp.der
nuser=""
[ "$(id -u)" -ne 0 ] || nuser="user root;"	# the work dir is 0700
cat >ngx/nginx.conf <<EOF
$nuser
worker_processes $ngw;
daemon off;
master_process on;
pid $work/ngx/nginx.pid;
error_log $work/ngx/error.log crit;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/ngx/tmp/b;
	proxy_temp_path $work/ngx/tmp/p;
	fastcgi_temp_path $work/ngx/tmp/f;
	uwsgi_temp_path $work/ngx/tmp/u;
	scgi_temp_path $work/ngx/tmp/s;
	keepalive_requests 100000000;
	open_file_cache max=16 inactive=60s;
	server {
		listen 127.0.0.1:$nport;
		# Static files refuse POST with 405; error_page turns that into
		# an internal GET of the same file, answered 200.
		location = /ocsp {
			default_type application/ocsp-response;
			alias $work/ngx/resp.der;
			error_page 405 =200 \$uri;
		}
	}
}
EOF
"$NGINX" -p "$work/ngx" -c "$work/ngx/nginx.conf" 2>ngx/start.err &
ngx_pid=$!
pids="$pids $ngx_pid"
wait_port "$nport"
[ "$(curl_ocsp "http://127.0.0.1:$nport/ocsp" nginx.der)" = 200 ] ||
	die "nginx POST /ocsp did not answer 200: $(cat ngx/error.log)"
cmp -s nginx.der certa.der || die "nginx does not serve certa's bytes"

# -- openssl ocsp -port ----------------------------------------------
oport=$(free_port)
openssl ocsp -port "$oport" -index index.txt -CA ca.pem -rsigner rsp.pem \
    -rkey rsp.key -nmin 60 >openssl.out 2>openssl.err &
ossl_pid=$!
pids="$pids $ossl_pid"
# No probe connection here (it would hang the 3.0 responder): retry curl.
i=0
until [ "$(curl_ocsp "http://127.0.0.1:$oport/ocsp" openssl.der \
    2>/dev/null)" = 200 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "openssl ocsp did not answer: $(cat openssl.err)"
	sleep 0.05
done
check_resp openssl.der l1.pem good "openssl ocsp"

# -- load -------------------------------------------------------------
cat >post.lua <<'EOF'
-- POST the DER OCSP request in req.der; print a machine-readable summary.
local f = assert(io.open("req.der", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/ocsp-request"
done = function(s, lat, req)
	io.write(string.format("WRK %d %.6f %d %d %d %d %d %d %d\n",
	    s.requests, s.duration / 1e6, lat:percentile(50),
	    lat:percentile(99), s.errors.connect, s.errors.read,
	    s.errors.write, s.errors.status, s.errors.timeout))
end
EOF

# run_wrk NAME URL PID SECONDS: NAME.wrk holds
# "rps p50_us p99_us errors cpu_s"
run_wrk() {
	c0=$(cpu_s "$3")
	wrk -t"$threads" -c"$conns" -d"$4"s -s post.lua "$2" >"$1.wrkout" 2>&1 ||
		die "wrk against $1 failed: $(cat "$1.wrkout")"
	c1=$(cpu_s "$3")
	awk -v c0="$c0" -v c1="$c1" '/^WRK / {
		printf "%.0f %d %d %d %.2f\n", $2 / $3, $4, $5,
		    $6 + $7 + $8 + $9 + $10, c1 - c0 }' "$1.wrkout" >"$1.wrk"
	[ -s "$1.wrk" ] || die "no wrk summary for $1: $(cat "$1.wrkout")"
}
# run_ab NAME URL PID: NAME.ab holds
# "rps p50_ms p99_ms failed_non_length length_diffs non2xx cpu_s"
run_ab() {
	c0=$(cpu_s "$3")
	ab -q -t "$secs" -n $((secs * 100000)) -c "$abc" -p req.der \
	    -T application/ocsp-request "$2" >"$1.about" 2>&1 ||
		die "ab against $1 failed: $(cat "$1.about")"
	c1=$(cpu_s "$3")
	awk -v c0="$c0" -v c1="$c1" '
	/^Requests per second:/ { rps = $4 }
	/^Failed requests:/ { failed = $3 }
	/\(Connect: .*Length: / {
		gsub(/[(),]/, ""); len = $6
	}
	/^Non-2xx responses:/ { non2xx = $3 }
	$1 == "50%" { p50 = $2 }
	$1 == "99%" { p99 = $2 }
	END {
		printf "%.0f %d %d %d %d %d %.2f\n", rps, p50, p99,
		    failed - len, len, non2xx, c1 - c0
	}' "$1.about" >"$1.ab"
}

ngx_worker=$(pgrep -P "$ngx_pid" | head -n 1)
[ -n "$ngx_worker" ] || ngx_worker=$ngx_pid
loadavg=$(cut -d' ' -f1 /proc/loadavg)
say "wrk -t$threads -c$conns -d${secs}s keep-alive POST: certa, nginx static"
run_wrk warm "http://127.0.0.1:$cport/ocsp" "$certa_pid" 1
run_wrk certa "http://127.0.0.1:$cport/ocsp" "$certa_pid" "$secs"
run_wrk warm "http://127.0.0.1:$nport/ocsp" "$ngx_worker" 1
run_wrk nginx "http://127.0.0.1:$nport/ocsp" "$ngx_worker" "$secs"
say "ab -c$abc -t$secs (a connection per request): certa, openssl ocsp"
run_ab certa "http://127.0.0.1:$cport/ocsp" "$certa_pid"
run_ab openssl "http://127.0.0.1:$oport/ocsp" "$ossl_pid"

# -- revocation under load --------------------------------------------
say "revocation of leaf 2 by another process, under wrk load on certa"
for _ in 1 2; do	# let certa pre-sign (cache) the 'good' answer first
	openssl ocsp -issuer ca.pem -cert l2.pem -no_nonce -CAfile ca.pem \
	    -url "http://127.0.0.1:$cport/ocsp" >chk.out 2>&1 || true
	grep -q "^l2.pem: good" chk.out || die "l2 not good: $(cat chk.out)"
done
rsecs=$((secs < 6 ? 6 : secs))
( run_wrk underload "http://127.0.0.1:$cport/ocsp" "$certa_pid" "$rsecs" ) &
wrk_bg=$!
sleep 1
s2=$(serial l2.pem)
t0=$(now)
C cert revoke "$s2" --reason keyCompromise >/dev/null
t1=$(now)
seen=""
while :; do
	openssl ocsp -issuer ca.pem -cert l2.pem -no_nonce -CAfile ca.pem \
	    -url "http://127.0.0.1:$cport/ocsp" >chk.out 2>&1 || true
	if grep -q "^l2.pem: revoked" chk.out; then
		seen=$(now)
		grep -q "Response verify OK" chk.out ||
			die "revoked answer does not verify: $(cat chk.out)"
		break
	fi
	awk -v a="$t0" -v b="$(now)" 'BEGIN { exit !(b - a > 5) }' && break
	sleep 0.02
done
wait $wrk_bg || die "wrk under revocation failed"
kill -0 "$certa_pid" 2>/dev/null || die "certa serve died: $(cat serve.err)"
grep -E "AddressSanitizer|runtime error|Segmentation" serve.err &&
	die "certa serve reported a crash"

# -- report ----------------------------------------------------------
# shellcheck disable=SC2046
set -- $(cat certa.wrk) $(cat nginx.wrk) $(cat certa.ab) $(cat openssl.ab) \
    $(cat underload.wrk)
python3 - "$@" "$t0" "$t1" "${seen:-}" "$secs" "$threads" "$conns" "$abc" \
    "$ngw" "$(nproc)" "$loadavg" "${OCSP_BENCH_CERTA_ENV:-}" <<'PY'
import json, sys
a = sys.argv[1:]
cw = dict(zip(("rps", "p50", "p99", "err", "cpu"), map(float, a[0:5])))
nw = dict(zip(("rps", "p50", "p99", "err", "cpu"), map(float, a[5:10])))
ca = dict(zip(("rps", "p50", "p99", "fail", "lendiff", "non2xx", "cpu"),
              map(float, a[10:17])))
oa = dict(zip(("rps", "p50", "p99", "fail", "lendiff", "non2xx", "cpu"),
              map(float, a[17:24])))
uw = dict(zip(("rps", "p50", "p99", "err", "cpu"), map(float, a[24:29])))
t0, t1, seen = float(a[29]), float(a[30]), a[31]
secs, thr, conns, abc, ngw, cores = map(int, a[32:38])
load = float(a[38])
delay = float(seen) - t0 if seen else None

def ms(us):
    return "%.2f ms" % (us / 1000.0)

def cpu(d):
    return "%3.0f%% CPU, %5.1f us CPU/req" % (
        100 * d["cpu"] / secs, 1e6 * d["cpu"] / max(d["rps"] * secs, 1))

print("OCSP POST, one RFC 5019 request (no nonce), %d cores, load %.2f "
      "before; %ds each" % (cores, load, secs))
print("wrk -t%d -c%d keep-alive:" % (thr, conns))
print("  certa serve /ocsp      %8.0f req/s  p50 %-9s p99 %-9s errors %d  "
      "(%s)" % (cw["rps"], ms(cw["p50"]), ms(cw["p99"]), cw["err"], cpu(cw)))
print("  nginx static (%d wkr)   %8.0f req/s  p50 %-9s p99 %-9s errors %d  "
      "(%s)" % (ngw, nw["rps"], ms(nw["p50"]), ms(nw["p99"]), nw["err"],
                cpu(nw)))
print("ab -c%d, a connection per request (openssl ocsp -port is "
      "single-threaded, HTTP/1.0, closes every connection):" % abc)
print("  certa serve /ocsp      %8.0f req/s  p50 %d ms  p99 %d ms  "
      "failed %d non-2xx %d  (%s)" % (ca["rps"], ca["p50"], ca["p99"],
                                      ca["fail"], ca["non2xx"], cpu(ca)))
print("  openssl ocsp -port     %8.0f req/s  p50 %d ms  p99 %d ms  "
      "failed %d non-2xx %d (+%d length-only: fresh signatures)  (%s)" % (
          oa["rps"], oa["p50"], oa["p99"], oa["fail"], oa["non2xx"],
          oa["lendiff"], cpu(oa)))
r_ngx = cw["rps"] / nw["rps"]
r_ossl = ca["rps"] / oa["rps"]
print("ratio certa / nginx-static (wrk):  %.2fx   goal >= 0.70x: %s" % (
    r_ngx, "MET" if r_ngx >= 0.7 else "NOT MET"))
print("ratio certa / openssl-ocsp (ab):   %.2fx" % r_ossl)
cpr = lambda d: d["cpu"] / max(d["rps"] * secs, 1)
r_cpu = cpr(nw) / cpr(cw)
print("CPU per request, nginx-static / certa (wrk): %.2fx  (holds on a busy "
      "machine; throughput ratios need an idle one)" % r_cpu)
if delay is None:
    print("revocation: NOT seen by openssl ocsp within 5 s (goal 1 s)")
else:
    print("revocation: seen %.3f s after `certa cert revoke` started (CLI "
          "took %.3f s), under %.0f req/s wrk load; goal < 1 s: %s" % (
              delay, t1 - t0, uw["rps"], "MET" if delay < 1 else "NOT MET"))
print(json.dumps({
    "bench": "ocsp", "cores": cores, "load_before": load, "seconds": secs,
    "wrk": {"threads": thr, "conns": conns}, "ab_conc": abc,
    "nginx_workers": ngw,
    "certa_wrk_rps": round(cw["rps"]), "certa_wrk_p50_ms": cw["p50"] / 1e3,
    "certa_wrk_p99_ms": cw["p99"] / 1e3, "certa_wrk_errors": int(cw["err"]),
    "certa_wrk_cpu_us_per_req": round(1e6 * cw["cpu"] / (cw["rps"] * secs), 1),
    "nginx_wrk_rps": round(nw["rps"]), "nginx_wrk_p50_ms": nw["p50"] / 1e3,
    "nginx_wrk_p99_ms": nw["p99"] / 1e3, "nginx_wrk_errors": int(nw["err"]),
    "nginx_wrk_cpu_us_per_req": round(1e6 * nw["cpu"] / (nw["rps"] * secs), 1),
    "certa_ab_rps": round(ca["rps"]), "openssl_ab_rps": round(oa["rps"]),
    "ratio_vs_nginx_static": round(r_ngx, 2),
    "ratio_vs_openssl_ocsp": round(r_ossl, 2),
    "cpu_ratio_vs_nginx_static": round(r_cpu, 2),
    "certa_env": sys.argv[-1],
    "revocation_seen_s": None if delay is None else round(delay, 3),
    "certa_under_revocation_rps": round(uw["rps"]),
    "goal": "certa >= 0.7x nginx static; revocation seen < 1 s"}))
PY
