#!/bin/sh
# certa's main job on the embedded default (SQLite in ./certa-data):
# initialise the data directory if absent, issue a demo client certificate
# of each type, say where everything is, make a one-time admin API token
# (the previous run's is revoked), then run `certa serve` in the
# foreground: the HTTPS API and the OCSP/CRL listener (Ctrl-C stops it).
# CERTA_RUN_NO_SERVE=1 skips the token and the daemon.  Idempotent.
set -eu
CERTA=${1:-build/certa}
DIR=${2:-./certa-data}
DEMO="$DIR/demo"

if [ ! -f "$DIR/certa.db" ] && [ ! -f "$DIR/store" ]; then
	"$CERTA" --dir "$DIR" init --subject "CN=certa Demo Root CA"
fi
"$CERTA" --dir "$DIR" org show demo >/dev/null 2>&1 ||
	"$CERTA" --dir "$DIR" org create demo >/dev/null
"$CERTA" --dir "$DIR" app show demo/client >/dev/null 2>&1 ||
	"$CERTA" --dir "$DIR" app create --org demo client >/dev/null
mkdir -p "$DEMO"
chmod 700 "$DEMO"
stamp=$(date +%Y%m%d%H%M%S)-$$
for type in transport signing encryption; do
	key="$DEMO/$type-$stamp.key"
	"$CERTA" csr --key ec:P-256 --subject "CN=demo-$type,O=demo" \
	    --san "DNS:$type.demo.test" --out-key "$key" \
	    --out-csr "$DEMO/$type-$stamp.csr" 2>/dev/null
	"$CERTA" --dir "$DIR" cert issue --app demo/client --type "$type" \
	    --csr "$DEMO/$type-$stamp.csr" --out "$DEMO/$type-$stamp.crt"
done
"$CERTA" --dir "$DIR" ca export --chain --out "$DEMO/ca-chain.pem"
"$CERTA" --dir "$DIR" crl --out "$DEMO/issuing.crl" 2>/dev/null

echo "certa data directory: $DIR"
echo
"$CERTA" --dir "$DIR" ca list
echo
echo "certificates of demo/client:"
"$CERTA" --dir "$DIR" cert list --app demo/client
echo
echo "files of this run in $DEMO:"
ls -1 "$DEMO" | grep -e "$stamp" -e ca-chain -e issuing.crl | sed 's/^/  /'
echo
echo "check one with openssl:"
echo "  openssl verify -CAfile $DEMO/ca-chain.pem $DEMO/transport-$stamp.crt"
[ "${CERTA_RUN_NO_SERVE:-0}" = 1 ] && exit 0
echo
echo "ask the OCSP responder (certa serve, below) about it:"
echo "  openssl ocsp -issuer $DEMO/ca-chain.pem -cert $DEMO/transport-$stamp.crt \\"
echo "      -url http://127.0.0.1:8080/ocsp -CAfile $DEMO/ca-chain.pem"
echo
API=${CERTA_API:-127.0.0.1:8443}
"$CERTA" --dir "$DIR" token revoke make-run >/dev/null 2>&1 || true
TOKEN=$("$CERTA" --dir "$DIR" token create --role admin --name make-run)
echo "REST API: https://${API}/api/v1  (role admin; this token is shown once"
echo "and revoked by the next make run; make others with certa token create)"
echo "  export CERTA_TOKEN=$TOKEN"
echo "  curl --cacert $DEMO/ca-chain.pem -H \"Authorization: Bearer \$CERTA_TOKEN\" \\"
echo "      https://${API}/api/v1/applications/demo%2Fclient/certificates"
echo
exec "$CERTA" --dir "$DIR" serve --public "${CERTA_PUBLIC:-127.0.0.1:8080}" \
    --api "$API"
