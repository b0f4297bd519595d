"""certa store migrate (GitHub issue 8): a single-node SQLite store copied
into PostgreSQL without loss.  A data directory made with certa (orgs,
apps, certificates, one with a server-generated key, a revocation, a
trust import, a token, a deleted organisation leaving a hole in the ids)
is migrated into an empty database of the test cluster; a second data
directory pointed at that database (DIR/store, the passphrase file
copied) must show the same certificates, verify its audit chain, list the
revoked serial in its CRL (openssl crl), know the token and export the
server-keygen certificate's PKCS#12.  The notification state goes along
(test_notification_state): a per-certificate opt-out, notices sent to a
webhook receiver, notices pending after a failed attempt on a dead
channel, and the delivery log of both arrive row for row with their ids,
so the target neither notifies twice nor forgets a retry.  A target that
holds anything is refused with a clear message and left as it was.

The cluster is the one tests/run_all.sh started ($CERTA_TEST_PG_DSN),
else one started here with tests/pg.sh (test_postgres.py)."""
import calendar
import json
import os
import shutil
import time

import test_postgres
from checks import CheckedTest
from harness import free_port
from test_notify import SECRET, Receiver
from test_postgres import new_database, psql_db
from test_revoke_crl import crl_entries

DAY = 86400

# The notification tables, every column, in id order.
NOTIFY_ROWS = {
    "notify_channel": "SELECT id, org_id, kind, target, secret, enabled, "
                      "created_at FROM notify_channel ORDER BY id",
    "notify_cert_off": "SELECT cert_id, created_at FROM notify_cert_off "
                       "ORDER BY cert_id",
    "notice": "SELECT id, cert_id, threshold_days, channel_id, status, "
              "attempts, next_attempt_at, created_at, done_at FROM notice "
              "ORDER BY id",
    "notify_delivery": "SELECT id, notice_id, attempt, time, ok, code, "
                       "error, next_attempt_at FROM notify_delivery "
                       "ORDER BY id",
}


def setUpModule():
    test_postgres.setUpModule()


def tearDownModule():
    test_postgres.tearDownModule()


