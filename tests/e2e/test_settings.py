"""The console's Settings routes of certa serve, driven by curl: bearer
tokens (list without secrets, create shown once, revoke -> the token stops
working), notification channels (write-only secrets) and per-organisation
thresholds, the trust settings; roles (401/403) and bad input (400/415/
422).  Then a certa gate started without --mode follows a mode change made
through the API, without restart (Python's TLS client and openssl
s_client as peers)."""
import json
import socket
import socketserver
import ssl
import subprocess
import threading
import time

from checks import CheckedTest, GateMixin, ServeMixin

TOKEN_RE = r"^certa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$"


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(4096)
            if not d:
                break
            self.request.sendall(d)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SettingsTest(GateMixin, ServeMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.servers = []
        self.root, self.issuing = self.chain_files()
        self.admin = self.ok("token", "create", "--role", "admin",
                             "--name", "admin").text.strip()
        self.tok = {r: self.ok("token", "create", "--role", r, "--name",
                               "st-" + r).text.strip()
                    for r in ("approver", "operator", "auditor")}
        self.ok("org", "create", "acme")

    def tearDown(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()
        super().tearDown()

    # -- curl ---------------------------------------------------------
    def curl(self, method, path, token=None, body=None, ctype=None):
        hdr, out = self.path("h.txt"), self.path("b.bin")
        args = ["curl", "-sS", "-X", method, "--cacert", self.root,
                "-o", out, "-D", hdr, "-w", "%{http_code}"]
        if token:
            args += ["-H", "Authorization: Bearer " + token]
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
                ctype = ctype or "application/json"
            with open(self.path("req.bin"), "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            args += ["--data-binary", "@" + self.path("req.bin")]
        if ctype:
            args += ["-H", "Content-Type: " + ctype]
        p = subprocess.run(args + [self.api + path], capture_output=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "rb") as f:
            data = f.read()
        hs = {}
        with open(hdr, "rb") as f:
            for ln in f.read().decode(errors="replace").splitlines()[1:]:
                if ":" in ln:
                    k, v = ln.split(":", 1)
                    hs[k.strip().lower()] = v.strip()
        body = json.loads(data) if data and hs.get(
            "content-type", "").endswith("json") else data
        return int(p.stdout), hs, body

    def want(self, status, *args, **kw):
        st, hs, body = self.curl(*args, **kw)
        self.assertEqual(st, status, body)
        return body

    def problem(self, status, code, *args, **kw):
        st, hs, body = self.curl(*args, **kw)
        self.assertEqual(st, status, body)
        self.assertEqual(hs["content-type"], "application/problem+json")
        self.assertEqual(body["code"], code, body)
        return body

    def roles(self, method, path, allowed, body=None):
        """401 without a caller; 403 for each role not allowed."""
        self.problem(401, "unauthenticated", method, path, body=body)
        for r, t in self.tok.items():
            st, _, b = self.curl(method, path, t, body=body)
            if r in allowed:
                self.assertNotIn(st, (401, 403), (path, r, b))
            else:
                self.assertEqual(st, 403, (path, r, b))
                self.assertEqual(b["code"], "forbidden")

    # -- tokens -------------------------------------------------------
    def test_tokens(self):
        self.start()
        T = "/api/v1/tokens"
        self.roles("GET", T, ("auditor",))
        self.roles("POST", T, (), body={"role": "auditor"})
        self.roles("DELETE", T + "/st-auditor", ())
        self.problem(422, "invalid_field", "POST", T, self.admin,
                     body={"role": "boss", "name": "x"})
        self.problem(422, "missing_field", "POST", T, self.admin,
                     body={"name": "x"})
        self.problem(422, "invalid_field", "POST", T, self.admin,
                     body={"role": "auditor", "name": 7})
        self.problem(422, "invalid_input", "POST", T, self.admin,
                     body={"role": "auditor", "name": "bad\nname"})
        self.problem(400, "malformed_json", "POST", T, self.admin,
                     body='{"role": ', ctype="application/json")
        self.problem(415, "unsupported_media_type", "POST", T, self.admin,
                     body="role=admin", ctype="text/plain")
        st, hs, made = self.curl("POST", T, self.admin,
                                 body={"role": "operator", "name": "ci"})
        self.assertEqual(st, 201, made)
        self.assertRegex(made["token"], TOKEN_RE)
        self.assertEqual((made["name"], made["role"], made["status"]),
                         ("ci", "operator", "live"))
        self.assertEqual(hs["location"], T + "/" + made["id"])
        self.assertTrue(made["token"].startswith("certa_" + made["id"]))
        self.assertEqual(hs.get("cache-control"), "no-store")
        secret = made["token"]
        # The new token works; its role applies.
        who = self.want(200, "GET", "/api/v1/whoami", secret)
        self.assertEqual(who, {"actor": "api:token:ci", "role": "operator"})
        self.problem(403, "forbidden", "GET", T, secret)
        self.problem(409, "conflict", "POST", T, self.admin,
                     body={"role": "auditor", "name": "ci"})
        # Listed (auditor may read), never with a secret.
        st, _, raw = self.curl("GET", T, self.tok["auditor"])
        self.assertEqual(st, 200)
        lst = raw
        self.assertIsNone(lst["next"])
        names = {t["name"]: t for t in lst["items"]}
        self.assertIn("ci", names)
        self.assertTrue(all("token" not in t for t in lst["items"]))
        self.assertNotIn(secret.split("_", 2)[2],
                         json.dumps(lst))
        # Revoke by name: 204; the token stops working; again: 409.
        self.want(204, "DELETE", T + "/ci", self.admin)
        self.problem(401, "unauthenticated", "GET", "/api/v1/whoami", secret)
        self.problem(409, "conflict", "DELETE", T + "/" + made["id"],
                     self.admin)
        self.problem(404, "not_found", "DELETE", T + "/no-such-token",
                     self.admin)
        lst = self.want(200, "GET", T, self.admin)
        st = {t["id"]: t for t in lst["items"]}[made["id"]]
        self.assertEqual(st["status"], "revoked")
        self.assertIsNotNone(st["revoked_at"])
        # The CLI sees the API's token.
        cli = json.loads(self.ok("token", "list", "--json").text)
        self.assertIn("ci", [t["name"] for t in cli])
        self.stop()

    # -- notifications ------------------------------------------------
    def test_channels_and_thresholds(self):
        self.start()
        C = "/api/v1/notifications/channels"
        secret = "hook-secret-0123456789abcdef"
        hook = {"kind": "webhook", "target": "https://hooks.example/x",
                "secret": secret, "organisation": "acme"}
        self.roles("GET", C, ("auditor",))
        self.roles("POST", C, (), body=hook)
        self.roles("DELETE", C + "/1", ())
        for bad, code in (({"kind": "fax", "target": "x"}, "invalid_field"),
                          ({"kind": "webhook"}, "missing_field"),
                          (dict(hook, secret="short"), "invalid_input"),
                          (dict(hook, target="ftp://x"), "invalid_input"),
                          ({"kind": "smtp", "target": "nobody"},
                           "invalid_input"),
                          (dict(hook, secret=5), "invalid_field")):
            self.problem(422, code, "POST", C, self.admin, body=bad)
        self.problem(404, "not_found", "POST", C, self.admin,
                     body=dict(hook, organisation="nope"))
        made = self.want(201, "POST", C, self.admin, body=hook)
        self.assertEqual((made["kind"], made["target"], made["has_secret"],
                          made["enabled"]),
                         ("webhook", hook["target"], True, True))
        self.assertIsNotNone(made["organisation"])
        self.assertNotIn("secret", made)
        mail = self.want(201, "POST", C, self.admin,
                         body={"kind": "smtp", "target": "ops@example.org"})
        self.assertIsNone(mail["organisation"])
        self.assertFalse(mail["has_secret"])
        st, _, raw = self.curl("GET", C, self.tok["auditor"])
        self.assertEqual(st, 200)
        self.assertEqual([c["id"] for c in raw["items"]],
                         [made["id"], mail["id"]])
        self.assertNotIn(secret, json.dumps(raw))
        self.want(204, "DELETE", C + "/" + mail["id"], self.admin)
        self.problem(404, "not_found", "DELETE", C + "/" + mail["id"],
                     self.admin)
        self.problem(404, "not_found", "DELETE", C + "/abc", self.admin)
        cli = json.loads(self.ok("notify", "channel", "list",
                                 "--json").text)
        self.assertEqual([c["id"] for c in cli], [made["id"]])
        # Per-organisation thresholds and switch.
        N = "/api/v1/organisations/acme/notifications"
        got = self.want(200, "GET", N, self.tok["operator"])
        self.assertEqual((got["thresholds"], got["enabled"]),
                         ([90, 30, 7, 1], True))
        self.roles("PUT", N, (), body={"enabled": False})
        for bad, code in (({}, "missing_field"),
                          ({"thresholds": [0]}, "invalid_field"),
                          ({"thresholds": [7, 7]}, "invalid_field"),
                          ({"thresholds": []}, "invalid_field"),
                          ({"thresholds": "60,14"}, "invalid_field"),
                          ({"enabled": "yes"}, "invalid_field")):
            self.problem(422, code, "PUT", N, self.admin, body=bad)
        self.problem(404, "not_found", "PUT",
                     "/api/v1/organisations/nope/notifications",
                     self.admin, body={"enabled": False})
        self.problem(404, "not_found", "GET",
                     "/api/v1/organisations/nope/notifications", self.admin)
        got = self.want(200, "PUT", N, self.admin,
                        body={"thresholds": [3, 60, 14]})
        self.assertEqual((got["thresholds"], got["enabled"]),
                         ([60, 14, 3], True))
        got = self.want(200, "PUT", N, self.admin, body={"enabled": False})
        self.assertEqual((got["thresholds"], got["enabled"]),
                         ([60, 14, 3], False))
        got = self.want(200, "PUT", N, self.admin,
                        body={"thresholds": None, "enabled": True})
        self.assertEqual((got["thresholds"], got["enabled"]),
                         ([90, 30, 7, 1], True))
        audit = self.want(200, "GET", "/api/v1/audit?limit=1000", self.admin)
        acts = [(r["action"], r["actor"]) for r in audit["items"]]
        self.assertIn(("notify.channel.add", "api:token:admin"), acts)
        self.assertIn(("notify.org.set", "api:token:admin"), acts)
        self.assertNotIn(secret, json.dumps(audit))
        self.stop()

    # -- trust settings -----------------------------------------------
    def test_trust_settings(self):
        self.start()
        S = "/api/v1/settings/trust"
        got = self.want(200, "GET", S, self.tok["operator"])
        self.assertEqual(got, {"mode": "trusted_ca", "auto_reject": False})
        self.roles("PUT", S, (), body={"mode": "accept_any"})
        for bad, code in (({}, "missing_field"),
                          ({"mode": "nope"}, "invalid_field"),
                          ({"mode": 3}, "invalid_field"),
                          ({"auto_reject": "on"}, "invalid_field")):
            self.problem(422, code, "PUT", S, self.admin, body=bad)
        self.problem(400, "malformed_json", "PUT", S, self.admin,
                     body="{", ctype="application/json")
        got = self.want(200, "PUT", S, self.admin,
                        body={"mode": "trusted_list", "auto_reject": True})
        self.assertEqual(got, {"mode": "trusted_list", "auto_reject": True})
        got = self.want(200, "PUT", S, self.admin, body={"auto_reject": False})
        self.assertEqual(got, {"mode": "trusted_list", "auto_reject": False})
        cli = json.loads(self.ok("settings", "show", "--json").text)
        self.assertEqual(cli, got)
        audit = self.want(200, "GET", "/api/v1/audit?limit=1000", self.admin)
        sets = [(r["object"], r["actor"]) for r in audit["items"]
                if r["action"] == "config.set"]
        self.assertEqual(sets, [("trust.mode", "api:token:admin"),
                                ("trust.auto_reject", "api:token:admin"),
                                ("trust.auto_reject", "api:token:admin")])
        self.refused(2, "expected on or off", "settings", "set",
                     "--auto-reject", "maybe", one_line=False)
        self.stop()

    # -- the gate follows ---------------------------------------------
    def echo_upstream(self):
        srv = Server(("127.0.0.1", 0), Echo)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return srv.server_address[1]

    def attempt(self, cert, key):
        """'ok' when the gate lets the client through, else the error."""
        ctx = ssl.create_default_context(cafile=self.path("chain.pem"))
        ctx.load_cert_chain(cert, key)
        try:
            with socket.create_connection(("127.0.0.1", self.gport),
                                          timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                    t.sendall(b"ping\n")
                    buf = b""
                    while b"\n" not in buf:
                        d = t.recv(4096)
                        if not d:
                            break
                        buf += d
                    return "ok" if buf == b"ping\n" else repr(buf)
        except (ssl.SSLError, OSError) as e:
            return str(e)

    def until(self, cert, key, want, limit=3.0):
        t0 = time.time()
        while True:
            got = self.attempt(cert, key)
            if (got == "ok") == (want == "ok"):
                return time.time() - t0
            self.assertLess(time.time() - t0, limit, (got, self.read(
                "gate.err")))
            time.sleep(0.1)

    def test_gate_follows_mode_without_restart(self):
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        key, pem = self.path("bob.key"), self.path("bob.pem")
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                     "-out", pem, "-subj", "/CN=bob", "-days", "30",
                     "-addext", "extendedKeyUsage=clientAuth")
        up = self.echo_upstream()
        self.start()
        S = "/api/v1/settings/trust"
        # An explicit --mode wins over the setting.
        self.want(200, "PUT", S, self.admin, body={"mode": "accept_any"})
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up, "--mode", "trusted_ca")
        self.assertNotEqual(self.attempt(pem, key), "ok")
        self.stop_gate()
        # Without --mode: the setting (accept_any) applies...
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up)
        self.assertIn("mode from settings", self.read("gate.err").decode())
        self.assertEqual(self.attempt(pem, key), "ok")
        # ... and a change through the API applies within ~1 s, no restart.
        self.want(200, "PUT", S, self.admin,
                  body={"mode": "trusted_list", "auto_reject": True})
        self.assertLess(self.until(pem, key, "refused"), 2.5)
        p = subprocess.run(["openssl", "s_client", "-connect",
                            "127.0.0.1:%d" % self.gport, "-CAfile",
                            self.path("chain.pem"), "-cert", pem, "-key",
                            key, "-quiet"], input=b"ping\n",
                           capture_output=True, timeout=20)
        self.assertIn("alert unknown ca",
                      (p.stdout + p.stderr).decode(errors="replace"))
        # auto_reject came from the settings too: bob is in the rejected
        # list; trusting him lets him in (trusted_list).
        rej = json.loads(self.ok("trust", "list", "--list", "rejected",
                                 "--json").text)
        self.assertEqual([r["subject"] for r in rej], ["CN=bob"])
        self.ok("trust", "trust", rej[0]["alias"])
        self.assertEqual(self.attempt(pem, key), "ok")
        # certa_ca through the CLI: bob is not issued by certa, refused.
        self.ok("settings", "set", "--mode", "certa_ca")
        self.assertLess(self.until(pem, key, "refused"), 2.5)
        self.stop_gate()
        self.stop()

    def test_settings_cli(self):
        out = self.ok("settings", "show").text
        self.assertEqual(out, "mode trusted_ca\nauto-reject off\n")
        self.ok("settings", "set", "--mode", "certa_ca", "--auto-reject",
                "on")
        self.assertEqual(json.loads(self.ok("settings", "show",
                                            "--json").text),
                         {"mode": "certa_ca", "auto_reject": True})
        self.refused(2, "give --mode", "settings", "set", one_line=False)
        self.refused(2, "expected show or set", "settings", "frob",
                     one_line=False)
        r = self.certa("settings", "set", "--mode", "bogus")
        self.assertNotEqual(r.rc, 0)
        self.assertIn("unknown validation mode", r.errtext)
