"""docs/openapi.yaml against the code and a real `certa serve`, called
with curl: the spec's (method, path) set and roles equal the route table
of src/proto/api.c; every operation, called with an admin token and a
valid body, answers a status the spec documents as success, with every
field the documented schema requires; every operation that needs a role
answers 401 problem+json without credentials and 403 to the roles it
excludes; every documented error is a Problem."""
import base64
import json
import os
import re
import subprocess
import unittest
import urllib.parse

import yaml

from checks import CheckedTest, ServeMixin

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(
    __file__)), "..", ".."))
SPEC = os.path.join(ROOT, "docs", "openapi.yaml")
API_C = os.path.join(ROOT, "src", "proto", "api.c")

HTTP_METHODS = ("get", "post", "patch", "delete", "put", "head", "options",
                "trace")
C_METHODS = {"GET": "get", "POST": "post", "PATCH": "patch", "PUT": "put",
             "DEL": "delete"}
ALL_ROLES = ("admin", "approver", "operator", "auditor")
C_ROLES = {"0": (), "R_ANY": ALL_ROLES, "R_ADM": ("admin",),
           "R_OPS": ("admin", "operator"), "R_AUD": ("admin", "auditor"),
           "R_APR": ("admin", "approver")}
PROBLEM_REF = "#/components/schemas/Problem"
# Path parameters that name nothing (a certificate ref must look like an
# id or a hex serial, see test_cert_ref_not_found).
NOWHERE = {"cert": "deadbeef4242"}
NOWHERE_DEFAULT = "no-such-thing-42"


def load_spec():
    with open(SPEC) as f:
        return yaml.safe_load(f)


def c_routes():
    """{(method, pattern): roles} from the routes[] table of api.c."""
    with open(API_C) as f:
        src = f.read()
    m = re.search(r"static const struct route routes\[\] = \{(.*?)\n\};",
                  src, re.S)
    assert m, "routes[] not found in api.c"
    # Drop comments (not the "/*" of patterns, which are in strings).
    table = re.sub(r"\"(?:[^\"\\]|\\.)*\"|/\*.*?\*/",
                   lambda t: t.group(0) if t.group(0)[0] == '"' else "",
                   m.group(1), flags=re.S)
    out = {}
    for meth, pat, roles, fn in re.findall(
            r"\{\s*(GET|POST|PATCH|PUT|DEL)\s*,\s*\"([^\"]+)\"\s*,\s*"
            r"([A-Za-z0-9_]+)\s*,\s*(\w+)\s*\}", table):
        key = (C_METHODS[meth], pat)
        assert key not in out, "route twice: %r" % (key,)
        out[key] = C_ROLES[roles]
    # Every "{ METHOD," entry must have been understood.
    assert len(out) == len(re.findall(r"\{\s*(?:GET|POST|PATCH|PUT|DEL)\s*,",
                                      table)), "unparsed route entries"
    return out


def spec_ops(spec):
    """[(method, path, operation)] in document order."""
    out = []
    for path, item in spec["paths"].items():
        for meth in HTTP_METHODS:
            if meth in item:
                out.append((meth, path, item[meth]))
    return out


def pattern(path):
    return re.sub(r"\{[^}]+\}", "*", path)


