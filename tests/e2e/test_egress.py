"""certa gate, egress: plain HTTP in, mutual TLS out to a real nginx that
asks for client certificates (ssl_verify_client on/optional) and answers
with what it saw.  Per-endpoint certificates (app:, p12:, none), rotation
while the gate runs, server verification (--ca-file, hostname checks,
zero_trust with certa's trust store) and a config file with two
listeners."""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from checks import CRASH_MARKS, CheckedTest, GateMixin
from harness import CERTA, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """
daemon off;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log warn;
%(user)s
events { worker_connections 64; }
http {
    access_log %(p)s/access.log;
    client_body_temp_path %(p)s/body;
    proxy_temp_path %(p)s/proxy;
    fastcgi_temp_path %(p)s/fastcgi;
    uwsgi_temp_path %(p)s/uwsgi;
    scgi_temp_path %(p)s/scgi;
    server {
        listen 127.0.0.1:%(port)d ssl;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        ssl_client_certificate %(clientca)s;
        ssl_verify_client %(verify)s;
        ssl_verify_depth 3;
        location / {
            default_type text/plain;
            return 200 "dn=$ssl_client_s_dn;serial=$ssl_client_serial;verify=$ssl_client_verify\\n";
        }
        location = /big { alias %(p)s/big.bin; }
    }
}
"""


