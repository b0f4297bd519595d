"""certa as a cluster (GitHub issue 8): three `certa serve` nodes, each
with its own data directory (a copy: same DSN in DIR/store, same
passphrase file) on one PostgreSQL database, plus a `certa gate`.
Propagation is by polling the store: a trust decision made through node
A's directory reaches a gate running on node B's directory within 1 s (the
trust generation is read per handshake), and a revocation made through
node B's API is answered "revoked" by node C's OCSP responder within 1 s
(the 250 ms audit-head poll).

Uses the cluster tests/run_all.sh started ($CERTA_TEST_PG_DSN), else one
of its own (test_postgres.setUpModule)."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import test_postgres
from checks import CRASH_MARKS, CheckedTest, GateMixin
from harness import CERTA
from test_revoke_crl import crt_id


def setUpModule():
    test_postgres.setUpModule()


def tearDownModule():
    test_postgres.tearDownModule()


class Node:
    """One `certa serve` on data directory d (public + API listeners)."""

    def __init__(self, test, name, d):
        self.test, self.name, self.dir = test, name, d
        portf = test.path(name + ".port")
        apif = test.path(name + ".apiport")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CERTA_") or k == "CERTA_BIN"}
        self.err = open(test.path(name + ".err"), "wb")
        self.proc = subprocess.Popen(
            [CERTA, "--dir", d, "serve", "--public", "127.0.0.1:0",
             "--port-file", portf, "--api", "127.0.0.1:0",
             "--api-port-file", apif, "--access-log", "off"],
            stdout=subprocess.DEVNULL, stderr=self.err, env=env,
            cwd=test.tmp)
        deadline = time.time() + 20
        while time.time() < deadline:
            ports = []
            for f in (portf, apif):
                if os.path.exists(f):
                    with open(f) as fh:
                        t = fh.read().strip()
                    if t:
                        ports.append(int(t))
            if len(ports) == 2:
                self.url = "http://127.0.0.1:%d" % ports[0]
                self.api = "https://localhost:%d" % ports[1]
                return
            test.assertIsNone(self.proc.poll(), self.errtext())
            time.sleep(0.05)
        test.fail("node %s did not start: %s" % (name, self.errtext()))

    def errtext(self):
        with open(self.test.path(self.name + ".err"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=15)
            self.test.assertEqual(rc, 0, self.errtext())
        self.err.close()
        for m in CRASH_MARKS:
            self.test.assertNotIn(m, self.errtext())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


class ClusterTest(GateMixin, CheckedTest):
    init = False

    def setUp(self):
        super().setUp()
        self.nodes = []
        self.dsn = test_postgres.new_database()
        self.ok("--store", self.dsn, "init")
        self.dirs = {"a": self.dir}
        for n in ("b", "c"):
            d = self.path("data-" + n)
            shutil.copytree(self.dir, d)
            self.dirs[n] = d
        with open(os.path.join(self.dirs["c"], "store")) as f:
            self.assertEqual(f.read().strip(), self.dsn)

    def tearDown(self):
        for n in self.nodes:
            n.kill()
        super().tearDown()

    def node(self, name):
        n = Node(self, name, self.dirs[name])
        self.nodes.append(n)
        return n

    def on(self, name, *args):
        """certa run on node name's data directory."""
        r = self.certa("--dir", self.dirs[name], *args, dir=False)
        self.assertEqual(r.rc, 0, r)
        return r

    def s_client(self, cert, key):
        p = subprocess.run(
            ["openssl", "s_client", "-connect", "127.0.0.1:%d" % self.gport,
             "-CAfile", self.path("chain.pem"), "-verify_return_error",
             "-quiet", "-cert", cert, "-key", key],
            input=b"ping\n", capture_output=True, timeout=20)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def ocsp(self, node, crt):
        r = self.ossl_ok("ocsp", "-issuer", self.path("issuing.pem"),
                         "-cert", crt, "-url", node.url + "/ocsp",
                         "-CAfile", self.path("chain.pem"), "-resp_text")
        return r.text

    def curl(self, node, method, path, token, body=None):
        args = ["curl", "-sS", "-X", method, "--cacert", self.root,
                "-H", "Authorization: Bearer " + token, "-w",
                "\n%{http_code}"]
        if body is not None:
            args += ["-H", "Content-Type: application/json",
                     "--data-binary", json.dumps(body)]
        p = subprocess.run(args + [node.api + path], capture_output=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        text, _, code = p.stdout.decode().rpartition("\n")
        return int(code), (json.loads(text) if text.strip() else None)

    def test_trust_on_a_reaches_gate_on_b_within_1s(self):
        self.root, _ = self.chain_files()
        c = self.path("bob.pem")
        k = self.path("bob.key")
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", k,
                     "-out", c, "-subj", "/CN=bob", "-days", "30",
                     "-addext", "extendedKeyUsage=clientAuth")
        # The gate runs on node B's directory; a plain TCP sink upstream.
        import socket
        sink = socket.socket()
        sink.bind(("127.0.0.1", 0))
        sink.listen(16)
        self.addCleanup(sink.close)

        def answer():      # "pong" and close: s_client then returns
            while True:
                try:
                    conn, _ = sink.accept()
                except OSError:
                    return
                with conn:
                    conn.sendall(b"pong\n")
        threading.Thread(target=answer, daemon=True).start()
        self.dir = self.dirs["b"]
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % sink.getsockname()[1],
                        "--mode", "trusted_list", "--auto-reject")
        rc, out = self.s_client(c, k)
        self.assertIn("alert unknown ca", out)
        rej = json.loads(self.on("a", "trust", "list", "--list", "rejected",
                                 "--json").text)
        self.assertEqual([r["subject"] for r in rej], ["CN=bob"])
        self.on("a", "trust", "trust", rej[0]["alias"])
        t0 = time.monotonic()
        while True:
            rc, out = self.s_client(c, k)
            if "alert unknown ca" not in out:
                break
            self.assertLess(time.monotonic() - t0, 5, out)
            time.sleep(0.05)
        delay = time.monotonic() - t0
        self.assertLess(delay, 1.0)
        self.assertNotIn("alert", out)
        self.assertIn("pong", out)
        self.stop_gate()

    def test_revoke_on_b_seen_by_c_within_1s(self):
        self.root, _ = self.chain_files()
        self.ok("org", "create", "acme")
        self.ok("app", "create", "--org", "acme", "payments")
        crt = self.issue("acme/payments", "transport",
                         self.make_csr("alice", "/CN=alice"))
        token = self.on("a", "token", "create", "--role", "admin", "--name",
                        "admin").text.strip()
        a, b, c = self.node("a"), self.node("b"), self.node("c")
        for n in (a, b, c):
            self.assertIn(": good", self.ocsp(n, crt))
        code, body = self.curl(b, "POST", "/api/v1/certificates/%s/revoke" %
                               crt_id(self, crt), token,
                               {"reason": "keyCompromise"})
        self.assertIn(code, (200, 201), body)
        t0 = time.monotonic()
        while True:
            text = self.ocsp(c, crt)
            if ": revoked" in text:
                break
            self.assertIn(": good", text)
            self.assertLess(time.monotonic() - t0, 5, text)
            time.sleep(0.05)
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertIn("keyCompromise", text)
        self.assertIn(": revoked", self.ocsp(a, crt))
        for n in (a, b, c):
            n.stop()

    def test_cluster_lists_nodes_and_marks_stale(self):
        self.root, _ = self.chain_files()
        token = self.on("a", "token", "create", "--role", "auditor",
                        "--name", "aud").text.strip()
        a, b = self.node("a"), self.node("b")
        code, body = self.curl(a, "GET", "/api/v1/cluster", token)
        self.assertEqual(code, 200, body)
        self.assertIsNone(body["next"])
        nodes = {n["name"]: n for n in body["items"]}
        mine = {k: v for k, v in nodes.items()
                if int(k.rsplit(":", 1)[1]) in (a.proc.pid, b.proc.pid)}
        self.assertEqual(len(mine), 2, body)
        gen = int(test_postgres.psql_db(
            self.dsn, "SELECT generation FROM trust_generation"))
        seq = int(test_postgres.psql_db(self.dsn,
                                        "SELECT max(seq) FROM audit"))
        for n in mine.values():
            self.assertEqual(n["status"], "live")
            self.assertEqual(n["generation"], gen)
            self.assertLessEqual(n["audit_seq"], seq)
            self.assertRegex(n["id"], "^[0-9a-f]{32}$")
        # A started first and runs the periodic jobs; exactly one does.
        a_id = [n["id"] for k, n in mine.items()
                if k.endswith(":%d" % a.proc.pid)][0]
        self.assertEqual(body["jobs"]["lease"], "jobs")
        self.assertEqual(body["jobs"]["node"], a_id)
        self.assertEqual([n["id"] for n in body["items"] if n["runs_jobs"]],
                         [a_id])
        # Each node listens for changes (LISTEN/NOTIFY): one feed session
        # per process, whatever the number of store handles in it.
        t0 = time.monotonic()
        while True:
            feeds = int(test_postgres.psql_db(
                self.dsn, "SELECT count(*) FROM pg_stat_activity WHERE "
                "application_name = 'certa-feed'"))
            if feeds == 2 or time.monotonic() - t0 > 5:
                break
            time.sleep(0.1)
        self.assertEqual(feeds, 2)
        # The same list from node B (one store).
        code, body2 = self.curl(b, "GET", "/api/v1/cluster", token)
        self.assertEqual({n["id"] for n in body2["items"]},
                         {n["id"] for n in body["items"]})
        # kill -9 B: stale on A's list after 10 s without a heartbeat.
        b_name = [k for k in mine if k.endswith(":%d" % b.proc.pid)][0]
        b.kill()
        t0 = time.monotonic()
        while True:
            code, body = self.curl(a, "GET", "/api/v1/cluster", token)
            st = {n["name"]: n["status"] for n in body["items"]}
            if st[b_name] == "stale":
                break
            self.assertLess(time.monotonic() - t0, 15, body)
            time.sleep(0.5)
        self.assertGreater(time.monotonic() - t0, 7)
        a_name = [k for k in mine if k != b_name][0]
        self.assertEqual(st[a_name], "live")
        a.stop()

    def served_crl(self, node):
        """(number, serials) of the CRL node serves, verified by openssl."""
        p = subprocess.run(["curl", "-sS", "-o", self.path("served.crl"),
                            node.url + "/crl/issuing.crl"],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        t = self.ossl_ok("crl", "-inform", "DER", "-in",
                         self.path("served.crl"), "-CAfile",
                         self.path("chain.pem"), "-noout", "-text",
                         "-crlnumber")
        self.assertIn("verify OK", t.text + t.errtext)
        n = int(t.text.split("crlNumber=")[1].split()[0], 16)
        return n, set(int(x, 16) for x in re.findall(
            r"Serial Number: ([0-9A-Fa-f]+)", t.text))

    def wait_crl(self, node, serial, above, limit=5):
        t0 = time.monotonic()
        while True:
            n, serials = self.served_crl(node)
            if serial in serials and n > above:
                return n
            self.assertLess(time.monotonic() - t0, limit, (n, serials))
            time.sleep(0.2)

    def test_crl_lease_takeover_after_kill9(self):
        self.root, _ = self.chain_files()
        self.ok("org", "create", "acme")
        self.ok("app", "create", "--org", "acme", "payments")
        crts = [self.issue("acme/payments", "transport",
                           self.make_csr("c%d" % i, "/CN=c%d" % i))
                for i in range(2)]
        serial = [int(self.ossl_ok("x509", "-in", c, "-noout", "-serial")
                      .text.split("=")[1], 16) for c in crts]
        a = self.node("a")
        b = self.node("b")
        time.sleep(0.5)
        self.assertIn("now runs the periodic jobs", a.errtext())
        self.assertNotIn("now runs", b.errtext())
        n0, _ = self.served_crl(b)
        # A revocation: the holder (A) makes one CRL; B serves that one.
        self.on("b", "cert", "revoke", crt_id(self, crts[0]), "--reason",
                "keyCompromise")
        n1 = self.wait_crl(a, serial[0], n0)
        self.assertEqual(self.wait_crl(b, serial[0], n0), n1)
        # kill -9 A: B takes the lease over within 10 s ...
        a.kill()
        t0 = time.monotonic()
        while "now runs the periodic jobs" not in b.errtext():
            self.assertLess(time.monotonic() - t0, 10, b.errtext())
            time.sleep(0.2)
        # ... and makes the next CRL itself: its number keeps growing.
        self.on("b", "cert", "revoke", crt_id(self, crts[1]), "--reason",
                "keyCompromise")
        n2 = self.wait_crl(b, serial[1], n1)
        self.assertGreater(n2, n1)
        self.assertIn(serial[0], self.served_crl(b)[1])
        b.stop()
