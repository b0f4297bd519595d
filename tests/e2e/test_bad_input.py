"""Bad input (issue 2, "Bad input"): truncated, garbage, oversized and
wrongly-typed CSRs, forged signatures, weak or unsupported keys, unknown
names, unreadable or wrong passphrases, a store of a newer version, bad
DNs, SANs and durations.  Each one: the exit code of the contract (2 for
usage/input errors, 1 for operation failures), a one-line precise message
on stderr, no crash, and nothing written to the store."""
import os
import re

from checks import CheckedTest, pem_unwrap, pem_wrap

REQ = "CERTIFICATE REQUEST"
# "not a CERTIFICATE REQUEST", "neither a PEM nor a DER certificate
# request", ...: the message names what was expected.
ANY_CSR = re.compile(r"certa: error: .*(?i:certificate request)")


class BadCsrTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.good = self.make_csr("good", "/CN=good")
        # One good issuance, so "unchanged" is checked against a non-empty
        # store.
        self.issue(self.app, "transport", self.good)

    def issue_bad(self, csr, rc, fragment, typ="transport", *extra):
        return self.refused(rc, fragment, "cert", "issue", "--app", self.app,
                            "--type", typ, "--csr", csr, *extra)

    def good_der(self):
        return pem_unwrap(self.read("good.csr"))

    def test_truncated_pem(self):
        pem = self.read("good.csr")
        self.write("half.csr", pem[:len(pem) // 2])
        self.issue_bad(self.path("half.csr"), 2,
                       re.compile(r"certa: error: PEM input is not a "
                                  r"CERTIFICATE REQUEST or is damaged"))

    def test_truncated_pem_with_end_line(self):
        # Lines cut out of the middle, BEGIN/END kept: the DER inside is
        # short.
        lines = self.read("good.csr").decode().splitlines(True)
        self.write("cut.csr", "".join(lines[:3] + lines[-1:]))
        self.issue_bad(self.path("cut.csr"), 2, ANY_CSR)

    def test_truncated_der(self):
        der = self.good_der()
        for n in (1, 10, len(der) // 2, len(der) - 1):
            self.write("cut.der", der[:n])
            self.issue_bad(self.path("cut.der"), 2, ANY_CSR)

    def test_der_with_trailing_bytes(self):
        self.write("trail.der", self.good_der() + b"\x00junk")
        self.issue_bad(self.path("trail.der"), 2, "trailing bytes")

    def test_garbage(self):
        self.write("garbage.csr", os.urandom(777))
        self.issue_bad(self.path("garbage.csr"), 2,
                       "neither a PEM nor a DER certificate request")
        self.write("text.csr", "hello, I am not a CSR\n" * 20)
        self.issue_bad(self.path("text.csr"), 2, ANY_CSR)
        self.write("b64.csr", "-----BEGIN CERTIFICATE REQUEST-----\n"
                   "!!!!not base64!!!!\n-----END CERTIFICATE REQUEST-----\n")
        self.issue_bad(self.path("b64.csr"), 2, ANY_CSR)

    def test_empty_file(self):
        self.write("empty.csr", b"")
        self.issue_bad(self.path("empty.csr"), 2, "is empty")

    def test_missing_file(self):
        self.issue_bad(self.path("nope.csr"), 2, "nope.csr")

    def test_oversized(self):
        # A valid CSR after 70 KiB of text that PEM readers skip: refused
        # for its size before anything parses it.
        self.write("big.csr", b"x" * (70 * 1024) + b"\n" +
                   self.read("good.csr"))
        r = self.issue_bad(self.path("big.csr"), 2, "65536")
        self.assertIn("larger", r.errtext)
        self.write("big.der", self.good_der() + b"\x00" * (65 * 1024))
        self.issue_bad(self.path("big.der"), 2, "65536")

    def test_certificate_where_csr_expected(self):
        crt = self.path("good.csr.crt")
        self.issue_bad(crt, 2, "not a CERTIFICATE REQUEST")
        self.ossl_ok("x509", "-in", crt, "-outform", "DER", "-out",
                     self.path("crt.der"))
        self.issue_bad(self.path("crt.der"), 2,
                       "neither a PEM nor a DER certificate request")

    def test_private_key_where_csr_expected_is_not_echoed(self):
        key = self.read("good.key")
        r = self.issue_bad(self.path("good.key"), 2,
                           "not a CERTIFICATE REQUEST")
        body = pem_unwrap(key)
        self.assertNotIn(pem_wrap(body, "PRIVATE KEY").splitlines()[1],
                         r.errtext + r.text)

    def tamper(self, name, index_of):
        der = bytearray(self.good_der())
        i = index_of(der)
        der[i] ^= 0x01
        self.write(name + ".der", bytes(der))
        self.write(name + ".pem", pem_wrap(bytes(der), REQ))
        # The tampered CSR still parses, and openssl agrees it is forged
        # (openssl 3.0 req -verify exits 0 either way: judge its words).
        r = self.openssl("req", "-in", self.path(name + ".pem"), "-verify",
                         "-noout")
        self.assertIn("verify failure", r.text + r.errtext)
        self.assertNotIn("verify OK", r.text + r.errtext)

    def test_signature_does_not_match(self):
        # A byte inside the ECDSA signature's last INTEGER.
        self.tamper("badsig", lambda d: len(d) - 3)
        for ext in ("der", "pem"):
            self.issue_bad(self.path("badsig." + ext), 2,
                           "signature does not verify")

    def test_subject_changed_after_signing(self):
        self.tamper("badsubj", lambda d: d.index(b"good") + 1)
        self.issue_bad(self.path("badsubj.pem"), 2,
                       "signature does not verify")

    def test_rsa_1024_is_weak(self):
        csr = self.make_csr("rsa1k", "/CN=weak", key="rsa:1024")
        r = self.issue_bad(csr, 2, "1024")
        self.assertIn("too weak", r.errtext)
        self.assertIn("2048", r.errtext)
        for typ in ("signing", "encryption"):
            self.issue_bad(csr, 2, "too weak", typ)

    def test_dsa_refused(self):
        params = self.path("dsa.params")
        self.ossl_ok("genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
                     "dsa_paramgen_bits:2048", "-out", params)
        csr = self.make_csr("dsa", "/CN=dsa", key="dsa:" + params)
        r = self.issue_bad(csr, 2, "dsa")
        self.assertIn("not accepted", r.errtext)

    def test_secp256k1_refused(self):
        csr = self.make_csr("k1", "/CN=k1", key="ec:secp256k1")
        r = self.issue_bad(csr, 2, "secp256k1")
        self.assertIn("not accepted", r.errtext)

    def test_unknown_type(self):
        r = self.issue_bad(self.good, 2, "unknown certificate type 'bogus'",
                           "bogus")
        self.assertIn("transport", r.errtext)

    def test_unknown_app(self):
        for ref in ("acme/nope", "nope", "999", "nope/payments"):
            self.refused(2, "no application '%s'" % ref, "cert", "issue",
                         "--app", ref, "--type", "transport", "--csr",
                         self.good)

    def test_unknown_org_in_app_create(self):
        self.refused(2, "no organisation 'nope'", "app", "create", "--org",
                     "nope", "billing")
        self.refused(2, "no organisation '42'", "app", "create", "--org",
                     "42", "billing")

    def test_bad_dn(self):
        for dn, frag in (("CN", "'CN' is not TYPE=value"),
                         ("XX=1", "unknown attribute type 'XX'"),
                         ("/CN", "'CN' is not TYPE=value"),
                         ("/XX=1/CN=a", "unknown attribute type 'XX'")):
            self.issue_bad(self.good, 2, frag, "transport", "--subject", dn)

    def test_bad_san(self):
        for san, frag in (("bogus", "must start with DNS:, IP:, URI: or "
                                    "email:"),
                          ("DNS:", "not a valid DNS name"),
                          ("DNS:bad name!", "not a valid DNS name"),
                          ("IP:999.1.1.1", "'999.1.1.1' is not an IP "
                                           "address"),
                          ("IP:example.com", "is not an IP address"),
                          ("email:notanemail", "is not an e-mail address")):
            self.issue_bad(self.good, 2, frag, "transport", "--san", san)

    def test_bad_validity(self):
        for v, frag in (("abc", "must start with a number"),
                        ("-5d", "must start with a number"),
                        ("", "must start with a number"),
                        ("0d", "must be positive"),
                        ("10x", "unknown unit 'x'"),
                        ("100000000000d", "too large"),
                        ("5y", "exceeds the maximum")):
            self.issue_bad(self.good, 2, frag, "transport", "--validity", v)

    def test_batch_of_missing_directory(self):
        self.refused(2, "cannot open directory", "cert", "issue", "--app",
                     self.app, "--type", "transport", "--batch",
                     self.path("no-such-dir"))


class BadStoreInputTest(CheckedTest):
    """Passphrases, store versions, unknown ids: input outside the CSR."""

    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.csr = self.make_csr("c", "/CN=c")
        self.issue(self.app, "transport", self.csr)

    def issue_args(self):
        return ("cert", "issue", "--app", self.app, "--type", "transport",
                "--csr", self.csr)

    def test_passphrase_file_does_not_exist(self):
        missing = self.path("no-such-passphrase")
        r = self.refused(2, missing, "--passphrase-file", missing,
                         *self.issue_args())
        self.assertIn("passphrase", r.errtext)
        # The same through the environment.
        r = self.refused(2, missing, *self.issue_args(),
                         env={"CERTA_PASSPHRASE_FILE": missing})

    def test_passphrase_file_empty(self):
        self.write("empty.pass", "")
        self.refused(2, "empty", "--passphrase-file", self.path("empty.pass"),
                     *self.issue_args())

    def test_wrong_passphrase(self):
        self.write("wrong.pass", "not the passphrase\n")
        r = self.refused(1, "wrong passphrase", "--passphrase-file",
                         self.path("wrong.pass"), *self.issue_args())
        self.assertNotIn("not the passphrase", r.errtext)
        real = self.read("data/passphrase").decode().strip()
        self.assertNotIn(real, r.errtext)
        # Revocation and CRLs need the key too.
        self.refused(1, "wrong passphrase", "--passphrase-file",
                     self.path("wrong.pass"), "crl", "--out",
                     self.path("x.crl"))
        self.assertFalse(os.path.exists(self.path("x.crl")))

    def test_no_passphrase_at_all(self):
        os.rename(os.path.join(self.dir, "passphrase"), self.path("kept"))
        r = self.certa(*self.issue_args())
        self.assertEqual(r.rc, 2, r)
        self.assertIn("no CA key passphrase", r.errtext)
        os.rename(self.path("kept"), os.path.join(self.dir, "passphrase"))
        self.assertEqual(self.count("certificate"), 1)

    def set_schema(self, v):
        with self.db() as c:
            c.execute("UPDATE schema_version SET version = ?", (v,))

    def test_newer_schema_version(self):
        before = self.snapshot()
        with self.db() as c:
            current = c.execute("SELECT version FROM schema_version"
                                ).fetchone()[0]
        self.assertGreaterEqual(current, 1)
        self.set_schema(999)
        for args in (self.issue_args(), ("cert", "list"),
                     ("org", "create", "other"), ("crl", "--out",
                                                  self.path("n.crl"))):
            r = self.certa(*args)
            self.assertEqual(r.rc, 1, r)
            self.assertIn("schema version 999", r.errtext)
            self.assertIn("upgrade certa", r.errtext)
            self.assertEqual(len(r.errtext.strip().splitlines()), 1, r)
            self.assertEqual(r.out, b"")
        # Refused, never touched: the version is still 999.
        with self.db() as c:
            self.assertEqual(c.execute("SELECT version FROM schema_version")
                             .fetchone()[0], 999)
        self.set_schema(current)
        self.assertEqual(self.snapshot(), before)

    def test_not_a_data_dir(self):
        os.mkdir(self.path("empty-dir"))
        r = self.certa("--dir", self.path("empty-dir"), "cert", "list",
                       dir=False)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("not a certa data directory", r.errtext)
        self.assertEqual(os.listdir(self.path("empty-dir")), [])

    def test_show_unknown_certificate(self):
        self.refused(2, "no certificate '999'", "cert", "show", "999")
        self.refused(2, "no certificate '0xdeadbeef00deadbeef00'", "cert",
                     "show", "0xdeadbeef00deadbeef00")
        self.refused(2, "neither a certificate id nor a hex serial", "cert",
                     "show", "zz-top")
        self.refused(2, "no certificate '999'", "cert", "export", "999",
                     "--format", "pem")
        self.refused(2, "no certificate '999'", "cert", "revoke", "999",
                     "--reason", "superseded")