class StoreMigrateTest(CheckedTest):

    def setUp(self):
        super().setUp()
        self.dsn = new_database()
        self.pw = self.write("p12.pw", "p12 secret\n")
        # A hole in the organisation ids: 'gone' is deleted.
        self.ok("org", "create", "gone")
        app = self.setup_app()
        self.ok("org", "create", "other")
        self.ok("app", "create", "--org", "other", "api")
        self.ok("org", "delete", "gone")
        self.crts = [self.issue(app, "transport",
                                self.make_csr("c%d" % i, "/CN=c%d" % i))
                     for i in range(3)]
        self.ok("cert", "issue", "--app", app, "--type", "transport",
                "--generate-key", "ec:P-256", "--subject", "CN=keygen",
                "--p12-out", self.path("keygen.p12"), "--p12-pass-file",
                self.pw)
        self.ok("cert", "revoke", "2", "--reason", "keyCompromise")
        self.ok("trust", "import", self.crts[0])
        self.token = self.ok("token", "create", "--role", "admin", "--name",
                             "ops").out

    def migrate(self, *extra, to=None):
        return self.certa("store", "migrate", "--from",
                          "sqlite:" + os.path.join(self.dir, "certa.db"),
                          "--to", to or self.dsn, *extra, dir=False)

    def pg_dir(self):
        """A data directory on the migrated database."""
        d = self.path("pgdata")
        os.mkdir(d, 0o700)
        shutil.copy(os.path.join(self.dir, "passphrase"), d)
        with open(os.path.join(d, "store"), "w") as f:
            f.write(self.dsn + "\n")
        os.chmod(os.path.join(d, "store"), 0o600)
        return d

    def on(self, d, *args):
        r = self.certa("--dir", d, *args, dir=False)
        self.assertEqual(r.rc, 0, r)
        return r

    def certs(self, d):
        rows = json.loads(self.on(d, "cert", "list", "--json").out)
        self.assertTrue(all(len(c["fingerprint_sha256"]) == 64
                            for c in rows))
        return rows

    def test_migrate_sqlite_to_postgres(self):
        r = self.migrate("--json")
        self.assertEqual(r.rc, 0, r)
        s = json.loads(r.out)
        self.assertEqual((s["from"], s["to"]), ("sqlite", "postgres"))
        self.assertEqual(s["certificates"], 4)
        self.assertEqual(s["revoked"], 1)
        self.assertEqual(s["organisations"], 2)
        self.assertEqual(s["applications"], 2)
        self.assertEqual(s["tokens"], 1)
        self.assertEqual(s["trust_entries"], 1)
        d = self.pg_dir()
        self.assertFalse(os.path.exists(os.path.join(d, "certa.db")))
        # Same certificates: ids, serials, fingerprints, status, all.
        self.assertEqual(self.certs(d), self.certs(self.dir))
        self.assertEqual(int(psql_db(self.dsn,
                                     "SELECT count(*) FROM certificate")), 4)
        # Ids kept across the hole: the org list is the same.
        orgs = json.loads(self.on(d, "org", "list", "--json").out)
        src = json.loads(self.ok("org", "list", "--json").out)
        self.assertEqual(orgs, src)
        self.assertIn("intact", self.on(d, "audit", "verify").text)
        n_src = len(self.ok("audit", "list", "--json").out.splitlines())
        # The revoked certificate is in the CRL the target generates.
        out = self.path("crl.der")
        self.on(d, "crl", "--out", out, "--format", "der")
        t = self.ossl_ok("crl", "-inform", "DER", "-in", out, "-noout",
                         "-text")
        serial = int(self.ossl_ok("x509", "-in", self.crts[1], "-noout",
                                  "-serial").text.split("=")[1], 16)
        self.assertEqual(crl_entries(t.text), {serial: "Key Compromise"})
        # The token, the trust entry.
        self.assertIn("ops", self.on(d, "token", "list").text)
        self.assertIn("trusted", self.on(d, "trust", "list").text)
        # The server-generated key decrypts under the copied passphrase.
        p12 = self.path("again.p12")
        self.on(d, "cert", "export", "4", "--format", "p12",
                "--password-file", self.pw, "--out", p12)
        r = self.ossl_ok("pkcs12", "-in", p12, "-passin", "file:" + self.pw,
                         "-nodes", "-nocerts")
        self.assertIn("PRIVATE KEY", r.text)
        # The target carries on: a new certificate gets the next id.
        self.on(d, "org", "create", "fresh")
        self.assertGreater(
            len(self.on(d, "audit", "list", "--json").out.splitlines()),
            n_src)
        self.assertIn("intact", self.on(d, "audit", "verify").text)

    def sqlite_rows(self, sql):
        """Rows of the source as psql -A -t prints them."""
        with self.db() as c:
            return "\n".join("|".join("" if v is None else str(v)
                                       for v in row)
                              for row in c.execute(sql))

    def test_notification_state(self):
        rcv = Receiver()
        self.addCleanup(rcv.close)
        self.write("secret", SECRET + "\n")
        self.ok("notify", "channel", "add", "--webhook", rcv.url,
                "--secret-file", self.path("secret"))
        # A dead channel: its notices stay pending, to be retried.
        self.ok("notify", "channel", "add", "--webhook",
                "http://127.0.0.1:%d/" % free_port(), "--secret-file",
                self.path("secret"))
        # Certificate 1 opted out; 2 is revoked; 3 and 4 are notified.
        self.ok("notify", "disable", "--cert", "1")
        info = json.loads(self.ok("cert", "show", "3", "--json").out)
        na = calendar.timegm(time.strptime(info["not_after"],
                                           "%Y-%m-%dT%H:%M:%SZ"))
        now = na - 40 * DAY
        s = json.loads(self.ok("notify", "run", "--now", str(now),
                               "--json").out)
        self.assertEqual(s["claimed"], 4, s)	# 2 certificates x 2 channels
        self.assertEqual(len(rcv.got), 2)
        with self.db() as c:
            self.assertEqual(sorted(c.execute(
                "SELECT cert_id, status, attempts FROM notice")),
                [(3, 0, 1), (3, 1, 1), (4, 0, 1), (4, 1, 1)])
            self.assertEqual(sorted(c.execute(
                "SELECT ok FROM notify_delivery")), [(0,), (0,), (1,), (1,)])
        log = json.loads(self.ok("notify", "log", "--json").out)
        self.assertEqual(len(log), 4)

        r = self.migrate("--json")
        self.assertEqual(r.rc, 0, r)
        s = json.loads(r.out)
        self.assertEqual((s["notify_channels"], s["notify_opt_outs"],
                          s["notices"], s["notify_deliveries"]),
                         (2, 1, 4, 4), s)
        self.assertNotIn("deliveries_skipped", s)
        # Row for row, ids and times included.
        for table, sql in NOTIFY_ROWS.items():
            src = self.sqlite_rows(sql)
            self.assertTrue(src, table)
            self.assertEqual(psql_db(self.dsn, sql), src, table)
        self.assertEqual(psql_db(self.dsn, "SELECT cert_id FROM "
                                 "notify_cert_off"), "1")
        self.assertEqual(psql_db(self.dsn, "SELECT count(*) FROM notice "
                                 "WHERE status = 1 AND done_at > 0"), "2")
        # The target carries on from there: the same log, nothing claimed
        # or sent twice, the opt-out honoured, new ids after the copied.
        d = self.pg_dir()
        self.assertEqual(json.loads(self.on(d, "notify", "log",
                                            "--json").out), log)
        s = json.loads(self.on(d, "notify", "run", "--now", str(now + 60),
                               "--json").out)
        self.assertEqual(s["claimed"], 0, s)
        self.assertEqual(len(rcv.got), 2)
        self.on(d, "notify", "enable", "--cert", "1")
        s = json.loads(self.on(d, "notify", "run", "--now", str(now + 120),
                               "--json").out)
        self.assertEqual(s["claimed"], 2, s)	# certificate 1, now
        # (Larger, not next: a refused claim uses up a PostgreSQL id.)
        self.assertGreater(int(psql_db(self.dsn, "SELECT min(id) FROM "
                                       "notice WHERE cert_id = 1")), 4)
        self.assertIn("intact", self.on(d, "audit", "verify").text)

    def test_refuses_non_empty_target(self):
        self.assertEqual(self.migrate().rc, 0)
        before = psql_db(self.dsn, "SELECT count(*) FROM audit") + \
            psql_db(self.dsn, "SELECT count(*) FROM certificate")
        r = self.migrate()
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("not empty", r.errtext)
        self.assertIn("nothing was changed", r.errtext)
        after = psql_db(self.dsn, "SELECT count(*) FROM audit") + \
            psql_db(self.dsn, "SELECT count(*) FROM certificate")
        self.assertEqual(before, after)
        # A database made by init holds CAs: refused as well.
        other = new_database()
        self.ok("--store", other, "--dir", self.path("initd"), "init",
                dir=False)
        r = self.migrate(to=other)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("not empty", r.errtext)
        self.assertEqual(psql_db(other, "SELECT count(*) FROM certificate"),
                         "0")

    def test_target_that_differs_rolls_back(self):
        """A target that does not read back what was written (a trigger
        there alters every certificate it is given) fails the copy's
        verification: the whole copy is rolled back, the message names
        the certificate, and once the trigger is gone the same migrate
        succeeds."""
        # The schema alone: a copy of an empty store leaves the target
        # empty (and migratable) but with its tables.
        empty = "sqlite:" + self.path("empty.db")
        r = self.certa("store", "migrate", "--from", empty, "--to",
                       self.dsn, dir=False)
        self.assertEqual(r.rc, 0, r)
        psql_db(self.dsn, "CREATE FUNCTION e2e_alter() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN NEW.der := NEW.der || "
                "'\\x00'::bytea; RETURN NEW; END $$")
        psql_db(self.dsn, "CREATE TRIGGER e2e_alter BEFORE INSERT ON "
                "certificate FOR EACH ROW EXECUTE FUNCTION e2e_alter()")
        r = self.migrate()
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("differs in the target", r.errtext)
        for table in ("organisation", "application", "ca", "certificate",
                      "audit", "api_token", "trust_entry"):
            self.assertEqual(psql_db(self.dsn, "SELECT count(*) FROM %s"
                                     % table), "0", table)
        psql_db(self.dsn, "DROP TRIGGER e2e_alter ON certificate")
        r = self.migrate()
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.certs(self.pg_dir())), 4)

    def test_usage(self):
        r = self.certa("store", "migrate", "--from", "x.db", dir=False)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("--to", r.errtext)
