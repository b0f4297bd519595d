"""certa verify: the trust engine from the command line, on chains made by
openssl (valid, intermediate given with --untrusted, expired and not yet
valid, wrong EKU, revoked via an openssl CRL, name checks, trusted_list),
certa's own CAs and revocations (default mode certa_ca), the --json shape,
exit codes, and the path-validation conformance vectors in
../shared/conformance (x509-limbo client profile and NIST PKITS)."""
import json
import os
import re
import secrets
import subprocess
import sys
import time

from checks import CheckedTest
import harness

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONFORMANCE = os.path.join(ROOT, "..", "shared", "conformance")

CA_EXT = ("basicConstraints=critical,CA:TRUE\n"
          "keyUsage=critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier=hash\n")
LEAF_EXT = ("basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=clientAuth\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid:always\n"
            "subjectAltName=DNS:client.example.com,IP:10.0.0.1,"
            "email:alice@example.com\n")


class ChainTest(CheckedTest):
    """Helpers: chains made by openssl, certa verify with --json."""
    init = False

    # --- openssl-made chains -------------------------------------------
    def mk(self, name, subj, issuer=None, ext=LEAF_EXT, days=30):
        """Key and certificate made by openssl; returns the cert path."""
        key = self.path(name + ".key")
        csr = self.path(name + ".csr")
        crt = self.path(name + ".pem")
        extf = self.path(name + ".ext")
        with open(extf, "w") as f:
            f.write(ext)
        self.ossl_ok("genpkey", "-algorithm", "EC", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-out", key)
        self.ossl_ok("req", "-new", "-key", key, "-subj", subj, "-out", csr)
        args = ["x509", "-req", "-in", csr, "-days", str(days), "-extfile",
                extf, "-set_serial", "0x%s" % ("1" + secrets.token_hex(15)),
                "-sha256", "-out", crt]
        if issuer is None:
            args += ["-signkey", key]
        else:
            args += ["-CA", self.path(issuer + ".pem"), "-CAkey",
                     self.path(issuer + ".key")]
        self.ossl_ok(*args)
        return crt

    def chain3(self, leaf_ext=LEAF_EXT):
        root = self.mk("root", "/CN=Test Root", ext=CA_EXT, days=60)
        inter = self.mk("inter", "/CN=Test Intermediate", "root",
                        CA_EXT + "authorityKeyIdentifier=keyid:always\n")
        leaf = self.mk("leaf", "/CN=client.example.com", "inter", leaf_ext)
        return root, inter, leaf

    def verify(self, *args, json_out=True):
        r = self.certa("verify", *(("--json",) if json_out else ()), *args,
                       dir=False)
        j = None
        if json_out and r.out.strip():
            j = json.loads(r.out.decode().strip().splitlines()[-1])
        return r, j

    def assertVerdict(self, args, rc, reason, result=None):
        r, j = self.verify(*args)
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(j["reason"], reason, r)
        if result is not None:
            self.assertEqual(j["result"], result, r)
        return j


class VerifyTest(ChainTest):
    """--trust-anchor mode: only the files given, no data directory."""

    def test_valid_chain_with_untrusted_intermediate_and_json_shape(self):
        root, inter, leaf = self.chain3()
        j = self.assertVerdict(["--trust-anchor", root, "--untrusted", inter,
                                "--purpose", "client", leaf], 0, "ok",
                               "valid")
        self.assertEqual(set(j), {"result", "reason", "message", "chain",
                                  "fingerprint"})
        self.assertEqual(j["chain"], ["CN=client.example.com",
                                      "CN=Test Intermediate", "CN=Test Root"])
        self.assertRegex(j["fingerprint"], "^[0-9a-f]{64}$")
        # Plain output: "REASON: message".
        r, _ = self.verify("--trust-anchor", root, "--untrusted", inter,
                           leaf, json_out=False)
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.text, r"^ok: ")
        # The intermediate may also travel in the leaf's own file.
        both = self.path("leaf+inter.pem")
        with open(both, "w") as f:
            f.write(open(leaf).read() + open(inter).read())
        self.assertVerdict(["--trust-anchor", root, both], 0, "ok")
        # DER leaf.
        der = self.path("leaf.der")
        self.ossl_ok("x509", "-in", leaf, "-outform", "DER", "-out", der)
        self.assertVerdict(["--trust-anchor", root, "--untrusted", inter,
                            der], 0, "ok")

    def test_missing_intermediate_or_foreign_anchor_is_untrusted(self):
        root, inter, leaf = self.chain3()
        self.assertVerdict(["--trust-anchor", root, leaf], 1, "untrusted",
                           "invalid")
        other = self.mk("other", "/CN=Other Root", ext=CA_EXT)
        self.assertVerdict(["--trust-anchor", other, "--untrusted", inter,
                            leaf], 1, "untrusted")

    def test_expired_and_not_yet_valid(self):
        root, inter, leaf = self.chain3()
        base = ["--trust-anchor", root, "--untrusted", inter]
        later = int(time.time()) + 90 * 86400
        self.assertVerdict(base + ["--time", str(later), leaf], 1,
                           "expired")
        self.assertVerdict(base + ["--time", "2001-01-01T00:00:00Z", leaf],
                           1, "not_yet_valid")
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() + 86400))
        self.assertVerdict(base + ["--time", soon, leaf], 0, "ok")

    def test_wrong_eku_and_purpose(self):
        server_ext = LEAF_EXT.replace("extendedKeyUsage=clientAuth",
                                      "extendedKeyUsage=serverAuth")
        root, inter, leaf = self.chain3(server_ext)
        base = ["--trust-anchor", root, "--untrusted", inter]
        self.assertVerdict(base + ["--purpose", "client", leaf], 1,
                           "wrong_purpose")
        self.assertVerdict(base + ["--eku", "clientAuth", leaf], 1,
                           "wrong_purpose")
        self.assertVerdict(base + ["--purpose", "server", leaf], 0, "ok")
        self.assertVerdict(base + ["--eku", "serverAuth", leaf], 0, "ok")
        self.assertVerdict(base + ["--key-usage", "keyEncipherment", leaf],
                           1, "wrong_purpose")
        self.assertVerdict(base + ["--key-usage", "digitalSignature", leaf],
                           0, "ok")

    def test_names(self):
        root, inter, leaf = self.chain3()
        base = ["--trust-anchor", root, "--untrusted", inter]
        self.assertVerdict(base + ["--name", "client.example.com", leaf], 0,
                           "ok")
        self.assertVerdict(base + ["--name", "other.example.com", leaf], 1,
                           "name_mismatch")
        self.assertVerdict(base + ["--name", "10.0.0.1", "--name-kind", "IP",
                                   leaf], 0, "ok")
        self.assertVerdict(base + ["--name", "10.0.0.2", "--name-kind", "IP",
                                   leaf], 1, "name_mismatch")
        self.assertVerdict(base + ["--name", "alice@example.com",
                                   "--name-kind", "RFC822", leaf], 0, "ok")
        self.assertVerdict(base + ["--name", "client.example.com",
                                   "--name", "bob@example.com",
                                   "--name-kind", "RFC822", leaf], 1,
                           "name_mismatch")

    def test_max_depth(self):
        root, inter, leaf = self.chain3()
        base = ["--trust-anchor", root, "--untrusted", inter]
        self.assertVerdict(base + ["--max-depth", "1", leaf], 0, "ok")
        self.assertVerdict(base + ["--max-depth", "0", leaf], 1,
                           "chain_too_long")

    def test_revoked_via_openssl_crl(self):
        root = self.mk("root", "/CN=CRL Root", ext=CA_EXT, days=60)
        bad = self.mk("bad", "/CN=bad", "root")
        good = self.mk("good", "/CN=good", "root")
        with open(self.path("idx.txt"), "w"):
            pass
        with open(self.path("crlnum"), "w") as f:
            f.write("01\n")
        with open(self.path("ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s\n"
                    "default_md=sha256\ndefault_crl_days=30\n"
                    "crl_extensions=crlext\n[crlext]\n"
                    "authorityKeyIdentifier=keyid:always\n" %
                    (self.path("idx.txt"), self.path("crlnum")))
        ca = ["-config", self.path("ca.cnf"), "-keyfile", self.path("root.key"),
              "-cert", root]
        self.ossl_ok("ca", *ca, "-revoke", bad, "-crl_reason",
                     "keyCompromise")
        crl = self.path("root.crl")
        self.ossl_ok("ca", *ca, "-gencrl", "-out", crl)
        base = ["--trust-anchor", root, "--crl", crl]
        self.assertVerdict(base + [bad], 1, "revoked")
        self.assertVerdict(base + [good], 0, "ok")
        # Without the CRL nothing says it is revoked.
        self.assertVerdict(["--trust-anchor", root, bad], 0, "ok")
        # --require-crl without a CRL refuses.
        self.assertVerdict(["--trust-anchor", root, "--require-crl", good],
                           1, "crl_missing")

    def test_trusted_list_mode(self):
        me = self.mk("self", "/CN=self-signed device",
                     ext=LEAF_EXT.replace("authorityKeyIdentifier="
                                          "keyid:always\n", ""))
        other = self.mk("other", "/CN=other device",
                        ext=LEAF_EXT.replace("authorityKeyIdentifier="
                                             "keyid:always\n", ""))
        self.assertVerdict(["--mode", "trusted_list", "--trust-anchor", me,
                            me], 0, "ok")
        self.assertVerdict(["--mode", "trusted_list", "--trust-anchor", me,
                            other], 1, "untrusted")
        self.assertVerdict(["--mode", "accept_any", other], 0, "ok")

    def test_exit_codes_for_bad_and_unsupported_input(self):
        root, inter, leaf = self.chain3()
        junk = self.path("junk.pem")
        with open(junk, "w") as f:
            f.write("not a certificate\n")
        r, j = self.verify("--trust-anchor", root, junk)
        self.assertEqual(r.rc, 2, r)
        self.assertEqual(j["result"], "error")
        r, j = self.verify("--trust-anchor", junk, leaf)
        self.assertEqual(r.rc, 2, r)
        r, j = self.verify("--trust-anchor", root, self.path("missing.pem"))
        self.assertEqual(r.rc, 2, r)
        for bad in (["--name-kind", "URI"], ["--sig-alg", "MD5_WITH_RSA"],
                    ["--eku", "noSuchUsage"], ["--key-usage", "bogus"],
                    ["--purpose", "email"], ["--mode", "nonsense"]):
            args = ["--trust-anchor", root]
            if bad[0] == "--name-kind":
                args += ["--name", "x.example.com"]
            r, j = self.verify(*(args + bad + [leaf]))
            self.assertEqual(r.rc, 3, (bad, r))
            self.assertEqual(j["result"], "unsupported", (bad, r))
        r, _ = self.verify("--trust-anchor", root, leaf, leaf)
        self.assertEqual(r.rc, 2, r)


class VerifyCertaCaTest(CheckedTest):
    """Default mode: certa's own CAs and revocation state."""

    def test_valid_then_revoked(self):
        app = self.setup_app()
        crt = self.issue(app, "transport", self.make_csr("c1", "/CN=c1"))
        r = self.ok("verify", crt)
        self.assertEqual(r.text.split(":")[0], "ok", r)
        r = self.ok("verify", "--json", crt)
        j = json.loads(r.out)
        self.assertEqual(j["result"], "valid")
        self.assertEqual(j["chain"][0], "CN=c1")
        cid = json.loads(self.ok("cert", "list", "--json").out)[0]["id"]
        self.ok("cert", "revoke", cid, "--reason", "keyCompromise")
        r = self.certa("verify", crt)
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.text.startswith("revoked:"), r)
        # A certificate of another CA is not certa's.
        other = self.path("o.pem")
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("o.key"), "-subj", "/CN=o", "-out", other)
        r = self.certa("verify", "--json", other)
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(json.loads(r.out)["reason"], "untrusted")


