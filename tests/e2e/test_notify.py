"""Expiry notifications (certa notify, certa serve's scheduler) against
real peers in this process: an HTTP webhook receiver (http.server) that
checks the HMAC-SHA256 signature over the raw body, and a minimal SMTP
sink (socketserver).  Time is moved with `certa notify run --now`."""
import calendar
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
import time
import unittest

from checks import ServeMixin
from harness import CertaTest, free_port

SECRET = "e2e-webhook-secret-0123456789"
DAY = 86400


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        want = "sha256=" + hmac.new(SECRET.encode(), body,
                                    hashlib.sha256).hexdigest()
        good = hmac.compare_digest(self.headers.get("X-Certa-Signature", ""),
                                   want)
        self.server.got.append({"body": json.loads(body), "sig_ok": good,
                                "delivery":
                                self.headers.get("X-Certa-Delivery"),
                                "type": self.headers.get("Content-Type")})
        self.send_response(200 if good else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


class Receiver:
    """The webhook receiver on port (0: any free port)."""

    def __init__(self, port=0):
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
        self.srv.got = []
        self.port = self.srv.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    @property
    def got(self):
        return self.srv.got

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for libcurl: one mail per session."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        mail = {"from": None, "rcpt": [], "data": b""}
        self.reply("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip()
            up = cmd.upper()
            if up.startswith("EHLO") or up.startswith("HELO"):
                self.reply("250 sink")
            elif up.startswith("MAIL FROM:"):
                mail["from"] = cmd[10:].strip()
                self.reply("250 ok")
            elif up.startswith("RCPT TO:"):
                mail["rcpt"].append(cmd[8:].strip())
                self.reply("250 ok")
            elif up == "DATA":
                self.reply("354 go ahead")
                data = b""
                while True:
                    dl = self.rfile.readline()
                    if dl in (b".\r\n", b".\n", b""):
                        break
                    data += dl
                mail["data"] = data
                self.server.mails.append(mail)
                self.reply("250 queued")
            elif up == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class SmtpSink:
    def __init__(self):
        self.srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Smtp)
        self.srv.daemon_threads = True
        self.srv.mails = []
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class NotifyTest(CertaTest):
    def setUp(self):
        super().setUp()
        self.peers = []
        self.app = self.setup_app()
        self.write("secret", SECRET + "\n")

    def tearDown(self):
        for p in self.peers:
            p.close()
        super().tearDown()

    def receiver(self, port=0):
        r = Receiver(port)
        self.peers.append(r)
        return r

    def issue_days(self, days, cn="client"):
        """A certificate valid for days; returns (id, not_after)."""
        csr = self.make_csr(cn, subj="/CN=" + cn)
        r = self.ok("cert", "issue", "--app", self.app, "--type", "transport",
                    "--csr", csr, "--validity", "%dd" % days, "--json")
        c = json.loads(r.out)
        info = json.loads(self.ok("cert", "show", c["id"], "--json").out)
        t = time.strptime(info["not_after"], "%Y-%m-%dT%H:%M:%SZ")
        return c["id"], calendar.timegm(t)

    def run_at(self, t):
        r = self.ok("notify", "run", "--now", str(int(t)), "--json")
        return json.loads(r.out)

    def log(self):
        return json.loads(self.ok("notify", "log", "--json").out)

    def add_webhook(self, url):
        r = self.ok("notify", "channel", "add", "--webhook", url,
                    "--secret-file", self.path("secret"))
        return r.text.split()[-1]

    def test_webhook_each_threshold_once(self):
        rcv = self.receiver()
        cid, na = self.issue_days(40)
        self.add_webhook(rcv.url)
        now = na - 40 * DAY
        s = self.run_at(now)
        self.assertEqual((s["claimed"], s["delivered"]), (1, 1), s)
        s = self.run_at(now + 60)		# again: nothing new
        self.assertEqual((s["claimed"], s["attempted"]), (0, 0), s)
        self.assertEqual(len(rcv.got), 1)
        g = rcv.got[0]
        self.assertTrue(g["sig_ok"], g)
        self.assertEqual(g["type"], "application/json")
        b = g["body"]
        self.assertEqual(b["event"], "certificate.expiring")
        self.assertEqual(b["threshold_days"], 90)
        self.assertEqual(b["days_left"], 40)
        self.assertEqual(b["certificate"]["id"], cid)
        self.assertEqual(b["certificate"]["application"], "payments")
        self.assertEqual(b["certificate"]["organisation"], "acme")
        self.assertEqual(b["certificate"]["subject"], "CN=client")
        self.assertEqual(b["certificate"]["type"], "transport")
        self.assertTrue(b["certificate"]["not_after"].endswith("Z"))
        self.assertTrue(g["delivery"].isdigit())
        # The 30-, 7- and 1-day notices, each once across two runs.
        for left, th in ((25, 30), (6, 7), (0.5, 1)):
            for _ in range(2):
                self.run_at(na - left * DAY)
            self.assertEqual(rcv.got[-1]["body"]["threshold_days"], th)
        self.assertEqual([g["body"]["threshold_days"] for g in rcv.got],
                         [90, 30, 7, 1])
        self.assertEqual(len({g["delivery"] for g in rcv.got}), 4)
        self.assertEqual(self.count("notice"), 4)
        self.assertTrue(all(d["ok"] for d in self.log()))
        # The secret is stored for signing but never shown or audited.
        lst = self.ok("notify", "channel", "list", "--json").text
        self.assertNotIn(SECRET, lst)
        self.assertIn('"secret": true', lst)
        self.assertNotIn(SECRET, self.ok("audit", "list").text)

    def test_renewed_certificate_not_notified(self):
        # A certificate with a valid successor (renewed) is not expiring
        # in any sense that matters: only the one not renewed is notified.
        rcv = self.receiver()
        self.add_webhook(rcv.url)
        old, na = self.issue_days(20, "old")
        keep, _ = self.issue_days(20, "keep")
        self.ok("cert", "renew", old, "--csr",
                self.make_csr("new", subj="/CN=old"))
        s = self.run_at(na - 19 * DAY)
        self.assertEqual(s["claimed"], 1, s)
        self.assertEqual([g["body"]["certificate"]["id"] for g in rcv.got],
                         [keep])

    def test_webhook_retry_after_receiver_was_down(self):
        port = free_port()			# nobody listens there
        _, na = self.issue_days(20)
        self.add_webhook("http://127.0.0.1:%d/hook" % port)
        now = na - 20 * DAY
        s = self.run_at(now)
        self.assertEqual((s["claimed"], s["retrying"]), (1, 1), s)
        log = self.log()
        self.assertEqual(len(log), 1)
        self.assertFalse(log[0]["ok"])
        self.assertEqual(log[0]["attempt"], 1)
        self.assertIsNotNone(log[0]["next_attempt_at"])
        self.assertTrue(log[0]["error"])
        # Before the backoff (60 s) has passed: not attempted.
        s = self.run_at(now + 30)
        self.assertEqual(s["attempted"], 0, s)
        rcv = self.receiver(port)		# the receiver is back
        s = self.run_at(now + 61)
        self.assertEqual(s["delivered"], 1, s)
        self.assertEqual(len(rcv.got), 1)
        self.assertTrue(rcv.got[0]["sig_ok"])
        log = self.log()			# newest first
        self.assertEqual([(d["attempt"], d["ok"]) for d in log],
                         [(2, True), (1, False)])
        self.assertEqual(log[0]["code"], 200)
        self.assertIsNone(log[0]["next_attempt_at"])
        s = self.run_at(now + 3600)
        self.assertEqual(s["attempted"], 0, s)
        self.assertEqual(len(rcv.got), 1)

    def test_smtp(self):
        sink = SmtpSink()
        self.peers.append(sink)
        _, na = self.issue_days(5)
        self.ok("notify", "smtp", "--url", "smtp://127.0.0.1:%d" % sink.port,
                "--from", "certa@example.com")
        self.ok("notify", "channel", "add", "--smtp", "ops@example.com",
                "--org", "acme")
        s = self.run_at(na - 5 * DAY)
        self.assertEqual(s["delivered"], 1, s)
        self.assertEqual(len(sink.srv.mails), 1)
        m = sink.srv.mails[0]
        self.assertEqual(m["from"], "<certa@example.com>")
        self.assertEqual(m["rcpt"], ["<ops@example.com>"])
        head, _, body = m["data"].decode().partition("\r\n\r\n")
        hdrs = {}
        for line in head.split("\r\n"):
            k, _, v = line.partition(": ")
            hdrs[k.lower()] = v
        for k in ("date", "from", "to", "subject", "message-id"):
            self.assertIn(k, hdrs, head)
        self.assertEqual(hdrs["from"], "<certa@example.com>")
        self.assertEqual(hdrs["to"], "<ops@example.com>")
        self.assertIn("CN=client", hdrs["subject"])
        self.assertIn("expires in 5 days", hdrs["subject"])
        self.assertRegex(hdrs["message-id"], r"^<certa\.\d+\.\d+@example\.com>$")
        self.assertRegex(hdrs["date"], r"^\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000$")
        self.assertIn("7-day notice", body)
        self.assertEqual(self.log()[0]["code"], 250)

    def test_notify_test_and_switches(self):
        rcv = self.receiver()
        sink = SmtpSink()
        self.peers.append(sink)
        self.ok("notify", "smtp", "--url", "smtp://127.0.0.1:%d" % sink.port,
                "--from", "certa@example.com")
        self.add_webhook(rcv.url)
        self.ok("notify", "channel", "add", "--smtp", "ops@example.com")
        r = self.ok("notify", "test")
        self.assertEqual(r.text.count(": ok"), 2, r)
        self.assertEqual(rcv.got[0]["body"]["event"], "notify.test")
        self.assertTrue(rcv.got[0]["sig_ok"])
        self.assertEqual(len(sink.srv.mails), 1)
        self.assertEqual(self.count("notice"), 0)	# tests are not notices
        # A dead channel: exit 1 and the reason.
        self.ok("notify", "channel", "add", "--webhook",
                "http://127.0.0.1:%d/" % free_port(), "--secret-file",
                self.path("secret"))
        r = self.certa("notify", "test", "--channel", "3")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED", r.text)
        self.ok("notify", "channel", "remove", "3")
        # Off for the organisation, then for the certificate.
        cid, na = self.issue_days(10)
        self.ok("notify", "disable", "--org", "acme")
        self.assertEqual(self.run_at(na - 9 * DAY)["claimed"], 0)
        self.ok("notify", "enable", "--org", "acme")
        self.ok("notify", "disable", "--cert", cid)
        self.assertEqual(self.run_at(na - 9 * DAY)["claimed"], 0)
        self.ok("notify", "enable", "--cert", cid)
        self.ok("notify", "thresholds", "--org", "acme", "3")
        self.assertEqual(self.run_at(na - 9 * DAY)["claimed"], 0)
        s = self.run_at(na - 2 * DAY)
        self.assertEqual(s["claimed"], 2, s)		# both channels
        self.assertEqual(rcv.got[-1]["body"]["threshold_days"], 3)
        audit = self.ok("audit", "list").text
        for a in ("notify.channel.add", "notify.org.set",
                  "notify.cert.disable", "notify.smtp.set"):
            self.assertIn(a, audit)

    def test_bad_input(self):
        for args in (("notify",), ("notify", "frob"),
                     ("notify", "channel", "add"),
                     ("notify", "channel", "add", "--webhook", "http://x/"),
                     ("notify", "channel", "remove", "x"),
                     ("notify", "run", "--now", "soon"),
                     ("notify", "enable"),
                     ("notify", "thresholds", "1,2")):
            r = self.certa(*args)
            self.assertEqual(r.rc, 2, (args, r))
        for args in (("notify", "thresholds", "--org", "acme", "0"),
                     ("notify", "thresholds", "--org", "acme", "7,7"),
                     ("notify", "channel", "add", "--smtp", "no-at-sign"),
                     ("notify", "channel", "add", "--webhook", "file:///x",
                      "--secret-file", self.path("secret")),
                     ("notify", "smtp", "--url", "http://x")):
            r = self.certa(*args)
            self.assertEqual(r.rc, 2, (args, r))
            self.assertIn("certa:", r.errtext)
        r = self.certa("notify", "channel", "remove", "99")
        self.assertEqual(r.rc, 2, r)			# NOTFOUND: bad input
        self.assertIn("no notification channel with id 99", r.errtext)


class NotifyServeTest(ServeMixin, CertaTest):
    def test_daemon_delivers(self):
        rcv = Receiver()
        try:
            self.ok("org", "create", "acme")
            self.ok("app", "create", "--org", "acme", "web")
            self.write("secret", SECRET)
            self.ok("notify", "channel", "add", "--webhook", rcv.url,
                    "--secret-file", self.path("secret"))
            csr = self.make_csr("c")
            self.ok("cert", "issue", "--app", "acme/web", "--type",
                    "transport", "--csr", csr, "--validity", "10d")
            self.start(api=False, env_extra={"CERTA_NOTIFY_INTERVAL": "1"})
            deadline = time.time() + 15
            while not rcv.got and time.time() < deadline:
                time.sleep(0.1)
            self.assertEqual(len(rcv.got), 1, self.errtext_serve())
            self.assertEqual(rcv.got[0]["body"]["threshold_days"], 30)
            time.sleep(1.5)			# later passes send nothing
            self.assertEqual(len(rcv.got), 1)
            err = self.stop()
            self.assertIn("1 delivered", err)
        finally:
            rcv.close()


if __name__ == "__main__":
    unittest.main()
