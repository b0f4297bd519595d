"""The trust store (issue 3, REFERENCE sections 1 and 3), judged by
openssl: certificates made by the openssl CLI imported in every format
(PEM one and many, DER, `openssl crl2pkcs7` PEM and DER, `openssl pkcs12
-export` with a password file), list/show/export (export compared byte
for byte with `openssl x509 -outform DER`), duplicates and aliases,
trust/reject/delete, CRL import (signature checked, cross-checked with
`openssl crl -verify`), bad input with "nothing changed" checks, and the
OPC UA folder layout: export, sync, round trip without loss."""
import hashlib
import json
import os
import re

from checks import CheckedTest, pem_blocks, pem_unwrap

CA_CNF = """[ ca ]
default_ca = CA_default
[ CA_default ]
database = %(dir)s/index.txt
crlnumber = %(dir)s/crlnumber
serial = %(dir)s/serial
new_certs_dir = %(dir)s
default_md = sha256
default_crl_days = 30
policy = pol_any
crl_extensions = crl_ext
[ pol_any ]
commonName = supplied
organizationName = optional
[ crl_ext ]
authorityKeyIdentifier = keyid:always
"""


class TrustTest(CheckedTest):
    # --- fixtures made by openssl ---------------------------------------

    def self_signed(self, name, cn, ca=False, days=30, extra=()):
        """A self-signed certificate (PEM) and its key, by openssl req."""
        key = self.path(name + ".key")
        crt = self.path(name + ".pem")
        args = ["req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                "-out", crt, "-subj", "/O=e2e/CN=" + cn, "-days", str(days)]
        if ca:
            args += ["-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        else:
            args += ["-addext", "basicConstraints=critical,CA:FALSE"]
        self.ossl_ok(*(args + list(extra)))
        return crt, key

    def signed_by(self, name, cn, ca_crt, ca_key):
        """A leaf signed by a CA, by openssl x509 -req."""
        csr = self.make_csr(name, "/O=e2e/CN=" + cn)
        crt = self.path(name + ".pem")
        self.ossl_ok("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey",
                     ca_key, "-CAcreateserial", "-days", "30", "-out", crt)
        return crt

    def der(self, pem_path, name=None):
        out = self.path((name or os.path.basename(pem_path)) + ".der")
        self.ossl_ok("x509", "-in", pem_path, "-outform", "DER", "-out", out)
        return out

    def der_bytes(self, pem_path):
        return self.ossl_ok("x509", "-in", pem_path, "-outform", "DER").out

    def sha256(self, pem_path):
        return hashlib.sha256(self.der_bytes(pem_path)).hexdigest()

    def sha1(self, pem_path):
        return hashlib.sha1(self.der_bytes(pem_path)).hexdigest()

    def cadb(self, name):
        d = self.path(name + "-cadb")
        if not os.path.isdir(d):
            os.makedirs(d)
            self.write(os.path.join(d, "index.txt"), "")
            self.write(os.path.join(d, "crlnumber"), "01\n")
            self.write(os.path.join(d, "serial"), "1000\n")
        return self.write(name + ".cnf", CA_CNF % {"dir": d})

    def dated(self, name, cn, start, end):
        """A self-signed certificate with given validity (openssl ca
        -selfsign: Debian's openssl req has no -not_before)."""
        csr = self.make_csr(name, "/O=e2e/CN=" + cn)
        out = self.path(name + ".pem")
        self.ossl_ok("ca", "-config", self.cadb(name), "-selfsign",
                     "-keyfile", self.path(name + ".key"), "-in", csr,
                     "-startdate", start, "-enddate", end, "-batch",
                     "-notext", "-out", out)
        return out

    def ca_crl(self, name, ca_crt, ca_key, revoke=None):
        """A CRL (PEM) of the CA by `openssl ca -gencrl`; numbers grow
        with each call for the same name."""
        cnf = self.cadb(name)
        if revoke:
            self.ossl_ok("ca", "-config", cnf, "-keyfile", ca_key, "-cert",
                         ca_crt, "-revoke", revoke)
        out = self.path(name + ".crl")
        self.ossl_ok("ca", "-config", cnf, "-gencrl", "-keyfile", ca_key,
                     "-cert", ca_crt, "-out", out)
        return out

    # --- views of the store -----------------------------------------------

    def entries(self, *args):
        return json.loads(self.ok("trust", "list", "--json", *args).out)

    def by_alias(self):
        return {e["alias"]: e for e in self.entries()}

    def generation(self):
        with self.db() as c:
            return c.execute("SELECT generation FROM trust_generation"
                             ).fetchone()[0]

    def snapshot(self):
        s = super().snapshot()
        s["trust"] = sorted((e["alias"], e["list"], e["fingerprint_sha256"],
                             e["attempts"]) for e in self.entries())
        s["crls"] = sorted(c["fingerprint_sha256"] for c in json.loads(
            self.ok("trust", "list-crl", "--json").out))
        s["generation"] = self.generation()
        return s


class ImportTest(TrustTest):
    def test_pem_show_export(self):
        crt, _ = self.self_signed("client", "client one")
        r = self.ok("trust", "import", crt)
        self.assertIn("imported 'client one' (trusted)", r.text)
        e = self.by_alias()["client one"]
        self.assertEqual(e["list"], "trusted")
        self.assertEqual(e["source"], "imported")
        self.assertEqual(e["fingerprint_sha256"], self.sha256(crt))
        self.assertEqual(e["status"], "valid")

        show = json.loads(self.ok("trust", "show", "client one",
                                  "--json").out)
        serial = self.ossl_ok("x509", "-in", crt, "-noout", "-serial"
                              ).text.strip().split("=")[1].lower()
        self.assertEqual(show["serial"], serial.lstrip("0") or "0")
        self.assertEqual(show["fingerprint_sha1"], self.sha1(crt))
        self.assertEqual(show["key_algorithm"], "ec:P-256")
        self.assertEqual(show["basic_constraints"], "CA:FALSE, critical")
        self.assertEqual(show["subject"], "CN=client one,O=e2e")
        self.assertEqual(show["issuer"], show["subject"])
        text = self.ok("trust", "show", "client one").text
        for field in ("issuer:", "subject:", "serial:", "not before:",
                      "not after:", "status:            valid", "SHA-256:",
                      "SHA-1:", "key algorithm:", "basic constraints:"):
            self.assertIn(field, text)

        # Export: DER byte for byte what openssl makes of the file; PEM
        # the same certificate.
        r = self.ok("trust", "export", "client one", "--format", "der")
        self.assertEqual(r.out, self.der_bytes(crt))
        self.ok("trust", "export", "client one", "--format", "der", "--out",
                self.path("out.der"))
        self.assertEqual(self.read("out.der"), self.der_bytes(crt))
        r = self.ok("trust", "export", "client one", "--format", "pem")
        self.assertEqual(pem_unwrap(r.out), self.der_bytes(crt))
        self.assertEqual(self.ossl_ok("x509", "-noout", "-fingerprint",
                                      "-sha256", input=r.out).text,
                         self.ossl_ok("x509", "-in", crt, "-noout",
                                      "-fingerprint", "-sha256").text)
        # Standard input.
        two, _ = self.self_signed("two", "from stdin")
        self.ok("trust", "import", "-", input=self.read("two.pem"))
        self.assertIn("from stdin", self.by_alias())

    def test_every_format(self):
        a, _ = self.self_signed("a", "alpha")
        b, _ = self.self_signed("b", "bravo", ca=True)
        c, ck = self.self_signed("c", "charlie")
        d, _ = self.self_signed("d", "delta")
        e, _ = self.self_signed("e", "echo")
        f, fk = self.self_signed("f", "foxtrot")
        g, _ = self.self_signed("g", "golf", ca=True)
        # PEM bundle, with a private key block in it (skipped).
        self.write("bundle.pem", self.read("a.pem") + self.read("c.key") +
                   self.read("b.pem"))
        self.ok("trust", "import", self.path("bundle.pem"), "--list",
                "issuer")
        # DER.
        self.ok("trust", "import", self.der(c), "--alias", "c-der")
        # PKCS#7, PEM and DER, by openssl crl2pkcs7.
        self.ossl_ok("crl2pkcs7", "-nocrl", "-certfile", d, "-out",
                     self.path("d.p7b"))
        self.ok("trust", "import", self.path("d.p7b"))
        self.ossl_ok("crl2pkcs7", "-nocrl", "-certfile", e, "-outform",
                     "DER", "-out", self.path("e.p7b"))
        self.ok("trust", "import", self.path("e.p7b"))
        # PKCS#12 by openssl pkcs12 -export: leaf and CA; key ignored.
        self.write("pw", "open sesame\n")
        self.ossl_ok("pkcs12", "-export", "-in", f, "-inkey", fk,
                     "-certfile", g, "-passout", "pass:open sesame",
                     "-out", self.path("f.p12"))
        r = self.ok("trust", "import", self.path("f.p12"), "--password-file",
                    self.path("pw"), "--json")
        self.assertEqual([x["alias"] for x in json.loads(r.out)],
                         ["foxtrot", "golf"])
        self.assertNotIn(b"PRIVATE KEY", r.out)

        got = {k: (v["list"], v["fingerprint_sha256"])
               for k, v in self.by_alias().items()}
        self.assertEqual(got, {
            "alpha": ("issuer", self.sha256(a)),
            "bravo": ("issuer", self.sha256(b)),
            "c-der": ("trusted", self.sha256(c)),
            "delta": ("trusted", self.sha256(d)),
            "echo": ("trusted", self.sha256(e)),
            "foxtrot": ("trusted", self.sha256(f)),
            "golf": ("trusted", self.sha256(g)),
        })
        self.assertEqual(len(self.entries("--list", "issuer")), 2)
        self.assertEqual(len(self.entries("--list", "rejected")), 0)
        # Every import is in the audit log.
        audit = self.ok("audit", "list", "--json").text
        self.assertEqual(audit.count("trust.import"), 7)

    def test_pkcs12_password(self):
        f, fk = self.self_signed("f", "foxtrot")
        self.ossl_ok("pkcs12", "-export", "-in", f, "-inkey", fk,
                     "-passout", "pass:right", "-out", self.path("f.p12"))
        self.write("wrong", "wrong\n")
        self.refused(2, "wrong password", "trust", "import",
                     self.path("f.p12"), "--password-file",
                     self.path("wrong"))
        self.refused(2, "--password-file", "trust", "import",
                     self.path("f.p12"))
        self.refused(2, "nope", "trust", "import", self.path("f.p12"),
                     "--password-file", self.path("nope"))
        # No password at all is fine when there is none.
        self.ossl_ok("pkcs12", "-export", "-in", f, "-inkey", fk,
                     "-passout", "pass:", "-out", self.path("open.p12"))
        self.ok("trust", "import", self.path("open.p12"))

    def test_duplicates_and_aliases(self):
        one, _ = self.self_signed("one", "client")
        two, _ = self.self_signed("two", "client")
        self.ok("trust", "import", one)
        # The same certificate under another alias, or into another list.
        self.refused(1, "as 'client' (trusted list)", "trust", "import",
                     self.der(one), "--alias", "other")
        self.refused(1, "as 'client'", "trust", "import", one, "--list",
                     "issuer")
        # Same CN, another certificate: a unique alias.
        self.refused(1, "alias 'client' is taken", "trust", "import", two,
                     "--alias", "client")
        r = self.ok("trust", "import", two)
        self.assertIn("'client-2'", r.text)
        # Bad aliases.
        three, _ = self.self_signed("three", "three")
        self.refused(2, "control characters", "trust", "import", three,
                     "--alias", "bad\talias")
        self.refused(2, "control characters", "trust", "import", three,
                     "--alias", "\x1b[31mred")
        self.refused(2, "65 bytes", "trust", "import", three, "--alias",
                     "x" * 65)
        self.ok("trust", "import", three, "--alias", "y" * 64)
        self.assertIn("y" * 64, self.by_alias())
        # A bundle with a known certificate: nothing of it is imported.
        four, _ = self.self_signed("four", "four")
        self.write("mixed.pem", self.read("four.pem") + self.read("one.pem"))
        self.refused(1, "as 'client'", "trust", "import",
                     self.path("mixed.pem"))
        self.assertNotIn("four", self.by_alias())


class ListsTest(TrustTest):
    def test_trust_reject_delete(self):
        crt, _ = self.self_signed("x", "mover")
        self.ok("trust", "import", crt)
        g = self.generation()
        r = self.ok("trust", "reject", "mover")
        self.assertIn("moved to rejected", r.text)
        self.assertGreater(self.generation(), g)
        self.assertEqual(self.by_alias()["mover"]["list"], "rejected")
        self.assertEqual([e["alias"] for e in self.entries(
            "--list", "rejected")], ["mover"])
        self.assertEqual(self.entries("--list", "trusted"), [])
        before = self.snapshot()
        r = self.ok("trust", "reject", "mover")
        self.assertIn("already in rejected", r.text)
        self.assertEqual(self.snapshot(), before)
        self.ok("trust", "trust", "mover")
        self.assertEqual(self.by_alias()["mover"]["list"], "trusted")
        self.refused(2, "no trust entry 'ghost'", "trust", "trust", "ghost")
        self.refused(2, "no trust entry 'ghost'", "trust", "delete", "ghost")
        self.refused(2, "control characters", "trust", "delete", "a\nb")
        self.ok("trust", "delete", "mover")
        self.assertEqual(self.entries(), [])
        self.refused(2, "no trust entry 'mover'", "trust", "show", "mover")
        self.refused(2, "no trust entry 'mover'", "trust", "export", "mover")
        audit = self.ok("audit", "list", "--json").text
        for action in ("trust.import", "trust.move", "trust.delete"):
            self.assertIn(action, audit)
        self.ok("audit", "verify")
        # Deleted for good: it can be imported again.
        self.ok("trust", "import", crt)

    def test_status(self):
        old = self.dated("old", "old", "20200101000000Z",
                         "20200201000000Z")
        new = self.dated("new", "new", "20990101000000Z",
                         "20991231000000Z")
        self.ok("trust", "import", old)
        self.ok("trust", "import", new)
        self.assertEqual(self.by_alias()["old"]["status"], "expired")
        self.assertEqual(self.by_alias()["new"]["status"], "not-yet-valid")
        self.assertIn("status:            expired",
                      self.ok("trust", "show", "old").text)
        self.assertIn("status:            not-yet-valid",
                      self.ok("trust", "show", "new").text)
        show = json.loads(self.ok("trust", "show", "old", "--json").out)
        self.assertEqual(show["not_before"], "2020-01-01T00:00:00Z")
        self.assertEqual(show["not_after"], "2020-02-01T00:00:00Z")

    def test_usage(self):
        self.refused(2, "--list must be trusted or issuer", "trust",
                     "import", "x", "--list", "rejected", one_line=False)
        self.refused(2, "--format must be pem or der", "trust", "export",
                     "x", "--format", "p12", one_line=False)
        self.refused(2, "unknown trust command", "trust", "frobnicate",
                     one_line=False)
        self.refused(2, "takes no --alias", "trust", "list", "--alias", "a",
                     one_line=False)


class BadInputTest(TrustTest):
    def setUp(self):
        super().setUp()
        crt, _ = self.self_signed("present", "present")
        self.ok("trust", "import", crt)
        self.good, _ = self.self_signed("good", "good")

    def bad(self, rc, fragment, *args):
        return self.refused(rc, fragment, "trust", "import", *args)

    def test_garbage(self):
        self.write("garbage", os.urandom(700).replace(b"-", b"_"))
        r = self.bad(2, "certa: error:", self.path("garbage"))
        self.assertRegex(r.errtext, "DER|PEM")
        self.write("text", "hello, not a certificate\n" * 10)
        self.bad(2, "neither PEM nor DER", self.path("text"))
        self.write("b64", "-----BEGIN CERTIFICATE-----\n!!!!\n"
                   "-----END CERTIFICATE-----\n")
        self.bad(2, "PEM block 1 is damaged", self.path("b64"))
        self.write("empty", b"")
        self.bad(2, "empty", self.path("empty"))
        self.bad(2, "missing", self.path("missing"))
        self.bad(2, "no certificate in the PEM data (it holds PRIVATE KEY)",
                 self.path("good.key"))

    def test_truncated(self):
        der = self.der_bytes(self.good)
        for n in (1, 10, len(der) // 2, len(der) - 1):
            self.write("cut.der", der[:n])
            self.bad(2, "certa: error:", self.path("cut.der"))
        self.write("trail.der", der + b"\x00\x01")
        self.bad(2, "trailing", self.path("trail.der"))
        pem = self.read("good.pem")
        self.write("half.pem", pem[:len(pem) // 2])
        self.bad(2, "damaged", self.path("half.pem"))
        lines = pem.decode().splitlines(True)
        self.write("cut.pem", "".join(lines[:3] + lines[-1:]))
        self.bad(2, "certa: error:", self.path("cut.pem"))

    def test_oversized(self):
        self.write("big.pem", b"x" * (4 * 1024 * 1024 + 1) +
                   self.read("good.pem"))
        self.bad(2, "4194304", self.path("big.pem"))

    def test_crl_is_not_a_certificate(self):
        ca, ca_key = self.self_signed("ca", "CA", ca=True)
        crl = self.ca_crl("ca", ca, ca_key)
        self.bad(2, "X509 CRL", crl)


class CrlTest(TrustTest):
    def setUp(self):
        super().setUp()
        self.ca, self.ca_key = self.self_signed("ca", "Trust CA", ca=True)
        self.leaf = self.signed_by("leaf", "leaf", self.ca, self.ca_key)
        self.ok("trust", "import", self.ca, "--list", "issuer")

    def test_import_crl(self):
        crl = self.ca_crl("ca", self.ca, self.ca_key, revoke=self.leaf)
        # openssl agrees the CRL is the CA's.
        self.ossl_ok("crl", "-in", crl, "-noout", "-CAfile", self.ca,
                     "-verify")
        r = self.ok("trust", "import-crl", crl, "--json")
        got = json.loads(r.out)
        self.assertEqual(got["signer_alias"], "Trust CA")
        self.assertEqual(got["crl_number"], "1")
        der = self.ossl_ok("crl", "-in", crl, "-outform", "DER").out
        self.assertEqual(got["fingerprint_sha256"],
                         hashlib.sha256(der).hexdigest())
        self.assertIn("trust.crl.import",
                      self.ok("audit", "list", "--json").text)
        # The same again: refused; a newer one replaces it; then the
        # older one is refused.
        self.refused(1, "already", "trust", "import-crl", crl)
        self.write("old.crl", self.read("ca.crl"))
        newer = self.ca_crl("ca", self.ca, self.ca_key)
        got = json.loads(self.ok("trust", "import-crl", newer,
                                 "--json").out)
        self.assertEqual(got["crl_number"], "2")
        crls = json.loads(self.ok("trust", "list-crl", "--json").out)
        self.assertEqual(len(crls), 1)
        self.refused(1, "not newer", "trust", "import-crl",
                     self.path("old.crl"))
        # DER works too (the same CRL: "already").
        self.write("newer.der", self.ossl_ok("crl", "-in", newer,
                                             "-outform", "DER").out)
        self.refused(1, "already", "trust", "import-crl",
                     self.path("newer.der"))

    def test_bad_crls(self):
        # Same issuer name, another key: the signature fails.
        evil, evil_key = self.self_signed("evil", "Trust CA", ca=True)
        forged = self.ca_crl("evil", evil, evil_key)
        r = self.ossl_ok("crl", "-in", forged, "-noout", "-CAfile", self.ca,
                         "-verify")
        self.assertIn("verify failure", r.errtext + r.text)
        self.refused(2, "signature does not verify", "trust", "import-crl",
                     forged)
        # An unknown CA.
        other, other_key = self.self_signed("other", "Other CA", ca=True)
        self.refused(2, "not in the trusted or issuer list", "trust",
                     "import-crl", self.ca_crl("other", other, other_key))
        # A CA in the rejected list does not count.
        self.ok("trust", "import", other, "--alias", "other")
        self.ok("trust", "reject", "other")
        self.refused(2, "not in the trusted or issuer list", "trust",
                     "import-crl", self.path("other.crl"))
        # Garbage, truncated, a certificate.
        good = self.ca_crl("ca", self.ca, self.ca_key)
        der = self.ossl_ok("crl", "-in", good, "-outform", "DER").out
        self.write("cut.crl", der[:len(der) // 2])
        self.refused(2, "truncated", "trust", "import-crl",
                     self.path("cut.crl"))
        self.write("junk.crl", "junk\n")
        self.refused(2, "neither a PEM nor a DER CRL", "trust",
                     "import-crl", self.path("junk.crl"))
        self.refused(2, "not an X509 CRL", "trust", "import-crl", self.ca)
        self.refused(2, "missing.crl", "trust", "import-crl",
                     self.path("missing.crl"))


FOLDERS = ("trusted/certs", "trusted/crl", "issuers/certs", "issuers/crl",
           "rejected/certs")


def tree(root):
    """{relative path: bytes} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


class OpcuaTest(TrustTest):
    def fill(self):
        """A trusted leaf, an issuer CA with a CRL, a rejected one."""
        self.ca, self.ca_key = self.self_signed("ca", "Plant CA", ca=True)
        self.leaf = self.signed_by("leaf", "hmi-01", self.ca, self.ca_key)
        self.bad, _ = self.self_signed("bad", "intruder")
        self.ok("trust", "import", self.ca, "--list", "issuer")
        self.ok("trust", "import", self.leaf)
        self.ok("trust", "import", self.bad)
        self.ok("trust", "reject", "intruder")
        self.ok("trust", "import-crl", self.ca_crl("ca", self.ca,
                                                   self.ca_key))

    def name(self, cn, pem, ext="der"):
        return "%s [%s].%s" % (cn, self.sha1(pem).upper(), ext)

    def test_export_layout(self):
        self.fill()
        pki = self.path("pki")
        self.ok("trust", "export", "--layout", "opcua", pki)
        for f in FOLDERS:
            self.assertTrue(os.path.isdir(os.path.join(pki, f)), f)
        files = tree(pki)
        self.assertEqual(sorted(files), sorted([
            "issuers/certs/" + self.name("Plant CA", self.ca),
            "issuers/crl/" + self.name("Plant CA", self.ca, "crl"),
            "trusted/certs/" + self.name("hmi-01", self.leaf),
            "rejected/certs/" + self.name("intruder", self.bad),
        ]))
        self.assertEqual(files["trusted/certs/" + self.name(
            "hmi-01", self.leaf)], self.der_bytes(self.leaf))
        crl = os.path.join(pki, "issuers/crl",
                           self.name("Plant CA", self.ca, "crl"))
        self.ossl_ok("crl", "-in", crl, "-inform", "DER", "-noout",
                     "-CAfile", self.ca, "-verify")
        # A second export changes nothing.
        r = self.ok("trust", "export", "--layout", "opcua", pki)
        self.assertIn("0 files written, 4 unchanged", r.text)
        self.assertEqual(tree(pki), files)

    def test_round_trip(self):
        self.fill()
        pki = self.path("pki")
        self.ok("trust", "export", "--layout", "opcua", pki)
        first = self.entries()
        crls = json.loads(self.ok("trust", "list-crl", "--json").out)
        # Another data directory reads the folder back.
        self.dir = self.path("data2")
        self.ok("init")
        r = self.ok("trust", "sync", pki)
        self.assertIn("4 imported", r.text)
        second = self.entries()
        key = lambda e: (e["fingerprint_sha256"], e["list"], e["alias"])
        self.assertEqual(sorted(map(key, first)), sorted(map(key, second)))
        crls2 = json.loads(self.ok("trust", "list-crl", "--json").out)
        self.assertEqual([c["fingerprint_sha256"] for c in crls],
                         [c["fingerprint_sha256"] for c in crls2])
        # ... and writes the same folder, byte for byte.
        pki2 = self.path("pki2")
        self.ok("trust", "export", "--layout", "opcua", pki2)
        self.assertEqual(tree(pki), tree(pki2))
        # A second sync finds nothing new and changes nothing.
        before = self.snapshot()
        r = self.ok("trust", "sync", pki)
        self.assertIn("0 imported, 4 unchanged", r.text)
        self.assertEqual(self.snapshot(), before)

    def test_server_rejects_then_admin_trusts(self):
        self.fill()
        pki = self.path("pki")
        self.ok("trust", "export", "--layout", "opcua", pki)
        # The OPC UA server refused two clients and stored them, one DER,
        # one PEM; it also put a file of its own there.
        c1, _ = self.self_signed("c1", "opc client 1")
        c2, _ = self.self_signed("c2", "opc client 2")
        rej = os.path.join(pki, "rejected", "certs")
        with open(os.path.join(rej, "client1.der"), "wb") as f:
            f.write(self.der_bytes(c1))
        with open(os.path.join(rej, "client2.pem"), "wb") as f:
            f.write(self.read("c2.pem"))
        with open(os.path.join(rej, "notes.txt"), "w") as f:
            f.write("not a certificate\n")
        # A trusted certificate put in rejected/ by hand: reported.
        with open(os.path.join(rej, "dup.der"), "wb") as f:
            f.write(self.der_bytes(self.leaf))
        # And certa holds one the folder lacks.
        extra, _ = self.self_signed("extra", "only in certa")
        self.ok("trust", "import", extra)
        r = self.ok("trust", "sync", pki)
        self.assertRegex(r.text, r"imported +rejected/certs/client1.der: as "
                         r"'opc client 1' \(rejected list\)")
        self.assertIn("rejected/certs/client2.pem", r.text)
        self.assertRegex(r.text, r"skipped +rejected/certs/notes.txt")
        self.assertRegex(r.text, r"differs +rejected/certs/dup.der: .*"
                         r"'hmi-01' in the trusted list")
        self.assertRegex(r.text, r"only-in-store .*'only in certa'")
        e = self.by_alias()
        self.assertEqual(e["opc client 1"]["list"], "rejected")
        self.assertEqual(e["opc client 1"]["source"], "auto-rejected")
        self.assertEqual(e["hmi-01"]["list"], "trusted")
        # The administrator trusts client 1; export moves its file.
        self.ok("trust", "trust", "opc client 1")
        r = self.ok("trust", "export", "--layout", "opcua", pki)
        self.assertRegex(r.text, r"removed +rejected/certs/client1.der")
        self.assertRegex(r.text, r"kept +rejected/certs/notes.txt")
        files = tree(pki)
        self.assertIn("trusted/certs/" + self.name("opc client 1", c1),
                      files)
        self.assertNotIn("rejected/certs/client1.der", files)
        # The server's own naming of client 2 is replaced by certa's.
        self.assertIn("rejected/certs/" + self.name("opc client 2", c2),
                      files)
        self.assertNotIn("rejected/certs/client2.pem", files)
        # --prune drops what certa does not hold.
        self.ok("trust", "export", "--layout", "opcua", pki, "--prune")
        self.assertNotIn("rejected/certs/notes.txt", tree(pki))

    def test_sync_bad(self):
        self.fill()
        os.makedirs(self.path("empty"))
        self.refused(2, "not an OPC UA PKI folder", "trust", "sync",
                     self.path("empty"))
        self.refused(2, "not an OPC UA PKI folder", "trust", "sync",
                     self.path("nowhere"))
        # A forged CRL in the folder is skipped, not imported.
        pki = self.path("pki")
        self.ok("trust", "export", "--layout", "opcua", pki)
        evil, evil_key = self.self_signed("evil", "Plant CA", ca=True)
        forged = self.ca_crl("evil", evil, evil_key)
        with open(os.path.join(pki, "issuers", "crl", "forged.crl"),
                  "wb") as f:
            f.write(self.read("evil.crl"))
        before = self.snapshot()
        r = self.ok("trust", "sync", pki)
        self.assertRegex(r.text, r"skipped +issuers/crl/forged.crl: .*"
                         r"signature does not verify")
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(forged)
