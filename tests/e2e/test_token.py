"""API tokens, the client-certificate role map, and renaming and deleting
organisations and applications, through the real certa binary: `certa
token create|list|revoke`, `certa role map|unmap|list`, `certa org|app
update|delete`.  A token's secret is printed once and never again: not
by `token list`, not in the audit log, not in the store."""
import hashlib
import json
import re

from checks import CheckedTest

TOKEN_RE = re.compile(r"^certa_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class TokenTest(CheckedTest):
    def create(self, *args):
        r = self.ok("token", "create", *args)
        lines = r.text.splitlines()
        self.assertEqual(len(lines), 1, r)      # only the token
        m = TOKEN_RE.match(lines[0])
        self.assertIsNotNone(m, r)
        return lines[0], m.group(1), m.group(2)

    def test_create_list_revoke(self):
        tok, tid, secret = self.create("--role", "operator", "--name", "ci")
        self.assertEqual(self.create("--role", "auditor")[0][:6], "certa_")
        r = self.ok("token", "create", "--role", "admin", "--name", "js",
                    "--json")
        j = json.loads(r.out)
        self.assertEqual(sorted(j), ["id", "name", "role", "token"])
        m = TOKEN_RE.match(j["token"])
        self.assertEqual(m.group(1), j["id"])
        self.assertEqual((j["name"], j["role"]), ("js", "admin"))

        lst = json.loads(self.ok("token", "list", "--json").out)
        self.assertEqual(len(lst), 3)
        ci = [t for t in lst if t["name"] == "ci"][0]
        self.assertEqual((ci["id"], ci["role"], ci["status"]),
                         (tid, "operator", "live"))
        self.assertIsNone(ci["revoked_at"])
        self.assertIsNone(ci["last_used_at"])
        self.assertTrue(ci["created_by"].startswith("cli:"))
        default = [t for t in lst if t["role"] == "auditor"][0]
        self.assertEqual(default["name"], "token-" + default["id"])
        text = self.ok("token", "list").text
        self.assertIn(tid, text)
        for out in (text, json.dumps(lst)):
            self.assertNotIn(secret, out)
            self.assertNotIn(j["token"], out)

        # Revoke by name, then by id: the second time is a conflict.
        self.ok("token", "revoke", "ci")
        lst = json.loads(self.ok("token", "list", "--json").out)
        ci = [t for t in lst if t["id"] == tid][0]
        self.assertEqual(ci["status"], "revoked")
        self.assertIsNotNone(ci["revoked_at"])
        self.refused(1, "revoked already", "token", "revoke", tid)
        self.refused(1, "revoked already", "token", "revoke", "ci")
        self.refused(2, "no token 'nope'", "token", "revoke", "nope")
        # The name is free again once revoked.
        self.create("--role", "operator", "--name", "ci")

    def test_refusals(self):
        self.create("--role", "admin", "--name", "dup")
        self.refused(1, "a live token named 'dup' exists already",
                     "token", "create", "--role", "admin", "--name", "dup")
        self.refused(2, "unknown role 'root'", "token", "create",
                     "--role", "root")
        r = self.certa("token", "create")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("--role is required", r.errtext)
        self.refused(2, "1 to 64 bytes", "token", "create", "--role",
                     "admin", "--name", "n" * 65)
        r = self.certa("token", "frobnicate")
        self.assertEqual(r.rc, 2, r)
        r = self.certa("token", "revoke")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(r.out, b"")

    def test_secret_is_never_written(self):
        toks = [self.create("--role", "admin", "--name", "t%d" % i)
                for i in range(3)]
        self.ok("token", "revoke", "t1")
        audit = self.ok("audit", "list").text
        audit_json = self.ok("audit", "list", "--json").text
        self.assertEqual(audit_json.count('"action":"token.create"'), 3)
        self.assertEqual(audit_json.count('"action":"token.revoke"'), 1)
        with self.db() as c:
            rows = c.execute("SELECT id, secret_hash FROM api_token").fetchall()
        hashes = dict(rows)
        for tok, tid, secret in toks:
            self.assertIn("token:" + tid, audit)
            h = hashlib.sha256(secret.encode()).hexdigest()
            self.assertEqual(hashes[tid], h)    # the hash, not the secret
            for out in (audit, audit_json):
                self.assertNotIn(secret, out)
                self.assertNotIn(tok, out)
                self.assertNotIn(h, out)
        # No column anywhere in the database holds a secret.
        raw = open(self.path("data", "certa.db"), "rb").read()
        for tok, tid, secret in toks:
            self.assertNotIn(secret.encode(), raw)
        self.ok("audit", "verify")


class RoleMapTest(CheckedTest):
    FP = "ab" * 32

    def test_map_list_unmap(self):
        self.ok("role", "map", "--subject", "CN=alice,O=acme", "--role",
                "operator")
        fp = ":".join(self.FP[i:i + 2].upper() for i in range(0, 64, 2))
        self.ok("role", "map", "--fingerprint", fp, "--role", "admin")
        lst = json.loads(self.ok("role", "list", "--json").out)
        self.assertEqual([(m["kind"], m["value"], m["role"]) for m in lst],
                         [("subject", "CN=alice,O=acme", "operator"),
                          ("fingerprint", self.FP, "admin")])
        # Mapping again replaces the role, in place.
        self.ok("role", "map", "--subject", "CN=alice,O=acme", "--role",
                "auditor")
        lst2 = json.loads(self.ok("role", "list", "--json").out)
        self.assertEqual(lst2[0]["id"], lst[0]["id"])
        self.assertEqual(lst2[0]["role"], "auditor")
        self.assertIn("CN=alice,O=acme", self.ok("role", "list").text)

        self.ok("role", "unmap", "--fingerprint", self.FP)
        self.refused(2, "no role mapping", "role", "unmap",
                     "--fingerprint", self.FP)
        self.ok("role", "unmap", "--subject", "CN=alice,O=acme")
        self.assertEqual(json.loads(self.ok("role", "list", "--json").out),
                         [])
        audit = self.ok("audit", "list", "--json").text
        self.assertEqual(audit.count('"action":"role_map.set"'), 3)
        self.assertEqual(audit.count('"action":"role_map.remove"'), 2)
        self.ok("audit", "verify")

    def test_refusals(self):
        self.refused(2, "64 hex digits", "role", "map", "--fingerprint",
                     "abcd", "--role", "admin")
        self.refused(2, "unknown role", "role", "map", "--subject", "CN=a",
                     "--role", "god")
        for argv in (("role", "map", "--role", "admin"),
                     ("role", "map", "--subject", "CN=a", "--fingerprint",
                      self.FP, "--role", "admin"),
                     ("role", "unmap"),
                     ("role", "map", "--subject", "CN=a")):
            r = self.certa(*argv)
            self.assertEqual(r.rc, 2, r)
            self.assertEqual(r.out, b"")


class OrgAppUpdateDeleteTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app("acme", "pay")
        self.ok("app", "create", "--org", "acme", "hr")
        self.ok("org", "create", "globex")

    def test_update(self):
        j = json.loads(self.ok("org", "update", "acme", "--name", "acme2",
                               "--json").out)
        self.assertEqual(j["name"], "acme2")
        j = json.loads(self.ok("app", "update", "acme2/pay", "--name",
                               "payments", "--json").out)
        self.assertEqual((j["name"], j["organisation"]),
                         ("payments", "acme2"))
        self.ok("app", "show", "acme2/payments")
        self.refused(1, "organisation 'globex' exists already", "org",
                     "update", "acme2", "--name", "globex")
        self.refused(1, "application 'hr' exists already", "app", "update",
                     "acme2/payments", "--name", "hr")
        self.refused(2, "no organisation 'acme'", "org", "update", "acme",
                     "--name", "x")
        self.refused(2, "all digits", "org", "update", "acme2", "--name",
                     "42")
        r = self.certa("org", "update", "acme2")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("--name", r.errtext)
        recs = [json.loads(ln) for ln in
                self.ok("audit", "list", "--json").text.splitlines()]
        upd = {r["action"]: json.loads(r["details"]) for r in recs
               if r["action"].endswith(".update")}
        # Audit details carry the actor's role (the CLI acts as admin).
        self.assertEqual(upd, {"org.update": {"old_name": "acme",
                                              "name": "acme2",
                                              "role": "admin"},
                               "app.update": {"old_name": "pay",
                                              "name": "payments",
                                              "role": "admin"}})

    def test_delete_refused_with_a_valid_certificate(self):
        crt = self.issue(self.app, "transport", self.make_csr("c", "/CN=c"))
        cert = json.loads(self.ok("cert", "list", "--json").out)[0]
        r = self.refused(1, "application 'pay' holds 1 valid certificate: "
                         "revoke it first", "app", "delete", self.app)
        self.assertEqual(r.errtext.strip(), "certa: error: application "
                         "'pay' holds 1 valid certificate: revoke it first")
        self.refused(1, "organisation 'acme' holds 1 valid certificate",
                     "org", "delete", "acme")
        # An app without certificates, and an empty org, go at once.
        self.ok("app", "delete", "acme/hr")
        self.ok("org", "delete", "globex")

        self.ok("cert", "revoke", cert["id"], "--reason", "superseded")
        self.ok("app", "delete", self.app)
        r = self.certa("app", "show", self.app)
        self.assertEqual(r.rc, 2, r)
        # The certificate stays (history, CRLs), without its application.
        c = json.loads(self.ok("cert", "show", cert["id"], "--json").out)
        self.assertEqual(c["serial"], cert["serial"])
        self.assertIsNone(c["application"])
        self.ossl_ok("x509", "-in", crt, "-noout")
        self.ok("org", "delete", "acme")
        self.assertEqual(json.loads(self.ok("org", "list", "--json").out),
                         [])
        self.ok("crl", "--out", self.path("ca.crl"))
        audit = self.ok("audit", "list", "--json").text
        self.assertEqual(audit.count('"action":"app.delete"'), 2)
        self.assertEqual(audit.count('"action":"org.delete"'), 2)
        self.ok("audit", "verify")
