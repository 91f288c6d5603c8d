#!/usr/bin/env python3
"""Signs in to the running demo (scripts/demo-up.sh) through Keycloak's real login pages, as a
browser would, and checks what the app shows. Standard library only.

    python3 testdata/demo/smoke.py [--app http://127.0.0.1:8080] [--kc http://127.0.0.1:8180]

Covers: SP-initiated with HTTP-Redirect (acme/alice: signed AuthnRequest, encrypted assertion,
email NameID), SP-initiated with HTTP-POST (globex/hank: signed Response, persistent NameID),
IdP-initiated (globex/gina), the host directory, "me", sign-out with the CSRF token, visitor
pre-registration, and a replayed response being refused. Exits non-zero on the first failure.
"""

import argparse
import datetime as dt
import html
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "keycloak"))
from capture import LoopbackCookieJar, LoopbackCookiePolicy, form_action, hidden_value  # noqa: E402


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


class Browser:
    def __init__(self):
        self.jar = LoopbackCookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url, data=None, follow=True):
        """Returns (final_url, status, body); follows redirects like a browser (POST -> GET on 303)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _ in range(12):
            req = urllib.request.Request(url, data=body)
            try:
                with self.opener.open(req, timeout=60) as r:
                    return url, r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                loc = e.headers.get("Location")
                if follow and e.code in (301, 302, 303, 307, 308) and loc:
                    url = urllib.parse.urljoin(url, loc)
                    if e.code in (301, 302, 303):
                        body = None
                    continue
                return url, e.code, e.read().decode("utf-8", "replace")
        raise RuntimeError(f"too many redirects at {url}")

    def keycloak_login(self, url, page, username, password):
        """From a Keycloak login page, submit credentials; return the saml-post-binding form."""
        if "saml-post-binding" not in page:
            action = form_action(page, "kc-form-login")
            check(action, f"Keycloak login form at {url.split('?')[0]}")
            url, status, page = self.request(
                action, {"username": username, "password": password, "credentialId": ""}
            )
        check("saml-post-binding" in page, f"a SAML response after logging in as {username}")
        return (
            form_action(page, "saml-post-binding", attr="name"),
            {"SAMLResponse": hidden_value(page, "SAMLResponse"), "RelayState": hidden_value(page, "RelayState")},
        )


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def table_cells(page):
    return [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", page)]


def sp_initiated(app, slug, user, password, return_to):
    b = Browser()
    url, status, page = b.request(f"{app}/saml/login?idp={slug}&return_to={urllib.parse.quote(return_to)}")
    if "document.forms[0].submit()" in page:  # HTTP-POST binding: our auto-submit form
        action = html.unescape(re.search(r'<form method="post" action="([^"]*)"', page).group(1))
        fields = {n: html.unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}
        check("SAMLRequest" in fields and "RelayState" in fields, f"{slug}: POST-binding AuthnRequest form")
        url, status, page = b.request(action, fields)
    acs, fields = b.keycloak_login(url, page, user, password)
    check(acs == f"{app}/saml/acs", f"{slug}: Keycloak posts to the ACS ({acs})")
    url, status, page = b.request(acs, fields)
    check(status == 200 and url == f"{app}{return_to}", f"{slug}/{user}: signed in, back at {return_to} (got {url}, {status})")
    return b, page


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--app", default="http://127.0.0.1:8080")
    ap.add_argument("--kc", default="http://127.0.0.1:8180")
    a = ap.parse_args()
    app, kc = a.app.rstrip("/"), a.kc.rstrip("/")

    b, page = sp_initiated(app, "acme", "alice", "alice-acme-pw", "/hosts")
    check("alice@acme.test" in table_cells(page), "alice is in the host directory")
    _, _, me = b.request(f"{app}/me")
    check("Alice" in me and "admin at the default location" in me, "alice is an admin (visitor-admins)")
    check("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".rsplit(":", 1)[1] in me, "alice: email NameID")
    token = hidden_value(me, "csrf_token")
    url, status, page = b.request(f"{app}/logout", {"csrf_token": token})
    check("You are signed out." in page, "alice signs out")
    url, status, page = b.request(f"{app}/me")
    check(url.startswith(f"{app}/?return_to="), "after sign-out /me asks to sign in again")

    b, page = sp_initiated(app, "globex", "hank", "hank-globex-pw", "/me")
    check("hank@globex.test" in page and "persistent" in page, "hank: persistent NameID from Globex")
    _, _, hosts = b.request(f"{app}/hosts?q=hank")
    check("hank@globex.test" in table_cells(hosts), "hank is in the host directory")

    b = Browser()
    url, status, page = b.request(f"{kc}/realms/globex/protocol/saml/clients/samlsp-demo")
    acs, fields = b.keycloak_login(url, page, "gina", "gina-globex-pw")
    check(fields.get("RelayState") == "/", "IdP-initiated RelayState is /")
    url, status, page = b.request(acs, fields)
    check(url == f"{app}/me" and "gina@globex.test" in page, f"gina: IdP-initiated sign-in lands on /me ({url})")

    # Pre-register a visitor for gina's host page.
    token = hidden_value(page, "csrf_token")
    _, _, visits = b.request(f"{app}/visits")
    host = re.search(r'<option value="(\d+)"[^>]*>Gina', visits)
    check(host is not None, "gina is offered as a host")
    day = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    url, status, page = b.request(
        f"{app}/visits",
        {"csrf_token": token, "visitor_name": "Vera Visitor", "visitor_email": "vera@example.test",
         "host_id": host.group(1), "date": day},
    )
    check("Visitor pre-registered." in page and "Vera Visitor" in page, "a visitor is pre-registered and listed")

    # The same response posted again: refused (replay cache).
    url, status, page = b.request(acs, fields)
    check(status == 400 and "Sign-in failed" in page and "Reference:" in page, "a replayed response is refused")
    print("all good")


if __name__ == "__main__":
    main()
