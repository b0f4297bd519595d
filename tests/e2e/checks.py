"""Checks shared by the e2e tests on top of harness.CertaTest: every
certa run is screened for crashes and sanitizer reports, refusals are
checked for exit code, message and "nothing written"."""
import base64
import json
import os
import re
import signal
import subprocess
import time

from harness import CERTA, CertaTest

# What must never appear on certa's stderr, whatever the input.
CRASH_MARKS = ("Traceback", "AddressSanitizer", "LeakSanitizer",
               "UndefinedBehaviorSanitizer", "runtime error:",
               "Segmentation fault", "core dumped", "Assertion",
               "BEGIN PRIVATE KEY", "BEGIN EC PRIVATE KEY")


def pem_blocks(text, label="CERTIFICATE"):
    """The PEM blocks of one label in text, in order."""
    if isinstance(text, bytes):
        text = text.decode()
    return re.findall(r"-----BEGIN %s-----\n.*?-----END %s-----\n?" %
                      (label, label), text, re.S)


def pem_wrap(der, label):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (
        label, "\n".join(lines), label)


def pem_unwrap(pem):
    if isinstance(pem, bytes):
        pem = pem.decode()
    body = [ln for ln in pem.strip().splitlines()
            if not ln.startswith("-----")]
    return base64.b64decode("".join(body))


class CheckedTest(CertaTest):
    """CertaTest whose every certa run is screened for crashes."""

    def certa(self, *args, **kw):
        r = super().certa(*args, **kw)
        self.assertGreaterEqual(r.rc, 0, "certa died of a signal: %r" % r)
        self.assertNotIn(r.rc, (134, 139), r)
        for mark in CRASH_MARKS:
            self.assertNotIn(mark, r.errtext, r)
        return r

    def snapshot(self):
        """What the store holds, seen through the CLI and through SQLite."""
        certs = json.loads(self.ok("cert", "list", "--json").out)
        audit = self.ok("audit", "list", "--json").out.splitlines()
        orgs = json.loads(self.ok("org", "list", "--json").out)
        apps = json.loads(self.ok("app", "list", "--json").out)
        return {"certs": len(certs), "audit": len(audit),
                "orgs": len(orgs), "apps": len(apps),
                "db_certs": self.count("certificate"),
                "db_audit": self.count("audit")}

    def refused(self, rc, fragment, *args, one_line=True, **kw):
        """Run certa, expect exit rc, a 'certa: ' message containing
        fragment (a string or a regex given as re.Pattern), no output on
        stdout, and the store unchanged."""
        before = self.snapshot()
        r = self.certa(*args, **kw)
        self.assertEqual(r.rc, rc, r)
        err = r.errtext
        self.assertTrue(err.startswith("certa: "), r)
        if isinstance(fragment, re.Pattern):
            self.assertRegex(err, fragment)
        else:
            self.assertIn(fragment, err)
        if one_line:
            self.assertEqual(len(err.strip().splitlines()), 1, r)
        self.assertNotIn(b"BEGIN CERTIFICATE", r.out, r)
        self.assertEqual(self.snapshot(), before, "store changed: %r" % r)
        return r


class ServeMixin:
    """Start and stop a real `certa serve` on free ports: self.url (public
    listener, plain HTTP) and self.api (HTTPS API) once started."""
    proc = None

    def tearDown(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        super().tearDown()

    def start(self, *extra, api=True, env_extra=None):
        portf, apif = self.path("port"), self.path("apiport")
        for f in (portf, apif):
            if os.path.exists(f):
                os.unlink(f)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("CERTA_") and k != "CERTA_BIN":
                env.pop(k)
        env.update(env_extra or {})
        self.log = open(self.path("access.log"), "wb")
        self.errf = open(self.path("serve.err"), "wb")
        args = [CERTA, "--dir", self.dir, "serve", "--public", "127.0.0.1:0",
                "--port-file", portf]
        args += (["--api", "127.0.0.1:0", "--api-port-file", apif] if api
                 else ["--api", "off"])
        self.proc = subprocess.Popen(args + list(extra), stdout=self.log,
                                     stderr=self.errf, env=env, cwd=self.tmp)
        deadline = time.time() + 20
        want = [portf] + ([apif] if api else [])
        while time.time() < deadline:
            ports = []
            for f in want:
                if os.path.exists(f):
                    with open(f) as fh:
                        txt = fh.read().strip()
                    if txt:
                        ports.append(int(txt))
            if len(ports) == len(want):
                self.port = ports[0]
                self.url = "http://127.0.0.1:%d" % self.port
                if api:
                    self.api_port = ports[1]
                    self.api = "https://localhost:%d" % self.api_port
                return
            self.assertIsNone(self.proc.poll(), self.errtext_serve())
            time.sleep(0.05)
        self.fail("certa serve did not start: " + self.errtext_serve())

    def errtext_serve(self):
        with open(self.path("serve.err"), "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        self.log.close()
        self.errf.close()
        err = self.errtext_serve()
        self.assertEqual(rc, 0, err)
        for mark in CRASH_MARKS:
            self.assertNotIn(mark, err)
        self.assertFalse(os.path.exists(self.path("port")))
        self.assertFalse(os.path.exists(self.path("apiport")))
        return err


class GateMixin:
    """Start and stop a real `certa gate`: self.gports (bound ports,
    ingress first), self.gport (the first)."""
    gate = None

    def tearDown(self):
        if self.gate is not None and self.gate.poll() is None:
            self.gate.kill()
            self.gate.wait()
        super().tearDown()

    def start_gate(self, *args):
        portf = self.path("gate.port")
        if os.path.exists(portf):
            os.unlink(portf)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CERTA_") or k == "CERTA_BIN"}
        self.glog = open(self.path("gate.log"), "wb")
        self.gerr = open(self.path("gate.err"), "wb")
        self.gate = subprocess.Popen(
            [CERTA, "--dir", self.dir, "gate", "--port-file", portf] +
            list(args), stdout=self.glog, stderr=self.gerr, env=env,
            cwd=self.tmp)
        t0 = time.time()
        while time.time() - t0 < 20:
            if os.path.exists(portf) and self.read("gate.port").strip():
                self.gports = [int(x) for x in
                               self.read("gate.port").split()]
                self.gport = self.gports[0]
                return
            self.assertIsNone(self.gate.poll(), self.read("gate.err"))
            time.sleep(0.05)
        self.fail("gate did not start")

    def stop_gate(self):
        """SIGTERM, exit 0, no crash; the access log's lines."""
        self.gate.send_signal(signal.SIGTERM)
        self.assertEqual(self.gate.wait(timeout=15), 0,
                         self.read("gate.err"))
        self.glog.close()
        self.gerr.close()
        err = self.read("gate.err").decode()
        for m in CRASH_MARKS:
            self.assertNotIn(m, err)
        return [json.loads(ln) for ln in
                self.read("gate.log").decode().splitlines() if ln]
