"""certa gate, ingress: the trust engine decides in the TLS handshake
(alerts judged by openssl s_client), X-Forwarded-Client-Cert to an HTTP
upstream (curl as the client, a Python http.server upstream), PROXY v2 to
a TCP upstream (haproxy accept-proxy when installed, and the TLVs parsed),
the reject -> trust -> accept cycle and revocation without restart."""
import http.server
import json
import os
import signal
import socket
import socketserver
import struct
import subprocess
import threading
import time

from checks import CRASH_MARKS, CheckedTest, GateMixin
from harness import CERTA


class EchoHeaders(http.server.BaseHTTPRequestHandler):
    """Answers with the request's headers as JSON."""
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in
                           self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *a):
        pass


class ProxyV2Echo(socketserver.BaseRequestHandler):
    """Reads a PROXY v2 header, answers with what it carried as JSON,
    then echoes."""
    def handle(self):
        s = self.request
        hdr = b""
        while len(hdr) < 16:
            hdr += s.recv(16 - len(hdr))
        sig, vc, fam, ln = hdr[:12], hdr[12], hdr[13], \
            struct.unpack("!H", hdr[14:16])[0]
        rest = b""
        while len(rest) < ln:
            rest += s.recv(ln - len(rest))
        out = {"sig_ok": sig == b"\r\n\r\n\x00\r\nQUIT\n",
               "ver_cmd": vc, "fam": fam}
        if fam == 0x11:
            out["src"] = socket.inet_ntoa(rest[0:4])
            out["dst"] = socket.inet_ntoa(rest[4:8])
            out["sport"], out["dport"] = struct.unpack("!HH", rest[8:12])
            tlvs = rest[12:]
        else:
            tlvs = rest[36:]
        i = 0
        while i + 3 <= len(tlvs):
            t, n = tlvs[i], struct.unpack("!H", tlvs[i + 1:i + 3])[0]
            v = tlvs[i + 3:i + 3 + n]
            if t == 0x20:
                out["ssl_client"] = v[0]
                out["ssl_verify"] = struct.unpack("!I", v[1:5])[0]
                j = 5
                while j + 3 <= len(v):
                    st, sn = v[j], struct.unpack("!H", v[j + 1:j + 3])[0]
                    sv = v[j + 3:j + 3 + sn].decode()
                    out[{0x21: "ssl_version", 0x22: "ssl_cn"}.get(
                        st, "tlv%x" % st)] = sv
                    j += 3 + sn
            i += 3 + n
        s.sendall(json.dumps(out).encode() + b"\n")
        while True:
            d = s.recv(4096)
            if not d:
                break
            s.sendall(d)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class GateTest(GateMixin, CheckedTest):

    def setUp(self):
        super().setUp()
        self.gate = None
        self.servers = []
        self.app = self.setup_app()
        self.root, self.issuing = self.chain_files()
        self.write("chain.pem", self.read("root.pem") +
                   self.read("issuing.pem"))
        self.alice = self.issue(self.app, "transport",
                                self.make_csr("alice", "/CN=alice",
                                              sans=["DNS:alice.test",
                                                    "URI:spiffe://t/alice"]))
        self.alice_key = self.path("alice.key")

    def tearDown(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()
        super().tearDown()

    def upstream(self, handler):
        srv = (http.server.ThreadingHTTPServer
               if handler is EchoHeaders else Server)(("127.0.0.1", 0),
                                                      handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return srv.server_address[1]

    def s_client(self, cert=None, key=None, data=b"ping\n"):
        """openssl s_client through the gate: (rc, stdout+stderr)."""
        args = ["openssl", "s_client", "-connect",
                "127.0.0.1:%d" % self.gport, "-CAfile", self.path("chain.pem"),
                "-verify_return_error", "-verify_hostname", "localhost",
                "-quiet"]
        if cert:
            args += ["-cert", cert, "-key", key]
        p = subprocess.run(args, input=data, capture_output=True,
                           timeout=20)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace")

    def tls_talk(self, cert, key, data, lines=2):
        """A Python TLS client: send data, read `lines` lines back."""
        import ssl
        ctx = ssl.create_default_context(cafile=self.path("chain.pem"))
        ctx.load_cert_chain(cert, key)
        with socket.create_connection(("127.0.0.1", self.gport),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                t.sendall(data)
                buf = b""
                while buf.count(b"\n") < lines:
                    d = t.recv(4096)
                    if not d:
                        break
                    buf += d
                return buf.decode(errors="replace")

    def curl(self, *args):
        p = subprocess.run(["curl", "-sS", "--cacert", self.path("chain.pem"),
                            "https://localhost:%d/" % self.gport] +
                           list(args), capture_output=True, timeout=20)
        return p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")

    def self_signed(self, name):
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path(name + ".key"), "-out",
                     self.path(name + ".pem"), "-subj", "/CN=" + name,
                     "-days", "30", "-addext", "extendedKeyUsage=clientAuth")
        return self.path(name + ".pem"), self.path(name + ".key")

    # -- tests --------------------------------------------------------
    def test_http_upstream_gets_xfcc(self):
        up = self.upstream(EchoHeaders)
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "http://127.0.0.1:%d" % up, "--mode", "certa_ca")
        rc, out, err = self.curl("--cert", self.alice, "--key",
                                 self.alice_key, "-H",
                                 "X-Forwarded-Client-Cert: Hash=forged",
                                 "-H", "X-Forwarded-For: 6.6.6.6")
        self.assertEqual(rc, 0, err)
        h = json.loads(out)
        fp = self.ossl_ok("x509", "-in", self.alice, "-noout", "-fingerprint",
                          "-sha256").text.split("=")[1].strip()
        fp = fp.replace(":", "").lower()
        self.assertEqual(h["x-forwarded-client-cert"],
                         'Hash=%s;Subject="CN=alice";DNS=alice.test;'
                         'URI=spiffe://t/alice' % fp)
        self.assertEqual(h["x-forwarded-for"], "6.6.6.6, 127.0.0.1")
        self.assertEqual(h["x-forwarded-proto"], "https")
        # Two requests on one keep-alive connection.
        rc, out, err = self.curl("--cert", self.alice, "--key",
                                 self.alice_key, "https://localhost:%d/b" %
                                 self.gport)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.count("x-forwarded-client-cert"), 2, out + err)
        self.assertEqual(h["host"], "localhost:%d" % self.gport)
        # An HTTP/1.0 request without Host (openssl s_time sends those)
        # goes upstream as HTTP/1.1 with the upstream's authority as Host.
        rc, out = self.s_client(self.alice, self.alice_key,
                                data=b"GET /old HTTP/1.0\r\n\r\n")
        self.assertIn("HTTP/1.0 200", out)
        self.assertIn('"host": "127.0.0.1:%d"' % up, out)
        # No certificate: the handshake fails; a stranger: unknown_ca.
        rc, out, err = self.curl()
        self.assertNotEqual(rc, 0)
        c, k = self.self_signed("mallory")
        rc, out = self.s_client(c, k, data=b"GET / HTTP/1.0\r\n\r\n")
        self.assertIn("alert unknown ca", out)
        log = self.stop_gate()
        ok = [x for x in log if x["verdict"] == "accepted"]
        bad = [x for x in log if x["verdict"] == "refused"]
        self.assertEqual(ok[0]["subject"], "CN=alice")
        self.assertEqual(ok[0]["fingerprint"], fp)
        self.assertGreater(ok[0]["bytes_in"], 0)
        self.assertIn("CN=mallory", [x.get("subject") for x in bad])

    def test_reject_trust_accept_without_restart(self):
        up = self.upstream(ProxyV2Echo)
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up, "--mode", "trusted_list",
                        "--auto-reject", "--proxy-protocol")
        c, k = self.self_signed("bob")
        rc, out = self.s_client(c, k)
        self.assertIn("alert unknown ca", out)
        rc, out = self.s_client(c, k)
        rej = json.loads(self.ok("trust", "list", "--list", "rejected",
                                 "--json").text)
        self.assertEqual(len(rej), 1)
        self.assertEqual(rej[0]["subject"], "CN=bob")
        self.assertEqual(rej[0]["attempts"], 2)
        self.assertEqual(rej[0]["peer_address"], "127.0.0.1")
        self.ok("trust", "trust", rej[0]["alias"])
        out = self.tls_talk(c, k, b"hello\n")
        first = json.loads(out.splitlines()[0])
        self.assertTrue(first["sig_ok"])
        self.assertEqual(first["ver_cmd"], 0x21)
        self.assertEqual(first["src"], "127.0.0.1")
        self.assertEqual(first["dport"], self.gport)
        self.assertEqual(first["ssl_verify"], 0)
        self.assertEqual(first["ssl_cn"], "bob")
        self.assertIn(first["ssl_version"], ("TLSv1.3", "TLSv1.2"))
        self.assertIn("hello", out)
        # Rejected again: refused at once.
        self.ok("trust", "reject", rej[0]["alias"])
        rc, out = self.s_client(c, k)
        self.assertIn("alert unknown ca", out)
        self.stop_gate()

    def test_revocation_refused_within_1s(self):
        up = self.upstream(ProxyV2Echo)
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up, "--mode", "certa_ca",
                        "--proxy-protocol")
        out = self.tls_talk(self.alice, self.alice_key, b"x\n")
        self.assertTrue(json.loads(out.splitlines()[0])["sig_ok"])
        serial = self.ossl_ok("x509", "-in", self.alice, "-noout",
                              "-serial").text.strip().split("=")[1]
        t0 = time.time()
        self.ok("cert", "revoke", serial, "--reason", "keyCompromise")
        while True:
            rc, out = self.s_client(self.alice, self.alice_key)
            if "certificate revoked" in out or time.time() - t0 > 3:
                break
        self.assertIn("alert certificate revoked", out)
        self.assertLess(time.time() - t0, 1.0)
        self.stop_gate()

    def test_expired_and_no_certificate(self):
        # A partner CA made with openssl ca, trusted; its expired client.
        os.makedirs(self.path("ca"))
        self.write("ca/index.txt", b"")
        self.write("ca/serial", b"1000\n")
        cnf = ("[ca]\ndefault_ca=d\n[d]\ndatabase=%s\nserial=%s\n"
               "new_certs_dir=%s\ndefault_md=sha256\npolicy=p\n"
               "x509_extensions=x\n[p]\ncommonName=supplied\n"
               "[x]\nextendedKeyUsage=clientAuth\n") % (
                   self.path("ca/index.txt"), self.path("ca/serial"),
                   self.path("ca"))
        self.write("ca.cnf", cnf)
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                     self.path("pca.key"), "-out", self.path("pca.pem"),
                     "-subj", "/CN=Partner CA", "-days", "3650")
        csr = self.make_csr("old", "/CN=old")
        self.ossl_ok("ca", "-batch", "-config", self.path("ca.cnf"),
                     "-keyfile", self.path("pca.key"), "-cert",
                     self.path("pca.pem"), "-in", csr, "-out",
                     self.path("old.pem"), "-startdate", "20200101000000Z",
                     "-enddate", "20200201000000Z")
        self.ok("trust", "import", self.path("pca.pem"), "--alias", "pca")
        up = self.upstream(ProxyV2Echo)
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up, "--mode", "trusted_ca")
        rc, out = self.s_client(self.path("old.pem"), self.path("old.key"))
        self.assertIn("alert certificate expired", out)
        rc, out = self.s_client()
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, "alert (certificate required|handshake "
                         "failure)")
        log = self.stop_gate()
        reasons = [x["reason"] for x in log]
        self.assertIn("expired", reasons)
        self.assertIn("no_certificate", reasons)

    def test_haproxy_accepts_proxy_v2(self):
        if subprocess.run(["sh", "-c", "command -v haproxy"],
                          capture_output=True).returncode != 0:
            self.fail("haproxy is not installed (scripts/deps.sh --test)")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        hp = s.getsockname()[1]
        s.close()
        self.write("hap.cfg", (
            "global\n  log stderr format raw local0 err\n"
            "defaults\n  mode http\n  timeout client 5s\n"
            "  timeout server 5s\n  timeout connect 5s\n"
            "frontend f\n  bind 127.0.0.1:%d accept-proxy\n"
            "  http-request return status 200 content-type text/plain "
            "lf-string \"src=%%[src]\"\n") % hp)
        hap = subprocess.Popen(["haproxy", "-f", self.path("hap.cfg"), "-db"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                            "tcp://127.0.0.1:%d" % hp, "--mode", "certa_ca",
                            "--proxy-protocol")
            rc, out = self.s_client(self.alice, self.alice_key,
                                    data=b"GET / HTTP/1.0\r\n\r\n")
            self.assertIn("src=127.0.0.1", out)
            self.stop_gate()
        finally:
            hap.kill()
            hap.wait()

    def test_limits_and_config_errors(self):
        up = self.upstream(ProxyV2Echo)
        self.start_gate("--listen", "127.0.0.1:0", "--upstream",
                        "tcp://127.0.0.1:%d" % up, "--mode", "certa_ca",
                        "--handshake-timeout", "1")
        s = socket.create_connection(("127.0.0.1", self.gport))
        s.settimeout(5)
        t0 = time.time()
        self.assertEqual(s.recv(10), b"")	# closed: no handshake
        self.assertLess(time.time() - t0, 3)
        log = self.stop_gate()
        self.assertIn("handshake_timeout", [x["reason"] for x in log])
        for args, msg in (
                (["--listen", "127.0.0.1:0", "--upstream", "ftp://x:1"],
                 "expected tcp://HOST:PORT"),
                (["--listen", "127.0.0.1:0", "--upstream", "tcp://x:1",
                  "--mode", "trust_me"], "trust_me"),
                (["--listen", "127.0.0.1:0"], "go together"),
                ([], "nothing to do")):
            r = self.certa("gate", *args)
            self.assertNotEqual(r.rc, 0)
            self.assertIn(msg, r.errtext)

    def test_inside_certa_serve(self):
        # The same ingress as a "gate" setting of certa serve's config.
        up = self.upstream(EchoHeaders)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.gport = s.getsockname()[1]
        s.close()
        self.write("serve.conf", json.dumps({
            "api": "off", "public": "127.0.0.1:0",
            "port_file": self.path("pub.port"),
            "gate": {"ingress": [{
                "listen": "127.0.0.1:%d" % self.gport,
                "upstream": "http://127.0.0.1:%d" % up,
                "mode": "certa_ca"}]}}))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CERTA_") or k == "CERTA_BIN"}
        err = open(self.path("serve.err"), "wb")
        p = subprocess.Popen([CERTA, "--dir", self.dir, "serve", "--config",
                              self.path("serve.conf")], env=env,
                             stdout=subprocess.DEVNULL, stderr=err)
        try:
            t0 = time.time()
            while not os.path.exists(self.path("pub.port")):
                self.assertIsNone(p.poll(), self.read("serve.err"))
                self.assertLess(time.time() - t0, 20)
                time.sleep(0.05)
            rc, out, e = self.curl("--cert", self.alice, "--key",
                                   self.alice_key)
            self.assertEqual(rc, 0, e)
            self.assertIn('Subject=\\"CN=alice\\"', out)
            rc, out = self.s_client(*self.self_signed("eve"))
            self.assertIn("alert unknown ca", out)
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=15), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            err.close()
        self.assertIn("certa gate: ingress", self.read("serve.err").decode())
        # A wrong gate setting stops serve at start with a clear message.
        self.write("bad.conf", json.dumps({"api": "off", "gate": {
            "ingress": [{"listen": "127.0.0.1:0"}]}}))
        r = self.certa("serve", "--config", self.path("bad.conf"))
        self.assertNotEqual(r.rc, 0)
        self.assertIn("listen and upstream are required", r.errtext)
