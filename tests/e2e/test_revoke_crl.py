"""Revocation and CRLs, judged by openssl: every accepted reason, refusals
(twice, certificateHold), the CRL read and verified by `openssl crl`,
its CRL number, reason codes and entries, `openssl verify -crl_check`
refusing a revoked certificate, `certa verify`, `cert list --status`."""
import calendar
import json
import re
import time

from checks import CheckedTest

# certa's reason names -> what `openssl crl -text` prints (None: no
# reasonCode extension, RFC 5280 5.3.1 says to omit "unspecified").
REASONS = {
    "unspecified": None,
    "keyCompromise": "Key Compromise",
    "affiliationChanged": "Affiliation Changed",
    "superseded": "Superseded",
    "cessationOfOperation": "Cessation Of Operation",
    "privilegeWithdrawn": "Privilege Withdrawn",
}


def crl_entries(text):
    """{serial int: reason text or None} from `openssl crl -text`."""
    if "Revoked Certificates:" not in text:
        return {}
    section = text.split("Revoked Certificates:", 1)[1]
    section = section.split("Signature Algorithm:", 1)[0]
    out = {}
    for chunk in section.split("Serial Number:")[1:]:
        lines = [ln.strip() for ln in chunk.strip().splitlines()]
        serial = int(lines[0], 16)
        reason = None
        if "X509v3 CRL Reason Code:" in lines:
            reason = lines[lines.index("X509v3 CRL Reason Code:") + 1]
        out[serial] = reason
    return out


def ossl_time(s):
    return calendar.timegm(time.strptime(s.strip(), "%b %d %H:%M:%S %Y GMT"))


class RevokeCrlTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.bundle = self.path("chain.pem")    # issuing + root

    def new_cert(self, name):
        """(id, serial int, cert path) of a fresh transport certificate."""
        crt = self.issue(self.app, "transport",
                         self.make_csr(name, "/CN=" + name))
        j = json.loads(self.ok("cert", "show", crt_id(self, crt),
                               "--json").out)
        return j["id"], int(j["serial"], 16), crt

    def crl(self, *extra, fmt="der"):
        out = self.path("crl.%s" % fmt)
        r = self.ok("crl", "--out", out, "--format", fmt, *extra)
        return out, r

    def crl_text(self, path, der=True):
        args = ["crl", "-in", path, "-CAfile", self.bundle, "-noout",
                "-text"]
        if der:
            args[1:1] = ["-inform", "DER"]
        r = self.ossl_ok(*args)
        self.assertIn("verify OK", r.text + r.errtext)
        return r.text

    def crl_number(self, path):
        r = self.ossl_ok("crl", "-inform", "DER", "-in", path, "-noout",
                         "-crlnumber")
        return int(r.text.strip().split("=")[1], 16)

    def test_every_reason_in_the_crl(self):
        revoked = {}
        for i, reason in enumerate(REASONS):
            cid, serial, _ = self.new_cert("r%d" % i)
            r = self.ok("cert", "revoke", cid, "--reason", reason)
            self.assertIn("revoked certificate %s" % cid, r.text)
            self.assertIn(reason, r.text)
            j = json.loads(self.ok("cert", "show", cid, "--json").out)
            self.assertEqual(j["status"], "revoked")
            self.assertEqual(j["revocation_reason"], reason)
            revoked[serial] = (reason, j["revoked_at"])
        _, keep, _ = self.new_cert("keep")

        path, _ = self.crl()
        txt = self.crl_text(path)
        entries = crl_entries(txt)
        self.assertEqual(set(entries), set(revoked))
        self.assertNotIn(keep, entries)
        for serial, (reason, _) in revoked.items():
            self.assertEqual(entries[serial], REASONS[reason], reason)
        # Issued by the issuing CA, with its key identifier.
        subj = self.ossl_ok("x509", "-in", self.issuing, "-noout",
                            "-subject", "-nameopt", "oneline").text
        iss = self.ossl_ok("crl", "-inform", "DER", "-in", path, "-noout",
                           "-issuer", "-nameopt", "oneline").text
        self.assertEqual(subj.split("=", 1)[1].strip(),
                         iss.split("=", 1)[1].strip())
        ski = re.search(r"Subject Key Identifier: *\n\s+([0-9A-F:]+)",
                        self.x509_text(self.issuing)).group(1)
        aki = re.search(r"Authority Key Identifier: *\n\s+(?:keyid:)?"
                        r"([0-9A-F:]+)", txt).group(1)
        self.assertEqual(ski, aki)
        self.assertIn("Version 2", txt)
        # Revocation dates are the recorded ones.
        for serial, (_, at) in revoked.items():
            m = re.search(r"Serial Number: 0*%X\s+Revocation Date: (.+)" %
                          serial, txt)
            self.assertIsNotNone(m, "%X" % serial)
            self.assertEqual(ossl_time(m.group(1)),
                             calendar.timegm(time.strptime(
                                 at, "%Y-%m-%dT%H:%M:%SZ")))

    def test_crl_updates_and_validity(self):
        path, _ = self.crl()
        r = self.ossl_ok("crl", "-inform", "DER", "-in", path, "-noout",
                         "-lastupdate", "-nextupdate")
        last = ossl_time(re.search(r"lastUpdate=(.+)", r.text).group(1))
        nxt = ossl_time(re.search(r"nextUpdate=(.+)", r.text).group(1))
        self.assertLessEqual(abs(last - time.time()), 120)
        self.assertEqual(nxt - last, 7 * 86400)
        path, _ = self.crl("--validity", "1d")
        r = self.ossl_ok("crl", "-inform", "DER", "-in", path, "-noout",
                         "-lastupdate", "-nextupdate")
        last = ossl_time(re.search(r"lastUpdate=(.+)", r.text).group(1))
        nxt = ossl_time(re.search(r"nextUpdate=(.+)", r.text).group(1))
        self.assertEqual(nxt - last, 86400)

    def test_revoke_twice_fails(self):
        cid, serial, _ = self.new_cert("twice")
        self.ok("cert", "revoke", cid, "--reason", "keyCompromise")
        audit = self.count("audit")
        # Again, by id and by serial (the second reason must not stick).
        for ref in (cid, "0x%X" % serial):
            r = self.certa("cert", "revoke", ref, "--reason", "superseded")
            self.assertEqual(r.rc, 1, r)
            self.assertIn("revoked already", r.errtext)
            self.assertTrue(r.errtext.startswith("certa: "), r)
        self.assertEqual(self.count("audit"), audit)
        j = json.loads(self.ok("cert", "show", cid, "--json").out)
        self.assertEqual(j["revocation_reason"], "keyCompromise")
        entries = crl_entries(self.crl_text(self.crl()[0]))
        self.assertEqual(entries, {serial: "Key Compromise"})

    def test_certificate_hold_and_unknown_reasons_refused(self):
        cid, _, _ = self.new_cert("hold")
        for reason, frag in (("certificateHold", "certificateHold"),
                             ("removeFromCRL", "removeFromCRL"),
                             ("bogus", "unknown revocation reason 'bogus'")):
            before = self.count("audit")
            r = self.certa("cert", "revoke", cid, "--reason", reason)
            self.assertEqual(r.rc, 2, r)
            self.assertIn(frag, r.errtext)
            self.assertEqual(self.count("audit"), before)
        r = self.certa("cert", "revoke", cid)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("needs --reason", r.errtext)
        j = json.loads(self.ok("cert", "show", cid, "--json").out)
        self.assertEqual(j["status"], "valid")
        self.assertEqual(crl_entries(self.crl_text(self.crl()[0])), {})

    def test_crl_number_increases_by_one(self):
        numbers = []
        for _ in range(3):
            path, _ = self.crl()
            numbers.append(self.crl_number(path))
        self.assertEqual(numbers, [numbers[0], numbers[0] + 1,
                                   numbers[0] + 2])
        self.assertGreaterEqual(numbers[0], 1)
        # The PEM form counts too, and openssl reads it without -inform.
        path, _ = self.crl(fmt="pem")
        pem = self.read("crl.pem").decode()
        self.assertTrue(pem.startswith("-----BEGIN X509 CRL-----"), pem)
        txt = self.crl_text(path, der=False)
        self.assertRegex(txt, r"CRL Number: *\n\s+%d\b" % (numbers[0] + 3))
        # On stdout with --format pem.
        r = self.ok("crl", "--format", "pem")
        self.assertTrue(r.text.startswith("-----BEGIN X509 CRL-----"))
        n = self.ossl_ok("crl", "-noout", "-crlnumber", input=r.out).text
        self.assertEqual(int(n.strip().split("=")[1], 16), numbers[0] + 4)
        # The store keeps the number: `ca list` reports the last one.
        cas = json.loads(self.ok("ca", "list", "--json").out)
        issuing = [c for c in cas if c["role"] == "issuing"][0]
        self.assertEqual(issuing["crl_number"], numbers[0] + 4)

    def test_crl_report_counts_entries(self):
        for i in range(3):
            cid, _, _ = self.new_cert("n%d" % i)
            self.ok("cert", "revoke", cid, "--reason", "superseded")
        self.new_cert("alive")
        path, r = self.crl()
        self.assertEqual(len(crl_entries(self.crl_text(path))), 3)
        self.assertRegex(r.errtext, r"CRL number \d+ with 3 entries")
        r = self.ok("crl", "--out", self.path("j.crl"), "--json")
        j = json.loads(r.out)
        self.assertEqual(j["entries"], 3, j)
        self.assertEqual(j["crl_number"],
                         self.crl_number(self.path("j.crl")))

    def test_openssl_verify_crl_check(self):
        rid, _, revoked = self.new_cert("gone")
        _, _, alive = self.new_cert("alive")
        old, _ = self.crl(fmt="pem")
        self.write("old.pem", self.read("crl.pem"))

        def verify(cert, crl):
            return self.openssl("verify", "-crl_check", "-CRLfile", crl,
                                "-CAfile", self.root, "-untrusted",
                                self.issuing, cert)
        # Before the revocation the CRL is empty: openssl accepts it.
        self.assertEqual(verify(revoked, self.path("old.pem")).rc, 0)
        self.ok("cert", "revoke", rid, "--reason", "keyCompromise")
        crl, _ = self.crl(fmt="pem")
        r = verify(revoked, crl)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("certificate revoked", r.text + r.errtext)
        r = verify(alive, crl)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(": OK", r.text)

    def test_certa_verify(self):
        rid, _, revoked = self.new_cert("gone")
        _, _, alive = self.new_cert("alive")
        r = self.certa("verify", revoked)
        self.assertEqual(r.rc, 0, r)
        self.ok("cert", "revoke", rid, "--reason", "privilegeWithdrawn")
        r = self.certa("verify", revoked)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("revoked", r.text)
        self.assertIn("privilegeWithdrawn", r.text)
        r = self.certa("verify", "--json", revoked)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(json.loads(r.out)["result"], "invalid")
        r = self.certa("verify", alive)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("ok", r.text)
        r = self.certa("verify", "--json", alive)
        self.assertEqual(json.loads(r.out)["result"], "valid")
        # A certificate of another CA is not valid here.
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("o.key"), "-out", self.path("other.pem"),
                     "-subj", "/CN=other", "-days", "2")
        r = self.certa("verify", self.path("other.pem"))
        self.assertEqual(r.rc, 1, r)

    def test_list_status_revoked(self):
        ids = [self.new_cert("l%d" % i)[0] for i in range(4)]
        self.ok("cert", "revoke", ids[1], "--reason", "superseded")
        self.ok("cert", "revoke", ids[3], "--reason", "unspecified")

        def listed(*args):
            r = self.ok("cert", "list", "--json", *args)
            return sorted(c["id"] for c in json.loads(r.out))
        self.assertEqual(listed("--status", "revoked"),
                         sorted([ids[1], ids[3]]))
        self.assertEqual(listed("--status", "valid"),
                         sorted([ids[0], ids[2]]))
        self.assertEqual(listed(), sorted(ids))
        r = self.ok("cert", "list", "--status", "revoked")
        self.assertEqual(len(r.text.strip().splitlines()), 2)
        self.assertTrue(all(" revoked " in ln
                            for ln in r.text.strip().splitlines()))


def crt_id(test, crt):
    """The id certa gave the certificate in file crt (found by serial)."""
    s = test.ossl_ok("x509", "-in", crt, "-noout", "-serial").text
    return "0x" + s.strip().split("=")[1]
