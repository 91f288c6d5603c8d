#!/usr/bin/env python3
"""A small SAML 2.0 identity provider built on pysaml2 (PyPI) and xmlsec1 (Debian): the
conformance suite's second, independent IdP implementation (Keycloak signs with Java's XML
signature stack; this one signs with xmlsec1, in C, RSA-SHA256 / SHA-256 digests).

    pysaml2_idp.py --base-url http://127.0.0.1:8480 --key idp.key --cert idp.crt \
        --users users.json --write-metadata idp-metadata.xml          # metadata only, then exit
    pysaml2_idp.py --base-url ... --sp-metadata http://127.0.0.1:8280/saml/metadata ...   # serve

Endpoints:
  GET  /idp/metadata                  this IdP's metadata
  GET  /sso/redirect                  AuthnRequest, HTTP-Redirect binding (signature verified)
  POST /sso/post                      AuthnRequest, HTTP-POST binding (signature verified)
  GET  /idp-init?sp=<entityID>[&RelayState=...]   IdP-initiated (unsolicited) sign-in
  POST /login                         the login form's target; answers with the auto-POST form
  /slo/redirect, /slo/post, /slo-init Single Logout (pysaml2_slo.py); a sign-in leaves an IdP
                                      session cookie, so the next sign-in skips the password
  POST /_control                      test knobs (JSON): {"sign_response": bool, "sign_assertion": bool}
  GET  /_health                       200 once serving

The login page has <form id="login"> with fields username/password; the response page has
<form id="saml-post" method="post" action="ACS"> with SAMLResponse and RelayState.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import secrets
import socketserver
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
import warnings
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message=".*has been moved to cryptography.hazmat.decrepit.*")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.authn_context import PASSWORDPROTECTEDTRANSPORT  # noqa: E402
from saml2.config import IdPConfig  # noqa: E402
from saml2.metadata import entity_descriptor  # noqa: E402
from saml2.saml import NAME_FORMAT_URI, NameID  # noqa: E402
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT  # noqa: E402
from saml2.saml import NAMEID_FORMAT_TRANSIENT, NAMEID_FORMAT_UNSPECIFIED  # noqa: E402
from saml2.server import Server  # noqa: E402

import pysaml2_slo  # noqa: E402  (beside this file)

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def config_dict(base: str, key: str, cert: str, sp_metadata_files: list[str]) -> dict:
    return {
        "entityid": f"{base}/idp/metadata",
        "description": "samlsp conformance IdP (pysaml2)",
        "service": {
            "idp": {
                "name": "Initech (pysaml2)",
                "endpoints": {
                    "single_sign_on_service": [
                        (f"{base}/sso/redirect", BINDING_HTTP_REDIRECT),
                        (f"{base}/sso/post", BINDING_HTTP_POST),
                    ],
                    "single_logout_service": pysaml2_slo.endpoints(base),
                },
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    },
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_EMAILADDRESS],
                "want_authn_requests_signed": True,
                "sign_response": True,
                "sign_assertion": False,
            },
        },
        "key_file": key,
        "cert_file": cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "crypto_backend": "xmlsec1",
        "signing_algorithm": RSA_SHA256,
        "digest_algorithm": SHA256,
        "metadata": {"local": sp_metadata_files},
        "accepted_time_diff": 60,
    }


def make_config(base, key, cert, sp_metadata_files) -> IdPConfig:
    conf = IdPConfig()
    conf.load(config_dict(base, key, cert, sp_metadata_files))
    return conf


def metadata_xml(conf: IdPConfig) -> str:
    return entity_descriptor(conf).to_string().decode()


def page(title: str, body: str, status: str = "200 OK"):
    doc = (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return status, [("Content-Type", "text/html; charset=utf-8")], doc.encode()


def login_form(key: str, error: str | None = None):
    err = f'<p id="error" role="alert">{html.escape(error)}</p>' if error else ""
    return page(
        "Sign in to Initech (pysaml2 test IdP)",
        err + '<form id="login" method="post" action="/login">'
        f'<input type="hidden" name="key" value="{html.escape(key)}">'
        '<label>Username <input name="username" autocomplete="username"></label>'
        '<label>Password <input type="password" name="password" autocomplete="current-password"></label>'
        '<button type="submit">Sign in</button></form>',
        status="401 Unauthorized" if error else "200 OK",
    )


def post_form(action: str, response_b64: str, relay_state: str | None):
    rs = (
        f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
        if relay_state is not None else ""
    )
    body = (
        f'<form id="saml-post" method="post" action="{html.escape(action)}">'
        f'<input type="hidden" name="SAMLResponse" value="{html.escape(response_b64)}">{rs}'
        '<noscript><button type="submit">Continue</button></noscript></form>'
        "<script>document.getElementById('saml-post').submit()</script>"
    )
    return page("Signing you in", body)


class Idp:
    def __init__(self, args):
        self.args = args
        self.base = args.base_url.rstrip("/")
        self.users = json.load(open(args.users))
        self.tmp = tempfile.mkdtemp(prefix="pysaml2-idp-")
        self.pending: dict[str, dict] = {}
        self.knobs = {"sign_response": True, "sign_assertion": False}
        self.lock = threading.Lock()
        self.slo = pysaml2_slo.Sessions()
        self.server = self._load_server()

    def _load_server(self) -> Server:
        files = []
        for i, url in enumerate(self.args.sp_metadata or []):
            path = os.path.join(self.tmp, f"sp-{i}.xml")
            with open(path, "wb") as f:
                f.write(fetch(url, self.args.wait))
            files.append(path)
        conf = make_config(self.base, self.args.key, self.args.cert, files)
        return Server(config=conf)

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        try:
            status, headers, body = self.route(environ)
        except Exception as e:  # the test reads the reason from the page and the log
            traceback.print_exc()
            status, headers, body = page("IdP error", f"<pre id=\"error\">{html.escape(repr(e))}</pre>",
                                         "500 Internal Server Error")
        start_response(status, headers)
        return [body]

    def route(self, env):
        method = env["REQUEST_METHOD"]
        path = env.get("PATH_INFO", "")
        query = urllib.parse.parse_qs(env.get("QUERY_STRING", ""), keep_blank_values=True)
        form = {}
        if method == "POST":
            n = int(env.get("CONTENT_LENGTH") or 0)
            raw = env["wsgi.input"].read(n)
            if env.get("CONTENT_TYPE", "").startswith("application/json"):
                form = json.loads(raw or b"{}")
            else:
                form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
        one = lambda d, k: (d.get(k) or [None])[0]  # noqa: E731

        answered = pysaml2_slo.handle(self, env, method, path, query, form)
        if answered is not None:
            return answered
        if path == "/_health":
            return "200 OK", [("Content-Type", "text/plain")], b"ok"
        if path == "/idp/metadata" and method == "GET":
            return "200 OK", [("Content-Type", "application/samlmetadata+xml")], \
                metadata_xml(self.server.config).encode()
        if path == "/sso/redirect" and method == "GET":
            req = self.server.parse_authn_request(
                one(query, "SAMLRequest"), BINDING_HTTP_REDIRECT,
                relay_state=one(query, "RelayState"),
                sigalg=one(query, "SigAlg"), signature=one(query, "Signature"),
            )
            return self._start(req, one(query, "RelayState"), BINDING_HTTP_REDIRECT, env)
        if path == "/sso/post" and method == "POST":
            req = self.server.parse_authn_request(one(form, "SAMLRequest"), BINDING_HTTP_POST)
            return self._start(req, one(form, "RelayState"), BINDING_HTTP_POST, env)
        if path == "/idp-init" and method == "GET":
            sp = one(query, "sp")
            if not sp:
                return page("Missing sp", "<p>?sp=&lt;entity ID&gt; is required</p>", "400 Bad Request")
            return self._pend({"sp": sp, "relay_state": one(query, "RelayState"), "request": None}, env)
        if path == "/login" and method == "POST":
            return self._login(one(form, "key"), one(form, "username"), one(form, "password"), env)
        if path == "/_control" and method == "POST":
            with self.lock:
                self.knobs.update({k: bool(v) for k, v in form.items() if k in self.knobs})
                body = json.dumps(self.knobs).encode()
            return "200 OK", [("Content-Type", "application/json")], body
        return page("Not found", "", "404 Not Found")

    def _start(self, req, relay_state, binding, env):
        if req is None:
            return page("Bad request", "<p>no AuthnRequest</p>", "400 Bad Request")
        msg = req.message
        # want_authn_requests_signed is on: parse_authn_request raised IncorrectlySigned unless
        # the signature (query string for Redirect, enveloped for POST) verified.
        print(f"pysaml2-idp: AuthnRequest {msg.id} from {msg.issuer.text} via {binding}: "
              "signature verified", flush=True)
        return self._pend({"sp": msg.issuer.text, "relay_state": relay_state, "request": req}, env)

    def _pend(self, state, env):
        signed_in = self.slo.user(env)
        if signed_in is not None:  # an IdP session: no password asked
            return self._respond(state, signed_in, env)
        key = secrets.token_urlsafe(16)
        with self.lock:
            self.pending[key] = state
        return login_form(key)

    def _login(self, key, username, password, env):
        with self.lock:
            state = self.pending.get(key or "")
        if state is None:
            return page("Session expired", "<p>unknown login key</p>", "400 Bad Request")
        user = self.users.get(username or "")
        if user is None or not secrets.compare_digest(user["password"], password or ""):
            return login_form(key, "Invalid username or password.")
        with self.lock:
            self.pending.pop(key, None)
        return self._respond(state, username, env)

    def _respond(self, state, username, env):
        user = self.users[username]
        with self.lock:
            knobs = dict(self.knobs)

        identity = {k: v if isinstance(v, list) else [v] for k, v in user["attributes"].items()}
        req = state["request"]
        if req is not None:
            resp_args = self.server.response_args(req.message, [BINDING_HTTP_POST])
            requested = req.message.name_id_policy.format if req.message.name_id_policy else None
        else:
            # Unsolicited: the SP's default HTTP-POST ACS from its metadata.
            acs = self.server.metadata.assertion_consumer_service(state["sp"], BINDING_HTTP_POST)
            resp_args = {
                "in_response_to": None, "sp_entity_id": state["sp"], "name_id_policy": None,
                "destination": acs[0]["location"], "binding": BINDING_HTTP_POST,
            }
            requested = None
        if requested == NAMEID_FORMAT_EMAILADDRESS:
            name_id = NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=user["attributes"]["mail"])
        elif requested == NAMEID_FORMAT_TRANSIENT:
            name_id = NameID(format=NAMEID_FORMAT_TRANSIENT, text="_" + secrets.token_hex(16))
        elif requested == NAMEID_FORMAT_UNSPECIFIED:
            name_id = NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=username)
        else:
            name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=user["persistent_id"])
        destination = resp_args.pop("destination")
        resp_args.pop("binding", None)
        response = self.server.create_authn_response(
            identity,
            userid=username,
            name_id=name_id,
            authn={"class_ref": PASSWORDPROTECTEDTRANSPORT, "authn_auth": self.server.config.entityid},
            sign_response=knobs["sign_response"],
            sign_assertion=knobs["sign_assertion"],
            sign_alg=RSA_SHA256,
            digest_alg=SHA256,
            destination=destination,
            **resp_args,
        )
        b64 = base64.b64encode(str(response).encode()).decode()
        print(f"pysaml2-idp: Response for {username} to {destination} "
              f"(in response to {resp_args.get('in_response_to')}, {knobs})", flush=True)
        status, headers, body = post_form(destination, b64, state["relay_state"])
        cookie = self.slo.record(env, username, resp_args.get("sp_entity_id") or state["sp"], name_id, str(response))
        return status, headers + cookie, body


def fetch(url: str, wait: float) -> bytes:
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.read()
        except Exception as e:  # noqa: BLE001
            if time.monotonic() > deadline:
                raise SystemExit(f"pysaml2-idp: cannot fetch SP metadata {url}: {e}")
            time.sleep(0.5)


class ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("pysaml2-idp: %s\n" % (fmt % args))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--sp-metadata", action="append", help="SP metadata URL (repeatable)")
    ap.add_argument("--wait", type=float, default=60, help="seconds to wait for SP metadata")
    ap.add_argument("--write-metadata", help="write this IdP's metadata to the file and exit")
    args = ap.parse_args()

    if args.write_metadata:
        conf = make_config(args.base_url.rstrip("/"), args.key, args.cert, [])
        with open(args.write_metadata, "w") as f:
            f.write(metadata_xml(conf))
        return
    app = Idp(args)
    u = urllib.parse.urlsplit(args.base_url)
    httpd = make_server(u.hostname, u.port, app, server_class=ThreadingServer, handler_class=QuietHandler)
    print(f"pysaml2-idp: serving {args.base_url} (entity {app.server.config.entityid})", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
