"""The certificate lifecycle (GitHub issue 6) through the CLI and the API:
requests kept for an approver (organisation policy), dual control with two
tokens of different names, every forbidden transition with its precise
error, renew (same key judged by openssl comparing public keys, or a new
key) and reissue chains, a reissue's grace carried out by the daemon's
tick and seen by `openssl ocsp`, revocation requests, and the audit log's
tamper evidence over lifecycle records (edited, reordered)."""
import json
import os
import time

import test_api
from checks import CheckedTest, ServeMixin


class LifecycleCliTest(CheckedTest):

    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()

    def pubkey(self, cert):
        return self.ossl_ok("x509", "-in", cert, "-noout", "-pubkey").text

    def enddate(self, cert):
        return self.ossl_ok("x509", "-in", cert, "-noout", "-enddate").text

    def verify(self, cert):
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        self.ossl_ok("verify", "-CAfile", self.path("chain.pem"), cert)

    def test_approval_and_forbidden_transitions(self):
        self.ok("org", "update", "acme", "--approval", "required")
        r = self.ok("cert", "issue", "--app", self.app, "--type",
                    "transport", "--csr", self.make_csr("p1"))
        self.assertIn("request 1 (issue) is pending approval", r.text)
        self.assertNotIn(b"BEGIN CERTIFICATE", r.out)
        rows = json.loads(self.ok("request", "list", "--json").out)
        self.assertEqual([(q["id"], q["kind"], q["state"]) for q in rows],
                         [("1", "issue", "pending")])
        self.assertEqual(rows[0]["requested_role"], "admin")
        # One person cannot approve their own request.
        r = self.certa("request", "approve", "1")
        self.assertEqual(r.rc, 2, r)  # refused by policy
        self.assertEqual(r.errtext.strip(), "certa: error: approver may "
                         "not approve their own request (dual control)")
        self.refused(2, "request reject needs --comment", "request",
                     "reject", "1", one_line=False)
        self.ok("request", "reject", "1", "--comment", "wrong CN")
        show = json.loads(self.ok("request", "show", "1", "--json").out)
        self.assertEqual((show["state"], show["comment"]),
                         ("rejected", "wrong CN"))
        r = self.certa("request", "cancel", "1")
        self.assertEqual(r.rc, 1)
        self.assertIn("request 1 is rejected; only pending requests can be "
                      "cancelled", r.errtext)
        # Single control is policy: then the requester may approve.
        self.ok("policy", "set", "approval.single_control", "true")
        pol = json.loads(self.ok("policy", "list", "--json").out)
        self.assertEqual(pol, {"renew.window_days": "30",
                               "reissue.grace_seconds": "259200",
                               "approval.single_control": "true"})
        self.refused(2, "expected true or false", "policy", "set",
                     "approval.single_control", "maybe")
        self.ok("cert", "issue", "--app", self.app, "--type", "transport",
                "--csr", self.make_csr("p2"))
        self.ok("request", "approve", "2", "--out", self.path("p2.pem"))
        self.verify(self.path("p2.pem"))
        show = json.loads(self.ok("request", "show", "2", "--json").out)
        self.assertEqual(show["state"], "issued")
        r = self.certa("request", "approve", "2")
        self.assertIn("request 2 is issued; only pending requests can be "
                      "approved", r.errtext)
        r = self.certa("request", "cancel", "2")
        self.assertIn("request 2 is issued; only pending requests can be "
                      "cancelled", r.errtext)
        # A server-generated key cannot wait for an approver.
        r = self.certa("cert", "issue", "--app", self.app, "--type",
                       "signing", "--generate-key", "ec:P-256", "--subject",
                       "CN=g", "--p12-out", self.path("g.p12"),
                       "--p12-pass-file", self.path("p2.key"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("need approval", r.errtext)
        os.mkdir(self.path("batch"))
        self.write("batch/a.csr", self.read("p2.csr"))
        r = self.certa("cert", "issue", "--app", self.app, "--type",
                       "transport", "--batch", self.path("batch"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("need approval", r.errtext)
        self.ok("org", "update", "acme", "--approval", "none")
        self.refused(2, "--approval required|none", "org", "update", "acme",
                     "--approval", "sometimes", one_line=False)

    def test_renew_and_reissue_chain(self):
        first = self.issue(self.app, "transport", self.make_csr("r1"),
                           "--validity", "10d")
        # Same key: openssl sees the same public key, a new validity.
        self.ok("cert", "renew", "1", "--same-key", "--out",
                self.path("r2.pem"))
        self.assertEqual(self.pubkey(first), self.pubkey(self.path("r2.pem")))
        self.assertNotEqual(self.enddate(first),
                            self.enddate(self.path("r2.pem")))
        self.verify(self.path("r2.pem"))
        # A renewal is refused outside its window (365 days left).
        r = self.certa("cert", "renew", "2", "--same-key")
        self.assertEqual(r.rc, 2)
        self.assertIn("renewal opens 30 days before", r.errtext)
        # Reissue: a new key, the same end; the predecessor revoked now.
        self.ok("cert", "reissue", "2", "--csr", self.make_csr("r3"),
                "--now", "--out", self.path("r3.pem"))
        self.assertNotEqual(self.pubkey(self.path("r2.pem")),
                            self.pubkey(self.path("r3.pem")))
        self.assertEqual(self.enddate(self.path("r2.pem")),
                         self.enddate(self.path("r3.pem")))
        show = json.loads(self.ok("cert", "show", "3", "--json").out)
        self.assertEqual(show["predecessors"], ["2", "1"])
        self.assertIn("predecessors:       2 <- 1",
                      self.ok("cert", "show", "3").text)
        old = json.loads(self.ok("cert", "show", "2", "--json").out)
        self.assertEqual((old["status"], old["revocation_reason"]),
                         ("revoked", "superseded"))
        # Forbidden: renew or reissue a revoked certificate, re-key with
        # the same key.
        r = self.certa("cert", "renew", "2", "--same-key")
        self.assertIn("certificate 2 is revoked; a revoked certificate "
                      "cannot be renewed", r.errtext)
        r = self.certa("cert", "reissue", "2", "--csr", self.path("r3.csr"))
        self.assertIn("a revoked certificate cannot be reissued", r.errtext)
        r = self.certa("cert", "reissue", "3", "--csr", self.path("r3.csr"))
        self.assertIn("a reissue needs a new key: the CSR has the key of "
                      "certificate 3", r.errtext)
        # A reissue with a grace: the revocation waits as a request that
        # can be cancelled.
        self.ok("cert", "reissue", "3", "--csr", self.make_csr("r4"),
                "--grace", "72h", "--out", self.path("r4.pem"))
        rows = json.loads(self.ok("request", "list", "--state", "pending",
                                  "--json").out)
        self.assertEqual([(q["kind"], q["certificate"], q["reason"])
                          for q in rows], [("revoke", "3", "superseded")])
        self.assertIsNotNone(rows[0]["due_at"])
        self.ok("request", "cancel", rows[0]["id"])
        cur = json.loads(self.ok("cert", "show", "3", "--json").out)
        self.assertEqual(cur["status"], "valid")

    def test_revocation_request_and_audit_tamper(self):
        self.issue(self.app, "transport", self.make_csr("v1"))
        r = self.ok("request", "revoke", "1", "--reason", "keyCompromise")
        self.assertIn("request 1 (revoke) is pending approval", r.text)
        r = self.certa("request", "revoke", "1", "--reason", "superseded")
        self.assertIn("a revocation of certificate 1 is pending already "
                      "(request 1)", r.errtext)
        r = self.certa("request", "approve", "1")
        self.assertIn("dual control", r.errtext)
        # --since takes a sequence number, a time or a duration.
        n = len(self.ok("audit", "list").text.splitlines())
        self.assertEqual(len(self.ok("audit", "list", "--since",
                                     "1h").text.splitlines()), n)
        self.assertEqual(self.ok("audit", "list", "--since",
                                 "2999-01-01T00:00:00Z").text, "")
        # Audit: every transition, with the role; then tamper with it.
        recs = [json.loads(ln) for ln in
                self.ok("audit", "list", "--json").out.splitlines()]
        create = [x for x in recs if x["action"] == "request.create"]
        self.assertEqual(len(create), 1)
        self.assertIn('"role":"admin"', create[0]["details"])
        seq = create[0]["seq"]
        self.assertIn("intact", self.ok("audit", "verify").text)
        with self.db() as c:
            c.execute("UPDATE audit SET details = replace(details, "
                      "'admin', 'operator') WHERE seq = ?", (seq,))
        r = self.certa("audit", "verify")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("record %d" % seq, r.errtext)
        with self.db() as c:
            c.execute("UPDATE audit SET details = replace(details, "
                      "'operator', 'admin') WHERE seq = ?", (seq,))
        self.ok("audit", "verify")
        # Reordered: two records swap places (their seq numbers).
        with self.db() as c:
            c.execute("UPDATE audit SET seq = -1 WHERE seq = 2")
            c.execute("UPDATE audit SET seq = 2 WHERE seq = 3")
            c.execute("UPDATE audit SET seq = 3 WHERE seq = -1")
        r = self.certa("audit", "verify")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("record 2", r.errtext)


class LifecycleApiTest(ServeMixin, CheckedTest):
    curl = test_api.ApiTest.curl
    problem = test_api.ApiTest.problem
    ok_json = test_api.ApiTest.ok_json

    def setUp(self):
        super().setUp()
        self.root, self.issuing = self.chain_files()
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        self.setup_app()
        self.tok = {}
        for name, role in (("boss", "admin"), ("olga", "operator"),
                           ("anna", "approver"), ("arne", "approver"),
                           ("audrey", "auditor")):
            self.tok[name] = self.ok("token", "create", "--role", role,
                                     "--name", name).text.strip()

    def csr(self, name):
        with open(self.make_csr(name, "/CN=" + name)) as f:
            return f.read()

    def ocsp_status(self, pem, want, timeout=10):
        t0 = time.time()
        while True:
            o = self.openssl("ocsp", "-issuer", self.issuing, "-cert", pem,
                             "-url", self.url + "/ocsp", "-CAfile",
                             self.path("chain.pem"))
            if (": " + want) in o.text or time.time() - t0 > timeout:
                return o.text
            time.sleep(0.1)

    def test_dual_control_with_two_tokens(self):
        self.start()
        # The policy through the API (admin only).
        self.problem(403, "forbidden", "PATCH", "/api/v1/organisations/acme",
                     self.tok["olga"], {"approval": "required"})
        self.problem(422, "invalid_field", "PATCH",
                     "/api/v1/organisations/acme", self.tok["boss"],
                     {"approval": "sometimes"})
        org = self.ok_json(200, "PATCH", "/api/v1/organisations/acme",
                           self.tok["boss"], {"approval": "required"})
        self.assertEqual((org["name"], org["approval"]),
                         ("acme", "required"))
        st, hs, req = self.curl("POST", "/api/v1/applications/acme%2F"
                                "payments/certificates", self.tok["olga"],
                                {"type": "transport", "csr": self.csr("d")})
        self.assertEqual(st, 202, req)
        self.assertEqual(hs["location"], "/api/v1/requests/" + req["id"])
        self.assertEqual((req["state"], req["requested_by"],
                          req["requested_role"]),
                         ("pending", "api:token:olga", "operator"))
        rid = req["id"]
        # An operator may not approve; the admin who did not ask may,
        # but here the admin asks a second one and may not approve it.
        self.problem(403, "forbidden", "POST", "/api/v1/requests/%s/approve"
                     % rid, self.tok["olga"])
        st, _, own = self.curl("POST", "/api/v1/applications/payments/"
                               "certificates", self.tok["boss"],
                               {"type": "transport", "csr": self.csr("e")})
        self.assertEqual(st, 202)
        p = self.problem(422, "policy", "POST", "/api/v1/requests/%s/approve"
                         % own["id"], self.tok["boss"])
        self.assertEqual(p["detail"], "approver may not approve their own "
                         "request (dual control)")
        # Reject needs a comment; a cancel by another operator... no.
        self.problem(422, "missing_field", "POST",
                     "/api/v1/requests/%s/reject" % own["id"],
                     self.tok["anna"], {})
        done = self.ok_json(200, "POST", "/api/v1/requests/%s/approve" % rid,
                            self.tok["anna"])
        self.assertEqual((done["state"], done["decided_by"]),
                         ("issued", "api:token:anna"))
        cert = done["certificate_issued"]
        self.assertEqual(done["issued_certificate"], cert["id"])
        self.write("d.pem", cert["pem"])
        self.ossl_ok("verify", "-CAfile", self.path("chain.pem"),
                     self.path("d.pem"))
        p = self.problem(409, "conflict", "POST", "/api/v1/requests/%s/"
                         "approve" % rid, self.tok["arne"])
        self.assertEqual(p["detail"], "request %s is issued; only pending "
                         "requests can be approved" % rid)
        p = self.problem(409, "conflict", "POST", "/api/v1/requests/%s/"
                         "cancel" % rid, self.tok["olga"])
        self.assertEqual(p["detail"], "request %s is issued; only pending "
                         "requests can be cancelled" % rid)
        rej = self.ok_json(200, "POST", "/api/v1/requests/%s/reject" %
                           own["id"], self.tok["arne"], {"comment": "no"})
        self.assertEqual((rej["state"], rej["comment"]), ("rejected", "no"))
        lst = self.ok_json(200, "GET", "/api/v1/requests?state=issued",
                           self.tok["audrey"])
        self.assertEqual([x["id"] for x in lst["items"]], [rid])
        # The auditor sees each transition with the caller's role.
        au = self.ok_json(200, "GET", "/api/v1/audit?limit=1000",
                          self.tok["audrey"])
        ap = [x for x in au["items"] if x["action"] == "request.approve"]
        self.assertEqual([(x["actor"], x["details"]["role"]) for x in ap],
                         [("api:token:anna", "approver")])
        self.stop()

    def test_reissue_grace_by_the_daemon_and_ocsp(self):
        self.start()
        c1 = self.ok_json(201, "POST", "/api/v1/applications/payments/"
                          "certificates", self.tok["olga"],
                          {"type": "transport", "csr": self.csr("g1"),
                           "validity_days": 20})
        self.write("g1.pem", c1["pem"])
        # Renew with the same key (in the 30-day window).
        st, _, c2 = self.curl("POST", "/api/v1/certificates/%s/renew" %
                              c1["id"], self.tok["olga"], {"same_key": True})
        self.assertEqual(st, 201, c2)
        self.assertEqual((c2["predecessor"], c2["predecessors"]),
                         (c1["id"], [c1["id"]]))
        self.write("g2.pem", c2["pem"])
        pk = [self.ossl_ok("x509", "-in", self.path(f), "-noout",
                           "-pubkey").text for f in ("g1.pem", "g2.pem")]
        self.assertEqual(pk[0], pk[1])
        # Reissue with a 2 s grace: the tick revokes g2 as superseded.
        st, _, c3 = self.curl("POST", "/api/v1/certificates/%s/reissue" %
                              c2["id"], self.tok["olga"],
                              {"csr": self.csr("g3"), "grace_seconds": 2})
        self.assertEqual(st, 201, c3)
        self.assertEqual(c3["predecessors"], [c2["id"], c1["id"]])
        self.assertEqual(c3["not_after"], c2["not_after"])
        self.assertEqual(c3["request"]["state"], "pending")
        self.assertIn(": good", self.ocsp_status(self.path("g2.pem"), "good"))
        out = self.ocsp_status(self.path("g2.pem"), "revoked", timeout=15)
        self.assertIn(": revoked", out)
        self.assertIn("Reason: superseded", out)
        got = self.ok_json(200, "GET", "/api/v1/requests/%s" %
                           c3["request"]["id"], self.tok["audrey"])
        self.assertEqual(got["state"], "revoked")
        one = self.ok_json(200, "GET", "/api/v1/certificates/%s" % c3["id"],
                           self.tok["audrey"])
        self.assertEqual(one["predecessors"], [c2["id"], c1["id"]])
        # Renewing the revoked one is refused.
        p = self.problem(409, "conflict", "POST", "/api/v1/certificates/%s/"
                         "renew" % c2["id"], self.tok["olga"],
                         {"same_key": True})
        self.assertEqual(p["detail"], "certificate %s is revoked; a revoked "
                         "certificate cannot be renewed" % c2["id"])
        self.stop()

    def test_revocation_request(self):
        self.start()
        c = self.ok_json(201, "POST", "/api/v1/applications/payments/"
                         "certificates", self.tok["olga"],
                         {"type": "transport", "csr": self.csr("v")})
        self.write("v.pem", c["pem"])
        st, hs, rq = self.curl("POST", "/api/v1/certificates/%s/"
                               "revocation-requests" % c["id"],
                               self.tok["olga"], {"reason": "keyCompromise"})
        self.assertEqual(st, 202, rq)
        self.assertEqual((rq["kind"], rq["reason"]),
                         ("revoke", "keyCompromise"))
        self.problem(409, "conflict", "POST", "/api/v1/certificates/%s/"
                     "revocation-requests" % c["id"], self.tok["olga"],
                     {"reason": "superseded"})
        self.problem(403, "forbidden", "POST", "/api/v1/certificates/%s/"
                     "revocation-requests" % c["id"], self.tok["anna"],
                     {"reason": "superseded"})
        self.problem(403, "forbidden", "POST", "/api/v1/requests/%s/approve"
                     % rq["id"], self.tok["olga"])
        self.assertIn(": good", self.ocsp_status(self.path("v.pem"), "good"))
        done = self.ok_json(200, "POST", "/api/v1/requests/%s/approve" %
                            rq["id"], self.tok["anna"])
        self.assertEqual(done["state"], "revoked")
        self.assertIn(": revoked", self.ocsp_status(self.path("v.pem"),
                                                   "revoked"))
        # Revocation stays permanent; a revoked certificate takes no
        # further request.
        self.problem(409, "conflict", "POST", "/api/v1/certificates/%s/"
                     "revocation-requests" % c["id"], self.tok["olga"],
                     {"reason": "superseded"})
        self.stop()
