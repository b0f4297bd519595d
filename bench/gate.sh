#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# certa gate (ingress) benchmark, one run on the same certificates (ECDSA
# P-256 everywhere: certa's two-tier CA, the client certificate, the
# server certificate that nginx and the gate both present):
#
#  new connections per second with a client certificate, one HTTP request
#  each, TLS 1.3 and TLS 1.2:
#   (a) nginx, ssl_verify_client on, no CRL            (the reference)
#   (b) nginx, the same plus ssl_crl: certa's issuing-CA CRL of 100,000
#       revoked serials (and the root's empty CRL: nginx sets
#       X509_V_FLAG_CRL_CHECK_ALL, so every CA of the chain needs one)
#   (c) certa gate --mode certa_ca, a store of 10 revoked serials and 10
#       trusted-list entries
#   (d) certa gate --mode certa_ca, 100,000 revoked serials (certa's own
#       revocations, i.e. what `certa crl` lists for (b)) and 100,000
#       trusted-list entries (bench/trust_fixture anchors imported with
#       `certa trust import --list trusted`).  certa_ca ignores the
#       trusted list for the decision, but the entries are loaded into the
#       trust snapshot each handshake reads, which is the point.
#   (c) and (d) are copies of one data directory (same CA, same client
#   certificate); the CRL of (b) is `certa crl` of (d)'s directory.
#   Also (f) below with new connections: nginx verifying and forwarding
#   each GET to the upstream as the gates do, where (a) answers itself;
#   the ratio to (f) is printed for information, the goals are the
#   issue's (against (a) and (b)).
#
#  keep-alive request rate through a proxy to one upstream (a second nginx
#  answering `return 200 "ok"` on plain HTTP, one worker), TLS 1.3:
#   (e) certa gate --upstream http://... (store of (d))
#   (f) nginx ssl_verify_client on + proxy_pass (HTTP/1.1, upstream
#       keepalive pool, X-Forwarded-For/-Proto and an XFCC-like header,
#       as the gate adds)
#   plus nginx answering itself (no upstream) as the ceiling of the client.
#
# Checked before measuring: every target answers 200 to a handshake with
# the client certificate, refuses one without (the gate: handshake alert;
# nginx: 400), and (b) and (d) refuse a revoked certificate.
#
# Load generators and why:
#   new connections: `openssl s_time -new -cert -key -www / -tlsX` (a full
#   handshake with the client certificate per connection, a GET, read to
#   close; no session reuse: -new), GATE_BENCH_STIME_PROCS processes in
#   parallel (default 2, one per core), connections summed and divided by
#   the wall time measured here (s_time's own "real seconds" is whole
#   seconds).  ab and wrk cannot present a client certificate.
#   keep-alive: bench/gate_load (built with the bench tools, else compiled
#   here with cc): HTTP/1.1 GETs over TLS with the client certificate, one
#   thread per connection, one request in flight each; wrk/h2load have no
#   client-certificate option and Python asyncio+ssl tops out near the
#   rates measured.  Its CPU use and the nginx-direct ceiling are printed
#   so that a client-bound result is visible.
#   nginx runs GATE_BENCH_NGINX_WORKERS workers (default 1, like the gate's
#   single event loop), session tickets and cache off (the gate allows no
#   resumption either; s_time -new does not resume anyway).
#
# usage: bench/gate.sh [path/to/certa]     (default build/certa)
# environment (defaults in brackets):
#   GATE_BENCH_SECONDS [4]        length of each measurement
#   GATE_BENCH_ROUNDS [3]         rounds: every target is measured once a
#                                 round, in an order rotated each round,
#                                 and the median of its rounds is reported
#                                 (this 2-core VM drifts by 10-20% over a
#                                 minute: one run each, in a fixed order,
#                                 compared targets measured at different
#                                 moments)
#   GATE_BENCH_STIME_PROCS [2]    parallel s_time processes
#   GATE_BENCH_CONNS [32]         keep-alive connections
#   GATE_BENCH_NGINX_WORKERS [1]  front nginx workers
#   GATE_BENCH_ENTRIES [100000]   revoked serials and trusted entries of (d)
#   GATE_BENCH_PERF [empty]       a directory: perf record -g the gate
#                                 during (d) TLS 1.3 and (e) into it
# Prints a table, the goals (MET / NOT MET) and one JSON line.  Not part
# of CI; builds nothing (except gate_load with cc when it is not built).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
certa=${1:-$root/build/certa}
secs=${GATE_BENCH_SECONDS:-4}
rounds=${GATE_BENCH_ROUNDS:-3}
procs=${GATE_BENCH_STIME_PROCS:-2}
conns=${GATE_BENCH_CONNS:-32}
ngw=${GATE_BENCH_NGINX_WORKERS:-1}
nent=${GATE_BENCH_ENTRIES:-100000}
perfdir=${GATE_BENCH_PERF:-}


