"""Issuance from CSRs made by openssl req, judged by openssl verify and
openssl x509: chain, key usages per type, SANs, validity, subject forms."""
import re

from harness import CertaTest


class IssueTest(CertaTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()

    def verify(self, cert, purpose=None):
        args = ["verify", "-CAfile", self.root, "-untrusted", self.issuing]
        if purpose:
            args += ["-purpose", purpose]
        return self.openssl(*args, cert)

    def test_transport_chain_and_extensions(self):
        csr = self.make_csr("t", "/CN=pay-client/O=Acme",
                            sans=["DNS:pay.acme.test", "URI:spiffe://acme/pay"])
        crt = self.issue(self.app, "transport", csr)
        r = self.verify(crt, "sslclient")
        self.assertEqual(r.rc, 0, r)
        self.assertIn(": OK", r.text)
        txt = self.x509_text(crt)
        self.assertRegex(txt, r"Key Usage: critical\s+Digital Signature, "
                         r"Key Agreement")
        self.assertIn("TLS Web Client Authentication", txt)
        self.assertRegex(txt, r"Basic Constraints: critical\s+CA:FALSE")
        self.assertIn("DNS:pay.acme.test", txt)
        self.assertIn("URI:spiffe://acme/pay", txt)
        self.assertIn("URI:http://127.0.0.1:8080/crl/issuing.crl", txt)
        self.assertIn("OCSP - URI:http://127.0.0.1:8080/ocsp", txt)
        self.assertIn("Authority Key Identifier", txt)
        self.assertIn("Subject Key Identifier", txt)
        # A transport certificate is not for servers.
        r = self.verify(crt, "sslserver")
        self.assertNotEqual(r.rc, 0, r)

    def test_signing_and_encryption_usages(self):
        crt = self.issue(self.app, "signing", self.make_csr("s", "/CN=sig"))
        txt = self.x509_text(crt)
        self.assertRegex(txt, r"Key Usage: critical\s+Digital Signature, "
                         r"Non Repudiation\n")
        self.assertNotIn("Extended Key Usage", txt)
        crt = self.issue(self.app, "encryption",
                         self.make_csr("e", "/CN=enc", key="rsa:2048"))
        txt = self.x509_text(crt)
        self.assertRegex(txt, r"Key Usage: critical\s+Key Encipherment\n")
        crt = self.issue(self.app, "encryption", self.make_csr("e2", "/CN=e2"))
        self.assertRegex(self.x509_text(crt),
                         r"Key Usage: critical\s+Key Agreement\n")

    def test_serial_is_159_bit_positive_and_unique(self):
        serials = set()
        for i in range(5):
            crt = self.issue(self.app, "transport",
                             self.make_csr("c%d" % i, "/CN=c%d" % i))
            s = self.ossl_ok("x509", "-in", crt, "-noout", "-serial").text
            hexs = s.strip().split("=")[1]
            v = int(hexs, 16)
            self.assertGreater(v.bit_length(), 140)
            self.assertLessEqual(v.bit_length(), 159)
            serials.add(v)
        self.assertEqual(len(serials), 5)

    def test_validity_and_profile_maximum(self):
        csr = self.make_csr("v", "/CN=v")
        crt = self.issue(self.app, "transport", csr, "--validity", "30d")
        end = self.ossl_ok("x509", "-in", crt, "-noout", "-checkend",
                           str(29 * 86400))
        self.assertEqual(end.rc, 0)
        r = self.openssl("x509", "-in", crt, "-noout", "-checkend",
                         str(31 * 86400))
        self.assertNotEqual(r.rc, 0)
        r = self.certa("cert", "issue", "--app", self.app, "--type",
                       "transport", "--csr", csr, "--validity", "3000d")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("exceeds the maximum", r.errtext)

    def test_subject_forms_and_override(self):
        csr = self.make_csr("o", "/CN=orig")
        for dn, want in (("/CN=a b/O=Acme Corp/C=DE",
                          "CN = a b, O = Acme Corp, C = DE"),
                         ("CN=x\\,y,OU=Ops,O=Acme",
                          "O = Acme, OU = Ops, CN = \"x,y\"")):
            crt = self.issue(self.app, "transport", csr, "--subject", dn)
            subj = self.ossl_ok("x509", "-in", crt, "-noout", "-subject",
                                "-nameopt", "oneline").text
            self.assertIn(want, subj)

    def test_der_csr_and_json_output(self):
        csr = self.make_csr("d", "/CN=der-client")
        self.ossl_ok("req", "-in", csr, "-outform", "DER", "-out",
                     self.path("d.der"))
        r = self.ok("cert", "issue", "--app", self.app, "--type",
                    "transport", "--csr", self.path("d.der"), "--json")
        import json
        j = json.loads(r.out)
        for k in ("id", "serial", "type", "application", "status", "subject",
                  "not_before", "not_after", "fingerprint_sha256", "pem"):
            self.assertIn(k, j)
        self.assertEqual(j["status"], "valid")
        self.assertEqual(j["type"], "transport")
        self.write("j.pem", j["pem"])
        fp = self.ossl_ok("x509", "-in", self.path("j.pem"), "-noout",
                          "-fingerprint", "-sha256").text
        self.assertEqual(re.sub("[^0-9a-f]", "", fp.split("=")[1].lower()),
                         j["fingerprint_sha256"])

    def test_key_types(self):
        for name, key in (("p384", "ec:P-384"), ("ed", "ed25519"),
                          ("rsa3k", "rsa:3072")):
            crt = self.issue(self.app, "transport",
                             self.make_csr(name, "/CN=" + name, key=key))
            self.assertEqual(self.verify(crt).rc, 0)
