"""Batch issuance (`cert issue --batch DIR|-`): one result per input in
sorted order, failures reported and skipped, --out-dir files verified by
openssl, JSON lines, and two concurrent batch processes on one data
directory losing or duplicating nothing."""
import json
import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

from checks import CheckedTest, pem_blocks
from harness import CERTA


class BatchTest(CheckedTest):
    def setUp(self):
        super().setUp()
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.ossl_ok("genpkey", "-algorithm", "EC", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-out", self.path("k.pem"))

    def csrs(self, dirname, names, fmt="PEM"):
        """One openssl-made CSR per name (CN = name) in tmp/dirname."""
        d = self.path(dirname)
        os.makedirs(d, exist_ok=True)

        def one(name):
            return self.openssl("req", "-new", "-key", self.path("k.pem"),
                                "-subj", "/CN=" + name, "-outform", fmt,
                                "-out", os.path.join(d, name + ".csr"))
        with ThreadPoolExecutor(4) as ex:
            for r in ex.map(one, names):
                self.assertEqual(r.rc, 0, r)
        return d

    def batch(self, src, *extra, input=None):
        return self.certa("cert", "issue", "--app", self.app, "--type",
                          "transport", "--batch", src, *extra, input=input)

    def cn(self, pem_path=None, pem=None):
        args = ["x509", "-noout", "-subject", "-nameopt", "RFC2253"]
        if pem_path:
            args += ["-in", pem_path]
        r = self.ossl_ok(*args, input=pem.encode() if pem else None)
        return re.search(r"CN=([^,\n]+)", r.text).group(1)

    def verify_all(self, paths):
        r = self.openssl("verify", "-CAfile", self.root, "-untrusted",
                         self.issuing, *paths)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.text.count(": OK"), len(paths), r)

    def twenty_with_two_bad(self):
        # Made in reverse order: certa must sort by name, not take the
        # directory's order.
        names = ["csr-%02d" % i for i in range(20)]
        d = self.csrs("in", list(reversed(names)))
        with open(os.path.join(d, "csr-07.csr"), "wb") as f:
            f.write(os.urandom(300))
        self.make_csr("weak", "/CN=weak", key="rsa:1024")
        os.replace(self.path("weak.csr"), os.path.join(d, "csr-13.csr"))
        good = [n for n in names if n not in ("csr-07", "csr-13")]
        return d, names, good

    def test_directory_with_two_bad_inputs(self):
        d, names, good = self.twenty_with_two_bad()
        out = self.path("out")
        os.mkdir(out)
        audit = self.count("audit")
        r = self.batch(d, "--out-dir", out)
        self.assertEqual(r.rc, 1, r)
        # The two bad inputs are named, with why.
        errs = r.errtext.strip().splitlines()
        self.assertEqual(len(errs), 2, r)
        self.assertIn("csr-07.csr", errs[0])
        self.assertIn("csr-13.csr", errs[1])
        self.assertIn("too weak", errs[1])
        for e in errs:
            self.assertTrue(e.startswith("certa: "), e)
        # One "ok NAME ID SERIAL" line per good input, in name order.
        oks = [ln.split() for ln in r.text.strip().splitlines()]
        self.assertEqual([o[0] for o in oks], ["ok"] * 18)
        self.assertEqual([o[1] for o in oks], [n + ".csr" for n in good])
        self.assertEqual(sorted(os.listdir(out)),
                         sorted(n + ".crt" for n in good))
        paths = [os.path.join(out, n + ".crt") for n in good]
        self.verify_all(paths)
        for (_, name, cid, serial), path in zip(oks, paths):
            self.assertEqual(self.cn(path), name[:-4])
            s = self.ossl_ok("x509", "-in", path, "-noout", "-serial").text
            self.assertEqual(int(s.split("=")[1], 16), int(serial, 16))
            j = json.loads(self.ok("cert", "show", cid, "--json").out)
            self.assertEqual(int(j["serial"], 16), int(serial, 16))
        self.assertEqual(self.count("certificate"), 18)
        self.assertEqual(self.count("audit"), audit + 18)
        self.ok("audit", "verify")

    def test_json_lines(self):
        d, names, good = self.twenty_with_two_bad()
        r = self.batch(d, "--json")
        self.assertEqual(r.rc, 1, r)
        recs = [json.loads(ln) for ln in r.out.splitlines()]
        self.assertEqual([x["input"] for x in recs],
                         [n + ".csr" for n in names])
        self.assertEqual([x["ok"] for x in recs],
                         [n in good for n in names])
        for x in recs:
            if x["ok"]:
                self.assertEqual(self.cn(pem=x["pem"]), x["input"][:-4])
                self.assertEqual(x["status"], "valid")
                self.assertEqual(x["type"], "transport")
            else:
                self.assertTrue(x["error"])
                self.assertIn(x["code"], ("parse", "policy"))
        bad = {x["input"]: x for x in recs if not x["ok"]}
        self.assertIn("1024", bad["csr-13.csr"]["error"])
        self.assertEqual(self.count("certificate"), 18)

    def test_stdin_concatenated_pem(self):
        names = ["in-%d" % i for i in (3, 1, 2, 0, 4)]
        d = self.csrs("s", names)
        data = b"".join(open(os.path.join(d, n + ".csr"), "rb").read()
                        for n in names)
        r = self.batch("-", input=data)
        self.assertEqual(r.rc, 0, r)
        certs = pem_blocks(r.out)
        self.assertEqual(len(certs), len(names))
        # Stdin order, not sorted.
        self.assertEqual([self.cn(pem=c) for c in certs], names)
        for i, c in enumerate(certs):
            self.write("s%d.pem" % i, c)
        self.verify_all([self.path("s%d.pem" % i) for i in range(len(names))])
        # With one damaged request among them: the others still come out.
        pems = [open(os.path.join(d, n + ".csr"), "rb").read()
                for n in names]
        lines = pems[1].splitlines(True)
        pems[1] = b"".join(lines[:2] + lines[-1:])     # cut short
        r = self.batch("-", "--json", input=b"".join(pems))
        self.assertEqual(r.rc, 1, r)
        recs = [json.loads(ln) for ln in r.out.splitlines()]
        self.assertEqual([x["ok"] for x in recs],
                         [True, False, True, True, True])
        self.assertEqual([x["input"] for x in recs],
                         ["stdin#%d" % i for i in range(1, 6)])
        # Nothing on stdin at all.
        r = self.batch("-", input=b"")
        self.assertEqual(r.rc, 2, r)

    def test_der_files_and_empty_directory(self):
        d = self.csrs("der", ["d1", "d2"], fmt="DER")
        r = self.batch(d, "--out-dir", self.path("der"))
        self.assertEqual(r.rc, 0, r)
        self.verify_all([os.path.join(d, "d1.crt"), os.path.join(d, "d2.crt")])
        os.mkdir(self.path("none"))
        r = self.batch(self.path("none"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out, b"")

    def test_two_concurrent_batches(self):
        a = self.csrs("a", ["a%03d" % i for i in range(100)])
        b = self.csrs("b", ["b%03d" % i for i in range(100)])
        env = dict(os.environ)
        for k in ("CERTA_PASSPHRASE", "CERTA_PASSPHRASE_FILE", "CERTA_DIR"):
            env.pop(k, None)
        procs = []
        for src in (a, b):
            procs.append(subprocess.Popen(
                [CERTA, "--dir", self.dir, "cert", "issue", "--app",
                 self.app, "--type", "transport", "--batch", src, "--json"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                cwd=self.tmp))
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err.decode(errors="replace"))
            for mark in ("Sanitizer", "runtime error:"):
                self.assertNotIn(mark, err.decode(errors="replace"))
            recs = [json.loads(ln) for ln in out.splitlines()]
            self.assertEqual(len(recs), 100)
            self.assertTrue(all(x["ok"] for x in recs))
        reported = [json.loads(ln) for out, _ in outs
                    for ln in out.splitlines()]
        listed = json.loads(self.ok("cert", "list", "--json").out)
        self.assertEqual(len(listed), 200)
        self.assertEqual(len({c["serial"] for c in listed}), 200)
        self.assertEqual(len({c["id"] for c in listed}), 200)
        # Every certificate handed out is the one stored under its id.
        stored = {c["id"]: c["serial"] for c in listed}
        for x in reported:
            self.assertEqual(stored[x["id"]], x["serial"])
        self.assertEqual(sorted(c["subject"] for c in listed),
                         sorted("CN=%s%03d" % (p, i) for p in "ab"
                                for i in range(100)))
        with self.db() as c:
            self.assertEqual(c.execute(
                "SELECT count(DISTINCT serial) FROM certificate"
            ).fetchone()[0], 200)
            self.assertEqual(c.execute("PRAGMA integrity_check"
                                       ).fetchone()[0], "ok")
        r = self.ok("audit", "verify")
        self.assertIn("intact", r.text)
