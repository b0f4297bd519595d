"""certa as a cluster under load (GitHub issue 8): certificates issued
through the HTTPS API by concurrent clients while one of three nodes is
killed with SIGKILL, and while the PostgreSQL server of a single node is
halted for ~10 s.  Whatever a client was answered 201 for is in the store
exactly once, no serial repeats, and the daemon recovers by itself.

Uses the cluster tests/run_all.sh started ($CERTA_TEST_PG_DSN), else one
of its own (test_postgres.setUpModule); the outage test halts a cluster of
its own (tests/pg.sh halt/resume)."""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import test_postgres
from checks import CheckedTest, ServeMixin
from test_cluster import Node

ISSUE_PATH = "/api/v1/applications/payments/certificates"
NCSR = 6


def setUpModule():
    test_postgres.setUpModule()


def tearDownModule():
    test_postgres.tearDownModule()


def post_issue(api, token, csr, timeout):
    """One POST over a fresh TLS connection: (status, content-type, body).
    Connection failures raise OSError / http.client.HTTPException."""
    host, port = api.rsplit("//", 1)[1].rsplit(":", 1)
    ctx = ssl._create_unverified_context()
    conn = http.client.HTTPSConnection("127.0.0.1", int(port),
                                       timeout=timeout, context=ctx)
    try:
        conn.request("POST", ISSUE_PATH,
                     json.dumps({"type": "transport", "csr": csr}),
                     {"Authorization": "Bearer " + token,
                      "Content-Type": "application/json",
                      "Host": host})
        r = conn.getresponse()
        data = r.read()
        ctype = r.getheader("Content-Type", "")
        body = json.loads(data) if data and ctype.endswith("json") else data
        return r.status, ctype, body
    finally:
        conn.close()


class LoadMixin:
    def make_csrs(self):
        out = []
        for i in range(NCSR):
            with open(self.make_csr("load%d" % i, "/CN=load%d" % i)) as f:
                out.append(f.read())
        return out

    def stored(self, d):
        """The store's certificates, seen through `certa cert list`."""
        r = self.certa("--dir", d, "cert", "list", "--json", dir=False)
        self.assertEqual(r.rc, 0, r)
        return json.loads(r.out)

    def check_store(self, d, answers, what):
        """Every 201 answer in the store exactly once; serials unique.
        Returns the stored certificates no client was answered for."""
        certs = self.stored(d)
        ids = [c["id"] for c in certs]
        serials = [c["serial"] for c in certs]
        self.assertEqual(len(ids), len(set(ids)), "id repeated")
        self.assertEqual(len(serials), len(set(serials)), "serial repeated")
        by_id = {c["id"]: c for c in certs}
        aids = [a["id"] for a in answers]
        self.assertEqual(len(aids), len(set(aids)),
                         "one id answered twice")
        aser = [a["serial"] for a in answers]
        self.assertEqual(len(aser), len(set(aser)),
                         "one serial answered twice")
        for a in answers:
            self.assertIn(a["id"], by_id, "answered 201 but not stored: %r"
                          % a)
            s = by_id[a["id"]]
            self.assertEqual(s["serial"], a["serial"])
            self.assertEqual(s["fingerprint_sha256"],
                             a["fingerprint_sha256"])
            self.assertEqual(ids.count(a["id"]), 1)
        self.assertGreaterEqual(len(certs), len(answers))
        extra = sorted(set(by_id) - set(aids))
        sys.stderr.write("\n  %s: %d answered 201, %d stored, %d stored "
                         "without an answer (in flight)\n" %
                         (what, len(answers), len(certs), len(extra)))
        return extra


class ClusterKillLoadTest(LoadMixin, CheckedTest):
    init = False

    def setUp(self):
        super().setUp()
        self.nodes = []
        self.dsn = test_postgres.new_database()
        self.ok("--store", self.dsn, "init")
        self.ok("org", "create", "acme")
        self.ok("app", "create", "--org", "acme", "payments")
        self.token = self.ok("token", "create", "--role", "admin",
                             "--name", "admin").text.strip()
        self.dirs = {"a": self.dir}
        for n in ("b", "c"):
            d = self.path("data-" + n)
            shutil.copytree(self.dir, d)
            self.dirs[n] = d

    def tearDown(self):
        for n in self.nodes:
            n.kill()
        super().tearDown()

    def test_kill9_under_issuance(self):
        csrs = self.make_csrs()
        nodes = []
        for name in ("a", "b", "c"):
            n = Node(self, name, self.dirs[name])
            self.nodes.append(n)
            nodes.append(n)
        # The victim is the node that runs the periodic jobs (a started
        # first and took the lease): they must move to a survivor.
        victim = nodes[0]
        lock = threading.Lock()
        answers, others, conn_errors = [], [], {}
        after_kill = [0]
        killed_at = [None]
        t_end = time.monotonic() + 8.0

        def client(k):
            i = k
            j = 0
            while time.monotonic() < t_end:
                n = nodes[i % 3]
                i += 1
                j += 1
                try:
                    st, ctype, body = post_issue(n.api, self.token,
                                                 csrs[(k + j) % NCSR], 20)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        conn_errors.setdefault(n.name, []).append(repr(e))
                    continue        # retry on the next node
                with lock:
                    if st == 201:
                        answers.append(body)
                        if killed_at[0] is not None and n is not victim:
                            after_kill[0] += 1
                    elif not (st == 503 and isinstance(body, dict) and
                              body.get("code") == "busy"):
                        others.append((n.name, st, body))

        threads = [threading.Thread(target=client, args=(k,), daemon=True)
                   for k in range(3)]
        for t in threads:
            t.start()
        time.sleep(3.0)
        jobs = "now runs the periodic jobs"
        self.assertIn(jobs, victim.errtext())
        self.assertFalse([n.name for n in nodes[1:] if jobs in n.errtext()])
        with lock:
            before = len(answers)
        victim.proc.kill()
        victim.proc.wait()
        killed_at[0] = time.monotonic()
        for t in threads:
            t.join(timeout=60)
            self.assertFalse(t.is_alive(), "client hung")
        victim.err.close()
        sys.stderr.write("\n  kill -9: %d answers before the kill, %d after "
                         "(on survivors); connection errors %r\n" %
                         (before, after_kill[0],
                          {k: len(v) for k, v in conn_errors.items()}))
        self.assertEqual(others, [])
        self.assertGreater(before, 0)
        self.assertGreater(after_kill[0], 0)
        # Connection errors only on the killed node.
        self.assertEqual(set(conn_errors) - {"a"}, set(), conn_errors)
        # The periodic jobs (CRL, notices, reissue grace) moved to exactly
        # one survivor within the lease's expiry plus a heartbeat.
        while not [n for n in nodes[1:] if jobs in n.errtext()]:
            self.assertLess(time.monotonic() - killed_at[0], 10,
                            [n.errtext() for n in nodes[1:]])
            time.sleep(0.2)
        self.assertEqual(len([n for n in nodes[1:] if jobs in n.errtext()]),
                         1)
        nodes[1].stop()
        nodes[2].stop()
        self.check_store(self.dirs["a"], answers, "kill -9")
        self.ok("audit", "verify")


