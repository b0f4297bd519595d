"""Export formats judged by openssl: PEM, DER, PKCS#7 and PKCS#12 (modern
and --legacy), with and without the chain; keys in PKCS#12 (the CSR's own
key, server-side generated keys) and that the data directory never holds a
private key in the clear."""
import os
import re

from checks import CheckedTest, pem_blocks


class ExportTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.csr = self.make_csr("leaf", "/CN=leaf/O=Acme")
        self.crt = self.issue(self.app, "transport", self.csr)
        self.cid = "1"
        self.write("pw", "correct horse battery staple\n")
        self.pw = self.path("pw")

    def export(self, fmt, *extra):
        out = self.path("out.%s" % fmt)
        if os.path.exists(out):
            os.unlink(out)
        self.ok("cert", "export", self.cid, "--format", fmt, "--out", out,
                *extra)
        return out

    def fingerprint(self, pem_text):
        r = self.ossl_ok("x509", "-noout", "-fingerprint", "-sha256",
                         input=pem_text.encode())
        return r.text.strip().split("=", 1)[1]

    def expected_chain(self):
        """Fingerprints of leaf, issuing, root: what --chain must give."""
        return [self.fingerprint(self.read(os.path.basename(p)).decode())
                for p in (self.crt, self.issuing, self.root)]

    def test_pem(self):
        out = self.export("pem")
        self.assertEqual(self.read("out.pem"), self.read("leaf.csr.crt"))
        self.ossl_ok("x509", "-in", out, "-noout")
        out = self.export("pem", "--chain")
        blocks = pem_blocks(self.read("out.pem"))
        self.assertEqual([self.fingerprint(b) for b in blocks],
                         self.expected_chain())
        # The chained file is enough for openssl to verify the leaf.
        r = self.ossl_ok("verify", "-CAfile", self.root, "-untrusted", out,
                         self.crt)
        self.assertIn(": OK", r.text)
        # Without --out: PEM on stdout.
        r = self.ok("cert", "export", self.cid, "--format", "pem")
        self.assertEqual(r.out, self.read("leaf.csr.crt"))

    def test_der(self):
        out = self.export("der")
        pem = self.ossl_ok("x509", "-inform", "DER", "-in", out).text
        self.assertEqual(self.fingerprint(pem),
                         self.expected_chain()[0])
        self.assertEqual(self.read("out.der")[0], 0x30)
        # DER holds one certificate: --chain is refused, nothing written.
        r = self.certa("cert", "export", self.cid, "--format", "der",
                       "--chain", "--out", self.path("chain.der"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("DER holds one certificate", r.errtext)
        self.assertFalse(os.path.exists(self.path("chain.der")))

    def test_p7b(self):
        for extra, want in (((), 1), (("--chain",), 3)):
            out = self.export("p7b", *extra)
            r = self.ossl_ok("pkcs7", "-inform", "DER", "-in", out,
                             "-print_certs")
            blocks = pem_blocks(r.text)
            self.assertEqual(len(blocks), want, r)
            self.assertEqual(sorted(self.fingerprint(b) for b in blocks),
                             sorted(self.expected_chain()[:want]))

    def p12_info(self, path, legacy=False):
        args = ["pkcs12", "-info", "-in", path, "-passin", "file:" + self.pw,
                "-nodes"]
        if legacy:
            args.append("-legacy")
        r = self.ossl_ok(*args)
        return r.text + r.errtext

    def test_p12_modern(self):
        out = self.export("p12", "--password-file", self.pw)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        info = self.p12_info(out)
        self.assertIn("MAC: sha256", info)
        self.assertIn("PBKDF2", info)
        self.assertIn("AES-256-CBC", info)
        self.assertIn("hmacWithSHA256", info)
        self.assertNotIn("3-KeyTripleDES", info)
        self.assertEqual(len(pem_blocks(info)), 1)
        # Without a key: no key bag.
        self.assertNotIn("PRIVATE KEY", info)
        # With --chain: leaf, issuing and root.
        out = self.export("p12", "--password-file", self.pw, "--chain")
        blocks = pem_blocks(self.p12_info(out))
        self.assertEqual(sorted(self.fingerprint(b) for b in blocks),
                         sorted(self.expected_chain()))
        # The wrong password does not open it.
        self.write("bad", "wrong\n")
        r = self.openssl("pkcs12", "-info", "-in", out, "-passin",
                         "file:" + self.path("bad"), "-nodes")
        self.assertNotEqual(r.rc, 0, r)

    def test_p12_legacy(self):
        out = self.export("p12", "--password-file", self.pw, "--legacy",
                          "--key", self.path("leaf.key"))
        info = self.p12_info(out, legacy=True)
        self.assertIn("pbeWithSHA1And3-KeyTripleDES-CBC", info)
        self.assertIn("MAC: sha1", info)
        self.assertNotIn("AES-256", info)
        self.assertIn("PRIVATE KEY", info)

    def test_p12_with_csr_key(self):
        out = self.export("p12", "--password-file", self.pw, "--key",
                          self.path("leaf.key"), "--chain")
        r = self.ossl_ok("pkcs12", "-in", out, "-passin", "file:" + self.pw,
                         "-nodes", "-nocerts")
        self.assertIn("PRIVATE KEY", r.text)
        self.write("p12.key", r.text)
        a = self.ossl_ok("pkey", "-in", self.path("p12.key"), "-pubout").text
        b = self.ossl_ok("pkey", "-in", self.path("leaf.key"),
                         "-pubout").text
        self.assertEqual(a, b)

    def test_p12_mismatched_key_refused(self):
        self.make_csr("other", "/CN=other")
        out = self.path("mismatch.p12")
        r = self.certa("cert", "export", self.cid, "--format", "p12",
                       "--password-file", self.pw, "--key",
                       self.path("other.key"), "--out", out)
        self.assertIn(r.rc, (1, 2), r)
        self.assertIn("does not match", r.errtext)
        self.assertFalse(os.path.exists(out))
        # A key file that does not exist is bad input, like a missing --csr.
        r = self.certa("cert", "export", self.cid, "--format", "p12",
                       "--password-file", self.pw, "--key",
                       self.path("no-such.key"), "--out", out)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("no-such.key", r.errtext)
        self.assertFalse(os.path.exists(out))
        # A key file that is not a key at all.
        r = self.certa("cert", "export", self.cid, "--format", "p12",
                       "--password-file", self.pw, "--key", self.crt,
                       "--out", out)
        self.assertEqual(r.rc, 2, r)
        self.assertFalse(os.path.exists(out))

    def test_p12_password_rules(self):
        out = self.path("nopw.p12")
        r = self.certa("cert", "export", self.cid, "--format", "p12", "--out",
                       out)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("--password-file", r.errtext)
        self.assertFalse(os.path.exists(out))
        # A password file that does not exist is bad input, like a
        # missing --csr.
        r = self.certa("cert", "export", self.cid, "--format", "p12",
                       "--password-file", self.path("no-such-file"),
                       "--out", out)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("no-such-file", r.errtext)
        self.assertFalse(os.path.exists(out))
        # There is no option to give the password itself.
        r = self.certa("cert", "export", self.cid, "--format", "p12",
                       "--password", "secret", "--out", out)
        self.assertEqual(r.rc, 2, r)
        self.assertFalse(os.path.exists(out))

    def test_unknown_format(self):
        r = self.certa("cert", "export", self.cid, "--format", "jks",
                       "--out", self.path("x"))
        self.assertEqual(r.rc, 2, r)
        self.assertIn("jks", r.errtext)
        self.assertFalse(os.path.exists(self.path("x")))


class CaExportTest(CheckedTest):
    def test_ca_export_formats(self):
        self.ok("ca", "export", "--chain", "--out", self.path("chain.pem"))
        chain = pem_blocks(self.read("chain.pem"))
        self.assertEqual(len(chain), 2)
        subjects = [self.ossl_ok("x509", "-noout", "-subject", "-nameopt",
                                 "RFC2253", input=b.encode()).text.strip()
                    for b in chain]
        self.assertEqual(subjects, ["subject=CN=certa Issuing CA",
                                    "subject=CN=certa Root CA"])
        self.ok("ca", "export", "--format", "der", "--out",
                self.path("ca.der"))
        pem = self.ossl_ok("x509", "-inform", "DER", "-in",
                           self.path("ca.der")).text
        self.assertEqual(pem_blocks(pem), chain[:1])
        self.ok("ca", "export", "--format", "p7b", "--chain", "--out",
                self.path("ca.p7b"))
        r = self.ossl_ok("pkcs7", "-inform", "DER", "-in",
                         self.path("ca.p7b"), "-print_certs")
        self.assertEqual(sorted(pem_blocks(r.text)), sorted(chain))
        for args, frag in ((("--format", "der", "--chain"),
                            "DER holds one certificate"),
                           (("--format", "p12"), "pem, der or p7b")):
            out = self.path("refused")
            r = self.certa("ca", "export", *args, "--out", out)
            self.assertEqual(r.rc, 2, r)
            self.assertIn(frag, r.errtext)
            self.assertFalse(os.path.exists(out))


class ServerKeyTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.write("pw", "p12-secret\n")
        self.pw = self.path("pw")

    def keygen(self, name, alg, typ="signing"):
        p12 = self.path(name + ".p12")
        r = self.ok("cert", "issue", "--app", self.app, "--type", typ,
                    "--generate-key", alg, "--subject", "CN=" + name,
                    "--p12-out", p12, "--p12-pass-file", self.pw)
        self.assertNotIn(b"PRIVATE KEY", r.out)
        self.assertEqual(os.stat(p12).st_mode & 0o777, 0o600)
        return p12

    def split_p12(self, p12, name):
        key = self.ossl_ok("pkcs12", "-in", p12, "-passin",
                           "file:" + self.pw, "-nodes", "-nocerts").text
        certs = self.ossl_ok("pkcs12", "-in", p12, "-passin",
                             "file:" + self.pw, "-nokeys",
                             "-clcerts").text
        self.write(name + ".key.pem", key)
        self.write(name + ".crt.pem", pem_blocks(certs)[0])
        return self.path(name + ".key.pem"), self.path(name + ".crt.pem")

    def test_generated_key_matches_certificate(self):
        for name, alg, algo_text in (("ec", "ec:P-256", "id-ecPublicKey"),
                                     ("rsa", "rsa:2048", "rsaEncryption"),
                                     ("ed", "ed25519", "ED25519")):
            p12 = self.keygen(name, alg)
            info = self.ossl_ok("pkcs12", "-info", "-in", p12, "-passin",
                                "file:" + self.pw, "-nodes")
            info = info.text + info.errtext
            self.assertIn("MAC: sha256", info)
            self.assertIn("AES-256-CBC", info)
            # Key, leaf and the chain up to the root.
            self.assertEqual(len(pem_blocks(info)), 3)
            key, crt = self.split_p12(p12, name)
            a = self.ossl_ok("pkey", "-in", key, "-pubout").text
            b = self.ossl_ok("x509", "-in", crt, "-noout", "-pubkey").text
            self.assertEqual(a, b, name)
            self.assertIn(algo_text, self.x509_text(crt))
            r = self.ossl_ok("verify", "-CAfile", self.root, "-untrusted",
                             self.issuing, crt)
            self.assertIn(": OK", r.text)
            # The same key comes back on a later export.
            out = self.path(name + "-again.p12")
            self.ok("cert", "export", "0x" + self.ossl_ok(
                "x509", "-in", crt, "-noout", "-serial").text.split("=")[1]
                .strip(), "--format", "p12", "--password-file", self.pw,
                "--out", out)
            key2, _ = self.split_p12(out, name + "2")
            self.assertEqual(self.ossl_ok("pkey", "-in", key2,
                                          "-pubout").text, a)

    def test_keygen_needs_p12_options(self):
        before = self.count("certificate")
        for missing in ("--p12-out", "--p12-pass-file", "--subject"):
            args = {"--subject": "CN=x", "--p12-out": self.path("k.p12"),
                    "--p12-pass-file": self.pw}
            del args[missing]
            argv = ["cert", "issue", "--app", self.app, "--type", "signing",
                    "--generate-key", "ec:P-256"]
            for k, v in args.items():
                argv += [k, v]
            r = self.certa(*argv)
            self.assertEqual(r.rc, 2, r)
            self.assertIn("PKCS#12", r.errtext)
        r = self.certa("cert", "issue", "--app", self.app, "--type",
                       "signing", "--generate-key", "dsa:2048", "--subject",
                       "CN=x", "--p12-out", self.path("k.p12"),
                       "--p12-pass-file", self.pw)
        self.assertEqual(r.rc, 2, r)
        self.assertFalse(os.path.exists(self.path("k.p12")))
        self.assertEqual(self.count("certificate"), before)

    def test_data_dir_holds_no_clear_private_key(self):
        self.keygen("a", "ec:P-256")
        self.keygen("b", "rsa:2048", "encryption")
        # Everything under the data dir, and the SQLite rows themselves
        # (the WAL may hold pages the main file does not yet).
        blobs = []
        for dirpath, _, files in os.walk(self.dir):
            for f in files:
                with open(os.path.join(dirpath, f), "rb") as fh:
                    blobs.append((f, fh.read()))
        with self.db() as c:
            for table in ("ca", "certificate"):
                for (k,) in c.execute("SELECT key_pem FROM %s WHERE key_pem "
                                      "IS NOT NULL" % table):
                    blobs.append((table, k.encode()))
        encrypted = 0
        for name, data in blobs:
            for clear in (b"BEGIN PRIVATE KEY", b"BEGIN EC PRIVATE KEY",
                          b"BEGIN RSA PRIVATE KEY"):
                self.assertNotIn(clear, data, name)
            encrypted += data.count(b"BEGIN ENCRYPTED PRIVATE KEY")
        # Two CA keys and two generated keys, in the db file and the rows.
        self.assertGreaterEqual(encrypted, 8)
        with self.db() as c:
            n = c.execute("SELECT count(*) FROM certificate WHERE key_pem "
                          "LIKE '-----BEGIN ENCRYPTED PRIVATE KEY-----%'"
                          ).fetchone()[0]
        self.assertEqual(n, 2)
        # Nor on stdout of any listing.
        for args in (("cert", "list", "--json"), ("cert", "show", "1",
                                                  "--json"),
                     ("ca", "list", "--json"), ("audit", "list", "--json")):
            out = self.ok(*args).out
            self.assertNotIn(b"PRIVATE KEY", out, args)
        self.assertTrue(re.search(rb"generated by certa", self.ok(
            "cert", "show", "1").out))