BENCH=gate.sh
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

case $certa in /*) ;; *) certa=$(pwd)/$certa ;; esac
[ -x "$certa" ] || die "$certa missing: build first (cmake --build build)"
bindir=$(dirname "$certa")
[ -x "$bindir/trust_fixture" ] || die "$bindir/trust_fixture missing: build \
the bench tools (cmake --build $(basename "$bindir"))"
[ "$nent" -ge 20 ] || die "GATE_BENCH_ENTRIES must be >= 20"

# -- dependencies (quiet when present) ---------------------------------
missing=""
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] ||
	missing="$missing nginx-light"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
for t in openssl python3; do
	command -v $t >/dev/null 2>&1 || die "$t missing (scripts/deps.sh)"
done
if [ -n "$perfdir" ] && ! command -v perf >/dev/null 2>&1; then
	die "GATE_BENCH_PERF set but perf is missing (linux-perf)"
fi
# shellcheck disable=SC2086
bench_install $missing
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
ngxver=$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')

# -- work dir, processes, cleanup -------------------------------------
bench_workdir gate
say "work dir $work"

load=$(cut -d' ' -f1 /proc/loadavg)
cores=$(nproc)

# The keep-alive client.
gload=$bindir/gate_load
if [ ! -x "$gload" ]; then
	command -v cc >/dev/null 2>&1 || die "no $gload and no cc"
	cc -O2 -pthread -o gate_load "$root/bench/gate_load.c" -lssl \
	    -lcrypto || die "cannot compile bench/gate_load.c"
	gload=$work/gate_load
fi

# CPU seconds (user + system) used so far by the processes PID...
# The worker processes of an nginx master.
ngx_workers() {
	awk -v pp="$1" '{ l = $0; sub(/^.*\) /, "", l); split(l, f, " ");
	    if (f[2] == pp) print $1 }' /proc/[0-9]*/stat 2>/dev/null || true
}
C() {	# the 10-entry data directory
	"$certa" --dir "$work/small" "$@"
}
B() {	# the big one
	"$certa" --dir "$work/big" "$@"
}

# -- certa's CA, the client certificates ------------------------------
env -u CERTA_PASSPHRASE -u CERTA_PASSPHRASE_FILE -u CERTA_DIR \
    "$certa" --dir "$work/small" init >/dev/null 2>&1
unset CERTA_PASSPHRASE CERTA_PASSPHRASE_FILE CERTA_DIR
C org create bench >/dev/null
C app create --org bench app >/dev/null
for n in client revoked; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout $n.key -out $n.csr -subj "/CN=bench $n" 2>/dev/null
	C cert issue --app bench/app --type transport --csr $n.csr \
	    --out $n.pem >/dev/null
done
# root.pem, issuing.pem and the root key (decrypted, for its CRL).
python3 - "$work/small/certa.db" <<'PY'
import base64, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for name, der, key in db.execute("SELECT name, cert_der, key_pem FROM ca"):
    b = base64.encodebytes(bytes(der)).decode().replace("\n", "")
    with open(name + ".pem", "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\n")
        for i in range(0, len(b), 64):
            f.write(b[i:i + 64] + "\n")
        f.write("-----END CERTIFICATE-----\n")
    with open(name + ".key.enc", "w") as f:
        f.write(key)
PY
cat issuing.pem root.pem >chain.pem
openssl verify -CAfile root.pem -untrusted issuing.pem client.pem \
    >/dev/null || die "client certificate does not verify against the chain"
openssl pkey -in root.key.enc -passin "file:$work/small/passphrase" \
    -out root.key 2>/dev/null || die "cannot decrypt the root CA key"