class OutageLoadTest(LoadMixin, ServeMixin, CheckedTest):
    init = False

    def setUp(self):
        super().setUp()
        self.pgdir = tempfile.mkdtemp(prefix="certa-pg-load-")
        p = subprocess.run([test_postgres.PG_SH, "start", self.pgdir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.ok("--store", p.stdout.decode().strip(), "init")
        self.ok("org", "create", "acme")
        self.ok("app", "create", "--org", "acme", "payments")
        self.token = self.ok("token", "create", "--role", "admin",
                             "--name", "admin").text.strip()

    def tearDown(self):
        super().tearDown()
        subprocess.run([test_postgres.PG_SH, "stop", self.pgdir],
                       timeout=120)

    def pg(self, action):
        p = subprocess.run([test_postgres.PG_SH, action, self.pgdir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

    def readyz(self):
        host, port = self.api.rsplit("//", 1)[1].rsplit(":", 1)
        conn = http.client.HTTPSConnection(
            "127.0.0.1", int(port), timeout=10,
            context=ssl._create_unverified_context())
        try:
            conn.request("GET", "/readyz", headers={"Host": host})
            r = conn.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            return 0
        finally:
            conn.close()

    def test_database_outage_under_load(self):
        csrs = self.make_csrs()
        self.start()
        self.assertEqual(self.readyz(), 200)
        lock = threading.Lock()
        log = []            # (start, duration, status, code)
        answers, bad = [], []
        stop = threading.Event()

        def client():
            j = 0
            while not stop.is_set():
                j += 1
                t0 = time.monotonic()
                try:
                    st, ctype, body = post_issue(self.api, self.token,
                                                 csrs[j % NCSR], 30)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        bad.append(("connection", repr(e)))
                        log.append((t0, time.monotonic() - t0, 0, None))
                    time.sleep(0.1)
                    continue
                dt = time.monotonic() - t0
                code = body.get("code") if isinstance(body, dict) else None
                with lock:
                    log.append((t0, dt, st, code))
                    if st == 201:
                        answers.append(body)
                    elif not (st == 503 and
                              ctype == "application/problem+json" and
                              code in ("busy", "not_ready")):
                        bad.append((st, ctype, body))
                if st != 201:
                    time.sleep(0.1)

        th = threading.Thread(target=client, daemon=True)
        th.start()
        time.sleep(2.0)
        halt_at = time.monotonic()
        self.pg("halt")
        time.sleep(10.0)
        self.assertNotEqual(self.readyz(), 200)
        self.pg("resume")
        resumed = time.monotonic()
        # Recovers by itself: /readyz 200 and a new issuance within 10 s.
        ok_at = None
        while time.monotonic() < resumed + 10:
            with lock:
                ok_at = next((t for t, d, st, _ in log
                              if st == 201 and t > resumed), None)
            if ok_at is not None and self.readyz() == 200:
                break
            time.sleep(0.2)
        stop.set()
        th.join(timeout=40)
        self.assertFalse(th.is_alive(), "client hung")
        self.assertIsNotNone(ok_at, "no issuance within 10 s of resume")
        self.assertEqual(self.readyz(), 200)
        during = [(d, st, c) for t, d, st, c in log
                  if halt_at <= t + d and t <= resumed]
        fails = [x for x in during if x[1] != 201]
        sys.stderr.write("\n  outage: %d requests during it, %d failed "
                         "(%r), slowest %.2f s; recovered %.2f s after "
                         "resume\n" %
                         (len(during), len(fails),
                          sorted(set((st, c) for _, st, c in fails)),
                          max([d for d, _, _ in during] or [0]),
                          ok_at - resumed))
        self.assertEqual(bad, [])
        self.assertGreater(len(fails), 0)
        for _, d, st, c in log:
            self.assertLess(d, 12.0, "a request hung %.1f s" % d)
        self.stop()
        self.check_store(self.dir, answers, "outage")
        self.ok("audit", "verify")
