"""certa init judged by openssl: the data directory's modes, refusing to
initialise twice, single and two tiers, CA key types and subjects, the
passphrase (random, file, environment), importing a CA made by openssl,
--base-url in issued certificates, and the CA certificates' extensions."""
import calendar
import hashlib
import json
import os
import re
import stat
import time

from checks import CheckedTest, pem_blocks


class InitTest(CheckedTest):
    init = False

    def init_ok(self, *args, env=None):
        r = self.certa("init", *args, env=env)
        self.assertEqual(r.rc, 0, r)
        return r

    def cas(self):
        return json.loads(self.ok("ca", "list", "--json").out)

    def export_chain(self):
        """(root, issuing) PEM paths; root is None for a single tier."""
        self.ok("ca", "export", "--chain", "--out", self.path("chain.pem"))
        blocks = pem_blocks(self.read("chain.pem"))
        self.write("issuing.pem", blocks[0])
        if len(blocks) == 1:
            return None, self.path("issuing.pem")
        self.assertEqual(len(blocks), 2)
        self.write("root.pem", blocks[1])
        return self.path("root.pem"), self.path("issuing.pem")

    def issue_one(self, env=None, *glob):
        """Issue a transport certificate from an openssl CSR."""
        if not os.path.exists(self.path("leaf.csr")):
            self.make_csr("leaf", "/CN=leaf")
        if self.count("organisation") == 0:
            self.ok(*glob, "org", "create", "acme")
            self.ok(*glob, "app", "create", "--org", "acme", "pay")
        r = self.certa(*glob, "cert", "issue", "--app", "acme/pay", "--type",
                       "transport", "--csr", self.path("leaf.csr"), env=env)
        self.assertEqual(r.rc, 0, r)
        self.write("leaf.pem", r.out)
        return self.path("leaf.pem")

    def verify(self, leaf, root, issuing):
        args = ["verify", "-CAfile", root or issuing]
        if root:
            args += ["-untrusted", issuing]
        r = self.openssl(*args, leaf)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(": OK", r.text)

    def digest(self, name):
        with open(os.path.join(self.dir, name), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def test_layout_modes_and_passphrase(self):
        r = self.init_ok()
        self.assertEqual(stat.S_IMODE(os.stat(self.dir).st_mode), 0o700)
        for f in ("certa.db", "passphrase"):
            self.assertEqual(stat.S_IMODE(os.stat(
                os.path.join(self.dir, f)).st_mode), 0o600, f)
        # It says where the random passphrase is, never what it is.
        self.assertIn(os.path.join(self.dir, "passphrase"), r.text)
        secret = self.read("data/passphrase").decode().strip()
        self.assertGreaterEqual(len(secret), 32)
        self.assertNotIn(secret, r.text + r.errtext)
        # The CA keys in the store are PKCS#8 PBES2/AES-256 under that
        # passphrase: openssl decrypts them with it.
        with self.db() as c:
            keys = [k for (k,) in c.execute("SELECT key_pem FROM ca")]
        self.assertEqual(len(keys), 2)
        for i, k in enumerate(keys):
            self.assertTrue(k.startswith(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
            self.write("k%d.pem" % i, k)
            asn = self.ossl_ok("asn1parse", "-in", self.path("k%d.pem" % i))
            self.assertIn(":PBES2", asn.text)
            self.assertIn(":aes-256-cbc", asn.text)
            self.assertRegex(asn.text, r":(scrypt|PBKDF2)")
            self.ossl_ok("pkey", "-in", self.path("k%d.pem" % i), "-passin",
                         "file:" + os.path.join(self.dir, "passphrase"),
                         "-noout")

    def test_init_twice_changes_nothing(self):
        self.init_ok()
        before = (self.digest("certa.db"), self.digest("passphrase"),
                  sorted(os.listdir(self.dir)), self.cas())
        for args in ((), ("--single-tier",), ("--key", "ed25519")):
            r = self.certa("init", *args)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("initialised already", r.errtext)
            self.assertTrue(r.errtext.startswith("certa: "))
        after = (self.digest("certa.db"), self.digest("passphrase"),
                 sorted(os.listdir(self.dir)), self.cas())
        self.assertEqual(before, after)

    def test_two_tier_extensions(self):
        self.init_ok()
        cas = self.cas()
        self.assertEqual(sorted(c["role"] for c in cas), ["issuing", "root"])
        root, issuing = self.export_chain()
        rt, it = self.x509_text(root), self.x509_text(issuing)
        for txt in (rt, it):
            self.assertRegex(txt, r"Basic Constraints: critical\s+CA:TRUE")
            self.assertRegex(txt, r"Key Usage: critical\s+[^\n]*"
                             r"Certificate Sign, CRL Sign")
            self.assertIn("Subject Key Identifier", txt)
        self.assertRegex(it, r"CA:TRUE, pathlen:0")
        self.assertNotRegex(rt, r"pathlen:0")
        # Root self-signed; issuing signed by root (AKI = root's SKI).
        root_ski = re.search(r"Subject Key Identifier: *\n\s+(\S+)",
                             rt).group(1)
        aki = re.search(r"Authority Key Identifier: *\n\s+(?:keyid:)?(\S+)",
                        it).group(1)
        self.assertEqual(root_ski, aki)
        r = self.ossl_ok("verify", "-CAfile", root, root)
        self.assertIn(": OK", r.text)
        r = self.ossl_ok("verify", "-CAfile", root, issuing)
        self.assertIn(": OK", r.text)
        # The issuing CA's validity lies inside the root's.
        def dates(p):
            t = self.ossl_ok("x509", "-in", p, "-noout", "-startdate",
                             "-enddate").text
            return [calendar.timegm(time.strptime(v, "%b %d %H:%M:%S %Y GMT"))
                    for v in re.findall(r"=(.*)", t)]
        rs, re_ = dates(root)
        is_, ie = dates(issuing)
        self.assertLessEqual(rs, is_)
        self.assertLessEqual(ie, re_)
        self.verify(self.issue_one(), root, issuing)

    def test_single_tier(self):
        self.init_ok("--single-tier")
        cas = self.cas()
        self.assertEqual(len(cas), 1, cas)
        self.assertEqual(cas[0]["subject"], cas[0]["issuer"])
        root, issuing = self.export_chain()
        self.assertIsNone(root)
        txt = self.x509_text(issuing)
        self.assertRegex(txt, r"Basic Constraints: critical\s+CA:TRUE")
        leaf = self.issue_one()
        self.verify(leaf, None, issuing)
        # CRLs come from that one CA and verify against it.
        self.ok("crl", "--out", self.path("c.crl"))
        r = self.ossl_ok("crl", "-inform", "DER", "-in", self.path("c.crl"),
                         "-CAfile", issuing, "-noout")
        self.assertIn("verify OK", r.text + r.errtext)

    def test_key_types(self):
        for name, spec, want in (
                ("p384", "ec:P-384", r"NIST CURVE: P-384"),
                ("ed", "ed25519", r"Public Key Algorithm: ED25519"),
                ("rsa", "rsa:3072", r"rsaEncryption\s+Public-Key: "
                                    r"\(3072 bit\)")):
            self.dir = self.path("data-" + name)
            self.init_ok("--key", spec)
            root, issuing = self.export_chain()
            for p in (root, issuing):
                self.assertRegex(self.x509_text(p), want, (name, p))
            self.verify(self.issue_one(), root, issuing)

    def test_bad_key_and_subject_leave_no_dir(self):
        for args, frag in ((("--key", "ec:P-521"), "ec:P-521"),
                           (("--key", "dsa:2048"), "dsa:2048"),
                           (("--subject", "CN"), "not TYPE=value"),
                           (("--subject", "XX=1"), "unknown attribute"),
                           (("--validity", "forever"), "forever")):
            r = self.certa("init", *args)
            self.assertEqual(r.rc, 2, (args, r))
            self.assertIn(frag, r.errtext)
            self.assertFalse(os.path.exists(self.dir), args)

    def test_ca_key_rsa2048_refused(self):
        # Issue 2 and `certa init --help` list the CA key types:
        # ec:P-256|ec:P-384|ed25519|rsa:3072|rsa:4096.  RSA-2048 is for
        # leaves (certa csr, CSRs) only.
        r = self.certa("init", "--key", "rsa:2048")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("rsa:2048", r.errtext)
        self.assertFalse(os.path.exists(self.dir))

    def test_subject_in_both_syntaxes(self):
        got = []
        for name, dn in (("ossl", "/C=DE/O=Acme GmbH/CN=Acme Root"),
                         ("rfc", "CN=Acme Root,O=Acme GmbH,C=DE")):
            self.dir = self.path("data-" + name)
            self.init_ok("--subject", dn)
            root, issuing = self.export_chain()
            subj = self.ossl_ok("x509", "-in", root, "-noout", "-subject",
                                "-nameopt", "RFC2253").text.strip()
            got.append(subj)
            self.assertEqual(subj, "subject=CN=Acme Root,O=Acme GmbH,C=DE")
            # The issuing CA is named after it, in the same organisation.
            isubj = self.ossl_ok("x509", "-in", issuing, "-noout",
                                 "-subject", "-nameopt", "RFC2253").text
            self.assertIn("O=Acme GmbH", isubj)
            self.assertNotEqual(isubj.strip(), subj)
        self.assertEqual(got[0], got[1])

    def test_passphrase_file_at_init(self):
        self.write("pf", "my own passphrase\n")
        pf = self.path("pf")
        r = self.init_ok("--passphrase-file", pf)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "passphrase")))
        self.assertNotIn("my own passphrase", r.text + r.errtext)
        self.make_csr("leaf", "/CN=leaf")
        self.ok("org", "create", "acme")
        self.ok("app", "create", "--org", "acme", "pay")
        # Without it: a clear error, nothing issued.
        r = self.certa("cert", "issue", "--app", "acme/pay", "--type",
                       "transport", "--csr", self.path("leaf.csr"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("no CA key passphrase", r.errtext)
        self.assertIn("--passphrase-file", r.errtext)
        self.assertEqual(self.count("certificate"), 0)
        # With it: global option before or after the subcommand, or env.
        self.issue_one(None, "--passphrase-file", pf)
        r = self.certa("cert", "issue", "--app", "acme/pay", "--type",
                       "transport", "--csr", self.path("leaf.csr"),
                       "--passphrase-file", pf)
        self.assertEqual(r.rc, 0, r)
        self.issue_one({"CERTA_PASSPHRASE_FILE": pf})
        self.assertEqual(self.count("certificate"), 3)
        # The CA key opens with that passphrase, as openssl sees it.
        with self.db() as c:
            k = c.execute("SELECT key_pem FROM ca WHERE role = 'issuing'"
                          ).fetchone()[0]
        self.write("ik.pem", k)
        self.ossl_ok("pkey", "-in", self.path("ik.pem"), "-passin",
                     "file:" + pf, "-noout")

    def test_passphrase_env_at_init(self):
        self.write("pf", "from the environment\n")
        env = {"CERTA_PASSPHRASE_FILE": self.path("pf")}
        self.init_ok(env=env)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "passphrase")))
        self.issue_one(env)
        self.write("wrong", "something else\n")
        r = self.certa("cert", "issue", "--app", "acme/pay", "--type",
                       "transport", "--csr", self.path("leaf.csr"),
                       env={"CERTA_PASSPHRASE_FILE": self.path("wrong")})
        self.assertEqual(r.rc, 1, r)
        self.assertIn("wrong passphrase", r.errtext)

    def make_ca(self, name, ca=True, keyopts=()):
        args = ["req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-keyout", self.path(name + ".key"),
                "-out", self.path(name + ".crt"), "-subj",
                "/CN=%s/O=Outside" % name, "-days", "365",
                "-addext", "subjectKeyIdentifier=hash"]
        args += list(keyopts) or ["-nodes"]
        if ca:
            args += ["-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        else:
            args += ["-addext", "basicConstraints=critical,CA:FALSE"]
        self.ossl_ok(*args)
        return self.path(name + ".crt"), self.path(name + ".key")

    def test_import_ca(self):
        crt, key = self.make_ca("Imported CA")
        self.init_ok("--import-ca", crt, key)
        cas = self.cas()
        self.assertEqual(len(cas), 1, cas)
        self.assertTrue(cas[0]["has_key"])
        fp = self.ossl_ok("x509", "-in", crt, "-noout", "-fingerprint",
                          "-sha256").text.split("=")[1].strip()
        self.assertEqual(cas[0]["fingerprint_sha256"],
                         fp.replace(":", "").lower())
        # The imported key is stored encrypted, never as given.
        with self.db() as c:
            k = c.execute("SELECT key_pem FROM ca").fetchone()[0]
        self.assertIn("ENCRYPTED PRIVATE KEY", k)
        leaf = self.issue_one()
        self.verify(leaf, None, crt)
        txt = self.x509_text(leaf)
        ski = re.search(r"Subject Key Identifier: *\n\s+(\S+)",
                        self.x509_text(crt)).group(1)
        self.assertRegex(txt, r"Authority Key Identifier: *\n\s+(keyid:)?" +
                         re.escape(ski))
        self.assertRegex(txt, r"Issuer: CN ?= ?Imported CA, O ?= ?Outside")

    def test_import_encrypted_ca_key(self):
        self.write("kp", "import secret\n")
        crt, key = self.make_ca("Locked CA", keyopts=(
            "-passout", "file:" + self.path("kp")))
        self.assertIn(b"ENCRYPTED", self.read("Locked CA.key"))
        r = self.certa("init", "--import-ca", crt, key)
        self.assertNotEqual(r.rc, 0, r)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "certa.db")))
        self.init_ok("--import-ca", crt, key, "--import-key-pass-file",
                     self.path("kp"))
        self.verify(self.issue_one(), None, crt)

    def test_import_refuses_non_ca_and_mismatched_key(self):
        leaf_crt, leaf_key = self.make_ca("not-a-ca", ca=False)
        ca_crt, _ = self.make_ca("real-ca")
        r = self.certa("init", "--import-ca", leaf_crt, leaf_key)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("not a CA certificate", r.errtext)
        self.assertFalse(os.path.exists(self.dir))
        r = self.certa("init", "--import-ca", ca_crt, leaf_key)
        self.assertIn(r.rc, (1, 2), r)
        self.assertIn("does not match", r.errtext)
        self.assertFalse(os.path.exists(self.dir))
        r = self.certa("init", "--import-ca", ca_crt)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("needs CERT and KEY", r.errtext)
        r = self.certa("init", "--import-ca", self.path("nope.crt"),
                       leaf_key)
        self.assertEqual(r.rc, 2, r)
        self.assertFalse(os.path.exists(self.dir))

    def test_base_url(self):
        url = "https://pki.example.test:8443/certa"
        self.init_ok("--base-url", url)
        txt = self.x509_text(self.issue_one())
        self.assertIn("URI:%s/crl/issuing.crl" % url, txt)
        self.assertIn("OCSP - URI:%s/ocsp" % url, txt)
        self.assertIn("CA Issuers - URI:%s/ca/issuing.crt" % url, txt)
        self.assertNotIn("127.0.0.1", txt)

    def test_validity(self):
        self.init_ok("--validity", "5y")
        root, issuing = self.export_chain()
        end = self.ossl_ok("x509", "-in", root, "-noout", "-enddate").text
        t = calendar.timegm(time.strptime(end.split("=")[1].strip(),
                                      "%b %d %H:%M:%S %Y GMT"))
        years = (t - time.time()) / (365.25 * 86400)
        self.assertGreater(years, 4.9)
        self.assertLess(years, 5.1)