@unittest.skipUnless(os.path.exists(NGINX), "nginx is not installed")
class EgressTest(GateMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.gate = None
        self.nginxes = []
        self.setup_app()
        self.chain_files()
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        self.write("p12pass", "egress-test-pass\n")
        self.server_ca()
        self.big = None

    def tearDown(self):
        for p in self.nginxes:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        super().tearDown()

    # -- peers --------------------------------------------------------
    def server_ca(self):
        """A test CA (not certa's) and a server certificate for
        localhost signed by it."""
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("srvca.key"), "-out", self.path("srvca.pem"),
                     "-subj", "/CN=Egress Test Server CA", "-days", "30",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.server_cert("srv", "localhost")

    def server_cert(self, name, dns):
        self.ossl_ok("req", "-new", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path(name + ".key"), "-out",
                     self.path(name + ".csr"), "-subj", "/CN=" + dns)
        self.write(name + ".ext", "subjectAltName=DNS:%s\n"
                   "extendedKeyUsage=serverAuth\n"
                   "basicConstraints=CA:FALSE\n" % dns)
        self.ossl_ok("x509", "-req", "-in", self.path(name + ".csr"),
                     "-CA", self.path("srvca.pem"), "-CAkey",
                     self.path("srvca.key"), "-CAcreateserial", "-days", "30",
                     "-extfile", self.path(name + ".ext"), "-out",
                     self.path(name + ".pem"))
        return self.path(name + ".pem")

    def nginx(self, verify="on", cert="srv"):
        """nginx with TLS on a free port asking for certa client
        certificates; returns the port."""
        port = free_port()
        prefix = self.path("nginx-%d" % port)
        os.makedirs(prefix)
        if self.big:
            with open(os.path.join(prefix, "big.bin"), "wb") as f:
                f.write(self.big)
        conf = NGINX_CONF % {
            "p": prefix, "port": port, "verify": verify,
            "user": "user root;" if os.geteuid() == 0 else "",
            "cert": self.path(cert + ".pem"),
            "key": self.path(cert + ".key"),
            "clientca": self.path("chain.pem")}
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(conf)
        p = subprocess.Popen([NGINX, "-p", prefix, "-c",
                              os.path.join(prefix, "nginx.conf")],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        self.nginxes.append(p)
        t0 = time.time()
        while time.time() - t0 < 15:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return port
            except OSError:
                self.assertIsNone(p.poll(), p.stderr.read())
                time.sleep(0.05)
        self.fail("nginx did not start")

    # -- the gate -----------------------------------------------------
    def egress(self, nport, spec, *extra, to="localhost"):
        args = ["--egress-listen", "127.0.0.1:0", "--egress-to",
                "%s:%d" % (to, nport)]
        if spec is not None:
            args += ["--client-cert", spec]
        self.start_gate(*(args + list(extra)))

    def get(self, port=None):
        """curl through the gate: (rc, body, stderr)."""
        p = subprocess.run(["curl", "-sS", "--max-time", "15",
                            "http://127.0.0.1:%d/" % (port or self.gport)],
                           capture_output=True, timeout=30)
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")

    def seen(self, port=None):
        """What nginx saw: {"dn": .., "serial": .., "verify": ..}."""
        rc, body, err = self.get(port)
        self.assertEqual(rc, 0, err + self.read("gate.err").decode())
        self.assertTrue(body.startswith("dn="), body)
        return dict(kv.split("=", 1) for kv in body.strip().split(";"))

    def issue_key(self, cn, p12="client.p12"):
        """A certa certificate with a server-generated key; its serial."""
        r = self.ok("cert", "issue", "--app", "acme/payments", "--type",
                    "transport", "--generate-key", "ec:P-256", "--subject",
                    "CN=" + cn, "--p12-out", self.path(p12),
                    "--p12-pass-file", self.path("p12pass"), "--json")
        return json.loads(r.out)["serial"]

    @staticmethod
    def same_serial(certa_hex, nginx_hex):
        return certa_hex.lstrip("0").lower() == nginx_hex.lstrip("0").lower()

    def server_fp(self, cert="srv"):
        fp = self.ossl_ok("x509", "-in", self.path(cert + ".pem"), "-noout",
                          "-fingerprint", "-sha256").text.split("=")[1]
        return fp.strip().replace(":", "").lower()

    # -- tests --------------------------------------------------------
    def test_app_certificate_and_rotation(self):
        """(a) app:ORG/APP/TYPE, (d) a newer certificate is used by the
        next connection without a restart."""
        s1 = self.issue_key("pay-1")
        n = self.nginx("on")
        self.egress(n, "app:acme/payments/transport", "--ca-file",
                    self.path("srvca.pem"))
        got = self.seen()
        self.assertIn("CN=pay-1", got["dn"])
        self.assertEqual(got["verify"], "SUCCESS")
        self.assertTrue(self.same_serial(s1, got["serial"]), (s1, got))
        self.assertIn("CN=pay-1", self.seen()["dn"])   # cached context
        s2 = self.issue_key("pay-2", "client2.p12")
        got = self.seen()
        self.assertIn("CN=pay-2", got["dn"])
        self.assertTrue(self.same_serial(s2, got["serial"]), (s2, got))
        # Revoking the newest falls back to the older valid one.
        self.ok("cert", "revoke", s2, "--reason", "superseded")
        self.assertIn("CN=pay-1", self.seen()["dn"])
        log = self.stop_gate()
        self.assertEqual(len(log), 4, log)
        for e in log:
            self.assertEqual(e["verdict"], "ok", e)
            self.assertEqual(e["subject"], "CN=localhost", e)
            self.assertEqual(e["fingerprint"], self.server_fp(), e)
            self.assertGreater(e["bytes_in"], 0, e)
            self.assertGreater(e["bytes_out"], 0, e)
            self.assertTrue(e["peer"].startswith("127.0.0.1:"), e)

    def test_app_without_certificate_refuses(self):
        n = self.nginx("on")
        self.egress(n, "app:payments/transport", "--ca-file",
                    self.path("srvca.pem"))
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        log = self.stop_gate()
        self.assertEqual(log[0]["verdict"], "refused", log)
        self.assertIn("no valid transport certificate", log[0]["reason"])

    def test_p12_file(self):
        """(b) p12:FILE:PASSFILE, made by openssl from a CSR-issued
        certificate."""
        crt = self.issue("acme/payments", "transport",
                         self.make_csr("legacy", "/CN=p12-client"))
        self.ossl_ok("pkcs12", "-export", "-in", crt, "-inkey",
                     self.path("legacy.key"), "-certfile",
                     self.path("issuing.pem"), "-out", self.path("mx1.p12"),
                     "-passout", "file:" + self.path("p12pass"))
        n = self.nginx("on")
        self.egress(n, "p12:%s:%s" % (self.path("mx1.p12"),
                                      self.path("p12pass")),
                    "--ca-file", self.path("srvca.pem"))
        got = self.seen()
        self.assertIn("CN=p12-client", got["dn"])
        self.assertEqual(got["verify"], "SUCCESS")
        self.stop_gate()

    def test_none_sends_no_certificate(self):
        """(c) "none": nothing even when asked; optional -> NONE,
        on -> 400 from nginx."""
        self.issue_key("pay-1")
        opt, on = self.nginx("optional"), self.nginx("on")
        self.egress(opt, "none", "--ca-file", self.path("srvca.pem"))
        got = self.seen()
        self.assertEqual(got["verify"], "NONE", got)
        self.assertEqual(got["dn"], "", got)
        self.stop_gate()
        self.egress(on, "none", "--ca-file", self.path("srvca.pem"))
        p = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w",
                            "%{http_code}", "http://127.0.0.1:%d/" %
                            self.gport], capture_output=True, timeout=30)
        self.assertEqual(p.stdout.decode(), "400", p)
        log = self.stop_gate()
        self.assertEqual(log[0]["verdict"], "ok", log)

    def test_server_verification(self):
        """(e) unknown CA, wrong name, IP without an IP SAN, refused
        connect: the client connection fails and the log says why."""
        n = self.nginx("on")
        self.issue_key("pay-1")
        spec = "app:acme/payments/transport"
        self.egress(n, spec)            # system store only
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        log = self.stop_gate()
        self.assertEqual(log[0]["verdict"], "refused", log)
        self.assertIn("unable to get local issuer certificate",
                      log[0]["reason"])
        self.assertEqual(log[0]["subject"], "CN=localhost", log)

        self.server_cert("other", "elsewhere.test")
        n2 = self.nginx("on", cert="other")
        self.egress(n2, spec, "--ca-file", self.path("srvca.pem"))
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        log = self.stop_gate()
        self.assertIn("hostname mismatch", log[0]["reason"], log)

        self.egress(n, spec, "--ca-file", self.path("srvca.pem"),
                    to="127.0.0.1")
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        log = self.stop_gate()
        self.assertIn("IP address mismatch", log[0]["reason"], log)

        self.egress(free_port(), spec, "--ca-file", self.path("srvca.pem"))
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        log = self.stop_gate()
        self.assertEqual(log[0]["verdict"], "refused", log)
        self.assertIn("connect", log[0]["reason"], log)

    def test_zero_trust(self):
        """(e) zero_trust: the server CA only in certa's trust store;
        importing it works without a restart, --ca-file alone is not the
        system store."""
        n = self.nginx("on")
        self.issue_key("pay-1")
        self.egress(n, "app:acme/payments/transport", "--zero-trust")
        rc, body, _ = self.get()
        self.assertNotEqual(rc, 0, body)
        self.ok("trust", "import", self.path("srvca.pem"), "--alias",
                "server-ca")
        got = self.seen()
        self.assertIn("CN=pay-1", got["dn"])
        log = self.stop_gate()
        self.assertEqual([e["verdict"] for e in log], ["refused", "ok"], log)
        self.assertIn("unable to get local issuer certificate",
                      log[0]["reason"])

    def test_config_two_listeners(self):
        """(f) a config file: two listeners, two endpoints, different
        usage entries ("app:APP/TYPE" and "" = none)."""
        self.issue_key("pay-1")
        a, b = self.nginx("on"), self.nginx("optional")
        cfg = {"ca_file": self.path("srvca.pem"),
               "egress": [{"listen": "127.0.0.1:0",
                           "to": "localhost:%d" % a},
                          {"listen": "127.0.0.1:0",
                           "to": "localhost:%d" % b}],
               "usage": {"localhost:%d" % a: "app:payments/transport",
                         "localhost:%d" % b: ""}}
        self.write("gate.json", json.dumps(cfg))
        self.start_gate("--config", self.path("gate.json"))
        self.assertEqual(len(self.gports), 2)
        self.assertIn("CN=pay-1", self.seen(self.gports[0])["dn"])
        self.assertEqual(self.seen(self.gports[1])["verify"], "NONE")
        log = self.stop_gate()
        self.assertEqual(len(log), 2, log)
        self.assertNotEqual(log[0]["listener"], None)

    def settled_fds(self):
        """The gate's open descriptors once closing connections have
        gone (it closes after curl has left)."""
        fd_dir = "/proc/%d/fd" % self.gate.pid
        last, t0 = -1, time.time()
        while time.time() - t0 < 10:
            n = len(os.listdir(fd_dir))
            if n == last:
                return n
            last = n
            time.sleep(0.5)
        return last

    def test_large_download_and_fds(self):
        """8 MiB through the gate arrive intact (backpressure), slow
        readers too; no descriptor is left behind."""
        self.big = os.urandom(8 << 20)
        self.issue_key("pay-1")
        n = self.nginx("on")
        self.egress(n, "app:acme/payments/transport", "--ca-file",
                    self.path("srvca.pem"))
        self.seen()
        fds = self.settled_fds()
        url = "http://127.0.0.1:%d/big" % self.gport
        for extra in ([], ["--limit-rate", "4M"]):
            p = subprocess.run(["curl", "-sS", "--max-time", "30", url] +
                               extra, capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(hashlib.sha256(p.stdout).hexdigest(),
                             hashlib.sha256(self.big).hexdigest())
        self.assertEqual(self.settled_fds(), fds)
        log = self.stop_gate()
        self.assertEqual([e["verdict"] for e in log], ["ok"] * 3, log)
        self.assertGreater(log[-1]["bytes_out"], len(self.big), log)

    def test_bad_specs_refused(self):
        for spec in ("app:", "app:acme", "app:a/b/c/d", "p12:onlyfile",
                     "pem:/x", "app:acme//transport"):
            r = self.certa("gate", "--egress-listen", "127.0.0.1:0",
                           "--egress-to", "localhost:443", "--client-cert",
                           spec, "--check-config")
            self.assertNotEqual(r.rc, 0, (spec, r))
            self.assertIn("client certificate", r.errtext, (spec, r))


if __name__ == "__main__":
    unittest.main()
