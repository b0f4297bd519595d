"""Shared helpers for the end-to-end tests: a temporary certa data
directory, running the real certa binary and the openssl CLI, making
keys and CSRs with openssl (an independent implementation)."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

CERTA = os.environ.get("CERTA_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "certa")


class Run:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    @property
    def text(self):
        return self.out.decode(errors="replace")

    @property
    def errtext(self):
        return self.err.decode(errors="replace")

    def __repr__(self):
        return "rc=%d out=%r err=%r" % (self.rc, self.out[:400],
                                        self.err[:400])


def run(args, input=None, env=None, cwd=None, timeout=120):
    e = dict(os.environ)
    e.pop("CERTA_PASSPHRASE", None)
    e.pop("CERTA_PASSPHRASE_FILE", None)
    e.pop("CERTA_DIR", None)
    e.pop("CERTA_STORE", None)
    if env:
        e.update(env)
    p = subprocess.run(args, input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, cwd=cwd,
                       timeout=timeout)
    return Run(p)


class CertaTest(unittest.TestCase):
    """A fresh temp dir per test; self.dir is the certa data directory
    (not initialised unless init=True)."""
    init = True
    init_args = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="certa-e2e-")
        self.dir = os.path.join(self.tmp, "data")
        if self.init:
            r = self.certa("init", *self.init_args)
            self.assertEqual(r.rc, 0, r)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, *names):
        return os.path.join(self.tmp, *names)

    def certa(self, *args, input=None, env=None, dir=True):
        argv = [CERTA]
        if dir:
            argv += ["--dir", self.dir]
        return run(argv + [str(a) for a in args], input=input, env=env,
                   cwd=self.tmp)

    def ok(self, *args, **kw):
        r = self.certa(*args, **kw)
        self.assertEqual(r.rc, 0, r)
        return r

    def openssl(self, *args, input=None):
        return run(["openssl"] + [str(a) for a in args], input=input,
                   cwd=self.tmp)

    def ossl_ok(self, *args, input=None):
        r = self.openssl(*args, input=input)
        self.assertEqual(r.rc, 0, r)
        return r

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return p

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def make_csr(self, name, subj="/CN=client", key="ec", sans=None,
                 extra=()):
        """Key and CSR made by openssl req; returns the CSR path."""
        keyp = self.path(name + ".key")
        csrp = self.path(name + ".csr")
        if key == "ec":
            newkey = ["-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:P-256"]
        elif key.startswith("ec:"):
            newkey = ["-newkey", "ec", "-pkeyopt",
                      "ec_paramgen_curve:" + key[3:]]
        elif key.startswith("rsa:"):
            newkey = ["-newkey", key]
        else:
            newkey = ["-newkey", key]
        args = ["req", "-new"] + newkey + ["-nodes", "-keyout", keyp,
                                           "-out", csrp, "-subj", subj]
        if sans:
            args += ["-addext", "subjectAltName=" + ",".join(sans)]
        args += list(extra)
        self.ossl_ok(*args)
        return csrp

    def setup_app(self, org="acme", app="payments"):
        self.ok("org", "create", org)
        self.ok("app", "create", "--org", org, app)
        return org + "/" + app

    def chain_files(self):
        """(root.pem, issuing.pem) exported by certa."""
        self.ok("ca", "export", "--out", self.path("issuing.pem"))
        self.ok("ca", "export", "--chain", "--out", self.path("chain.pem"))
        pems = self.read("chain.pem").decode().split("-----END CERTIFICATE-----")
        root = pems[1].strip() + "\n-----END CERTIFICATE-----\n"
        self.write("root.pem", root)
        return self.path("root.pem"), self.path("issuing.pem")

    def issue(self, app, typ, csr, *extra):
        out = self.path(os.path.basename(csr) + ".crt")
        self.ok("cert", "issue", "--app", app, "--type", typ, "--csr", csr,
                "--out", out, *extra)
        return out

    def x509_text(self, cert):
        return self.ossl_ok("x509", "-in", cert, "-noout", "-text").text

    def db(self):
        return sqlite3.connect(os.path.join(self.dir, "certa.db"))

    def count(self, table):
        with self.db() as c:
            return c.execute("SELECT count(*) FROM %s" % table).fetchone()[0]


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on (for a moment)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