# Server certificate (P-256) for nginx and the gate, from a throw-away CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout sca.key -out sca.pem -subj "/CN=bench server CA" -days 2 \
    -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout srv.key -out srv.csr -subj "/CN=localhost" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    "extendedKeyUsage=serverAuth" >srv.ext
openssl x509 -req -in srv.csr -CA sca.pem -CAkey sca.key -days 2 \
    -extfile srv.ext -out srv.pem 2>/dev/null
cat srv.pem sca.pem >srv-chain.pem

# -- the trust stores ---------------------------------------------------
# N revoked serials straight into certa's certificate table (the rows
# `certa cert revoke` leaves: status 1, revoked_at, reason), issuing CA.
add_revoked() {	# DB COUNT
	python3 - "$1" "$2" <<'PY'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
ca = db.execute("SELECT id FROM ca WHERE role = 'issuing'").fetchone()[0]
now = int(time.time())
def rows():
    for i in range(n):
        s = "4" + os.urandom(19).hex()[1:]      # 160 bits, positive
        yield (ca, s, "transport", "transport", "CN=revoked %d" % i,
               "ec:P-256", now - 86400, now + 365 * 86400, 1,
               now - 3600 - i % 86400, (1, 4, 5, 0)[i % 4], now - 86400)
db.executemany("INSERT INTO certificate (ca_id, serial, type, profile, "
               "subject, key_alg, not_before, not_after, status, "
               "revoked_at, reason, created_at) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows())
db.execute("UPDATE trust_generation SET generation = generation + 1")
db.commit()
PY
}
import_anchors() {	# DIR FILE: in files of 1000 (the 4 MiB import cap)
	rm -rf chunks
	mkdir chunks
	awk '/BEGIN CERTIFICATE/ { if (c % 1000 == 0)
		f = sprintf("chunks/a%06d.pem", c / 1000); c++ }
		{ print > f }' "$2"
	for f in chunks/*.pem; do
		"$certa" --dir "$1" trust import "$f" --list trusted \
		    >/dev/null || die "trust import $f failed"
	done
	rm -rf chunks
}
say "stores: 10 entries; $nent revoked serials + $nent trusted entries"
mkdir fx10 fxbig
"$bindir/trust_fixture" fx10 10 1 >/dev/null
add_revoked "$work/small/certa.db" 10
import_anchors "$work/small" fx10/anchors.pem
cp -a "$work/small" "$work/big"
t0=$(now)
"$bindir/trust_fixture" fxbig $((nent - 10)) 1 >/dev/null
add_revoked "$work/big/certa.db" $((nent - 11))	# + revoked.pem
import_anchors "$work/big" fxbig/anchors.pem
rm -rf fxbig fx10
B cert revoke "$(openssl x509 -in revoked.pem -noout -serial | cut -d= -f2)" \
    --reason keyCompromise >/dev/null
B crl --format pem --out issuing-crl.pem >/dev/null 2>&1
fill_s=$(echo "$t0 $(now)" | awk '{ printf "%.0f", $2 - $1 }')
ncrl=$(openssl crl -in issuing-crl.pem -noout -text | grep -c 'Serial Number')
count() {	# SQL: one number from the big store
	python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
	    "$work/big/certa.db" "$1"
}
nrev=$(count "SELECT count(*) FROM certificate WHERE status = 1")
ntru=$(count "SELECT count(*) FROM trust_entry WHERE list = 'trusted'")
say "big store: $nrev revoked, $ntru trusted; CRL $ncrl entries ($fill_s s)"
# The root's CRL (empty), with openssl ca.
mkdir rootca
: >rootca/index.txt
echo 01 >rootca/crlnumber
cat >rootca/ca.cnf <<EOF
[ ca ]
default_ca = r
[ r ]
database = $work/rootca/index.txt
crlnumber = $work/rootca/crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = e
[ e ]
authorityKeyIdentifier = keyid:always
EOF
openssl ca -gencrl -config rootca/ca.cnf -keyfile root.key -cert root.pem \
    -out root-crl.pem 2>/dev/null || die "cannot make the root CRL"
cat issuing-crl.pem root-crl.pem >crl-all.pem
openssl verify -crl_check_all -CAfile root.pem -untrusted issuing.pem \
    -CRLfile crl-all.pem client.pem >/dev/null ||
	die "client certificate does not pass openssl's CRL check"
! openssl verify -crl_check_all -CAfile root.pem -untrusted issuing.pem \
    -CRLfile crl-all.pem revoked.pem >/dev/null 2>&1 ||
	die "the revoked certificate passes openssl's CRL check"

# -- nginx: the upstream, and the front --------------------------------
nuser=""
[ "$(id -u)" -ne 0 ] || nuser="user root;"	# the work dir is 0700
chmod 755 "$work"
ngx_conf() {	# NAME WORKERS SERVERS...
	name=$1
	nw=$2
	shift 2
	mkdir -p "$work/$name/tmp"
	cat >"$work/$name/nginx.conf" <<EOF
$nuser
worker_processes $nw;
daemon off;
master_process on;
pid $work/$name/nginx.pid;
error_log $work/$name/error.log error;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/$name/tmp/b;
	proxy_temp_path $work/$name/tmp/p;
	fastcgi_temp_path $work/$name/tmp/f;
	uwsgi_temp_path $work/$name/tmp/u;
	scgi_temp_path $work/$name/tmp/s;
	keepalive_requests 100000000;
	keepalive_timeout 120s;
	ssl_certificate $work/srv-chain.pem;
	ssl_certificate_key $work/srv.key;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_session_tickets off;
	ssl_session_cache off;
	ssl_client_certificate $work/chain.pem;
	ssl_verify_depth 2;
	$*
}
EOF
}
up_port=$(free_port)
ngx_conf up 1 "server { listen 127.0.0.1:$up_port; \
location / { default_type text/plain; return 200 \"ok\\n\"; } }"
pa=$(free_port)
pb=$(free_port)
pf=$(free_port)
ngx_conf front "$ngw" "
	upstream up { server 127.0.0.1:$up_port; keepalive 64; }
	server { listen 127.0.0.1:$pa ssl; ssl_verify_client on;
		location / { default_type text/plain; return 200 \"ok\\n\"; } }
	server { listen 127.0.0.1:$pb ssl; ssl_verify_client on;
		ssl_crl $work/crl-all.pem;
		location / { default_type text/plain; return 200 \"ok\\n\"; } }
	server { listen 127.0.0.1:$pf ssl; ssl_verify_client on;
		location / { proxy_pass http://up; proxy_http_version 1.1;
			proxy_set_header Connection \"\";
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_set_header X-Forwarded-Proto https;
			proxy_set_header X-Forwarded-Client-Cert
			    \"Hash=\$ssl_client_fingerprint;Subject=\\\"\$ssl_client_s_dn\\\"\";
		} }"
for n in up front; do
	"$NGINX" -t -p "$work/$n" -c "$work/$n/nginx.conf" >$n.t 2>&1 ||
		die "nginx $n config: $(cat $n.t)"
	"$NGINX" -p "$work/$n" -c "$work/$n/nginx.conf" 2>$n.err &
	pids="$pids $!"
	eval "${n}_pid=\$!"
done
front_pid=${front_pid:?}
up_pid=${up_pid:?}
wait_port "$up_port"
wait_port "$pa"
# shellcheck disable=SC2154
sleep 0.3
front_w=$(ngx_workers "$front_pid")
# shellcheck disable=SC2154
up_w=$(ngx_workers "$up_pid")
[ -n "$front_w" ] && [ -n "$up_w" ] || die "no nginx workers found"

# -- the gates ------------------------------------------------------------
start_gate() {	# NAME DATADIR: sets gate_port_NAME, gate_pid_NAME
	# shellcheck disable=SC2086
	"$certa" --dir "$2" gate --listen 127.0.0.1:0 \
	    --upstream "http://127.0.0.1:$up_port" --mode certa_ca \
	    --tls-cert srv-chain.pem --tls-key srv.key \
	    --port-file "gate-$1.port" --access-log off \
	    >"gate-$1.out" 2>"gate-$1.err" &
	gp=$!
	pids="$pids $gp"
	i=0
	while [ ! -s "gate-$1.port" ]; do
		kill -0 $gp 2>/dev/null ||
			die "gate $1 died: $(cat "gate-$1.err")"
		i=$((i + 1))
		[ $i -lt 200 ] || die "gate $1 wrote no port file"
		sleep 0.05
	done
	eval "gate_port_$1=\$(head -n1 gate-$1.port | sed 's/.*://')"
	eval "gate_pid_$1=$gp"
}
start_gate small "$work/small"
start_gate big "$work/big"
# shellcheck disable=SC2154
gc_port=$gate_port_small
# shellcheck disable=SC2154
gd_port=$gate_port_big
wait_port "$gc_port"
wait_port "$gd_port"

# -- checks -------------------------------------------------------------
code() {	# PORT [CERT KEY]: HTTP status, 000 when refused
	if [ $# -eq 3 ]; then
		curl -s -o /dev/null -w '%{http_code}' --max-time 5 -k \
		    --cert "$2" --key "$3" "https://127.0.0.1:$1/" || true
	else
		curl -s -o /dev/null -w '%{http_code}' --max-time 5 -k \
		    "https://127.0.0.1:$1/" || true
	fi
}
for t in "a $pa" "b $pb" "c $gc_port" "d $gd_port" "f $pf"; do
	set -- $t
	for v in 1.2 1.3; do
		c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -k \
		    --tlsv$v --tls-max $v --cert client.pem --key client.key \
		    "https://127.0.0.1:$2/" || true)
		[ "$c" = 200 ] || die "target $1 TLS $v with the client \
certificate: HTTP $c, not 200"
	done
	c=$(code "$2")
	[ "$c" != 200 ] || die "target $1 answers 200 without a certificate"
	c=$(code "$2" revoked.pem revoked.key)
	case $1 in
	b | d) [ "$c" != 200 ] ||
		die "target $1 answers 200 to the revoked certificate" ;;
	esac
done
say "checked: 200 with the client certificate (TLS 1.2, 1.3), refused \
without; revoked refused by nginx+CRL and the big gate"

# -- measurements --------------------------------------------------------
res=$work/results
: >"$res"
# s_time: NAME PORT TLSFLAG CPU-PIDS...: conn/s, server CPU ms per conn
stime() {
	name=$1
	port=$2
	fl=$3
	shift 3
	c0=$(cpu_s "$@")
	t0=$(now)
	i=0
	stp=""
	while [ $i -lt "$procs" ]; do
		openssl s_time -connect "127.0.0.1:$port" -new -www / \
		    -cert client.pem -key client.key "$fl" -time "$secs" \
		    >"st.$i" 2>&1 &
		stp="$stp $!"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	wait $stp || die "s_time failed on $name: $(cat st.*)"
	t1=$(now)
	c1=$(cpu_s "$@")
	n=$(cat st.* | awk '/connections in .*real seconds/ { t += $1 }
	    END { print t + 0 }')
	rm -f st.*
	echo "$name $n $t0 $t1 $c0 $c1" | awk '{
		w = $4 - $3; r = $2 / w
		printf "%s %.1f %.3f %d\n", $1, r, ($2 ? ($6 - $5) * 1000 / $2 : 0), $2
	}' >>"$res"
	tail -n1 "$res" | awk '{ printf "gate.sh:   %-14s %8.1f conn/s  %.3f ms \
server CPU/conn (%d conns)\n", $1, $2, $3, $4 }' >&2
}
# keep-alive: NAME PORT CPU-PIDS...: req/s, server CPU us per request
kalive() {
	name=$1
	port=$2
	shift 2
	c0=$(cpu_s "$@")
	"$gload" -c "$conns" -d "$secs" -w 1 -3 -C client.pem -K client.key \
	    127.0.0.1 "$port" / >ka.json &
	lp=$!
	sleep 0.5
	lc0=$(cpu_s $lp 2>/dev/null || echo 0)
	sleep "$secs"
	lc1=$(cpu_s $lp 2>/dev/null || echo 0)
	wait $lp || die "gate_load failed on $name"
	c1=$(cpu_s "$@")
	python3 - "$name" "$c0" "$c1" "$lc0" "$lc1" "$secs" ka.json \
	    >>"$res" <<'PY'
import json, sys
name, c0, c1, l0, l1, secs = sys.argv[1:7]
d = json.load(open(sys.argv[7]))
rps = d["rps"]
# server CPU is over warm-up + run: divide by all the requests served
srv = (float(c1) - float(c0)) * 1e6 / max(rps * (float(secs) + 1.5), 1)
print(name, round(rps, 1), round(srv, 1), d["errors"], d["reconnects"],
      round(100 * (float(l1) - float(l0)) / float(secs)))
PY
	tail -n1 "$res" | awk '{ printf "gate.sh:   %-14s %8.0f req/s  %.1f us \
server CPU/req, errors %d, reconnects %d, client CPU %d%%\n", $1, $2, $3, $4,
$5, $6 }' >&2
}

# shellcheck disable=SC2154
gc_pid=$gate_pid_small
# shellcheck disable=SC2154
gd_pid=$gate_pid_big
say "load average before: $(cat /proc/loadavg)"
say "new connections, s_time -new x$procs, ${secs}s each, $rounds rounds"
# target NAME VERSION: one measurement of (a) (b) (f) (c) or (d)
target() {
	# shellcheck disable=SC2086
	case $1 in
	a) stime "a_tls1$2" "$pa" "-tls1_$2" $front_w ;;
	b) stime "b_tls1$2" "$pb" "-tls1_$2" $front_w ;;
	f) stime "f_tls1$2" "$pf" "-tls1_$2" $front_w ;;
	c) stime "c_tls1$2" "$gc_port" "-tls1_$2" "$gc_pid" ;;
	d)
		if [ -n "$perfdir" ] && [ "$2" = 3 ] && [ "$round" = 1 ]; then
			mkdir -p "$perfdir"
			perf record -q -g -p "$gd_pid" -o "$perfdir/gate-d.data" \
			    -- sleep "$secs" >/dev/null 2>&1 &
			perfp=$!
		fi
		stime "d_tls1$2" "$gd_port" "-tls1_$2" "$gd_pid"
		if [ -n "$perfdir" ] && [ "$2" = 3 ] && [ "$round" = 1 ]; then
			wait "$perfp" || true
		fi
		;;
	esac
}
order="a b f c d"
round=1
while [ "$round" -le "$rounds" ]; do
	say "round $round of $rounds: $order"
	for v in 3 2; do
		for t in $order; do
			target "$t" "$v"
		done
	done
	order="${order#* } ${order%% *}"	# rotate
	round=$((round + 1))
done
say "keep-alive, gate_load -c$conns TLS 1.3, ${secs}s each, $rounds rounds"
order="nginx_direct nginx_proxy gate_http"
round=1
while [ "$round" -le "$rounds" ]; do
	for t in $order; do
		# shellcheck disable=SC2086
		case $t in
		nginx_direct) kalive nginx_direct "$pa" $front_w ;;
		nginx_proxy) kalive nginx_proxy "$pf" $front_w $up_w ;;
		gate_http)
			if [ -n "$perfdir" ] && [ "$round" = 1 ]; then
				perf record -q -g -p "$gd_pid" \
				    -o "$perfdir/gate-e.data" \
				    -- sleep "$secs" >/dev/null 2>&1 &
				perfp=$!
			fi
			kalive gate_http "$gd_port" "$gd_pid" $up_w
			if [ -n "$perfdir" ] && [ "$round" = 1 ]; then
				wait "$perfp" || true
			fi
			;;
		esac
	done
	order="${order#* } ${order%% *}"
	round=$((round + 1))
done
load_after=$(cut -d' ' -f1 /proc/loadavg)

# -- report ------------------------------------------------------------
python3 - "$res" "$cores" "$load" "$load_after" "$secs" "$procs" "$conns" \
    "$ngw" "$ngxver" "$nrev" "$ntru" "$ncrl" "$(openssl version | \
    cut -d' ' -f2)" "$rounds" <<'PY'
import json, statistics, sys
(res, cores, load, load_after, secs, procs, conns, ngw, ngxver, nrev, ntru,
 ncrl, osslver, rounds) = sys.argv[1:]
runs = {}
for line in open(res):
    f = line.split()
    runs.setdefault(f[0], []).append(f[1:])
# Each figure: the median over the rounds (the value, not a mix of rows).
r = {}
for k, rows in runs.items():
    col = [[float(x) for x in row] for row in rows]
    r[k] = [statistics.median(c) for c in zip(*col)]
cps = lambda k: float(r[k][0])
cpu = lambda k: float(r[k][1])
print("certa gate benchmark: %s cores, load %s before, %s after; nginx %s "
      "(%s worker), OpenSSL %s; %ss each, median of %s rounds" % (
          cores, load, load_after, ngxver, ngw, osslver, secs, rounds))
print("new connections with a client certificate, one GET each "
      "(openssl s_time -new x%s):" % procs)
print("  %-52s %10s %10s %16s" % ("", "TLS 1.3", "TLS 1.2",
                                  "server CPU/conn"))
rows = [("a", "nginx ssl_verify_client, no CRL"),
        ("b", "nginx + ssl_crl (%s entries)" % ncrl),
        ("f", "nginx ssl_verify_client + proxy_pass, no CRL"),
        ("c", "gate certa_ca, 10 entries"),
        ("d", "gate certa_ca, %s revoked + %s trusted" % (nrev, ntru))]
for k, label in rows:
    print("  (%s) %-48s %8.0f/s %8.0f/s %7.2f / %.2f ms" % (
        k, label, cps(k + "_tls13"), cps(k + "_tls12"), cpu(k + "_tls13"),
        cpu(k + "_tls12")))
print("  (server CPU: the front nginx worker(s) / the gate process, not the "
      "upstream's; (a) and (b) answer themselves, (f) and the gates forward "
      "each GET to the upstream nginx)")
print("keep-alive GETs through a proxy to the same upstream "
      "(gate_load -c%s, TLS 1.3):" % conns)
for k, label in [("nginx_direct", "nginx answering itself (client ceiling)"),
                 ("nginx_proxy", "nginx proxy_pass"),
                 ("gate_http", "gate --upstream http://")]:
    v = r[k]
    print("  %-52s %8.0f req/s  %6.1f us server CPU/req  errors %d  "
          "client CPU %d%%" % (label, v[0], v[1], v[2], v[4]))
goals = []
def goal(text, val, target):
    ok = val >= target
    goals.append(ok)
    print("  %-58s %6.2fx  goal >= %.2fx: %s" % (text, val, target,
                                                "MET" if ok else "NOT MET"))
    return round(val, 3)
print("goals:")
out = {"bench": "gate", "cores": int(cores), "load_before": float(load),
       "load_after": float(load_after), "seconds": float(secs),
       "rounds": int(rounds),
       "stime_procs": int(procs), "ka_conns": int(conns),
       "nginx_workers": int(ngw), "nginx_version": ngxver,
       "openssl_version": osslver, "revoked": int(nrev),
       "trusted": int(ntru), "crl_entries": int(ncrl)}
for v in ("13", "12"):
    t = "TLS 1." + v[1]
    for k in "abcdf":
        out["%s_tls%s_cps" % (k, v)] = round(cps(k + "_tls" + v), 1)
        out["%s_tls%s_cpu_ms" % (k, v)] = cpu(k + "_tls" + v)
    out["d_vs_a_tls" + v] = goal("%s gate big / nginx no CRL" % t,
                                 cps("d_tls" + v) / cps("a_tls" + v), 0.95)
    out["d_vs_b_tls" + v] = goal("%s gate big / nginx with CRL" % t,
                                 cps("d_tls" + v) / cps("b_tls" + v), 7.0)
    out["d_vs_c_tls" + v] = goal("%s gate big / gate 10 entries" % t,
                                 cps("d_tls" + v) / cps("c_tls" + v), 0.95)
    # Like for like (both verify and forward): shown, not the issue's goal.
    out["d_vs_f_tls" + v] = round(cps("d_tls" + v) / cps("f_tls" + v), 3)
    print("  %-58s %6.2fx  (like for like: both forward; information)" % (
        "%s gate big / nginx + proxy_pass no CRL" % t,
        out["d_vs_f_tls" + v]))
for k in ("nginx_direct", "nginx_proxy", "gate_http"):
    out[k + "_rps"] = float(r[k][0])
    out[k + "_cpu_us"] = float(r[k][1])
    out[k + "_client_cpu_pct"] = int(r[k][4])
# The spread, so that a ratio near a goal can be read with it.
for k, rows in sorted(runs.items()):
    out[k + "_runs"] = [float(row[0]) for row in rows]
out["ka_gate_vs_nginx_proxy"] = goal(
    "keep-alive gate / nginx proxy_pass",
    float(r["gate_http"][0]) / float(r["nginx_proxy"][0]), 0.8)
out["goals_met"] = all(goals)
print(json.dumps(out))
PY
