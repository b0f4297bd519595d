"""certa on PostgreSQL (GitHub issue 8): a data directory whose store is a
PostgreSQL database (certa --store postgresql://... init), judged by
openssl: issue, revoke, a CRL verified by `openssl crl` that lists the
revoked serial with a growing CRL number, OCSP from `certa serve`
answering "revoked"; a second directory refused on the same database;
a store that cannot be reached failing fast with a clear message; and
the daemon answering 503 during an outage of its own cluster, then
recovering without a restart.

The cluster is the one tests/run_all.sh started ($CERTA_TEST_PG_DSN, a
superuser DSN), else one started here with tests/pg.sh."""
import json
import os
import socket
import subprocess
import tempfile
import time

from checks import CheckedTest, ServeMixin
from test_revoke_crl import crl_entries, crt_id

HERE = os.path.dirname(os.path.abspath(__file__))
PG_SH = os.path.join(HERE, "..", "pg.sh")
_cluster = {"dir": None, "dsn": None, "n": 0}


def setUpModule():
    dsn = os.environ.get("CERTA_TEST_PG_DSN")
    if not dsn:
        d = tempfile.mkdtemp(prefix="certa-pg-e2e-")
        p = subprocess.run([PG_SH, "start", d], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("tests/pg.sh start: %s" %
                               p.stderr.decode(errors="replace"))
        _cluster["dir"] = d
        dsn = p.stdout.decode().strip()
    _cluster["dsn"] = dsn


def tearDownModule():
    if _cluster["dir"]:
        subprocess.run([PG_SH, "stop", _cluster["dir"]], timeout=120)


def psql(sql):
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        _cluster["dsn"], "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError("psql %s: %s" % (sql, p.stderr.decode()))
    return p.stdout.decode()


def new_database():
    """A fresh, empty database on the cluster; its DSN."""
    _cluster["n"] += 1
    name = "certa_e2e_%d_%d" % (os.getpid(), _cluster["n"])
    psql("CREATE DATABASE %s" % name)
    base = _cluster["dsn"].rsplit("/", 1)[0]
    return base + "/" + name


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PostgresTest(ServeMixin, CheckedTest):
    init = False

    def setUp(self):
        super().setUp()
        self.dsn = new_database()
        r = self.certa("--store", self.dsn, "init")
        self.assertEqual(r.rc, 0, r)

    def count(self, table):
        return int(psql_db(self.dsn, "SELECT count(*) FROM %s" % table))

    def test_directory_names_the_database(self):
        # No SQLite file: DIR/store (0600) holds the DSN.
        self.assertFalse(os.path.exists(os.path.join(self.dir, "certa.db")))
        st = os.stat(os.path.join(self.dir, "store"))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        with open(os.path.join(self.dir, "store")) as f:
            self.assertEqual(f.read().strip(), self.dsn)
        cas = self.ok("ca", "list").text
        self.assertIn("issuing", cas)
        self.assertEqual(self.count("ca"), 2)
        # CA keys at rest are encrypted in the database too.
        keys = psql_db(self.dsn, "SELECT string_agg(key_pem, '') FROM ca")
        self.assertIn("ENCRYPTED PRIVATE KEY", keys)
        self.assertNotIn("BEGIN PRIVATE KEY", keys)
        # The audit chain is intact.
        self.ok("audit", "verify")

    def test_issue_revoke_crl_ocsp(self):
        app = self.setup_app()
        root, issuing = self.chain_files()
        bundle = self.path("chain.pem")
        good = self.issue(app, "transport", self.make_csr("good", "/CN=good"))
        bad = self.issue(app, "transport", self.make_csr("bad", "/CN=bad"))
        self.ossl_ok("verify", "-CAfile", bundle, good)
        bad_id = crt_id(self, bad)
        self.ok("cert", "revoke", bad_id, "--reason", "keyCompromise")
        r = self.certa("cert", "revoke", bad_id, "--reason", "superseded")
        self.assertNotEqual(r.rc, 0, r)           # revoked already
        self.assertEqual(self.count("certificate"), 2)

        numbers = []
        for i in range(2):
            out = self.path("crl%d.der" % i)
            self.ok("crl", "--out", out, "--format", "der")
            t = self.ossl_ok("crl", "-inform", "DER", "-in", out, "-CAfile",
                             bundle, "-noout", "-text")
            self.assertIn("verify OK", t.text + t.errtext)
            entries = crl_entries(t.text)
            serial = int(self.ossl_ok("x509", "-in", bad, "-noout",
                                      "-serial").text.split("=")[1], 16)
            self.assertEqual(entries, {serial: "Key Compromise"})
            n = self.ossl_ok("crl", "-inform", "DER", "-in", out, "-noout",
                             "-crlnumber").text
            numbers.append(int(n.strip().split("=")[1], 16))
        self.assertGreater(numbers[1], numbers[0])

        # openssl verify -crl_check refuses the revoked one only.
        self.ossl_ok("crl", "-inform", "DER", "-in", self.path("crl1.der"),
                     "-out", self.path("crl.pem"))
        with open(self.path("chain-crl.pem"), "w") as f:
            f.write(open(bundle).read() + open(self.path("crl.pem")).read())
        self.ossl_ok("verify", "-crl_check", "-CAfile",
                     self.path("chain-crl.pem"), good)
        r = self.openssl("verify", "-crl_check", "-CAfile",
                         self.path("chain-crl.pem"), bad)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("revoked", r.text + r.errtext)

        # OCSP from the daemon running on the same database.
        self.start(api=False)
        for crt, want in ((good, ": good"), (bad, ": revoked")):
            r = self.ossl_ok("ocsp", "-issuer", issuing, "-cert", crt,
                             "-url", self.url + "/ocsp", "-CAfile", bundle,
                             "-resp_text")
            self.assertIn(want, r.text, r)
        self.stop()

    def test_second_directory_refused(self):
        other = self.path("other")
        r = self.certa("--store", self.dsn, "--dir", other, "init",
                       dir=False)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("holds a CA already", r.errtext)
        self.assertFalse(os.path.exists(os.path.join(other, "store")))
        self.assertEqual(self.count("ca"), 2)

    def test_unreachable_fails_fast(self):
        dead = "postgresql://certa@127.0.0.1:%d/certa" % closed_port()
        t0 = time.monotonic()
        r = self.certa("--store", dead, "--dir", self.path("dead"), "init",
                       dir=False)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("unreachable", r.errtext)
        self.assertFalse(os.path.exists(self.path("dead", "store")))
        # An initialised directory whose database went away.
        with open(os.path.join(self.dir, "store"), "w") as f:
            f.write(dead + "\n")
        t0 = time.monotonic()
        r = self.certa("cert", "list")
        self.assertLess(time.monotonic() - t0, 10)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("unreachable", r.errtext)
        self.assertEqual(len(r.errtext.strip().splitlines()), 1, r)


class PostgresOutageTest(ServeMixin, CheckedTest):
    """`certa serve` on a cluster of its own that goes away and comes
    back: /readyz answers 503 at once while PostgreSQL is down, and 200
    again once it is back (the connection is re-established)."""
    init = False

    def setUp(self):
        super().setUp()
        self.pgdir = tempfile.mkdtemp(prefix="certa-pg-outage-")
        p = subprocess.run([PG_SH, "start", self.pgdir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.ok("--store", p.stdout.decode().strip(), "init")

    def tearDown(self):
        super().tearDown()
        subprocess.run([PG_SH, "stop", self.pgdir], timeout=120)

    def pg(self, action):
        p = subprocess.run([PG_SH, action, self.pgdir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)

    def readyz(self):
        p = subprocess.run(["curl", "-sk", "-m", "10", "-o", "/dev/null",
                            "-w", "%{http_code}", self.api + "/readyz"],
                           stdout=subprocess.PIPE, timeout=30)
        return int(p.stdout.decode() or 0)

    def test_outage_is_503_then_recovers(self):
        self.start()
        self.assertEqual(self.readyz(), 200)
        self.pg("halt")
        t0 = time.monotonic()
        self.assertEqual(self.readyz(), 503)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(self.readyz(), 503)     # inside the backoff
        self.pg("resume")
        deadline = time.monotonic() + 20
        code = 0
        while time.monotonic() < deadline:
            code = self.readyz()
            if code == 200:
                break
            time.sleep(0.2)
        self.assertEqual(code, 200)
        self.stop()


def psql_db(dsn, sql):
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", dsn, "-c", sql],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError("psql %s: %s" % (sql, p.stderr.decode()))
    return p.stdout.decode().strip()
