"""The command line: --dir anywhere and CERTA_DIR, naming applications,
org/app listings, `cert list` filters, `cert show` by id and serial,
`certa csr` judged by openssl req, the audit log's tamper evidence, and
unknown commands and options."""
import json
import os
import re
import stat
import time

from checks import CheckedTest


class DirTest(CheckedTest):
    init = False

    def test_dir_before_and_after_the_subcommand(self):
        d = self.path("elsewhere")
        r = self.certa("init", "--dir", d, dir=False)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.exists(os.path.join(d, "certa.db")))
        self.assertEqual(self.certa("org", "create", "--dir", d, "one",
                                    dir=False).rc, 0)
        self.assertEqual(self.certa("--dir", d, "org", "create", "two",
                                    dir=False).rc, 0)
        self.assertEqual(self.certa("--dir=" + d, "org", "create", "three",
                                    dir=False).rc, 0)
        for argv in (("--dir", d, "org", "list", "--json"),
                     ("org", "list", "--json", "--dir", d),
                     ("org", "--dir=" + d, "list", "--json")):
            r = self.certa(*argv, dir=False)
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(sorted(o["name"] for o in json.loads(r.out)),
                             ["one", "three", "two"], argv)
        # Nothing went to the default directory.
        self.assertFalse(os.path.exists(self.path("certa-data")))

    def test_default_dir_and_certa_dir_env(self):
        # Default: ./certa-data (the harness runs certa in self.tmp).
        r = self.certa("init", dir=False)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.exists(self.path("certa-data", "certa.db")))
        self.assertEqual(self.certa("org", "create", "local",
                                    dir=False).rc, 0)
        # CERTA_DIR points elsewhere.
        env = {"CERTA_DIR": self.path("from-env")}
        r = self.certa("init", dir=False, env=env)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.exists(self.path("from-env", "certa.db")))
        self.assertEqual(self.certa("org", "create", "envorg", dir=False,
                                    env=env).rc, 0)

        def names(*argv, env=None):
            r = self.certa(*argv, "org", "list", "--json", dir=False,
                           env=env)
            self.assertEqual(r.rc, 0, r)
            return [o["name"] for o in json.loads(r.out)]
        self.assertEqual(names(env=env), ["envorg"])
        self.assertEqual(names(), ["local"])
        # --dir wins over CERTA_DIR.
        self.assertEqual(names("--dir", self.path("certa-data"), env=env),
                         ["local"])
        # A directory that is not initialised: a clear error.
        r = self.certa("org", "list", dir=False,
                       env={"CERTA_DIR": self.path("void")})
        self.assertEqual(r.rc, 2, r)
        self.assertIn("not a certa data directory", r.errtext)
        self.assertIn("certa init", r.errtext)


class NamesTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.ok("org", "create", "acme")
        self.ok("org", "create", "globex")
        self.acme_pay = json.loads(self.ok("app", "create", "--org", "acme",
                                           "pay", "--json").out)
        self.acme_hr = json.loads(self.ok("app", "create", "--org", "acme",
                                          "hr", "--json").out)
        self.csr = self.make_csr("c", "/CN=c")

    def app_of(self, ref):
        r = self.ok("app", "show", ref, "--json")
        return json.loads(r.out)

    def test_app_by_id_org_name_and_name(self):
        for ref in (str(self.acme_pay["id"]), "acme/pay", "pay"):
            self.assertEqual(self.app_of(ref)["id"], self.acme_pay["id"], ref)
            r = self.ok("cert", "issue", "--app", ref, "--type", "transport",
                        "--csr", self.csr, "--json")
            self.assertEqual(json.loads(r.out)["application"],
                             self.acme_pay["id"])
        # The same name in a second organisation: NAME alone is ambiguous.
        globex = json.loads(self.ok("app", "create", "--org", "globex",
                                    "pay", "--json").out)
        before = self.count("certificate")
        for argv in (("app", "show", "pay"),
                     ("cert", "issue", "--app", "pay", "--type",
                      "transport", "--csr", self.csr),
                     ("cert", "list", "--app", "pay")):
            r = self.certa(*argv)
            self.assertIn(r.rc, (1, 2), r)
            self.assertIn("several organisations", r.errtext)
            self.assertIn("ORG/pay", r.errtext)
            self.assertEqual(r.out, b"")
        self.assertEqual(self.count("certificate"), before)
        self.assertEqual(self.app_of("globex/pay")["id"], globex["id"])
        self.assertEqual(self.app_of("acme/pay")["id"], self.acme_pay["id"])
        self.assertEqual(self.app_of(str(globex["id"]))["organisation"],
                         "globex")
        # Unknown names.
        for ref in ("acme/nope", "nope/pay", "4242"):
            r = self.certa("app", "show", ref)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("no application '%s'" % ref, r.errtext)

    def test_org_and_app_listings(self):
        orgs = json.loads(self.ok("org", "list", "--json").out)
        self.assertEqual([o["name"] for o in orgs], ["acme", "globex"])
        for o in orgs:
            self.assertEqual(set(o), {"id", "name", "created_at"})
            self.assertRegex(o["created_at"],
                             r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.ok("app", "create", "--org", "globex", "crm")
        apps = json.loads(self.ok("app", "list", "--json").out)
        self.assertEqual(sorted((a["organisation"], a["name"]) for a in apps),
                         [("acme", "hr"), ("acme", "pay"), ("globex", "crm")])
        for ref in ("acme", str(orgs[0]["id"])):
            apps = json.loads(self.ok("app", "list", "--org", ref,
                                      "--json").out)
            self.assertEqual(sorted(a["name"] for a in apps), ["hr", "pay"])
        apps = json.loads(self.ok("app", "list", "--org", "globex",
                                  "--json").out)
        self.assertEqual([a["name"] for a in apps], ["crm"])
        r = self.ok("app", "list", "--org", "globex")
        self.assertIn("globex/crm", r.text)
        self.assertNotIn("acme", r.text)
        r = self.certa("app", "list", "--org", "initech")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("no organisation 'initech'", r.errtext)
        # org show by name and by id agree.
        a = json.loads(self.ok("org", "show", "globex", "--json").out)
        b = json.loads(self.ok("org", "show", str(a["id"]), "--json").out)
        self.assertEqual(a, b)
        # Duplicates and names that read as ids are refused.
        before = self.count("audit")
        r = self.certa("org", "create", "acme")
        self.assertIn(r.rc, (1, 2), r)
        self.assertIn("exists already", r.errtext)
        r = self.certa("app", "create", "--org", "acme", "pay")
        self.assertIn(r.rc, (1, 2), r)
        r = self.certa("org", "create", "1234")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("all digits", r.errtext)
        r = self.certa("app", "create", "--org", "acme", "a/b")
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(self.count("audit"), before)


class CertListShowTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.ok("app", "create", "--org", "acme", "other")
        self.csr = self.make_csr("c", "/CN=c/O=Acme",
                                 sans=["DNS:c.acme.test", "IP:10.1.2.3"])
        # Signing and encryption profiles allow no IP SANs.
        self.plain = self.make_csr("p", "/CN=p/O=Acme")

    def issue_json(self, typ="transport", app=None, *extra):
        csr = self.csr if typ == "transport" else self.plain
        r = self.ok("cert", "issue", "--app", app or self.app, "--type", typ,
                    "--csr", csr, "--json", *extra)
        return json.loads(r.out)

    def listed(self, *args):
        r = self.ok("cert", "list", "--json", *args)
        return sorted(c["id"] for c in json.loads(r.out))

    def test_list_filters(self):
        t1 = self.issue_json()["id"]
        s1 = self.issue_json("signing")["id"]
        e1 = self.issue_json("encryption")["id"]
        o1 = self.issue_json("transport", "acme/other")["id"]
        soon = self.issue_json("transport", None, "--validity", "10d")["id"]
        # The smallest validity there is; expired a moment later.
        gone = self.issue_json("transport", None, "--validity", "1s")["id"]
        deadline = time.time() + 10
        while time.time() < deadline:
            j = json.loads(self.ok("cert", "show", gone, "--json").out)
            if j["status"] == "expired":
                break
            time.sleep(0.5)
        self.assertEqual(j["status"], "expired")
        everything = sorted([t1, s1, e1, o1, soon, gone])
        self.assertEqual(self.listed(), everything)
        self.assertEqual(self.listed("--type", "signing"), [s1])
        self.assertEqual(self.listed("--type", "encryption"), [e1])
        self.assertEqual(self.listed("--type", "transport"),
                         sorted([t1, o1, soon, gone]))
        self.assertEqual(self.listed("--app", "acme/other"), [o1])
        self.assertEqual(self.listed("--app", "acme/payments", "--type",
                                     "transport"), sorted([t1, soon, gone]))
        self.assertEqual(self.listed("--status", "expired"), [gone])
        self.assertEqual(self.listed("--status", "valid"),
                         sorted([t1, s1, e1, o1, soon]))
        self.assertEqual(self.listed("--status", "revoked"), [])
        self.assertEqual(self.listed("--expiring", "30d"), [soon])
        self.assertEqual(self.listed("--expiring", "400d"),
                         sorted([t1, s1, e1, o1, soon]))
        # Text form: one line per certificate, with its status.
        lines = self.ok("cert", "list").text.strip().splitlines()
        self.assertEqual(len(lines), 6)
        self.assertEqual(sum(" expired " in ln for ln in lines), 1)
        # Bad filters.
        for args, frag in ((("--status", "bogus"), "--status must be"),
                           (("--expiring", "soon"), "soon"),
                           (("--app", "acme/none"), "no application")):
            r = self.certa("cert", "list", *args)
            self.assertEqual(r.rc, 2, r)
            self.assertIn(frag, r.errtext)

    def test_show_by_id_and_serial(self):
        j = self.issue_json()
        self.write("c.pem", j["pem"])
        ossl = self.ossl_ok("x509", "-in", self.path("c.pem"), "-noout",
                            "-serial", "-fingerprint", "-sha256").text
        serial = re.search(r"serial=([0-9A-F]+)", ossl).group(1)
        sha256 = re.search(r"Fingerprint=([0-9A-F:]+)", ossl).group(1)
        sha1 = self.ossl_ok("x509", "-in", self.path("c.pem"), "-noout",
                            "-fingerprint", "-sha1").text.split("=")[1].strip()

        def hexnorm(s):
            return re.sub(r"[^0-9a-f]", "", s.lower())
        texts = []
        for ref in (j["id"], "0x" + serial.upper(), "0X" + serial,
                    serial.lower()):
            texts.append(self.ok("cert", "show", ref).text)
            sj = json.loads(self.ok("cert", "show", ref, "--json").out)
            self.assertEqual(sj["id"], j["id"], ref)
            self.assertEqual(int(sj["serial"], 16), int(serial, 16))
            self.assertEqual(hexnorm(sj["fingerprint_sha256"]),
                             hexnorm(sha256))
            self.assertEqual(hexnorm(sj["fingerprint_sha1"]), hexnorm(sha1))
            self.assertEqual(sj["issuer"], "CN=certa Issuing CA")
            self.assertEqual(sj["application_name"], "acme/payments")
            self.assertEqual(sj["type"], "transport")
            self.assertEqual(sj["status"], "valid")
            self.assertEqual(sj["key_algorithm"], "ec:P-256")
            self.assertIn("c.acme.test", sj["sans"])
            self.assertEqual(sj["pem"], j["pem"])
        self.assertEqual(len(set(texts)), 1)
        txt = texts[0]
        for want in ("subject:", "issuer:", "CN=certa Issuing CA",
                     "DNS:c.acme.test", "IP:10.1.2.3", "not before:",
                     "not after:", "status:             valid",
                     "type:               transport", "ec:P-256",
                     "acme/payments"):
            self.assertIn(want, txt)
        self.assertEqual(hexnorm(re.search(r"SHA-256: +(\S+)",
                                           txt).group(1)), hexnorm(sha256))
        self.assertEqual(hexnorm(re.search(r"SHA-1: +(\S+)", txt).group(1)),
                         hexnorm(sha1))
        self.assertEqual(int(re.search(r"serial: +(\S+)", txt).group(1), 16),
                         int(serial, 16))
        self.assertRegex(txt, r"subject: +(CN=c,O=Acme|O=Acme,CN=c)")


class CsrCommandTest(CheckedTest):
    def test_csr_makes_key_and_request(self):
        app = self.setup_app()
        key, csr = self.path("pay.key"), self.path("pay.csr")
        r = self.ok("csr", "--key", "ec:P-256", "--subject", "CN=pay,O=Acme",
                    "--san", "DNS:pay.acme.test", "--out-key", key,
                    "--out-csr", csr)
        self.assertNotIn(b"PRIVATE KEY", r.out + r.err)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        v = self.ossl_ok("req", "-in", csr, "-verify", "-noout", "-text")
        self.assertIn("verify OK", v.text + v.errtext)
        self.assertIn("DNS:pay.acme.test", v.text)
        self.assertRegex(v.text, r"Subject: O ?= ?Acme, CN ?= ?pay")
        self.assertIn("NIST CURVE: P-256", v.text)
        # The key is the CSR's key, readable by openssl as it stands.
        a = self.ossl_ok("pkey", "-in", key, "-pubout").text
        b = self.ossl_ok("req", "-in", csr, "-noout", "-pubkey").text
        self.assertEqual(a, b)
        crt = self.issue(app, "transport", csr)
        root, issuing = self.chain_files()
        r = self.ossl_ok("verify", "-CAfile", root, "-untrusted", issuing,
                         crt)
        self.assertIn(": OK", r.text)
        self.assertEqual(self.ossl_ok("x509", "-in", crt, "-noout",
                                      "-pubkey").text, a)

    def test_csr_refuses_to_overwrite_a_key(self):
        key, csr = self.path("k.pem"), self.path("r.csr")
        self.write("k.pem", "precious\n")
        r = self.certa("csr", "--key", "ec:P-256", "--subject", "CN=x",
                       "--out-key", key, "--out-csr", csr)
        self.assertIn(r.rc, (1, 2), r)
        self.assertIn("exists already", r.errtext)
        self.assertEqual(self.read("k.pem"), b"precious\n")
        self.assertFalse(os.path.exists(csr))

    def test_csr_key_types_and_encrypted_key(self):
        self.write("kp", "key secret\n")
        for spec, want in (("ed25519", "ED25519"), ("rsa:2048",
                                                    "(2048 bit)"),
                           ("ec:P-384", "P-384")):
            key = self.path(spec.replace(":", "_") + ".key")
            csr = self.path(spec.replace(":", "_") + ".csr")
            self.ok("csr", "--key", spec, "--subject", "/CN=t/O=Acme",
                    "--out-key", key, "--out-csr", csr, "--key-pass-file",
                    self.path("kp"))
            self.assertIn(b"ENCRYPTED PRIVATE KEY", self.read(
                os.path.basename(key)))
            v = self.ossl_ok("req", "-in", csr, "-verify", "-noout", "-text")
            self.assertIn("verify OK", v.text + v.errtext)
            self.assertIn(want, v.text)
            self.assertRegex(v.text, r"Subject: CN ?= ?t, O ?= ?Acme")
            self.ossl_ok("pkey", "-in", key, "-passin",
                         "file:" + self.path("kp"), "-noout")
            r = self.openssl("pkey", "-in", key, "-passin", "pass:wrong",
                             "-noout")
            self.assertNotEqual(r.rc, 0)
        r = self.certa("csr", "--key", "dsa:2048", "--subject", "CN=x",
                       "--out-key", self.path("d.key"), "--out-csr",
                       self.path("d.csr"))
        self.assertEqual(r.rc, 2, r)
        self.assertFalse(os.path.exists(self.path("d.key")))


class AuditTest(CheckedTest):
    def setUp(self):
        super().setUp()
        app = self.setup_app()
        crt = self.issue(app, "transport", self.make_csr("a", "/CN=a"))
        self.ok("cert", "revoke", "1", "--reason", "superseded")
        self.ok("crl", "--out", self.path("c.crl"))
        self.crt = crt

    def test_audit_list_records_every_change(self):
        lines = self.ok("audit", "list", "--json").out.splitlines()
        recs = [json.loads(ln) for ln in lines]
        self.assertEqual([r["action"] for r in recs],
                         ["ca.init", "org.create", "app.create",
                          "cert.issue", "cert.revoke", "crl.generate"])
        self.assertEqual([r["seq"] for r in recs], list(range(1, 7)))
        self.assertTrue(all(r["outcome"] == "ok" for r in recs))
        self.assertEqual(len({r["hash"] for r in recs}), 6)
        since = [json.loads(ln) for ln in self.ok(
            "audit", "list", "--json", "--since", "4").out.splitlines()]
        self.assertTrue(all(r["seq"] >= 4 for r in since))
        self.assertIn(5, [r["seq"] for r in since])

    def test_audit_verify_detects_edits_and_deletions(self):
        r = self.ok("audit", "verify")
        self.assertIn("intact: 6 records", r.text)
        with self.db() as c:
            old = c.execute("SELECT actor FROM audit WHERE seq = 3"
                            ).fetchone()[0]
            c.execute("UPDATE audit SET actor = 'cli:mallory' WHERE seq = 3")
        r = self.certa("audit", "verify")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("record 3", r.errtext)
        self.assertTrue(r.errtext.startswith("certa: "))
        with self.db() as c:
            c.execute("UPDATE audit SET actor = ? WHERE seq = 3", (old,))
        self.assertIn("intact", self.ok("audit", "verify").text)
        # Another field: the object of record 4 (cert.issue).
        with self.db() as c:
            c.execute("UPDATE audit SET object = 'cert:99' WHERE seq = 4")
        r = self.certa("audit", "verify")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("record 4", r.errtext)
        with self.db() as c:
            c.execute("UPDATE audit SET object = 'cert:1' WHERE seq = 4")
        self.ok("audit", "verify")
        # A record removed from the middle.
        with self.db() as c:
            c.execute("DELETE FROM audit WHERE seq = 2")
        r = self.certa("audit", "verify")
        self.assertEqual(r.rc, 1, r)
        self.assertRegex(r.errtext, r"record [23]\b")


class UsageTest(CheckedTest):
    def test_unknown_command_and_option(self):
        for argv, frag in ((("frobnicate",), "unknown command 'frobnicate'"),
                           (("cert", "list", "--bogus"),
                            "unknown option '--bogus'"),
                           (("cert", "frob", "1"), "unknown cert command"),
                           (("org",),
                            "expected create, list, show, update or delete"),
                           (("cert", "list", "--json", "--json"),
                            "given twice"),
                           (("cert", "list", "--json=yes"),
                            "takes no value"),
                           (("cert", "issue", "--app", "x", "--type", "t",
                             "--csr", "a", "--batch", "b"),
                            "exactly one of"),
                           (("cert", "show"), "wrong number of arguments"),
                           (("crl", "--format", "txt"), "der or pem"),
                           (("audit", "list", "--since", "x"),
                            "--since")):
            r = self.certa(*argv)
            self.assertEqual(r.rc, 2, (argv, r))
            self.assertTrue(r.errtext.startswith("certa: "), r)
            self.assertIn(frag, r.errtext.splitlines()[0], argv)
            self.assertEqual(r.out, b"", argv)
        r = self.certa("--dir", dir=False)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("'--dir' needs a value", r.errtext)
        r = self.certa(dir=False)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("usage:", r.errtext)

    def test_help_and_version(self):
        r = self.ok("help")
        for cmd in ("init", "org", "app", "cert", "csr", "crl", "ca",
                    "verify", "audit"):
            self.assertRegex(r.text, r"\n  %s +\S" % cmd)
        r = self.ok("cert", "--help")
        self.assertIn("certa cert issue", r.text)
        self.assertIn("--format pem|der|p7b|p12", r.text)
        r = self.ok("version")
        self.assertRegex(r.text, r"^certa \d+\.\d+\.\d+")


class AuditHeadTest(CheckedTest):
    """The chain alone cannot show that the newest records were cut off;
    a head recorded elsewhere can."""

    def test_recorded_head_detects_truncation(self):
        self.ok("org", "create", "a")
        self.ok("org", "create", "b")
        r = self.ok("audit", "verify")
        m = re.search(r"head (\d+:[0-9a-f]{64})", r.text)
        self.assertIsNotNone(m, r)
        head = m.group(1)
        self.ok("audit", "verify", "--head", head)
        seq = int(head.split(":")[0])
        with self.db() as c:
            c.execute("DELETE FROM audit WHERE seq = ?", (seq,))
        # The shortened chain is still a valid chain ...
        self.ok("audit", "verify")
        # ... but the recorded head is gone.
        r = self.certa("audit", "verify", "--head", head)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("cut short", r.errtext)
        r = self.certa("audit", "verify", "--head", "3:zz")
        self.assertEqual(r.rc, 2, r)
