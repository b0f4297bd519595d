#!/bin/sh
# Issuance throughput: `certa cert issue --batch` vs `openssl ca -batch
# -infiles` on the same N pre-made ECDSA P-256 CSRs, and the one-core
# limit 1 / (1/sign + 1/verify) from `openssl speed ecdsap256`.
# Wall-clock rates need an idle machine; CPU seconds per certificate (user
# + sys) are reported too and hold on a busy one.
# usage: bench/issue.sh [BUILD_DIR=build] [N=10000]
# Prints one JSON line.  Not part of CI.
set -eu
BUILD=${1:-build}
N=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CERTA="$ROOT/$BUILD/certa"
WORK=$(mktemp -d /tmp/certa-bench-issue.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
# Run a command; print "WALL CPU" seconds (CPU = user + sys of the child).
measure() {
	python3 -c '
import os, resource, subprocess, sys, time
out = open(sys.argv[1], "wb")
t = time.monotonic()
rc = subprocess.call(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (w, r.ru_utime + r.ru_stime))
sys.exit(rc)' "$@"
}

mkdir -p "$WORK/csr" "$WORK/out" "$WORK/ossl/certs"
"$ROOT/$BUILD/make_csrs" "$WORK/csr" "$N"

# certa: every certificate committed (fsync) before it is written out.
"$CERTA" --dir "$WORK/data" init >/dev/null
"$CERTA" --dir "$WORK/data" org create bench >/dev/null
"$CERTA" --dir "$WORK/data" app create --org bench app >/dev/null
certa_t=$(measure "$WORK/certa.pem" "$CERTA" --dir "$WORK/data" cert issue \
    --batch "$WORK/csr" --app bench/app --type transport)
certa_n=$(grep -c "BEGIN CERTIFICATE" "$WORK/certa.pem")

# openssl ca with the same extensions, one process for all CSRs.
cd "$WORK/ossl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.pem -subj "/CN=bench CA" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
: >index.txt
openssl rand -hex 16 >serial
cat >openssl.cnf <<CNF
[ca]
default_ca = bench
[bench]
dir = .
database = index.txt
new_certs_dir = certs
certificate = ca.pem
private_key = ca.key
serial = serial
default_md = sha256
default_days = 365
policy = any
unique_subject = no
x509_extensions = leaf
copy_extensions = copy
[any]
commonName = supplied
organizationName = optional
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyAgreement
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:http://127.0.0.1:8080/crl/issuing.crl
authorityInfoAccess = OCSP;URI:http://127.0.0.1:8080/ocsp,caIssuers;URI:http://127.0.0.1:8080/ca/issuing.crt
CNF
ossl_t=$(measure /dev/null openssl ca -batch -notext -config openssl.cnf \
    -out "$WORK/ossl.pem" -infiles "$WORK"/csr/*.csr)
# -out keeps only the last one; each certificate is in new_certs_dir.
ossl_n=$(ls certs | wc -l)

speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1), $NF}')
sign=${speed% *}
verify=${speed#* }

python3 - "$certa_t" "$ossl_t" "$certa_n" "$ossl_n" "$sign" "$verify" "$N" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import json, sys
cw, cc = map(float, sys.argv[1].split())
ow, oc = map(float, sys.argv[2].split())
cn, on, sign, verify, n = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
certa, ossl = cn / cw, on / ow
limit = 1 / (1 / sign + 1 / verify)
print(json.dumps({
    "bench": "issue", "csrs": n, "cores": int(sys.argv[8]), "load_before": float(sys.argv[9]),
    "certa_certs": cn, "certa_wall_s": cw, "certa_cpu_s": cc, "certa_per_s": round(certa),
    "certa_cpu_us_per_cert": round(cc / cn * 1e6, 1),
    "openssl_ca_certs": on, "openssl_ca_wall_s": ow, "openssl_ca_cpu_s": oc,
    "openssl_ca_per_s": round(ossl), "openssl_ca_cpu_us_per_cert": round(oc / on * 1e6, 1),
    "ratio_vs_openssl_ca": round(certa / ossl, 2),
    "cpu_ratio_vs_openssl_ca": round((oc / on) / (cc / cn), 2),
    "one_core_limit_per_s": round(limit), "fraction_of_limit": round(certa / limit, 2),
    "goal": "ratio >= 10 and fraction >= 0.5 (wall figures need an idle machine)"}))
PY
