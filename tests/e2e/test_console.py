"""The web console (GitHub issue 7): its assets compiled into the binary
and served by `certa serve` on the API listener with strict security
headers, ETags and 404 problem+json (judged with curl), and every flow of
the issue in a real browser: headless Chromium from Debian driven by
playwright-core (tests/console/console.mjs) against a real `certa serve`
and `certa gate`.  The files the browser downloads are judged by openssl
(x509, pkcs7, pkcs12, ocsp); screenshots go to tests/e2e/artifacts/."""
import json
import os
import re
import shutil
import socket
import socketserver
import subprocess
import threading
import time

from checks import CRASH_MARKS, CheckedTest, ServeMixin, pem_unwrap
from harness import CERTA

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONSOLE = os.path.join(ROOT, "tests", "console")
WEB = os.path.join(ROOT, "web")
ARTIFACTS = os.path.join(HERE, "artifacts", "console")
CHROMIUM = os.environ.get("CERTA_CHROMIUM", "/usr/bin/chromium")
CSP = "default-src 'self'; frame-ancestors 'none'"


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(4096)
            if not d:
                break
            self.request.sendall(d)


class EchoServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ConsoleTest(ServeMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.gate = None
        self.echo = None
        self.root, self.issuing = self.chain_files()
        self.admin = self.ok("token", "create", "--role", "admin",
                             "--name", "admin").text.strip()

    def tearDown(self):
        if self.gate is not None and self.gate.poll() is None:
            self.gate.kill()
            self.gate.wait()
        if self.echo is not None:
            self.echo.shutdown()
            self.echo.server_close()
        super().tearDown()

    # -- helpers ------------------------------------------------------
    def get(self, path, *headers, method="GET"):
        """(status, headers, body) of one request made by curl."""
        hdr, out = self.path("h.txt"), self.path("b.bin")
        for f in (hdr, out):
            if os.path.exists(f):
                os.unlink(f)
        args = ["curl", "-sS", "--path-as-is", "--cacert", self.root,
                "-o", out, "-D", hdr, "-w", "%{http_code}"]
        args += ["-I"] if method == "HEAD" else ["-X", method]
        for h in headers:
            args += ["-H", h]
        p = subprocess.run(args + [self.api + path], capture_output=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        hs = {}
        with open(hdr, "rb") as f:
            for ln in f.read().decode().splitlines()[1:]:
                if ":" in ln:
                    k, v = ln.split(":", 1)
                    hs[k.strip().lower()] = v.strip()
        if not os.path.exists(out):
            return int(p.stdout), hs, b""
        with open(out, "rb") as f:
            return int(p.stdout), hs, f.read()

    def start_gate(self, *args):
        portf = self.path("gate.port")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CERTA_") or k == "CERTA_BIN"}
        self.gerr = open(self.path("gate.err"), "wb")
        self.gate = subprocess.Popen(
            [CERTA, "--dir", self.dir, "gate", "--port-file", portf] +
            list(args), stdout=subprocess.DEVNULL, stderr=self.gerr,
            env=env, cwd=self.tmp)
        t0 = time.time()
        while time.time() - t0 < 20:
            if os.path.exists(portf) and self.read("gate.port").strip():
                self.gport = int(self.read("gate.port").split()[0])
                return
            self.assertIsNone(self.gate.poll(), self.read("gate.err"))
            time.sleep(0.05)
        self.fail("gate did not start")

    def knock(self, cert, key, data=b"ping\n"):
        """openssl s_client through the gate: (rc, stdout+stderr)."""
        p = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.gport,
             "-CAfile", self.path("chain.pem"), "-verify_return_error",
             "-verify_hostname", "localhost", "-quiet", "-cert", cert,
             "-key", key], input=data, capture_output=True, timeout=20)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def tls_talk(self, cert, key, data):
        import ssl
        ctx = ssl.create_default_context(cafile=self.path("chain.pem"))
        ctx.load_cert_chain(cert, key)
        with socket.create_connection(("127.0.0.1", self.gport),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                t.sendall(data)
                return t.recv(4096)

    def self_signed(self, name, *ext):
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path(name + ".key"), "-out",
                     self.path(name + ".pem"), "-subj", "/CN=" + name,
                     "-days", "30", *ext)
        return self.path(name + ".pem"), self.path(name + ".key")

    def need_browser(self):
        """Chromium and playwright-core must be there: fail, never skip."""
        if not os.access(CHROMIUM, os.X_OK):
            self.fail("%s is missing: install Debian's chromium "
                      "(scripts/deps.sh --test)" % CHROMIUM)
        if not os.path.isdir(os.path.join(CONSOLE, "node_modules",
                                          "playwright-core")):
            self.fail("playwright-core is missing: npm ci --prefix "
                      "tests/console (scripts/deps.sh --test)")
        if shutil.which("node") is None:
            self.fail("node is missing (scripts/deps.sh --test)")

    # -- tests --------------------------------------------------------
    def test_assets_and_headers(self):
        self.start()
        st, hs, index = self.get("/")
        self.assertEqual(st, 200)
        self.assertEqual(hs["content-type"], "text/html; charset=utf-8")
        self.assertEqual(hs["content-security-policy"], CSP)
        self.assertEqual(hs["x-content-type-options"], "nosniff")
        self.assertEqual(hs["referrer-policy"], "no-referrer")
        self.assertEqual(hs["cache-control"], "no-cache")
        self.assertRegex(hs["etag"], r'^"[0-9a-f]{32}"$')
        with open(os.path.join(WEB, "index.html"), "rb") as f:
            self.assertEqual(index, f.read())
        # The CSP allows no inline code: the page has none.
        self.assertNotRegex(index.decode(), r"<script(?![^>]*\bsrc=)")
        self.assertNotIn(" style=", index.decode())
        self.assertNotIn("<style", index.decode())
        self.assertEqual(self.get("/index.html")[2], index)
        # Revalidation.
        st, hs2, body = self.get("/", "If-None-Match: " + hs["etag"])
        self.assertEqual((st, body), (304, b""))
        self.assertEqual(hs2["etag"], hs["etag"])
        self.assertEqual(self.get("/", 'If-None-Match: "0000"')[0], 200)
        st, hs3, _ = self.get("/", method="HEAD")
        self.assertEqual(st, 200)
        self.assertEqual(int(hs3["content-length"]), len(index))
        # Every file of web/ is in the binary, byte for byte, typed.
        types = {".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml",
                 ".html": "text/html; charset=utf-8"}
        n = 0
        for base, _, files in os.walk(os.path.join(WEB, "assets")):
            for name in files:
                full = os.path.join(base, name)
                rel = "/" + os.path.relpath(full, WEB)
                st, h, body = self.get(rel)
                self.assertEqual(st, 200, rel)
                with open(full, "rb") as f:
                    self.assertEqual(body, f.read(), rel)
                self.assertEqual(h["content-type"],
                                 types[os.path.splitext(name)[1]], rel)
                self.assertEqual(h["content-security-policy"], CSP)
                n += 1
                if name.endswith(".js"):
                    self.assertNotIn("http://", body.decode(), rel)
                    self.assertNotIn("https://", body.decode(), rel)
        self.assertGreaterEqual(n, 5)
        # Unknown assets: 404 problem+json like the API; no console
        # outside GET; the API is untouched.
        for path in ("/assets/nope.js", "/assets/../index.html",
                     "/favicon.ico", "/web/index.html"):
            st, h, body = self.get(path)
            self.assertEqual(st, 404, path)
            self.assertEqual(h["content-type"], "application/problem+json")
            self.assertEqual(json.loads(body)["code"], "no_route")
            self.assertNotIn("content-security-policy", h)
        st, h, body = self.get("/", method="POST")
        self.assertEqual(st, 404)
        st, h, body = self.get("/api/v1/whoami")
        self.assertEqual(st, 401)
        self.stop()

    def test_console_in_chromium(self):
        self.need_browser()
        self.start()
        # The pending request: an organisation that needs an approver.
        self.ok("org", "create", "strict")
        self.ok("org", "update", "strict", "--approval", "required")
        self.ok("app", "create", "--org", "strict", "vault")
        r = self.ok("cert", "issue", "--app", "strict/vault", "--type",
                    "transport", "--csr", self.make_csr("vault"))
        req = re.search(r"request (\d+) \(issue\) is pending", r.text)
        self.assertIsNotNone(req, r)
        req = req.group(1)
        r = self.ok("cert", "issue", "--app", "strict/vault", "--type",
                    "transport", "--csr", self.make_csr("vault2"))
        req2 = re.search(r"request (\d+) \(issue\) is pending", r.text)
        self.assertIsNotNone(req2, r)
        req2 = req2.group(1)
        # A client knocks on the gate and is rejected.
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        self.echo = EchoServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=self.echo.serve_forever, daemon=True).start()
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % self.echo.server_address[1],
                        "--mode", "trusted_list", "--auto-reject")
        bob, bob_key = self.self_signed(
            "bob", "-addext", "extendedKeyUsage=clientAuth")
        rc, out = self.knock(bob, bob_key)
        self.assertIn("alert unknown ca", out)
        rej = json.loads(self.ok("trust", "list", "--list", "rejected",
                                 "--json").text)
        self.assertEqual([e["subject"] for e in rej], ["CN=bob"])
        # A CA to import, a CSR to upload.
        partner, _ = self.self_signed(
            "Console Partner CA", "-addext",
            "basicConstraints=critical,CA:TRUE", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign")
        csr = self.make_csr("console", "/CN=console-client")
        # A client certificate mapped to the auditor role.
        self.ok("org", "create", "robots")
        self.ok("app", "create", "--org", "robots", "arm")
        robot = self.issue("robots/arm", "transport",
                           self.make_csr("robot", "/CN=robot"))
        fp = self.ossl_ok("x509", "-in", robot, "-noout", "-fingerprint",
                          "-sha256").text.split("=")[1].strip()
        self.ok("role", "map", "--fingerprint",
                fp.replace(":", "").lower(), "--role", "auditor")
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        work = self.path("browser")
        env = dict(os.environ, CONSOLE_URL=self.api,
                   CONSOLE_TOKEN=self.admin, CONSOLE_WORK=work,
                   CONSOLE_ARTIFACTS=ARTIFACTS, CONSOLE_CSR=csr,
                   CONSOLE_TRUST_PEM=partner, CONSOLE_REJECTED="CN=bob",
                   CONSOLE_REQUEST=req, CONSOLE_REQUEST2=req2,
                   CONSOLE_CSR2=self.make_csr("signer2",
                                              "/CN=console-signer"),
                   CONSOLE_CHROMIUM=CHROMIUM,
                   CONSOLE_CLIENT_CERT=robot,
                   CONSOLE_CLIENT_KEY=self.path("robot.key"),
                   GATE_PORT=str(self.gport))
        p = subprocess.run(["node", os.path.join(CONSOLE, "console.mjs")],
                           env=env, capture_output=True, timeout=240,
                           cwd=CONSOLE)
        lines = p.stdout.decode(errors="replace").strip().splitlines()
        self.assertTrue(lines, p.stderr.decode(errors="replace"))
        res = json.loads(lines[-1])
        self.assertEqual(p.returncode, 0, json.dumps(res, indent=1) +
                         p.stderr.decode(errors="replace")[-2000:])
        self.assertTrue(res["ok"], res)
        self.assertEqual(res["console_errors"], [])
        files = {k: v["path"] for k, v in res["files"].items()
                 if isinstance(v, dict)}

        # The certificate made from the uploaded CSR, in four formats.
        pem = files["issued.pem"]
        self.assertIn("CN=console-client", self.ossl_ok(
            "x509", "-in", pem, "-noout", "-subject").text.replace(" ", ""))
        self.ossl_ok("verify", "-CAfile", self.path("chain.pem"), pem)
        self.assertEqual(self.ossl_ok("x509", "-in", pem, "-pubkey",
                                      "-noout").text,
                         self.ossl_ok("req", "-in", csr, "-pubkey",
                                      "-noout").text)
        fp = self.ossl_ok("x509", "-in", pem, "-noout", "-fingerprint",
                          "-sha256").text
        self.assertEqual(self.ossl_ok("x509", "-inform", "DER", "-in",
                                      files["issued.der"], "-noout",
                                      "-fingerprint", "-sha256").text, fp)
        with open(files["issued.p7b"], "rb") as f:
            p7 = f.read()
        p7form = "PEM" if p7.startswith(b"-----") else "DER"
        self.assertIn("CN=console-client", self.ossl_ok(
            "pkcs7", "-inform", p7form, "-in", files["issued.p7b"],
            "-print_certs", "-noout").text.replace(" ", ""))
        self.assertIn(b"BEGIN CERTIFICATE", self.ossl_ok(
            "pkcs12", "-in", files["issued.p12"], "-passin",
            "pass:console secret", "-nokeys").out)
        gen = self.ossl_ok("pkcs12", "-in", files["generated.p12"],
                           "-passin", "pass:long console secret",
                           "-nodes").text
        self.assertIn("PRIVATE KEY", gen)
        self.assertIn("console-signer", gen)
        # The trust certificate: exported as imported, then deleted.
        with open(files["partner.pem"], "rb") as f:
            self.assertEqual(pem_unwrap(f.read()),
                             pem_unwrap(self.read("Console Partner CA.pem")))
        trust = json.loads(self.ok("trust", "list", "--json").text)
        self.assertNotIn("partner", [e["alias"] for e in trust])
        # Trusted in the console: bob now connects through the gate.
        self.assertIn(("CN=bob", "trusted"),
                      [(e["subject"], e["list"]) for e in trust])
        self.assertEqual(self.tls_talk(bob, bob_key, b"hello\n"), b"hello\n")
        # The request was approved by the console's admin.
        show = json.loads(self.ok("request", "show", req, "--json").text)
        self.assertEqual(show["state"], "issued")
        self.assertEqual(show["decided_by"], "api:token:admin")
        show = json.loads(self.ok("request", "show", req2, "--json").text)
        self.assertEqual((show["state"], show["comment"]),
                         ("rejected", "wrong CN"))
        # Reissued with a new key and the old one revoked at once; a
        # renewal before its window was refused in the API's words.
        self.assertIn("renew", res["renew_error"].lower())
        certs = {c["id"]: c for c in
                 json.loads(self.ok("cert", "list", "--json").text)}
        old, new = certs[res["files"]["signer_id"]], \
            certs[res["files"]["reissued_id"]]
        self.assertEqual(old["status"], "revoked")
        self.assertEqual(new["status"], "valid")
        self.assertEqual(new["predecessor"], old["id"])
        self.assertEqual(new["subject"], "CN=console-signer")
        # Revoked with a reason: OCSP says so.
        r = self.ossl_ok("ocsp", "-issuer", self.issuing, "-cert", pem,
                         "-url", self.url + "/ocsp", "-CAfile",
                         self.path("chain.pem"))
        self.assertIn(": revoked", r.text)
        self.assertIn("keyCompromise", r.text)
        # The audit log's export: JSON lines, in order, with the revocation.
        with open(files["audit.jsonl"]) as f:
            rows = [json.loads(ln) for ln in f if ln.strip()]
        self.assertEqual([e["seq"] for e in rows],
                         sorted(e["seq"] for e in rows))
        self.assertTrue(any("revoke" in e["action"] for e in rows))
        # Settings made in the console: a token (revoked there), the
        # trust settings, a webhook channel, an organisation's thresholds.
        toks = {t["name"]: t for t in
                json.loads(self.ok("token", "list", "--json").text)}
        self.assertEqual((toks["console-ci"]["role"],
                          toks["console-ci"]["status"]),
                         ("auditor", "revoked"))
        self.assertEqual(json.loads(self.ok("settings", "show",
                                            "--json").text),
                         {"mode": "certa_ca", "auto_reject": True})
        chans = json.loads(self.ok("notify", "channel", "list",
                                   "--json").text)
        self.assertEqual([c["target"] for c in chans],
                         ["https://hooks.example/console"])
        audit = self.ok("audit", "list", "--json").text
        self.assertIn("notify.org.set", audit)
        self.assertNotIn("console-webhook-secret", audit)
        # A screenshot per page.
        shots = [f for f in os.listdir(ARTIFACTS) if f.endswith(".png")]
        self.assertGreaterEqual(len(shots), 23, shots)
        self.assertIn("sign in with a client certificate",
                      [st["name"] for st in res["steps"]])
        self.gate.terminate()
        self.assertEqual(self.gate.wait(timeout=15), 0)
        self.gerr.close()
        for m in CRASH_MARKS:
            self.assertNotIn(m, self.read("gate.err").decode())
        self.stop()
