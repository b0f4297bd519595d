"""certa serve, public listener: OCSP (POST and GET), CRL and CA
distribution, judged by openssl ocsp / openssl crl / curl; hostile
requests; revocation visible within 1 s; clean SIGTERM; no fd leak."""
import base64
import http.client
import os
import signal
import socket
import subprocess
import time
import urllib.parse

from checks import CRASH_MARKS, CheckedTest, ServeMixin, pem_unwrap
from harness import CERTA


class ServeTest(ServeMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.proc = None
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.chain = self.path("chain.pem")
        self.leaf = self.issue(self.app, "transport", self.make_csr("leaf"))

    def ocsp(self, cert, issuer=None, *extra):
        # Options like -sha256 apply to the -cert after them.
        return self.openssl("ocsp", "-issuer", issuer or self.issuing,
                            *extra, "-cert", cert, "-url",
                            self.url + "/ocsp", "-CAfile", self.chain,
                            "-resp_text")

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def serial(self, cert):
        out = self.ossl_ok("x509", "-in", cert, "-noout", "-serial").text
        return out.strip().split("=")[1]

    # -- tests --------------------------------------------------------
    def test_good_revoked_unknown_nonce(self):
        self.start()
        r = self.ocsp(self.leaf)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("Response verify OK", r.errtext + r.text)
        self.assertIn("Cert Status: good", r.text)
        self.assertIn("OCSP Nonce", r.text)	# echoed
        self.assertIn("This Update", r.text)
        self.assertIn("Next Update", r.text)
        # Delegated responder: EKU OCSPSigning and ocsp-nocheck.
        self.assertIn("OCSP Signing", r.text)
        self.assertIn("OCSP No Check", r.text)
        # SHA-256 CertID as well as SHA-1.
        r = self.ocsp(self.leaf, None, "-sha256")
        self.assertIn("Cert Status: good", r.text)
        # Unknown serial of our CA: signed "unknown".
        r = self.openssl("ocsp", "-issuer", self.issuing, "-serial",
                         "0x1234567890abcdef", "-url", self.url + "/ocsp",
                         "-CAfile", self.chain, "-resp_text")
        self.assertIn("Response verify OK", r.errtext + r.text)
        self.assertIn("Cert Status: unknown", r.text)
        # A certificate of another CA: unknown.
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("o.key"), "-out", self.path("o.pem"),
                     "-subj", "/CN=other CA", "-days", "2")
        self.ossl_ok("x509", "-req", "-in", self.make_csr("ol"), "-CA",
                     self.path("o.pem"), "-CAkey", self.path("o.key"),
                     "-out", self.path("ol.pem"), "-days", "1")
        r = self.ocsp(self.path("ol.pem"), self.path("o.pem"))
        self.assertIn("Cert Status: unknown", r.text)
        # Revocation through the CLI (another process), timed; the answer
        # is pre-signed (cached) first, so the poll must replace it.
        for _ in range(2):
            r = self.ocsp(self.leaf, None, "-no_nonce")
            self.assertIn("Cert Status: good", r.text)
        t0 = time.monotonic()
        self.ok("cert", "revoke", self.serial(self.leaf), "--reason",
                "keyCompromise")
        while True:
            r = self.ocsp(self.leaf, None, "-no_nonce")
            if "Cert Status: revoked" in r.text:
                break
            self.assertLess(time.monotonic() - t0, 3.0, r)
            time.sleep(0.05)
        seen = time.monotonic() - t0
        self.assertLess(seen, 1.0, "revocation seen after %.2fs" % seen)
        with open(self.path("revocation-seen"), "w") as f:
            f.write("%.3f\n" % seen)
        if os.environ.get("CERTA_E2E_VERBOSE"):
            print("revocation seen %.3fs after the CLI started" % seen)
        self.assertIn("Response verify OK", r.errtext + r.text)
        self.assertIn("Revocation Reason: keyCompromise", r.text)
        self.assertIn("Revocation Time", r.text)
        self.stop()

    def test_get_form_and_cache_headers(self):
        self.start()
        self.ossl_ok("ocsp", "-issuer", self.issuing, "-cert", self.leaf,
                     "-no_nonce", "-reqout", self.path("req.der"))
        b64 = base64.b64encode(self.read("req.der")).decode()
        url = self.url + "/ocsp/" + urllib.parse.quote(b64, safe="")
        r = subprocess.run(["curl", "-sS", "-D", self.path("h.txt"), "-o",
                            self.path("resp.der"), url],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(r.returncode, 0, r)
        hdr = self.read("h.txt").decode().lower()
        self.assertIn(" 200 ", hdr.splitlines()[0])
        self.assertIn("content-type: application/ocsp-response", hdr)
        self.assertIn("cache-control: max-age=", hdr)
        self.assertIn("etag: \"", hdr)
        self.assertIn("last-modified: ", hdr)
        r = self.ossl_ok("ocsp", "-respin", self.path("resp.der"),
                         "-issuer", self.issuing, "-cert", self.leaf,
                         "-CAfile", self.chain)
        self.assertIn(": good", r.text)
        self.assertIn("Response verify OK", r.errtext + r.text)
        # Same request again: same ETag (pre-signed), 304 on If-None-Match.
        path = "/ocsp/" + urllib.parse.quote(b64, safe="")
        st, h, body = self.request("GET", path)
        self.assertEqual(st, 200)
        self.assertEqual(body, self.read("resp.der"))
        st, h2, body = self.request("GET", path,
                                    headers={"If-None-Match": h["ETag"]})
        self.assertEqual(st, 304)
        self.stop()

    def test_crl_and_ca_distribution(self):
        self.start()
        st, h, der = self.request("GET", "/ca/issuing.crt")
        self.assertEqual(st, 200)
        self.assertEqual(h["Content-Type"], "application/pkix-cert")
        self.assertEqual(der, pem_unwrap(self.read("issuing.pem")))
        st, h, der = self.request("GET", "/ca/root.crt")
        self.assertEqual(st, 200)
        self.assertEqual(der, pem_unwrap(self.read("root.pem")))
        serial = self.serial(self.leaf)
        self.ok("cert", "revoke", serial, "--reason", "superseded")
        deadline = time.time() + 5
        while True:
            r = subprocess.run(["curl", "-sS", "-o", self.path("crl.der"),
                                "-w", "%{http_code} %{content_type}",
                                self.url + "/crl/issuing.crl"],
                               stdout=subprocess.PIPE)
            self.assertEqual(r.stdout.decode(), "200 application/pkix-crl")
            r = self.ossl_ok("crl", "-inform", "DER", "-in",
                             self.path("crl.der"), "-CAfile", self.chain,
                             "-noout", "-text")
            self.assertIn("verify OK", r.errtext + r.text)
            if serial.upper() in r.text.upper():
                break
            self.assertLess(time.time(), deadline, "CRL never listed it")
            time.sleep(0.2)
        self.assertIn("Superseded", r.text)
        st, h, _ = self.request("GET", "/crl/issuing.crl")
        self.assertIn("max-age=", h["Cache-Control"])
        self.assertIn("ETag", h)
        self.assertIn("Expires", h)
        st, _, _ = self.request("GET", "/crl/nope.crl")
        self.assertEqual(st, 404)
        self.stop()

    def test_hostile_requests(self):
        self.start("--request-timeout", "2")
        ct = {"Content-Type": "application/ocsp-request"}
        st, h, body = self.request("POST", "/ocsp", b"garbage", ct)
        self.assertEqual(st, 400)
        self.assertEqual(body, bytes.fromhex("3003 0a01 01"))  # malformed
        st, _, _ = self.request("POST", "/ocsp", os.urandom(17 * 1024), ct)
        self.assertEqual(st, 413)
        st, _, _ = self.request("POST", "/ocsp", b"x",
                                {"Content-Type": "text/plain"})
        self.assertEqual(st, 415)
        st, h, _ = self.request("PUT", "/ocsp", b"x")
        self.assertEqual(st, 405)
        self.assertIn("POST", h["Allow"])
        st, _, _ = self.request("DELETE", "/crl/issuing.crl")
        self.assertEqual(st, 405)
        st, _, _ = self.request("GET", "/nowhere")
        self.assertEqual(st, 404)
        st, _, _ = self.request("GET", "/ocsp/!!!notbase64")
        self.assertEqual(st, 400)
        # Slow client: headers one byte at a time, past the deadline.
        s = socket.create_connection(("127.0.0.1", self.port))
        s.settimeout(0.2)
        t0 = time.monotonic()
        line = b"GET /ca/issuing.crt HTTP/1.1\r\nHost: x\r\nX-Slow: " + \
            b"a" * 200
        got = b""
        for i in range(len(line)):
            try:
                s.send(line[i:i + 1])
            except OSError:
                break
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            except socket.timeout:
                pass
            if time.monotonic() - t0 > 6:
                break
        elapsed = time.monotonic() - t0
        s.close()
        self.assertIn(b"408", got.split(b"\r\n")[0] if got else b"", got)
        self.assertLess(elapsed, 4.0)
        # Still answering.
        r = self.ocsp(self.leaf)
        self.assertIn("Cert Status: good", r.text)
        self.stop()

    def test_sighup_reload(self):
        acc = self.path("acc.log")
        self.start("--access-log", acc)
        st, h1, crl1 = self.request("GET", "/crl/issuing.crl")
        self.assertEqual(st, 200)
        time.sleep(0.4)		# flushed by the tick
        os.rename(acc, acc + ".1")	# logrotate, then SIGHUP
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while True:
            st, h2, crl2 = self.request("GET", "/crl/issuing.crl")
            self.assertEqual(st, 200)
            if h2["ETag"] != h1["ETag"]:
                break
            self.assertLess(time.time(), deadline, "no new CRL on SIGHUP")
            time.sleep(0.1)
        self.write("c1.der", crl1)
        self.write("c2.der", crl2)
        n1 = self.ossl_ok("crl", "-inform", "DER", "-in", self.path("c1.der"),
                          "-noout", "-crlnumber").text
        n2 = self.ossl_ok("crl", "-inform", "DER", "-in", self.path("c2.der"),
                          "-noout", "-crlnumber").text
        self.assertLess(int(n1.split("=")[1], 16), int(n2.split("=")[1], 16))
        r = self.ocsp(self.leaf)
        self.assertIn("Cert Status: good", r.text)
        self.assertIn("SIGHUP", self.stop())
        # Lines after the reopen went to the new file, none were lost.
        with open(acc + ".1") as f:
            old = f.read()
        with open(acc) as f:
            new = f.read()
        self.assertIn('"path":"/crl/issuing.crl"', old)
        self.assertIn('"path":"/ocsp"', new)

    def test_connection_cap(self):
        self.start("--max-conns-per-addr", "4")
        socks = [socket.create_connection(("127.0.0.1", self.port))
                 for _ in range(4)]
        time.sleep(0.2)
        extra = socket.create_connection(("127.0.0.1", self.port))
        extra.settimeout(5)
        data = extra.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 503"), data)
        extra.close()
        for s in socks:
            s.close()
        time.sleep(0.3)
        st, _, _ = self.request("GET", "/ca/issuing.crt")
        self.assertEqual(st, 200)
        self.stop()

    def test_idle_flood(self):
        # 600 idle connections from one address: 512 are let in (the
        # per-address cap), the rest get 503; the deadline then closes
        # the idle ones with 408, and the daemon answers throughout.
        self.start("--request-timeout", "3")
        pid = self.proc.pid
        time.sleep(0.3)
        base = len(os.listdir("/proc/%d/fd" % pid))
        socks = []
        for i in range(600):
            s = socket.create_connection(("127.0.0.1", self.port))
            s.settimeout(10)
            socks.append(s)
            if i % 50 == 49:
                time.sleep(0.05)	# let the listen backlog drain
        time.sleep(0.5)
        # Another client address is still served during the flood.
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5,
                                       source_address=("127.0.0.2", 0))
        c.request("GET", "/ca/issuing.crt")
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        # Which ones are refused depends on accept order (a full backlog
        # makes clients retry), so count: 88 refused, 512 timed out.
        seen = {}
        for s in socks:
            first = s.recv(4096).split(b"\r\n")[0]
            seen[first] = seen.get(first, 0) + 1
        self.assertEqual(seen.get(b"HTTP/1.1 503 Service Unavailable"), 88,
                         seen)
        self.assertEqual(seen.get(b"HTTP/1.1 408 Request Timeout"), 512,
                         seen)
        for s in socks:
            s.close()
        time.sleep(0.5)
        st, _, _ = self.request("GET", "/ca/issuing.crt")
        self.assertEqual(st, 200)
        r = self.ocsp(self.leaf)
        self.assertIn("Cert Status: good", r.text)
        self.assertEqual(len(os.listdir("/proc/%d/fd" % pid)), base)
        self.stop()

    def test_no_fd_leak_and_sigterm(self):
        self.start()
        pid = self.proc.pid
        self.ossl_ok("ocsp", "-issuer", self.issuing, "-cert", self.leaf,
                     "-no_nonce", "-reqout", self.path("req.der"))
        req = self.read("req.der")
        ct = {"Content-Type": "application/ocsp-request"}
        self.request("POST", "/ocsp", req, ct)	# warm up
        time.sleep(0.5)
        before = len(os.listdir("/proc/%d/fd" % pid))
        for i in range(200):
            if i % 4 == 0:
                st, _, _ = self.request("POST", "/ocsp", b"junk", ct)
                self.assertEqual(st, 400)
            elif i % 4 == 1:
                st, _, _ = self.request("GET", "/crl/issuing.crl")
                self.assertEqual(st, 200)
            else:
                st, _, _ = self.request("POST", "/ocsp", req, ct)
                self.assertEqual(st, 200)
        # Keep-alive: 100 requests on one connection.
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        for i in range(100):
            c.request("POST", "/ocsp", body=req, headers=ct)
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        c.close()
        time.sleep(0.5)
        after = len(os.listdir("/proc/%d/fd" % pid))
        self.assertEqual(before, after)
        err = self.stop()
        self.assertIn("draining", err)
        with open(self.path("access.log")) as f:
            lines = f.read().splitlines()
        self.assertGreaterEqual(len(lines), 300)
        import json
        rec = json.loads(lines[-1])
        for k in ("time", "id", "peer", "method", "path", "status", "us"):
            self.assertIn(k, rec)