def resolve(spec, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        seen += 1
        assert seen < 20, "$ref loop at " + ref
    return node


def type_ok(t, v):
    return {"object": lambda: isinstance(v, dict),
            "array": lambda: isinstance(v, list),
            "string": lambda: isinstance(v, str),
            "integer": lambda: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda: isinstance(v, (int, float)) and
            not isinstance(v, bool),
            "boolean": lambda: isinstance(v, bool),
            "null": lambda: v is None}[t]()


def validate(spec, schema, value, where="$"):
    """Errors of value against a (small) JSON Schema subset: $ref, allOf,
    oneOf, anyOf, type, const, enum, required, properties, items."""
    s = resolve(spec, schema)
    errs = []
    for sub in s.get("allOf", ()):
        errs += validate(spec, sub, value, where)
    if "oneOf" in s:
        ok = [sub for sub in s["oneOf"] if not validate(spec, sub, value,
                                                         where)]
        if len(ok) != 1:
            errs.append("%s: matches %d of oneOf" % (where, len(ok)))
    if "anyOf" in s and not any(not validate(spec, sub, value, where)
                                for sub in s["anyOf"]):
        errs.append("%s: matches none of anyOf" % where)
    if "type" in s:
        types = s["type"] if isinstance(s["type"], list) else [s["type"]]
        if not any(type_ok(t, value) for t in types):
            errs.append("%s: %r is not %s" % (where, value, "|".join(types)))
            return errs
    if "const" in s and value != s["const"]:
        errs.append("%s: %r != %r" % (where, value, s["const"]))
    if "enum" in s and value not in s["enum"]:
        errs.append("%s: %r not in %r" % (where, value, s["enum"]))
    if isinstance(value, dict):
        for k in s.get("required", ()):
            if k not in value:
                errs.append("%s: required field %r missing" % (where, k))
        for k, sub in s.get("properties", {}).items():
            if k in value:
                errs += validate(spec, sub, value[k], where + "." + k)
    if isinstance(value, list) and "items" in s:
        for i, v in enumerate(value):
            errs += validate(spec, s["items"], v, "%s[%d]" % (where, i))
    return errs


class SpecTest(CheckedTest):
    """The document itself, against the C route table."""
    init = False

    def setUp(self):
        super().setUp()
        self.spec = load_spec()

    def test_openapi_version_and_components(self):
        self.assertEqual(self.spec["openapi"], "3.1.0")
        comp = self.spec["components"]
        for name in ("Organisation", "Application", "Certificate",
                     "CertificateWithPem", "TrustEntry", "AuditRecord",
                     "Problem", "JWKS", "OrganisationPage",
                     "ApplicationPage", "CertificatePage", "TrustEntryPage",
                     "AuditPage"):
            self.assertIn(name, comp["schemas"])
        cert = set(comp["schemas"]["Certificate"]["required"])
        self.assertLessEqual({"id", "serial", "type", "application",
                              "status", "subject", "issuer", "not_before",
                              "not_after", "fingerprint_sha256"}, cert)
        pem = resolve(self.spec, {"$ref": "#/components/schemas/"
                                          "CertificateWithPem"})
        self.assertIn("pem", pem["allOf"][1]["required"])
        self.assertEqual(set(comp["schemas"]["Problem"]["required"]),
                         {"type", "title", "status", "detail", "code",
                          "instance", "request_id"})
        sch = comp["securitySchemes"]
        self.assertEqual(sch["bearer"]["type"], "http")
        self.assertEqual(sch["bearer"]["scheme"], "bearer")
        self.assertEqual(sch["mutualTLS"]["type"], "mutualTLS")

    def test_routes_match_api_c(self):
        routes = c_routes()
        self.assertGreaterEqual(len(routes), 30)
        ops = spec_ops(self.spec)
        spec_set = [(m, pattern(p)) for m, p, _ in ops]
        self.assertEqual(len(spec_set), len(set(spec_set)), "duplicates")
        self.assertEqual(set(spec_set) - set(routes), set(),
                         "in the spec, not in api.c")
        self.assertEqual(set(routes) - set(spec_set), set(),
                         "in api.c, not in the spec")
        for m, p, op in ops:
            where = "%s %s" % (m.upper(), p)
            self.assertIn("x-certa-roles", op, where)
            self.assertEqual(sorted(op["x-certa-roles"]),
                             sorted(routes[(m, pattern(p))]), where)
            if not op["x-certa-roles"]:
                self.assertEqual(op.get("security"), [], where)
            else:
                self.assertNotEqual(op.get("security"), [], where)
                for st in ("401", "403"):
                    self.assertIn(st, op["responses"], where)
            # Path parameters named in the path are declared, and back.
            declared = {resolve(self.spec, prm)["name"]
                        for prm in (self.spec["paths"][p].get(
                            "parameters", []) + op.get("parameters", []))
                        if resolve(self.spec, prm)["in"] == "path"}
            self.assertEqual(declared, set(re.findall(r"\{([^}]+)\}", p)),
                             where)

    def test_errors_are_problems(self):
        n = 0
        for m, p, op in spec_ops(self.spec):
            for st, resp in op["responses"].items():
                if not (str(st)[0] in "45" or st == "default"):
                    continue
                where = "%s %s %s" % (m.upper(), p, st)
                r = resolve(self.spec, resp)
                self.assertEqual(list(r.get("content", {})),
                                 ["application/problem+json"], where)
                sch = r["content"]["application/problem+json"]["schema"]
                self.assertEqual(sch, {"$ref": PROBLEM_REF}, where)
                n += 1
        self.assertGreater(n, 100)


class OpenApiLiveTest(ServeMixin, CheckedTest):
    """Every operation of the spec, called with curl."""

    def setUp(self):
        super().setUp()
        self.spec = load_spec()
        self.ops = {(m, p): op for m, p, op in spec_ops(self.spec)}
        self.setup_app("acme", "payments")
        self.root, _ = self.chain_files()
        self.tokens = {}
        for role in ALL_ROLES:
            out = self.ok("token", "create", "--role", role, "--name",
                          "oa-" + role).text.strip()
            self.assertRegex(out, r"^certa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$")
            self.tokens[role] = out
        self.ncalls = 0

    # -- HTTP through curl ------------------------------------------------
    def call(self, method, path, token=None, body=None, ctype=None,
             query=None, headers=(), cert=None):
        """(status, {header: [values]}, body bytes)."""
        self.ncalls += 1
        hdrf = self.path("h%d.txt" % self.ncalls)
        outf = self.path("b%d.bin" % self.ncalls)
        url = self.api + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        args = ["curl", "-sS", "--cacert", self.root, "-X", method.upper(),
                "-D", hdrf, "-o", outf, "-w", "%{http_code}",
                "-H", "Expect:"]
        if token is not None:
            args += ["-H", "Authorization: Bearer " + token]
        if ctype is not None:
            args += ["-H", "Content-Type: " + ctype]
        for h in headers:
            args += ["-H", h]
        if cert is not None:
            args += ["--cert", cert[0], "--key", cert[1]]
        if body is not None:
            bf = self.path("req%d.bin" % self.ncalls)
            with open(bf, "wb") as f:
                f.write(body.encode() if isinstance(body, str) else body)
            args += ["--data-binary", "@" + bf]
        r = subprocess.run(args + [url], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 0, (args, r.stderr))
        with open(hdrf, "rb") as f:
            raw = f.read().decode("latin-1")
        block = [b for b in raw.split("\r\n\r\n") if b.strip()][-1]
        hdrs = {}
        for line in block.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        with open(outf, "rb") as f:
            data = f.read()
        return int(r.stdout), hdrs, data

    def ctypes(self, hdrs):
        return [v.split(";")[0].strip().lower()
                for v in hdrs.get("content-type", [])]

    def check_problem(self, where, status, hdrs, data):
        self.assertIn("application/problem+json", self.ctypes(hdrs), where)
        prob = json.loads(data)
        errs = validate(self.spec, {"$ref": PROBLEM_REF}, prob)
        self.assertEqual(errs, [], where)
        self.assertEqual(prob["status"], status, where)
        self.assertTrue(prob["code"], where)
        self.assertEqual(prob["type"], "urn:certa:problem:" + prob["code"])
        self.assertEqual(hdrs.get("x-request-id"), [prob["request_id"]],
                         where)
        return prob

    def check_answer(self, key, status, hdrs, data, success=True):
        """status documented for the operation (as success when asked);
        a JSON answer validates against the documented schema."""
        meth, path = key
        op = self.ops[key]
        where = "%s %s -> %d %r" % (meth.upper(), path, status, data[:300])
        docs = {str(k): v for k, v in op["responses"].items()}
        self.assertIn(str(status), docs, where)
        if success:
            self.assertTrue(200 <= status < 300, where)
        resp = resolve(self.spec, docs[str(status)])
        if status >= 400:
            return self.check_problem(where, status, hdrs, data)
        if status == 204 or "content" not in resp:
            self.assertEqual(data, b"", where)
            return None
        got = self.ctypes(hdrs)
        documented = [c for c in resp["content"] if c in got]
        self.assertTrue(documented, "%s: Content-Type %r not documented "
                        "(%r)" % (where, got, list(resp["content"])))
        for name, h in resp.get("headers", {}).items():
            if name.lower() in ("location",):
                self.assertIn(name.lower(), hdrs, where)
        ct = documented[0]
        if ct.endswith("json"):
            body = json.loads(data)
            schema = resp["content"][ct]["schema"]
            errs = validate(self.spec, schema, body)
            self.assertEqual(errs, [], where)
            return body
        self.assertGreater(len(data), 0, where)
        return data

    def path_of(self, path, params):
        def sub(m):
            return urllib.parse.quote(str(params[m.group(1)]), safe="")
        return re.sub(r"\{([^}]+)\}", sub, path)

    # -- fixtures ---------------------------------------------------------
    def self_signed(self, name, cn, days=30):
        key, pem = self.path(name + ".key"), self.path(name + ".pem")
        self.ossl_ok("req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                     "-out", pem, "-subj", "/CN=" + cn, "-days", days)
        return key, pem

    def gen_crl(self, ca_key, ca_pem, out, der=False):
        """A CRL of ca made by `openssl ca -gencrl` (numbers 1, 2, ...)."""
        db = self.path("cadb")
        if not os.path.isdir(db):
            os.mkdir(db)
            self.write("cadb/index.txt", "")
            self.write("cadb/crlnumber", "01\n")
            self.write("ca.cnf", "[ca]\ndefault_ca = d\n[d]\n"
                       "database = %s/index.txt\ncrlnumber = %s/crlnumber\n"
                       "default_md = sha256\ndefault_crl_days = 30\n"
                       % (db, db))
        self.ossl_ok("ca", "-config", self.path("ca.cnf"), "-gencrl",
                     "-keyfile", ca_key, "-cert", ca_pem, "-out",
                     self.path(out + ".pem"))
        if not der:
            return self.read(out + ".pem")
        self.ossl_ok("crl", "-in", self.path(out + ".pem"), "-outform",
                     "DER", "-out", self.path(out + ".der"))
        return self.read(out + ".der")

    def walk_plan(self):
        """[(method, path, make)] in call order (DELETEs last); make(state)
        gives the call's params/body/ctype/query/headers and may name a
        check(state, body) to run on the answer."""
        csr = self.read(os.path.basename(self.make_csr(
            "walk", "/CN=walk client"))).decode()
        csr2 = self.make_csr("walk2", "/CN=walk signer")
        self.ossl_ok("req", "-in", csr2, "-outform", "DER", "-out",
                     self.path("walk2.der"))
        csr2_der = self.read("walk2.der")
        csr3 = self.read(os.path.basename(self.make_csr(
            "walk3", "/CN=walk signer"))).decode()
        ca_key, ca_pem = self.self_signed("walkca", "Walk CA")
        _, other_pem = self.self_signed("other", "Other Peer")
        _, third_pem = self.self_signed("third", "Third Peer")
        self.ossl_ok("x509", "-in", third_pem, "-outform", "DER", "-out",
                     self.path("third.der"))
        crl1 = self.gen_crl(ca_key, ca_pem, "crl1")
        crl2 = self.gen_crl(ca_key, ca_pem, "crl2", der=True)
        J = "application/json"

        def js(o):
            return json.dumps(o)

        def keep(name, field="id"):
            def f(state, body):
                state[name] = body[field] if field else body
            return f

        def has_p12(state, body):
            self.assertTrue(body["server_generated_key"])
            der = base64.b64decode(body["pkcs12_base64"])
            self.write("gen.p12", der)
            self.ossl_ok("pkcs12", "-in", self.path("gen.p12"), "-passin",
                         "pass:walk-pw", "-nodes", "-noout")

        def is_pem(state, body):
            self.assertTrue(body.startswith(b"-----BEGIN CERTIFICATE-----"))

        def is_der(state, body):
            self.write("x.der", body)
            self.ossl_ok("x509", "-inform", "DER", "-in", self.path("x.der"),
                         "-noout")

        def is_p7b(state, body):
            self.write("x.p7b", body)
            out = self.ossl_ok("pkcs7", "-inform", "DER", "-in",
                               self.path("x.p7b"), "-print_certs").text
            self.assertGreaterEqual(out.count("BEGIN CERTIFICATE"), 2)

        def is_p12(state, body):
            self.write("x.p12", body)
            self.ossl_ok("pkcs12", "-in", self.path("x.p12"), "-passin",
                         "pass:p12-pw", "-nokeys", "-noout")

        def revoked(state, body):
            self.assertEqual(body["status"], "revoked")
            self.assertEqual(body["revocation_reason"], "superseded")

        def in_list(lst):
            def f(state, body):
                self.assertEqual(body["list"], lst)
            return f

        def keep_request(name):
            def f(state, body):
                state[name] = body["request"]["id"]
                self.assertEqual(body["request"]["state"], "pending")
            return f

        def state_is(want):
            def f(state, body):
                self.assertEqual(body["state"], want)
            return f

        def thresholds(want):
            def f(state, body):
                self.assertEqual(body["thresholds"], want)
            return f

        def trust_is(mode, ar):
            def f(state, body):
                self.assertEqual((body["mode"], body["auto_reject"]),
                                 (mode, ar))
            return f

        def jwks(state, body):
            self.assertEqual([k["use"] for k in body["keys"]], ["sig"])

        A, O, C, T = ("/api/v1/applications", "/api/v1/organisations",
                      "/api/v1/certificates", "/api/v1/trust")
        return [
            ("get", "/healthz", lambda s: {}),
            ("get", "/readyz", lambda s: {}),
            ("get", "/metrics", lambda s: {}),
            ("get", "/api/v1/whoami", lambda s: {}),
            ("post", O, lambda s: {"body": js({"name": "walk-org"}),
                                   "ctype": J, "check": keep("org")}),
            ("post", O + "/{org}/applications",
             lambda s: {"params": {"org": s["org"]},
                        "body": js({"name": "walk-app"}), "ctype": J,
                        "check": keep("app")}),
            ("post", A + "/{app}/certificates",
             lambda s: {"params": {"app": "acme/payments"},
                        "body": js({"type": "transport", "csr": csr,
                                    "sans": ["DNS:walk.example"],
                                    "validity_days": 30}),
                        "ctype": J, "check": keep("cert")}),
            ("post", A + "/{app}/certificates",
             lambda s: {"params": {"app": "payments"}, "body": csr2_der,
                        "ctype": "application/pkcs10",
                        "query": {"type": "signing"},
                        "check": keep("cert2")}),
            ("post", A + "/{app}/certificates",
             lambda s: {"params": {"app": "payments"},
                        "body": js({"type": "transport",
                                    "generate_key": "ec:P-256",
                                    "subject": "CN=walk generated",
                                    "password": "walk-pw"}),
                        "ctype": J, "check": has_p12}),
            ("post", T, lambda s: {"body": js({
                "certificate": self.read("walkca.pem").decode(),
                "alias": "walk-ca"}), "ctype": J}),
            ("post", T, lambda s: {"body": self.read("other.pem"),
                                   "ctype": "application/x-pem-file",
                                   "query": {"alias": "other",
                                             "list": "issuer"}}),
            ("post", T, lambda s: {"body": self.read("third.der"),
                                   "ctype": "application/pkix-cert",
                                   "query": {"alias": "third"}}),
            ("post", T + "/crls", lambda s: {
                "body": crl1, "ctype": "application/x-pem-file"}),
            ("post", T + "/crls", lambda s: {
                "body": crl2, "ctype": "application/pkix-crl"}),
            ("get", O, lambda s: {"query": {"limit": 1}}),
            ("get", O + "/{org}", lambda s: {"params": {"org": "acme"}}),
            ("get", O + "/{org}/applications",
             lambda s: {"params": {"org": "acme"}}),
            ("get", A, lambda s: {"query": {"organisation": "acme"}}),
            ("get", A + "/{app}", lambda s: {"params": {"app": s["app"]}}),
            ("get", A + "/{app}/certificates",
             lambda s: {"params": {"app": "payments"},
                        "query": {"status": "valid", "limit": 2}}),
            ("get", A + "/{app}/certificates/current",
             lambda s: {"params": {"app": "payments"},
                        "query": {"type": "transport"}}),
            ("get", A + "/{app}/certificates/current",
             lambda s: {"params": {"app": "payments"},
                        "query": {"type": "transport", "all": "true"}}),
            ("get", A + "/{app}/jwks",
             lambda s: {"params": {"app": "payments"}, "check": jwks}),
            ("get", C, lambda s: {"query": {"type": "transport"}}),
            ("get", C + "/{cert}", lambda s: {"params": {"cert": s["cert"]}}),
            ("get", C + "/{cert}", lambda s: {
                "params": {"cert": s["cert"]}, "query": {"format": "pem"},
                "check": is_pem}),
            ("get", C + "/{cert}", lambda s: {
                "params": {"cert": s["cert"]}, "query": {"format": "der"},
                "check": is_der}),
            ("get", C + "/{cert}", lambda s: {
                "params": {"cert": s["cert"]},
                "headers": ["Accept: application/pkcs7-mime"],
                "check": is_p7b}),
            ("get", C + "/{cert}", lambda s: {
                "params": {"cert": s["cert"]}, "query": {"format": "p12"},
                "headers": ["X-P12-Password: p12-pw"], "check": is_p12}),
            ("get", T, lambda s: {"query": {"list": "trusted"}}),
            ("get", T + "/{alias}", lambda s: {"params": {"alias":
                                                          "walk-ca"}}),
            ("get", T + "/{alias}", lambda s: {
                "params": {"alias": "walk-ca"}, "query": {"format": "der"},
                "check": is_der}),
            ("get", "/api/v1/audit", lambda s: {"query": {"limit": 5}}),
            # Lifecycle: renew (the 30-day certificate is in its window),
            # reissue with a grace, approve its pending revocation (as
            # another caller: dual control), revocation requests.
            ("post", C + "/{cert}/renew", lambda s: {
                "params": {"cert": s["cert"]},
                "body": js({"same_key": True}), "ctype": J,
                "check": keep("renewed")}),
            ("post", C + "/{cert}/reissue", lambda s: {
                "params": {"cert": s["cert2"]},
                "body": js({"csr": csr3, "grace_seconds": 3600}),
                "ctype": J, "check": keep_request("superseding")}),
            ("get", "/api/v1/requests", lambda s: {
                "query": {"state": "pending", "limit": 10}}),
            ("get", "/api/v1/requests/{id}", lambda s: {
                "params": {"id": s["superseding"]}}),
            ("post", "/api/v1/requests/{id}/approve", lambda s: {
                "params": {"id": s["superseding"]}, "as": "approver",
                "check": state_is("revoked")}),
            ("post", C + "/{cert}/revocation-requests", lambda s: {
                "params": {"cert": s["renewed"]},
                "body": js({"reason": "keyCompromise"}), "ctype": J,
                "check": keep("rr")}),
            ("post", "/api/v1/requests/{id}/reject", lambda s: {
                "params": {"id": s["rr"]}, "as": "approver",
                "body": js({"comment": "not compromised"}), "ctype": J,
                "check": state_is("rejected")}),
            ("post", C + "/{cert}/revocation-requests", lambda s: {
                "params": {"cert": s["renewed"]},
                "body": js({"reason": "superseded"}), "ctype": J,
                "check": keep("rr2")}),
            ("post", "/api/v1/requests/{id}/cancel", lambda s: {
                "params": {"id": s["rr2"]}, "check": state_is("cancelled")}),
            ("patch", O + "/{org}", lambda s: {
                "params": {"org": s["org"]},
                "body": js({"name": "walk-org-2"}), "ctype": J}),
            ("patch", A + "/{app}", lambda s: {
                "params": {"app": s["app"]},
                "body": js({"name": "walk-app-2"}), "ctype": J}),
            ("post", C + "/{cert}/revoke", lambda s: {
                "params": {"cert": s["cert"]},
                "body": js({"reason": "superseded"}), "ctype": J,
                "check": revoked}),
            ("post", T + "/{alias}/reject", lambda s: {
                "params": {"alias": "other"}, "check": in_list("rejected")}),
            ("post", T + "/{alias}/trust", lambda s: {
                "params": {"alias": "other"}, "check": in_list("trusted")}),
            # Settings: tokens, notification channels and switches,
            # the trust settings the gate follows.
            ("get", "/api/v1/tokens", lambda s: {}),
            ("post", "/api/v1/tokens", lambda s: {
                "body": js({"role": "auditor", "name": "walk-token"}),
                "ctype": J, "check": keep("token")}),
            ("get", "/api/v1/notifications/channels", lambda s: {}),
            ("post", "/api/v1/notifications/channels", lambda s: {
                "body": js({"kind": "webhook",
                            "target": "https://hooks.example/certa",
                            "secret": "walk-secret-0123456789",
                            "organisation": "acme"}),
                "ctype": J, "check": keep("channel")}),
            ("get", O + "/{org}/notifications",
             lambda s: {"params": {"org": "acme"}}),
            ("put", O + "/{org}/notifications", lambda s: {
                "params": {"org": "acme"},
                "body": js({"thresholds": [14, 60, 3], "enabled": True}),
                "ctype": J, "check": thresholds([60, 14, 3])}),
            ("get", "/api/v1/settings/trust", lambda s: {}),
            ("get", "/api/v1/cluster", lambda s: {}),
            ("put", "/api/v1/settings/trust", lambda s: {
                "body": js({"mode": "trusted_list", "auto_reject": True}),
                "ctype": J, "check": trust_is("trusted_list", True)}),
            ("delete", T + "/{alias}", lambda s: {"params": {"alias":
                                                             "third"}}),
            ("delete", "/api/v1/tokens/{token}",
             lambda s: {"params": {"token": s["token"]}}),
            ("delete", "/api/v1/notifications/channels/{channel}",
             lambda s: {"params": {"channel": s["channel"]}}),
            ("delete", A + "/{app}", lambda s: {"params": {"app": s["app"]}}),
            ("delete", O + "/{org}", lambda s: {"params": {"org": s["org"]}}),
        ]

    # -- tests ------------------------------------------------------------
    def test_walk_every_operation(self):
        plan = self.walk_plan()
        self.assertEqual({(m, p) for m, p, _ in plan}, set(self.ops),
                         "the walk must call every operation of the spec")
        seen_delete = False
        for m, _, _ in plan:
            if m == "delete":
                seen_delete = True
            else:
                self.assertFalse(seen_delete, "DELETEs come last")
        self.start()
        state = {}
        for meth, path, make in plan:
            kw = make(state)
            url = self.path_of(path, kw.get("params", {}))
            st, hdrs, data = self.call(meth, url,
                                       self.tokens[kw.get("as", "admin")],
                                       body=kw.get("body"),
                                       ctype=kw.get("ctype"),
                                       query=kw.get("query"),
                                       headers=kw.get("headers", ()))
            body = self.check_answer((meth, path), st, hdrs, data)
            if "check" in kw:
                kw["check"](state, body)
        # What the walk did is in the audit log, by the token's name.
        st, hdrs, data = self.call("get", "/api/v1/audit",
                                   self.tokens["auditor"],
                                   query={"limit": 1000})
        body = self.check_answer(("get", "/api/v1/audit"), st, hdrs, data)
        actors = {r["actor"] for r in body["items"]}
        self.assertIn("api:token:oa-admin", actors)
        self.stop()

    def test_pages(self):
        for i in range(3):
            self.ok("org", "create", "page-%d" % i)
        self.start()
        key = ("get", "/api/v1/organisations")
        seen, after = [], None
        while True:
            q = {"limit": 2}
            if after is not None:
                q["after"] = after
            st, hdrs, data = self.call("get", key[1], self.tokens["auditor"],
                                       query=q)
            body = self.check_answer(key, st, hdrs, data)
            self.assertLessEqual(len(body["items"]), 2)
            seen += [o["name"] for o in body["items"]]
            after = body["next"]
            if after is None:
                break
        self.assertEqual(seen, ["acme", "page-0", "page-1", "page-2"])
        for bad in ({"limit": 0}, {"limit": 1001}, {"after": "x"}):
            st, hdrs, data = self.call("get", key[1], self.tokens["admin"],
                                       query=bad)
            prob = self.check_answer(key, st, hdrs, data, success=False)
            self.assertEqual((st, prob["code"]), (400, "invalid_parameter"))
        self.stop()

    def test_roles_and_errors(self):
        """Each operation with roles: 401 without credentials or with a bad
        token, 403 for each excluded role, neither for an allowed one.
        Nothing is changed: path parameters name nothing, bodies are
        missing or malformed."""
        self.start()
        for (meth, path), op in sorted(self.ops.items()):
            roles = op["x-certa-roles"]
            url = self.path_of(path, {k: NOWHERE.get(k, NOWHERE_DEFAULT)
                                      for k in re.findall(r"\{([^}]+)\}",
                                                          path)})
            where = "%s %s" % (meth.upper(), path)
            if not roles:
                st, hdrs, data = self.call(meth, url)
                self.check_answer((meth, path), st, hdrs, data)
                continue
            for auth in (None, "certa_0000000000000000_" + "A" * 43):
                st, hdrs, data = self.call(meth, url, auth)
                self.assertEqual(st, 401, where)
                prob = self.check_answer((meth, path), st, hdrs, data,
                                         success=False)
                self.assertEqual(prob["code"], "unauthenticated", where)
                self.assertEqual(hdrs.get("www-authenticate"),
                                 ['Bearer realm="certa"'], where)
            st, hdrs, data = self.call(meth, url, headers=[
                "Authorization: Basic b2E6b2E="])
            self.assertEqual(st, 401, where)
            for role in ALL_ROLES:
                st, hdrs, data = self.call(meth, url, self.tokens[role])
                got = self.check_answer((meth, path), st, hdrs, data,
                                        success=False)
                if role in roles:
                    self.assertNotIn(st, (401, 403), (where, role, data))
                    self.assertFalse(meth != "get" and st < 300,
                                     (where, role, st))
                else:
                    self.assertEqual(st, 403, (where, role))
                    self.assertEqual(got["code"], "forbidden")
            # Bodies: malformed JSON (400), a type not accepted (415).
            rb = op.get("requestBody")
            if rb is None:
                continue
            if "application/json" in rb["content"]:
                st, hdrs, data = self.call(meth, url, self.tokens["admin"],
                                           body='{"name": ',
                                           ctype="application/json")
                prob = self.check_answer((meth, path), st, hdrs, data,
                                         success=False)
                self.assertEqual((st, prob["code"]), (400, "malformed_json"),
                                 where)
            st, hdrs, data = self.call(meth, url, self.tokens["admin"],
                                       body="x", ctype="text/plain")
            prob = self.check_answer((meth, path), st, hdrs, data,
                                     success=False)
            self.assertEqual((st, prob["code"]),
                             (415, "unsupported_media_type"), where)
        # Off the table: 404 no_route, 405 with Allow.
        st, hdrs, data = self.call("get", "/api/v1/nowhere",
                                   self.tokens["admin"])
        self.assertEqual(self.check_problem("no route", st, hdrs,
                                            data)["code"], "no_route")
        self.assertEqual(st, 404)
        st, hdrs, data = self.call("put", "/api/v1/organisations",
                                   self.tokens["admin"])
        self.assertEqual(st, 405)
        self.assertEqual(self.check_problem("405", st, hdrs, data)["code"],
                         "method_not_allowed")
        item = self.spec["paths"]["/api/v1/organisations"]
        allowed = {m.upper() for m in HTTP_METHODS if m in item}
        self.assertEqual({a.strip() for a in hdrs["allow"][0].split(",")},
                         allowed)
        self.stop()

    def test_mutual_tls(self):
        """The mutualTLS scheme: a certa-issued client certificate mapped
        to a role; unmapped 403 no_role; a stranger's 401."""
        mapped = self.issue("acme/payments", "transport",
                            self.make_csr("mtls", "/CN=walk mtls"))
        unmapped = self.issue("acme/payments", "transport",
                              self.make_csr("nomap", "/CN=walk nomap"))
        strange_key, strange = self.self_signed("stranger", "walk mtls")
        self.ok("role", "map", "--subject", "CN=walk mtls", "--role",
                "auditor")
        self.start()
        who = ("get", "/api/v1/whoami")
        st, hdrs, data = self.call(*who, cert=(mapped,
                                               self.path("mtls.key")))
        body = self.check_answer(who, st, hdrs, data)
        self.assertEqual(body["role"], "auditor")
        self.assertEqual(body["actor"], "api:cert:CN=walk mtls")
        key = ("delete", "/api/v1/organisations/{org}")
        st, hdrs, data = self.call("delete", "/api/v1/organisations/acme",
                                   cert=(mapped, self.path("mtls.key")))
        prob = self.check_answer(key, st, hdrs, data, success=False)
        self.assertEqual((st, prob["code"]), (403, "forbidden"))
        st, hdrs, data = self.call(*who, cert=(unmapped,
                                               self.path("nomap.key")))
        prob = self.check_answer(who, st, hdrs, data, success=False)
        self.assertEqual((st, prob["code"]), (403, "no_role"))
        st, hdrs, data = self.call(*who, cert=(strange, strange_key))
        prob = self.check_answer(who, st, hdrs, data, success=False)
        self.assertEqual((st, prob["code"]), (401, "certificate_refused"))
        self.stop()

    def test_jwks_has_one_content_type(self):
        """The JWKS carries exactly one Content-Type."""
        self.start()
        st, hdrs, _ = self.call("get", "/api/v1/applications/payments/jwks",
                                self.tokens["admin"])
        self.assertEqual(st, 200)
        self.assertEqual(hdrs.get("content-type"),
                         ["application/jwk-set+json"])

    def test_cert_ref_not_found(self):
        """A certificate reference that is neither an id nor a hex serial
        names no resource: 404 not_found, as for every other resource."""
        self.start()
        st, _, data = self.call("get", "/api/v1/certificates/nope",
                                self.tokens["admin"])
        self.assertEqual(st, 404, data)
