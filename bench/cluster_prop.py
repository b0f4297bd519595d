#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Propagation delays across certa cluster nodes, for bench/cluster.sh.

  cluster_prop.py revoke --api URL --token T --app ID --csr F --issuer PEM
                  --chain PEM --ocsp NAME=URL ... [-n N] [--work DIR]
      N times: issue a fresh certificate through --api (node A), let every
      --ocsp responder answer "good" for it (so its answer is cached),
      then, after a random pause of up to 300 ms (so the changes do not
      fall in step with the nodes' 250 ms poll), revoke it through node
      A's API while one thread per responder POSTs the same DER request
      (built once per certificate with `openssl ocsp -reqout`) every 2 ms
      on a kept-alive connection.  The
      certStatus is read from the DER answer (a few TLV steps); the last
      answer of every responder is checked with `openssl ocsp -respin`
      (signature verifies, "revoked") at the end.

  cluster_prop.py trust --api URL --token T --gate PORT --sink PORT
                  [-n N] [--work DIR]
      N times: a fresh self-signed client certificate is imported through
      node A's API into the "issuer" list (POST /api/v1/trust), a `certa
      gate --mode trusted_list` on another node's directory is checked to
      refuse it, then POST /api/v1/trust/{alias}/trust on node A and a new
      TLS connection with that certificate every 2 ms until the gate lets
      it through to the upstream (a sink answering "pong").

Delays are measured from the moment node A's answer (200) arrived, i.e.
the change is committed; the time the API call took is printed too.  One
line per series: "PROP KIND TARGET N P50 P90 P99 MAX API_P50" (ms), after
a human-readable table on stderr.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time

POLL = 0.002        # seconds between two polls
TIMEOUT = 5.0       # give up on one change after this long
JITTER = 0.3        # random pause before a change, seconds


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def series(kind, target, delays, api):
    d = [x * 1e3 for x in delays]
    a = [x * 1e3 for x in api]
    sys.stderr.write("  %-7s %-10s n=%3d  p50 %7.1f  p90 %7.1f  p99 %7.1f"
                     "  max %7.1f ms   (API call p50 %.1f ms)\n"
                     % (kind, target, len(d), pct(d, 50), pct(d, 90),
                        pct(d, 99), max(d) if d else float("nan"),
                        pct(a, 50)))
    print("PROP %s %s %d %.2f %.2f %.2f %.2f %.2f"
          % (kind, target, len(d), pct(d, 50), pct(d, 90), pct(d, 99),
             max(d) if d else float("nan"), pct(a, 50)))


class Api:
    """Kept-alive HTTPS connection to one node's REST API."""

    def __init__(self, url, token):
        hp = url.split("//", 1)[1].split("/", 1)[0]
        self.host, port = hp.rsplit(":", 1)
        self.port = int(port)
        self.token = token
        self.ctx = ssl._create_unverified_context()
        self.conn = None

    def call(self, method, path, body=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, timeout=30, context=self.ctx)
            hdr = {"Authorization": "Bearer " + self.token,
                   "Host": "localhost"}
            data = None
            if body is not None:
                data = json.dumps(body)
                hdr["Content-Type"] = "application/json"
            try:
                self.conn.request(method, path, data, hdr)
                r = self.conn.getresponse()
                raw = r.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            try:
                out = json.loads(raw) if raw else None
            except ValueError:
                out = raw
            return r.status, out
        raise RuntimeError("unreachable")


# -- OCSP: DER walking ---------------------------------------------------
def tlv(b, i):
    """(tag, content start, content end) of the DER element at b[i]."""
    tag, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], "big")
        i += k
    return tag, i, i + n


def children(b, start, end):
    i = start
    while i < end:
        tag, s, e = tlv(b, i)
        yield tag, s, e
        i = e


def cert_status(der):
    """'good', 'revoked', 'unknown' or 'error:...' for a one-certificate
    OCSPResponse."""
    try:
        tag, s, e = tlv(der, 0)                       # OCSPResponse
        kids = list(children(der, s, e))
        if der[kids[0][1]] != 0:                      # responseStatus
            return "error:status%d" % der[kids[0][1]]
        _, s, e = kids[1]                             # [0] responseBytes
        _, s, e = tlv(der, s)                         # SEQUENCE
        kids = list(children(der, s, e))              # OID, OCTET STRING
        _, s, e = kids[1]
        _, s, e = tlv(der, s)                         # BasicOCSPResponse
        _, s, e = tlv(der, s)                         # tbsResponseData
        for tag, cs, ce in children(der, s, e):
            if tag == 0x30:                           # responses
                _, s1, e1 = tlv(der, cs)              # first SingleResponse
                kids = list(children(der, s1, e1))
                st = kids[1][0]                       # certStatus tag
                return {0x80: "good", 0xa1: "revoked",
                        0x82: "unknown"}.get(st, "error:tag%02x" % st)
        return "error:noresponses"
    except (IndexError, ValueError) as ex:
        return "error:%r" % ex


class Poller(threading.Thread):
    """POSTs one OCSP request to one responder every POLL seconds until it
    answers 'revoked' (or stop is set); counts 'good' answers first."""

    def __init__(self, url, req, stop):
        super().__init__(daemon=True)
        hp = url.split("//", 1)[1].split("/", 1)[0]
        host, port = hp.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.req, self.stop = req, stop
        self.goods = 0
        self.seen = None
        self.last = None
        self.errors = []
        self.polls = 0

    def run(self):
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, self.port,
                                                      timeout=10)
                conn.request("POST", "/ocsp", self.req,
                             {"Content-Type": "application/ocsp-request"})
                r = conn.getresponse()
                der = r.read()
                t = time.monotonic()
            except (OSError, http.client.HTTPException) as ex:
                self.errors.append(repr(ex))
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.05)
                continue
            self.polls += 1
            st = cert_status(der) if r.status == 200 else \
                "error:http%d" % r.status
            if st == "revoked":
                self.seen, self.last = t, der
                break
            if st == "good":
                self.goods += 1
            else:
                self.errors.append(st)
            time.sleep(POLL)
        if conn:
            conn.close()


def revoke(a):
    ap = Api(a.api, a.token)
    csr = open(a.csr).read()
    targets = [t.split("=", 1) for t in a.ocsp]
    delays = {name: [] for name, _ in targets}
    apit, checks, problems = [], [], []
    for i in range(a.n):
        st, c = ap.call("POST", "/api/v1/applications/%s/certificates"
                        % a.app, {"type": "transport", "csr": csr})
        if st != 201:
            sys.exit("issue: %d %r" % (st, c))
        reqf = os.path.join(a.work, "prop-req.der")
        subprocess.run(["openssl", "ocsp", "-issuer", a.issuer, "-serial",
                        "0x" + c["serial"], "-no_nonce", "-reqout", reqf],
                       check=True, capture_output=True)
        req = open(reqf, "rb").read()
        stop = threading.Event()
        polls = [Poller(url, req, stop) for _, url in targets]
        for p in polls:
            p.start()
        t_end = time.monotonic() + TIMEOUT
        while any(p.goods < 2 for p in polls):      # cached "good" first
            if time.monotonic() > t_end:
                stop.set()
                sys.exit("not 'good' everywhere before revoking: %r"
                         % [(p.goods, p.errors[:3]) for p in polls])
            time.sleep(0.001)
        # The nodes poll the store on a timer: without a random pause the
        # revocations would stay in step with it (each one right after the
        # tick that showed the previous one) and the delays would all be
        # alike.
        time.sleep(random.uniform(0, JITTER))
        t_send = time.monotonic()
        st, body = ap.call("POST", "/api/v1/certificates/%s/revoke" % c["id"],
                           {"reason": "keyCompromise"})
        t_ack = time.monotonic()
        if st not in (200, 201):
            stop.set()
            sys.exit("revoke: %d %r" % (st, body))
        apit.append(t_ack - t_send)
        for p in polls:
            p.join(max(0.0, t_ack + TIMEOUT - time.monotonic()))
        stop.set()
        for (name, _), p in zip(targets, polls):
            p.join()
            if p.seen is None:
                problems.append("%s: certificate %s not 'revoked' within "
                                "%.0f s (%r)" % (name, c["id"], TIMEOUT,
                                                 p.errors[:3]))
                continue
            delays[name].append(p.seen - t_ack)
            if p.errors:
                problems.append("%s: %d bad answers/errors while polling, "
                                "first %s" % (name, len(p.errors),
                                              p.errors[0]))
            f = os.path.join(a.work, "prop-%d-%s.der" % (i, name))
            with open(f, "wb") as fh:
                fh.write(p.last)
            checks.append((f, c["serial"], name))
    # Every "revoked" seen: signature verifies, openssl agrees.
    bad = 0
    for f, serial, name in checks:
        r = subprocess.run(["openssl", "ocsp", "-respin", f, "-issuer",
                            a.issuer, "-serial", "0x" + serial, "-CAfile",
                            a.chain], capture_output=True, text=True)
        out = r.stdout + r.stderr
        if "Response verify OK" not in out or ": revoked" not in out:
            bad += 1
            if bad == 1:
                problems.append("openssl ocsp -respin %s: %s" % (f, out))
    if bad:
        problems.append("%d of %d 'revoked' answers failed openssl's check"
                        % (bad, len(checks)))
    sys.stderr.write("revocation through node A's API -> OCSP 'revoked' "
                     "(%d certificates, poll every %.0f ms; %d answers "
                     "checked with openssl ocsp -respin):\n"
                     % (a.n, POLL * 1e3, len(checks)))
    for name, _ in targets:
        series("revoke", name, delays[name], apit)
    for p in problems:
        print("PROBLEM " + p)
    return 1 if problems else 0


# -- trust: TLS handshakes through certa gate ---------------------------
def sink(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)

    def loop():
        while True:
            c, _ = s.accept()
            try:
                c.sendall(b"pong\n")
            except OSError:
                pass
            c.close()
    threading.Thread(target=loop, daemon=True).start()


def through_gate(port, cert, key):
    """True when the gate lets a client with cert through (upstream's
    'pong' arrives), False when it refuses; (result, detail)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s = ctx.wrap_socket(raw)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        s.close()
        return data == b"pong\n", data
    except (ssl.SSLError, OSError) as ex:
        return False, repr(ex)
    finally:
        raw.close()


def trust(a):
    ap = Api(a.api, a.token)
    sink(a.sink)
    delays, apit, refused_t, problems = [], [], [], []
    tag = "%x" % int(time.time())
    for i in range(a.n):
        alias = "prop-%s-%d" % (tag, i)
        cert = os.path.join(a.work, "prop-trust.pem")
        key = os.path.join(a.work, "prop-trust.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=" + alias,
                        "-days", "2", "-addext",
                        "extendedKeyUsage=clientAuth"],
                       check=True, capture_output=True)
        st, body = ap.call("POST", "/api/v1/trust",
                           {"certificate": open(cert).read(), "alias": alias,
                            "list": "issuer"})
        if st not in (200, 201):
            sys.exit("trust import: %d %r" % (st, body))
        t0 = time.monotonic()
        ok, det = through_gate(a.gate, cert, key)
        refused_t.append(time.monotonic() - t0)
        if ok:
            sys.exit("the gate let %s through before 'trust' (issuer list)"
                     % alias)
        t_send = time.monotonic()
        st, body = ap.call("POST", "/api/v1/trust/%s/trust" % alias)
        t_ack = time.monotonic()
        if st not in (200, 201):
            sys.exit("trust: %d %r" % (st, body))
        apit.append(t_ack - t_send)
        while True:
            ok, det = through_gate(a.gate, cert, key)
            t = time.monotonic()
            if ok:
                delays.append(t - t_ack)
                break
            if t - t_ack > TIMEOUT:
                problems.append("%s not let through within %.0f s: %r"
                                % (alias, TIMEOUT, det))
                break
            time.sleep(POLL)
    sys.stderr.write("trust change through node A's API -> accepted by "
                     "certa gate on node B's directory (%d certificates; a "
                     "refused handshake takes %.1f ms p50, included):\n"
                     % (a.n, pct(refused_t, 50) * 1e3))
    series("trust", "gate", delays, apit)
    for p in problems:
        print("PROBLEM " + p)
    return 1 if problems else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=("revoke", "trust"))
    p.add_argument("--api", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--app")
    p.add_argument("--csr")
    p.add_argument("--issuer")
    p.add_argument("--chain")
    p.add_argument("--ocsp", action="append", default=[])
    p.add_argument("--gate", type=int)
    p.add_argument("--sink", type=int)
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--work", default=".")
    a = p.parse_args()
    sys.exit(revoke(a) if a.kind == "revoke" else trust(a))


if __name__ == "__main__":
    main()
