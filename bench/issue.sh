#!/bin/sh
# Issuance throughput: `certa cert issue --batch` vs `openssl ca -batch
# -infiles` on the same N pre-made ECDSA P-256 CSRs, and the one-core
# limit 1 / (1/sign + 1/verify) from `openssl speed ecdsap256`.
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

mkdir -p "$WORK/csr" "$WORK/out" "$WORK/ossl/certs"
"$ROOT/$BUILD/make_csrs" "$WORK/csr" "$N"

# certa: every certificate committed (fsync) before it is written out.
"$CERTA" --dir "$WORK/data" init >/dev/null
"$CERTA" --dir "$WORK/data" org create bench >/dev/null
"$CERTA" --dir "$WORK/data" app create --org bench app >/dev/null
t0=$(now)
"$CERTA" --dir "$WORK/data" cert issue --batch "$WORK/csr" --app bench/app \
    --type transport >"$WORK/certa.pem"
t1=$(now)
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
t2=$(now)
openssl ca -batch -notext -config openssl.cnf -out "$WORK/ossl.pem" \
    -infiles "$WORK"/csr/*.csr 2>/dev/null
t3=$(now)
# -out keeps only the last one; each certificate is in new_certs_dir.
ossl_n=$(ls certs | wc -l)

speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1), $NF}')
sign=${speed% *}
verify=${speed#* }

python3 - "$t0" "$t1" "$t2" "$t3" "$certa_n" "$ossl_n" "$sign" "$verify" "$N" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
cn, on, sign, verify, n = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9])
certa = cn / (t1 - t0)
ossl = on / (t3 - t2)
limit = 1 / (1 / sign + 1 / verify)
print(json.dumps({
    "bench": "issue", "csrs": n,
    "certa_certs": cn, "certa_seconds": round(t1 - t0, 3), "certa_per_s": round(certa),
    "openssl_ca_certs": on, "openssl_ca_seconds": round(t3 - t2, 3), "openssl_ca_per_s": round(ossl),
    "ratio_vs_openssl_ca": round(certa / ossl, 2),
    "one_core_limit_per_s": round(limit), "fraction_of_limit": round(certa / limit, 2),
    "goal": "ratio >= 10 and fraction >= 0.5"}))
PY
