"""Single Logout for the pysaml2 test IdP: its SSO session (a cookie), the SP sessions it
started (NameID and SessionIndex per SP), and both directions of SAML Single Logout.

  GET  /slo/redirect    LogoutRequest from the SP (query signature verified by pysaml2), or the
                        SP's LogoutResponse to ours (query signature verified here)
  POST /slo/post        the same with the HTTP-POST binding (enveloped signatures)
  GET  /slo-init?binding=redirect|post   IdP-initiated: ends this browser's IdP session and
                        sends the SP a signed LogoutRequest naming the NameID and SessionIndex
                        it issued

Pages: the result page has <p id="slo-result"> with "status=<StatusCode>" and whether the
SP's signature verified.
"""

from __future__ import annotations

import html
import re
import secrets
import threading

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NameID
from saml2.sigver import verify_redirect_signature
from saml2.time_util import in_a_while

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
COOKIE = "initech_sso"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"


def endpoints(base: str) -> list:
    return [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT), (f"{base}/slo/post", BINDING_HTTP_POST)]


def _page(title, body, status="200 OK", headers=None):
    doc = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
           f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")
    return status, [("Content-Type", "text/html; charset=utf-8")] + (headers or []), doc.encode()


class Sessions:
    """IdP SSO sessions: cookie value -> {"user": name, "sps": {sp: (NameID, SessionIndex)}}."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_cookie: dict[str, dict] = {}
        self.pending: dict[str, dict] = {}  # our LogoutRequest ID -> {"sp": ...}

    @staticmethod
    def cookie_of(env) -> str | None:
        m = re.search(rf"(?:^|;\s*){COOKIE}=([A-Za-z0-9_-]+)", env.get("HTTP_COOKIE", ""))
        return m.group(1) if m else None

    def user(self, env) -> str | None:
        c = self.cookie_of(env)
        with self.lock:
            s = self.by_cookie.get(c or "")
            return s["user"] if s else None

    def record(self, env, user: str, sp: str, name_id: NameID, response_xml: str) -> list:
        """Remembers the SP session just issued; returns the Set-Cookie header to send."""
        m = re.search(r'SessionIndex="([^"]+)"', response_xml)
        c = self.cookie_of(env)
        with self.lock:
            if c not in self.by_cookie or self.by_cookie[c]["user"] != user:
                c = secrets.token_urlsafe(16)
                self.by_cookie[c] = {"user": user, "sps": {}}
            self.by_cookie[c]["sps"][sp] = (name_id, m.group(1) if m else None)
        return [("Set-Cookie", f"{COOKIE}={c}; Path=/; HttpOnly; SameSite=Lax")]

    def end_by_name_id(self, sp: str, name_id: str) -> bool:
        with self.lock:
            for c, s in list(self.by_cookie.items()):
                nid = s["sps"].get(sp, (None, None))[0]
                if nid is not None and nid.text == name_id:
                    del self.by_cookie[c]
                    return True
        return False

    def end_by_cookie(self, env) -> dict | None:
        c = self.cookie_of(env)
        with self.lock:
            return self.by_cookie.pop(c or "", None)


def _binding(name: str) -> str:
    return BINDING_HTTP_POST if name == "post" else BINDING_HTTP_REDIRECT


def _send(server, binding, xml: str, destination: str, relay_state, response: bool, headers=None):
    info = server.apply_binding(binding, xml, destination, relay_state=relay_state or "",
                                response=response, sign=binding == BINDING_HTTP_REDIRECT,
                                sigalg=RSA_SHA256)
    if binding == BINDING_HTTP_REDIRECT:
        loc = dict(info["headers"])["Location"]
        return "303 See Other", [("Location", loc)] + (headers or []), b""
    return "200 OK", [("Content-Type", "text/html; charset=utf-8")] + (headers or []), info["data"].encode()


def handle(idp, env, method: str, path: str, query: dict, form: dict):
    """Routes /slo/* and /slo-init; None for other paths."""
    one = lambda d, k: (d.get(k) or [None])[0]  # noqa: E731
    server, sessions = idp.server, idp.slo
    if path == "/slo-init" and method == "GET":
        return start(server, sessions, env, _binding(one(query, "binding") or "redirect"))
    if path not in ("/slo/redirect", "/slo/post"):
        return None
    binding = BINDING_HTTP_REDIRECT if path == "/slo/redirect" else BINDING_HTTP_POST
    args = query if binding == BINDING_HTTP_REDIRECT else form
    rs = one(args, "RelayState")
    if one(args, "SAMLRequest"):
        # SP-initiated: want_authn_requests_signed makes pysaml2 refuse an unsigned request.
        req = server.parse_logout_request(one(args, "SAMLRequest"), binding, relay_state=rs,
                                          sigalg=one(args, "SigAlg"), signature=one(args, "Signature"))
        msg = req.message
        ended = sessions.end_by_name_id(msg.issuer.text, msg.name_id.text)
        print(f"pysaml2-idp: LogoutRequest {msg.id} from {msg.issuer.text} via {binding}: signature "
              f"verified; NameID {msg.name_id.text}, SessionIndex "
              f"{[s.text for s in msg.session_index]}; IdP session ended: {ended}", flush=True)
        resp = server.create_logout_response(msg, [binding], sign=binding == BINDING_HTTP_POST,
                                             sign_alg=RSA_SHA256, digest_alg=SHA256)
        dest = server.metadata.single_logout_service(msg.issuer.text, binding, "spsso")[0]["location"]
        return _send(server, binding, str(resp), dest, rs, True,
                     headers=[("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")])
    if one(args, "SAMLResponse"):
        return finish(server, sessions, binding, args)
    return _page("Bad request", "<p>no SAMLRequest or SAMLResponse</p>", "400 Bad Request")


def start(server, sessions, env, binding):
    s = sessions.end_by_cookie(env)
    if not s or not s["sps"]:
        return _page("Not signed in", "<p id=\"slo-result\">no IdP session</p>", "400 Bad Request")
    sp, (name_id, session_index) = next(iter(s["sps"].items()))
    dest = server.metadata.single_logout_service(sp, binding, "spsso")[0]["location"]
    req_id, req = server.create_logout_request(
        dest, sp, name_id=name_id, session_indexes=[session_index] if session_index else None,
        expire=in_a_while(minutes=5), sign=binding == BINDING_HTTP_POST,
        sign_alg=RSA_SHA256, digest_alg=SHA256)
    with sessions.lock:
        sessions.pending[req_id] = {"sp": sp}
    print(f"pysaml2-idp: IdP-initiated LogoutRequest {req_id} to {sp} via {binding} for "
          f"{name_id.text} (SessionIndex {session_index})", flush=True)
    return _send(server, binding, str(req), dest, "idp-slo-" + req_id[-8:], False,
                 headers=[("Set-Cookie", f"{COOKIE}=; Path=/; Max-Age=0")])


def finish(server, sessions, binding, args):
    """The SP's LogoutResponse to our LogoutRequest."""
    one = lambda d, k: (d.get(k) or [None])[0]  # noqa: E731
    verified = "enveloped"
    if binding == BINDING_HTTP_REDIRECT:
        msg = {k: one(args, k) for k in ("SAMLResponse", "RelayState", "SigAlg", "Signature") if one(args, k)}
        if "Signature" not in msg:
            return _page("Refused", "<p id=\"slo-result\">unsigned LogoutResponse</p>", "400 Bad Request")
        resp = server.parse_logout_request_response(one(args, "SAMLResponse"), binding)
        sp = resp.response.issuer.text
        certs = server.metadata.certs(sp, "spsso", "signing")
        ok = any(verify_redirect_signature(msg, server.sec.sec_backend, cert=c[1]) for c in certs)
        if not ok:
            return _page("Refused", "<p id=\"slo-result\">bad query signature</p>", "400 Bad Request")
        verified = "query"
    else:
        resp = server.parse_logout_request_response(one(args, "SAMLResponse"), binding)
        if resp.response.signature is None:
            return _page("Refused", "<p id=\"slo-result\">unsigned LogoutResponse</p>", "400 Bad Request")
    r = resp.response
    with sessions.lock:
        pending = sessions.pending.pop(r.in_response_to, None)
    if pending is None:
        return _page("Refused", "<p id=\"slo-result\">answers no request of ours</p>", "400 Bad Request")
    status = r.status.status_code.value
    print(f"pysaml2-idp: LogoutResponse from {r.issuer.text} to {r.in_response_to}: {status} "
          f"({verified} signature verified)", flush=True)
    return _page("Signed out", f"<p id=\"slo-result\">status={html.escape(status)}; "
                               f"signature={verified}; sp={html.escape(r.issuer.text)}</p>")
