"""certa serve, HTTPS REST API, driven by curl: tokens and roles, mTLS,
organisations/applications, certificates (CSR upload, server-side keys,
formats judged by openssl), revocation seen by `openssl ocsp`, trust store,
JWKS, health and metrics, TLS versions, hostile requests, config file."""
import base64
import hashlib
import json
import os
import re
import subprocess
import time

from checks import CheckedTest, ServeMixin, pem_unwrap
from harness import CERTA


class ApiTest(ServeMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.root, self.issuing = self.chain_files()
        self.admin = self.ok("token", "create", "--role", "admin",
                             "--name", "admin").text.strip()

    # -- curl ---------------------------------------------------------
    def curl(self, method, path, token=None, body=None, ctype=None,
             headers=(), cert=None, key=None, raw=False):
        """(status, headers, body) of one request made by curl."""
        hdr, out = self.path("h.txt"), self.path("b.bin")
        args = ["curl", "-sS", "-X", method, "--cacert", self.root,
                "-o", out, "-D", hdr, "-w", "%{http_code}"]
        if token:
            args += ["-H", "Authorization: Bearer " + token]
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
                ctype = ctype or "application/json"
            bodyf = self.path("req.bin")
            with open(bodyf, "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            args += ["--data-binary", "@" + bodyf]
        if ctype:
            args += ["-H", "Content-Type: " + ctype]
        for h in headers:
            args += ["-H", h]
        if cert:
            args += ["--cert", cert, "--key", key]
        p = subprocess.run(args + [self.api + path], capture_output=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(hdr, "rb") as f:
            hs = {}
            for ln in f.read().decode(errors="replace").splitlines()[1:]:
                if ":" in ln:
                    k, v = ln.split(":", 1)
                    hs[k.strip().lower()] = v.strip()
        with open(out, "rb") as f:
            data = f.read()
        status = int(p.stdout)
        if raw or not hs.get("content-type", "").endswith("json"):
            return status, hs, data
        return status, hs, json.loads(data) if data else None

    def problem(self, status, code, *args, **kw):
        """The call answers `status` with problem+json carrying `code`."""
        st, hs, body = self.curl(*args, **kw)
        self.assertEqual(st, status, body)
        self.assertEqual(hs["content-type"], "application/problem+json")
        self.assertEqual(body["status"], status)
        self.assertEqual(body["code"], code, body)
        self.assertTrue(body["detail"])
        return body

    def ok_json(self, status, *args, **kw):
        st, _, body = self.curl(*args, **kw)
        self.assertEqual(st, status, body)
        return body

    def make_app(self):
        self.ok_json(201, "POST", "/api/v1/organisations", self.admin,
                     {"name": "acme"})
        return self.ok_json(201, "POST",
                            "/api/v1/organisations/acme/applications",
                            self.admin, {"name": "payments"})

    def csr_pem(self, name, subj="/CN=client"):
        with open(self.make_csr(name, subj)) as f:
            return f.read()

    def api_issue(self, typ="transport", name="c", subj="/CN=client"):
        return self.ok_json(201, "POST",
                            "/api/v1/applications/payments/certificates",
                            self.admin, {"type": typ,
                                         "csr": self.csr_pem(name, subj)})

    # -- tests --------------------------------------------------------
    def test_tokens_and_roles(self):
        self.start()
        self.problem(401, "unauthenticated", "GET", "/api/v1/organisations")
        self.problem(401, "unauthenticated", "GET", "/api/v1/organisations",
                     "certa_0000000000000000_" + "A" * 43)
        self.problem(401, "unauthenticated", "GET", "/api/v1/organisations",
                     headers=["Authorization: Basic YTpi"])
        aud = self.ok("token", "create", "--role", "auditor", "--name",
                      "aud").text.strip()
        self.assertRegex(aud, r"^certa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
        self.assertEqual(self.ok_json(200, "GET", "/api/v1/whoami", aud),
                         {"actor": "api:token:aud", "role": "auditor"})
        self.ok_json(200, "GET", "/api/v1/organisations", aud)
        self.problem(403, "forbidden", "POST", "/api/v1/organisations", aud,
                     {"name": "x"})
        # A token made while the daemon runs works at once; revoked: no.
        op = self.ok("token", "create", "--role", "operator", "--name",
                     "op").text.strip()
        self.ok_json(201, "POST", "/api/v1/organisations", self.admin,
                     {"name": "acme"})
        self.ok_json(201, "POST", "/api/v1/organisations/acme/applications",
                     op, {"name": "a1"})
        self.problem(403, "forbidden", "DELETE", "/api/v1/applications/a1",
                     op)
        self.ok("token", "revoke", "op")
        self.problem(401, "unauthenticated", "GET", "/api/v1/whoami", op)
        # The audit log names the API caller, never the token.
        audit = self.ok("audit", "list", "--json").text
        self.assertIn("api:token:op", audit)
        self.assertIn("api:token:admin", audit)
        self.assertNotIn(op.split("_", 2)[2], audit)
        self.assertNotIn(self.admin.split("_", 2)[2], self.read("access.log")
                         .decode() + self.errtext_serve())
        self.stop()

    def test_organisations_and_applications(self):
        self.start()
        self.ok_json(201, "POST", "/api/v1/organisations", self.admin,
                     {"name": "acme"})
        self.ok_json(201, "POST", "/api/v1/organisations", self.admin,
                     {"name": "beta"})
        self.problem(409, "conflict", "POST", "/api/v1/organisations",
                     self.admin, {"name": "acme"})
        self.problem(422, "missing_field", "POST", "/api/v1/organisations",
                     self.admin, {"nom": "x"})
        p1 = self.ok_json(200, "GET", "/api/v1/organisations?limit=1", self.admin)
        self.assertEqual([o["name"] for o in p1["items"]], ["acme"])
        self.assertIsNotNone(p1["next"])
        p2 = self.ok_json(200, "GET", "/api/v1/organisations?limit=1&after="
                          + p1["next"], self.admin)
        self.assertEqual([o["name"] for o in p2["items"]], ["beta"])
        self.assertIsNone(p2["next"])
        f = self.ok_json(200, "GET", "/api/v1/organisations?name=be",
                         self.admin)
        self.assertEqual([o["name"] for o in f["items"]], ["beta"])
        by_id = self.ok_json(200, "GET", "/api/v1/organisations/" +
                             p1["items"][0]["id"], self.admin)
        self.assertEqual(by_id["name"], "acme")
        self.problem(404, "not_found", "GET", "/api/v1/organisations/zeta",
                     self.admin)
        app = self.ok_json(201, "POST",
                           "/api/v1/organisations/acme/applications",
                           self.admin, {"name": "payments"})
        self.assertEqual(app["organisation"], "acme")
        self.ok_json(200, "GET", "/api/v1/applications/acme%2Fpayments",
                     self.admin)
        r = self.ok_json(200, "PATCH", "/api/v1/applications/" + app["id"],
                         self.admin, {"name": "pay"})
        self.assertEqual(r["name"], "pay")
        lst = self.ok_json(200, "GET",
                           "/api/v1/organisations/acme/applications",
                           self.admin)
        self.assertEqual([a["name"] for a in lst["items"]], ["pay"])
        self.ok_json(200, "PATCH", "/api/v1/organisations/beta", self.admin,
                     {"name": "gamma"})
        # Delete refused while a certificate is valid; fine once revoked.
        cert = self.ok_json(201, "POST",
                            "/api/v1/applications/pay/certificates",
                            self.admin, {"type": "transport",
                                         "csr": self.csr_pem("d")})
        self.problem(409, "conflict", "DELETE", "/api/v1/organisations/acme",
                     self.admin)
        self.problem(409, "conflict", "DELETE", "/api/v1/applications/pay",
                     self.admin)
        self.ok_json(200, "POST", "/api/v1/certificates/%s/revoke" %
                     cert["id"], self.admin, {"reason": "cessationOfOperation"})
        st, _, _ = self.curl("DELETE", "/api/v1/organisations/acme",
                             self.admin)
        self.assertEqual(st, 204)
        self.problem(404, "not_found", "GET", "/api/v1/applications/pay",
                     self.admin)
        # The certificate stays (CRL, history).
        self.ok_json(200, "GET", "/api/v1/certificates/" + cert["id"],
                     self.admin)
        self.stop()

    def test_certificates(self):
        self.start()
        self.make_app()
        c = self.api_issue("transport", "t1", "/CN=t1")
        for k in ("id", "serial", "type", "application", "status", "subject",
                  "issuer", "not_before", "not_after", "fingerprint_sha256",
                  "pem"):
            self.assertIn(k, c)
        self.assertEqual(c["status"], "valid")
        self.assertEqual(c["issuer"], "CN=certa Issuing CA")
        self.write("t1.pem", c["pem"])
        self.ossl_ok("verify", "-CAfile", self.root, "-untrusted",
                     self.issuing, self.path("t1.pem"))
        # Raw application/pkcs10 body, DER form, with ?type=.
        der = self.ossl_ok("req", "-in", self.make_csr("t2", "/CN=t2"),
                           "-outform", "DER").out
        st, hs, c2 = self.curl(
            "POST", "/api/v1/applications/payments/certificates?type=signing",
            self.admin, der, "application/pkcs10")
        self.assertEqual(st, 201, c2)
        self.assertEqual(hs["location"], "/api/v1/certificates/" + c2["id"])
        self.assertEqual(c2["type"], "signing")
        # Refusals.
        self.problem(422, "invalid_input", "POST",
                     "/api/v1/applications/payments/certificates",
                     self.admin, {"type": "transport", "csr": "garbage"})
        self.problem(422, "invalid_field", "POST",
                     "/api/v1/applications/payments/certificates",
                     self.admin, {"type": "tls", "csr": self.csr_pem("x")})
        self.problem(404, "not_found", "POST",
                     "/api/v1/applications/nope/certificates",
                     self.admin, {"type": "transport",
                                  "csr": self.csr_pem("y")})
        self.problem(413, "too_large", "POST",
                     "/api/v1/applications/payments/certificates?type=signing",
                     self.admin, b"0" * (65 * 1024), "application/pkcs10")
        # By id and by serial; the formats, judged by openssl.
        by_serial = self.ok_json(200, "GET", "/api/v1/certificates/" +
                                 c["serial"], self.admin)
        self.assertEqual(by_serial["id"], c["id"])
        st, hs, pem = self.curl("GET", "/api/v1/certificates/%s?format=pem"
                                % c["id"], self.admin)
        self.assertEqual(pem_unwrap(pem), pem_unwrap(c["pem"]))
        st, hs, der = self.curl("GET", "/api/v1/certificates/" + c["id"],
                                self.admin,
                                headers=["Accept: application/pkix-cert"])
        self.assertEqual(hs["content-type"], "application/pkix-cert")
        self.assertEqual(der, pem_unwrap(c["pem"]))
        st, hs, p7 = self.curl("GET", "/api/v1/certificates/%s?format=p7b"
                               % c["id"], self.admin)
        self.write("c.p7b", p7)
        out = self.ossl_ok("pkcs7", "-inform", "DER", "-in", self.path("c.p7b"),
                           "-print_certs").text
        self.assertEqual(out.count("BEGIN CERTIFICATE"), 3)
        self.problem(400, "missing_password", "GET",
                     "/api/v1/certificates/%s?format=p12" % c["id"],
                     self.admin)
        st, hs, p12 = self.curl("GET", "/api/v1/certificates/%s?format=p12"
                                % c["id"], self.admin,
                                headers=["X-P12-Password: s3cret"])
        self.assertEqual(st, 200)
        self.write("c.p12", p12)
        out = self.ossl_ok("pkcs12", "-in", self.path("c.p12"), "-nokeys",
                           "-passin", "pass:s3cret").text
        self.assertIn("subject=CN = t1", out)
        # Lists, filters, the current certificate of a type.
        lst = self.ok_json(200, "GET",
                           "/api/v1/applications/payments/certificates",
                           self.admin)
        self.assertEqual(len(lst["items"]), 2)
        sig = self.ok_json(200, "GET",
                           "/api/v1/applications/payments/certificates"
                           "?type=signing", self.admin)
        self.assertEqual([x["id"] for x in sig["items"]], [c2["id"]])
        c3 = self.api_issue("transport", "t3", "/CN=t3")
        cur = self.ok_json(200, "GET", "/api/v1/applications/payments/"
                           "certificates/current?type=transport", self.admin)
        self.assertEqual(cur["id"], c3["id"])
        allc = self.ok_json(200, "GET", "/api/v1/applications/payments/"
                            "certificates/current?type=transport&all=true",
                            self.admin)
        self.assertEqual(sorted(x["id"] for x in allc["items"]),
                         sorted([c["id"], c3["id"]]))
        self.problem(404, "not_found", "GET", "/api/v1/applications/"
                     "payments/certificates/current?type=encryption",
                     self.admin)
        # Server-side key generation: a PKCS#12 openssl opens.
        k = self.ok_json(201, "POST",
                         "/api/v1/applications/payments/certificates",
                         self.admin, {"type": "encryption",
                                      "generate_key": "ec:P-256",
                                      "subject": "CN=gen",
                                      "password": "pw123456"})
        self.write("k.p12", base64.b64decode(k["pkcs12_base64"], validate=True))
        out = self.ossl_ok("pkcs12", "-in", self.path("k.p12"), "-nodes",
                           "-passin", "pass:pw123456").text
        self.assertIn("BEGIN PRIVATE KEY", out)
        self.assertIn("subject=CN = gen", out)
        self.assertTrue(k["server_generated_key"])
        # Revocation through the API; OCSP says so within 1 s.
        r = self.ok_json(200, "POST", "/api/v1/certificates/%s/revoke" %
                         c["id"], self.admin, {"reason": "keyCompromise"})
        t0 = time.time()
        self.assertEqual(r["status"], "revoked")
        self.assertEqual(r["revocation_reason"], "keyCompromise")
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        while True:
            o = self.openssl("ocsp", "-issuer", self.issuing, "-cert",
                             self.path("t1.pem"), "-url", self.url + "/ocsp",
                             "-CAfile", self.path("chain.pem"))
            if "revoked" in o.text or time.time() - t0 > 1.0:
                break
            time.sleep(0.05)
        self.assertIn(": revoked", o.text)
        self.assertLessEqual(time.time() - t0, 1.5)
        self.problem(409, "conflict", "POST", "/api/v1/certificates/%s/"
                     "revoke" % c["id"], self.admin, {"reason": "superseded"})
        self.problem(422, "invalid_field", "POST", "/api/v1/certificates/%s/"
                     "revoke" % c3["id"], self.admin, {"reason": "whenever"})
        rv = self.ok_json(200, "GET", "/api/v1/certificates?status=revoked",
                          self.admin)
        self.assertEqual([x["id"] for x in rv["items"]], [c["id"]])
        self.stop()

    def test_jwks(self):
        self.start()
        self.make_app()
        self.api_issue("transport", "j0")
        s = self.api_issue("signing", "j1", "/CN=signer")
        jw = self.ok_json(200, "GET", "/api/v1/applications/payments/jwks",
                          self.admin)
        self.assertEqual(len(jw["keys"]), 1)	# transport is not a JWK
        k = jw["keys"][0]
        der = pem_unwrap(s["pem"])
        self.assertEqual(k["kty"], "EC")
        self.assertEqual(k["crv"], "P-256")
        self.assertEqual(k["use"], "sig")
        self.assertEqual(base64.b64decode(k["x5c"][0]), der)
        self.assertEqual(base64.b64decode(k["x5c"][1]),
                         pem_unwrap(self.read("issuing.pem")))
        t = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=")
        self.assertEqual(k["x5t#S256"], t.decode())
        self.assertEqual(k["kid"], t.decode())
        # x and y are the certificate's public point (04 || x || y).
        self.write("s.pem", s["pem"])
        pub = self.ossl_ok("x509", "-in", self.path("s.pem"), "-noout",
                           "-pubkey").out
        self.write("pub.pem", pub)
        spki = self.ossl_ok("pkey", "-pubin", "-in", self.path("pub.pem"),
                            "-outform", "DER").out
        pad = lambda v: base64.urlsafe_b64decode(v + "=" * (-len(v) % 4))
        self.assertEqual(spki[-65:], b"\x04" + pad(k["x"]) + pad(k["y"]))
        self.stop()

    def test_client_certificates(self):
        self.start()
        self.make_app()
        c = self.api_issue("transport", "m1", "/CN=robot")
        self.write("m1.pem", c["pem"])
        cert, key = self.path("m1.pem"), self.path("m1.key")
        self.problem(403, "no_role", "GET", "/api/v1/whoami", cert=cert,
                     key=key)
        self.ok("role", "map", "--fingerprint", c["fingerprint_sha256"],
                "--role", "auditor")
        who = self.ok_json(200, "GET", "/api/v1/whoami", cert=cert, key=key)
        self.assertEqual(who, {"actor": "api:cert:CN=robot",
                               "role": "auditor"})
        self.problem(403, "forbidden", "POST", "/api/v1/organisations",
                     cert=cert, key=key, body={"name": "x"})
        # A certificate of another CA is refused, mapped or not.
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("f.key"), "-out", self.path("f.pem"), "-subj",
                     "/CN=robot", "-addext", "extendedKeyUsage=clientAuth")
        self.problem(401, "certificate_refused", "GET", "/api/v1/whoami",
                     cert=self.path("f.pem"), key=self.path("f.key"))
        # Revoked: refused on the next request.
        self.ok("cert", "revoke", c["id"], "--reason", "keyCompromise")
        time.sleep(0.1)
        body = self.problem(401, "certificate_refused", "GET",
                            "/api/v1/whoami", cert=cert, key=key)
        self.assertIn("revoked", body["detail"])
        self.stop()

    def test_trust_store(self):
        self.start()
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("p.key"), "-out", self.path("p.pem"), "-subj",
                     "/CN=Partner CA", "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        pem = self.read("p.pem").decode()
        r = self.ok_json(201, "POST", "/api/v1/trust", self.admin,
                         {"certificate": pem, "alias": "partner"})
        self.assertEqual(r["items"][0]["alias"], "partner")
        self.assertEqual(r["items"][0]["list"], "trusted")
        self.problem(409, "conflict", "POST", "/api/v1/trust", self.admin,
                     {"certificate": pem, "alias": "again"})
        self.problem(422, "invalid_input", "POST", "/api/v1/trust",
                     self.admin, {"certificate": "-----BEGIN CERTIFICATE---"
                                  "--\nAAAA\n-----END CERTIFICATE-----\n"})
        # Raw DER body with ?alias=&list=.
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("i.key"), "-out", self.path("i.pem"), "-subj",
                     "/CN=Inter", "-addext", "basicConstraints=critical,CA:TRUE")
        der = pem_unwrap(self.read("i.pem"))
        st, _, r2 = self.curl("POST", "/api/v1/trust?alias=inter&list=issuer",
                              self.admin, der, "application/pkix-cert")
        self.assertEqual(st, 201, r2)
        self.assertEqual(r2["items"][0]["list"], "issuer")
        lst = self.ok_json(200, "GET", "/api/v1/trust?list=issuer",
                           self.admin)
        self.assertEqual([e["alias"] for e in lst["items"]], ["inter"])
        show = self.ok_json(200, "GET", "/api/v1/trust/partner", self.admin)
        self.assertEqual(pem_unwrap(show["pem"]), pem_unwrap(pem))
        st, hs, exp = self.curl("GET", "/api/v1/trust/partner?format=der",
                                self.admin)
        self.assertEqual(exp, pem_unwrap(pem))
        fp = self.ossl_ok("x509", "-in", self.path("p.pem"), "-noout",
                          "-fingerprint", "-sha256").text
        self.assertEqual(fp.split("=")[1].strip().replace(":", "").lower(),
                         show["fingerprint_sha256"])
        r = self.ok_json(200, "POST", "/api/v1/trust/partner/reject",
                         self.admin)
        self.assertEqual(r["list"], "rejected")
        r = self.ok_json(200, "POST", "/api/v1/trust/partner/trust",
                         self.admin)
        self.assertEqual(r["list"], "trusted")
        # A CRL signed by the partner CA (openssl ca -gencrl).
        os.makedirs(self.path("ca"))
        self.write("ca/index.txt", b"")
        self.write("ca/crlnumber", b"01\n")
        self.write("ca.cnf", ("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\n"
                              "crlnumber=%s\ndefault_md=sha256\n"
                              "default_crl_days=7\n") %
                   (self.path("ca/index.txt"), self.path("ca/crlnumber")))
        self.ossl_ok("ca", "-config", self.path("ca.cnf"), "-gencrl",
                     "-keyfile", self.path("p.key"), "-cert",
                     self.path("p.pem"), "-out", self.path("p.crl"))
        crl = self.read("p.crl")
        r = self.ok_json(201, "POST", "/api/v1/trust/crls", self.admin, crl,
                         "application/x-pem-file")
        self.assertEqual(r["issuer"], "CN=Partner CA")
        self.problem(415, "unsupported_media_type", "POST",
                     "/api/v1/trust/crls", self.admin, crl, "text/plain")
        st, _, _ = self.curl("DELETE", "/api/v1/trust/partner", self.admin)
        self.assertEqual(st, 204)
        self.problem(404, "not_found", "GET", "/api/v1/trust/partner",
                     self.admin)
        self.assertNotIn("partner", self.ok("trust", "list").text)
        self.stop()

    def test_hostile_requests_and_health(self):
        self.start()
        self.problem(400, "malformed_json", "POST", "/api/v1/organisations",
                     self.admin, '{"name": ', "application/json")
        self.problem(400, "malformed_json", "POST", "/api/v1/organisations",
                     self.admin, '{"name": "a", "name": "b"}',
                     "application/json")
        self.problem(415, "unsupported_media_type", "POST",
                     "/api/v1/organisations", self.admin, "name=x",
                     "application/x-www-form-urlencoded")
        self.problem(413, "too_large", "POST", "/api/v1/organisations",
                     self.admin, '{"name": "%s"}' % ("x" * (1100 * 1024)),
                     "application/json")
        st, _, _ = self.curl("POST", "/api/v1/organisations", self.admin,
                             "x" * (3 * 1024 * 1024), "application/json",
                             raw=True)
        self.assertEqual(st, 413)
        self.problem(404, "no_route", "GET", "/api/v2/things", self.admin)
        body = self.problem(405, "method_not_allowed", "PUT",
                            "/api/v1/organisations", self.admin)
        self.assertIn("POST", body["detail"])
        self.problem(404, "not_found", "GET", "/api/v1/certificates/999999",
                     self.admin)
        self.problem(400, "invalid_parameter", "GET",
                     "/api/v1/certificates?limit=0", self.admin)
        self.problem(400, "invalid_parameter", "GET",
                     "/api/v1/certificates?status=sleeping", self.admin)
        # Still serving; health and readiness need no token.
        self.assertEqual(self.ok_json(200, "GET", "/healthz"),
                         {"status": "ok"})
        self.assertEqual(self.ok_json(200, "GET", "/readyz")["status"],
                         "ready")
        self.problem(401, "unauthenticated", "GET", "/metrics")
        self.make_app()
        self.api_issue()
        self.openssl("ocsp", "-issuer", self.issuing, "-serial", "0x1234",
                     "-url", self.url + "/ocsp", "-noverify")
        st, hs, m = self.curl("GET", "/metrics", self.admin)
        m = m.decode()
        self.assertTrue(hs["content-type"].startswith("text/plain"))
        self.assertRegex(m, r'certa_http_requests_total\{route="/api/v1/'
                         r'organisations",method="POST",status="413"\} 1\n')
        self.assertIn("certa_certificates_issued_total 1\n", m)
        self.assertIn('certa_ocsp_responses_total{status="unknown"} 1\n', m)
        self.assertIn("# TYPE certa_http_request_duration_seconds histogram",
                      m)
        self.assertRegex(m, r'certa_trust_snapshot_generation \d+')
        # Families are contiguous (Prometheus text format).
        names = [ln.split("{")[0].split(" ")[0] for ln in m.splitlines()
                 if ln and not ln.startswith("#")]
        fams = [re.sub(r"_(bucket|sum|count)$", "", n) for n in names]
        seen = []
        for f in fams:
            if not seen or seen[-1] != f:
                self.assertNotIn(f, seen, "family %s split" % f)
                seen.append(f)
        self.stop()

    def test_tls_versions(self):
        self.start()
        for v, ok in (("-tls1_2", True), ("-tls1_3", True), ("-tls1_1", False)):
            p = subprocess.run(["openssl", "s_client", "-connect",
                                "127.0.0.1:%d" % self.api_port, v,
                                "-CAfile", self.root, "-verify_hostname",
                                "localhost", "-verify_return_error"],
                               input=b"", capture_output=True, timeout=20)
            out = p.stdout.decode(errors="replace")
            if ok:
                self.assertEqual(p.returncode, 0, out + p.stderr.decode())
                self.assertIn("Verify return code: 0 (ok)", out)
            else:
                self.assertNotEqual(p.returncode, 0)
        self.stop()

    def test_config_file(self):
        self.write("certa.conf", json.dumps({"request_timeout": "30s",
                                             "max_conns": 100,
                                             "api_names": ["DNS:certa.test",
                                                           "IP:127.0.0.1"]}))
        r = self.certa("serve", "--config", self.path("certa.conf"),
                       "--check-config", "--max-conns", "50",
                       env={"CERTA_REQUEST_TIMEOUT": "20"})
        self.assertEqual(r.rc, 0, r)
        cfg = json.loads(r.out)
        self.assertEqual(cfg["max_conns"], 50)		# flag wins
        self.assertEqual(cfg["request_timeout"], 20)	# then environment
        self.assertEqual(cfg["api_names"], ["DNS:certa.test", "IP:127.0.0.1"])
        self.write("bad.conf", json.dumps({"request_timeout": 5,
                                           "mystery": 1}))
        r = self.certa("serve", "--config", self.path("bad.conf"),
                       "--check-config")
        self.assertNotEqual(r.rc, 0)
        self.assertIn('unknown setting "mystery"', r.errtext)
        self.write("bad2.conf", "{ not json")
        r = self.certa("serve", "--config", self.path("bad2.conf"),
                       "--check-config")
        self.assertNotEqual(r.rc, 0)
        self.assertIn("bad2.conf", r.errtext)
        # DIR/certa.conf is read by default; the API's certificate names.
        os.rename(self.path("certa.conf"), os.path.join(self.dir,
                                                        "certa.conf"))
        self.start()
        p = subprocess.run(["openssl", "s_client", "-connect",
                            "127.0.0.1:%d" % self.api_port, "-CAfile",
                            self.root, "-verify_hostname", "certa.test",
                            "-verify_return_error"], input=b"",
                           capture_output=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.stop()

    def test_hostile_clients(self):
        # On the TLS listener: 1,000 idle connections, a slow handshake,
        # garbage instead of TLS, garbage inside TLS; the API still
        # answers, and the idle ones are closed by the request deadline.
        import socket
        import ssl
        self.start("--request-timeout", "3", "--max-conns-per-addr", "1500")
        socks = []
        for i in range(1000):
            s = socket.create_connection(("127.0.0.1", self.api_port))
            s.settimeout(10)
            socks.append(s)
            if i % 50 == 49:
                time.sleep(0.05)	# let the listen backlog drain
        g = socket.create_connection(("127.0.0.1", self.api_port))
        g.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(4000))
        g.settimeout(10)
        self.assertIn(g.recv(100), (b"", b"\x15\x03\x01\x00\x02\x02\x16",
                                    b"\x15\x03\x03\x00\x02\x02\x16"))
        g.close()
        ctx = ssl.create_default_context(cafile=self.root)
        t = ctx.wrap_socket(socket.create_connection(
            ("127.0.0.1", self.api_port)), server_hostname="localhost")
        t.sendall(b"\x00\xff garbage \r\n\r\n")
        t.settimeout(10)
        first = t.recv(200)
        self.assertTrue(first.startswith(b"HTTP/1.1 400"), first)
        t.close()
        self.assertEqual(self.ok_json(200, "GET", "/healthz"),
                         {"status": "ok"})
        self.ok_json(200, "GET", "/api/v1/whoami", self.admin)
        t0 = time.time()
        for s in socks:
            self.assertEqual(s.recv(10), b"")	# closed by the deadline
        self.assertLess(time.time() - t0, 8)
        for s in socks:
            s.close()
        self.assertEqual(self.ok_json(200, "GET", "/healthz"),
                         {"status": "ok"})
        self.stop()