class VerifyStoreTest(ChainTest):
    """Modes trusted_ca and trusted_list against the data directory's
    trust store (certa trust import / import-crl / reject)."""
    init = True

    def store_verify(self, *args):
        r = self.certa("verify", "--json", *args)
        return r, json.loads(r.out.decode().strip().splitlines()[-1])

    def test_intermediate_only_in_issuer_list(self):
        root, inter, leaf = self.chain3()
        self.ok("trust", "import", root, "--alias", "root", "--list",
                "trusted")
        r, j = self.store_verify("--mode", "trusted_ca", leaf)
        self.assertEqual((r.rc, j["reason"]), (1, "untrusted"), r)
        self.ok("trust", "import", inter, "--alias", "inter", "--list",
                "issuer")
        r, j = self.store_verify("--mode", "trusted_ca", "--purpose",
                                 "client", leaf)
        self.assertEqual((r.rc, j["reason"]), (0, "ok"), r)
        self.assertEqual(len(j["chain"]), 3)
        # The issuer list does not make anchors.
        self.ok("trust", "delete", "root")
        r, j = self.store_verify("--mode", "trusted_ca", leaf)
        self.assertEqual((r.rc, j["reason"]), (1, "untrusted"), r)

    def test_self_signed_leaf_in_trusted_list_then_rejected(self):
        ext = LEAF_EXT.replace("authorityKeyIdentifier=keyid:always\n", "")
        me = self.mk("me", "/CN=device-1", ext=ext)
        other = self.mk("other", "/CN=device-2", ext=ext)
        self.ok("trust", "import", me, "--alias", "dev1", "--list",
                "trusted")
        r, j = self.store_verify("--mode", "trusted_list", me)
        self.assertEqual((r.rc, j["reason"]), (0, "ok"), r)
        r, j = self.store_verify("--mode", "trusted_list", other)
        self.assertEqual((r.rc, j["reason"]), (1, "untrusted"), r)
        self.ok("trust", "reject", "dev1")
        r, j = self.store_verify("--mode", "trusted_list", me)
        self.assertEqual((r.rc, j["reason"]), (1, "rejected"), r)

    def test_store_crl_revokes(self):
        root = self.mk("root", "/CN=Store Root", ext=CA_EXT, days=60)
        bad = self.mk("bad", "/CN=bad", "root")
        good = self.mk("good", "/CN=good", "root")
        with open(self.path("idx.txt"), "w"):
            pass
        with open(self.path("crlnum"), "w") as f:
            f.write("01\n")
        with open(self.path("ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s\n"
                    "default_md=sha256\ndefault_crl_days=30\n"
                    "crl_extensions=crlext\n[crlext]\n"
                    "authorityKeyIdentifier=keyid:always\n" %
                    (self.path("idx.txt"), self.path("crlnum")))
        ca = ["-config", self.path("ca.cnf"), "-keyfile",
              self.path("root.key"), "-cert", root]
        self.ossl_ok("ca", *ca, "-revoke", bad)
        self.ossl_ok("ca", *ca, "-gencrl", "-out", self.path("root.crl"))
        self.ok("trust", "import", root, "--alias", "root", "--list",
                "trusted")
        r, j = self.store_verify("--mode", "trusted_ca", bad)
        self.assertEqual((r.rc, j["reason"]), (0, "ok"), r)
        self.ok("trust", "import-crl", self.path("root.crl"))
        r, j = self.store_verify("--mode", "trusted_ca", bad)
        self.assertEqual((r.rc, j["reason"]), (1, "revoked"), r)
        r, j = self.store_verify("--mode", "trusted_ca", good)
        self.assertEqual((r.rc, j["reason"]), (0, "ok"), r)


def run_conformance(limbo=None, profile=None):
    """(passed, failed, skipped, false accepts) of run_limbo.py."""
    runner = os.path.join(CONFORMANCE, "run_limbo.py")
    argv = [sys.executable, runner, os.path.abspath(harness.CERTA)]
    if limbo:
        argv += ["--limbo", os.path.join(CONFORMANCE, limbo)]
    if profile:
        argv += ["--profile", profile]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=1800)
    out = p.stdout.decode(errors="replace")
    m = re.search(r"^(\d+) passed, (\d+) failed, (\d+) skipped$", out, re.M)
    fa = re.search(r"^False accepts [^:]*: (\d+)$", out, re.M)
    if m is None or fa is None:
        raise AssertionError("run_limbo.py gave no summary:\n%s\n%s" %
                             (out[-2000:], p.stderr.decode()[-2000:]))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)),
            int(fa.group(1)), out)


class ConformanceTest(CheckedTest):
    """Issue 3's goals: >= 90% of the client-relevant limbo cases and >= 95%
    of PKITS, with zero false accepts in both."""
    init = False

    def setUp(self):
        super().setUp()
        # Not a skip: missing vectors are a failure of the test setup.
        self.assertTrue(os.path.isfile(os.path.join(CONFORMANCE,
                                                    "run_limbo.py")),
                        "conformance vectors not found at %s" % CONFORMANCE)

    def test_limbo_client_profile(self):
        ok, bad, skip, fa, out = run_conformance(profile="client")
        self.assertEqual(fa, 0, out[-3000:])
        self.assertEqual(skip, 0, out[-3000:])
        self.assertGreaterEqual(ok / (ok + bad), 0.90, out[-3000:])

    def test_pkits(self):
        ok, bad, skip, fa, out = run_conformance(limbo="pkits-dev.json")
        self.assertEqual(fa, 0, out[-3000:])
        self.assertEqual(skip, 0, out[-3000:])
        self.assertGreaterEqual(ok / (ok + bad), 0.95, out[-3000:])


class AutoRejectTest(CheckedTest):
    """REFERENCE §3: an unknown client is refused and recorded as rejected
    (once, with attempts and the peer), an administrator trusts it, and the
    same certificate is accepted — nothing restarted."""

    def test_reject_trust_accept_cycle(self):
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("c.key"), "-out", self.path("c.pem"),
                     "-subj", "/CN=opc-client", "-days", "30")
        leaf = self.path("c.pem")
        for peer in ("10.0.0.7", "10.0.0.8"):
            r = self.certa("verify", "--mode", "trusted_list",
                           "--auto-reject", "--peer", peer, leaf)
            self.assertEqual(r.rc, 1, r)
        rows = json.loads(self.ok("trust", "list", "--list", "rejected",
                                  "--json").out)
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["attempts"], 2)
        self.assertEqual(rows[0]["peer_address"], "10.0.0.8")
        self.assertEqual(rows[0]["source"], "auto-rejected")
        # Without --auto-reject nothing is recorded.
        self.certa("verify", "--mode", "trusted_list", leaf)
        rows = json.loads(self.ok("trust", "list", "--json").out)
        self.assertEqual([x["attempts"] for x in rows], [2])
        self.ok("trust", "trust", rows[0]["alias"])
        r = self.certa("verify", "--mode", "trusted_list", "--auto-reject",
                       leaf)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("ok", r.text)
