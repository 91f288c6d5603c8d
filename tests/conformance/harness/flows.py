"""Sign-in flows over HTTP, step by step as a browser takes them:

    GET demo /saml/login  ->  (302 to the IdP with SAMLRequest | 200 auto-POST form -> POST to IdP)
    -> IdP login form -> POST credentials -> auto-POST form with SAMLResponse/RelayState
    -> POST to the demo's ACS -> 303 -> the page the person lands on.

Each step is kept in a `Flow` so that the cases can assert on the request the SP sent, the
response the IdP produced, and what the SP did with it, and so that negative cases can stop
before the ACS and post something else instead.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from . import saml
from .http import Browser, Form, Page


class IdpRefused(AssertionError):
    """The IdP did not produce a SAML response (wrong password, disabled account, bad request)."""

    def __init__(self, page: Page, message: str):
        super().__init__(message)
        self.page = page


@dataclasses.dataclass
class Flow:
    browser: Browser
    login_page: Page | None = None  # the SP's answer to GET /saml/login (headers: which instance)
    request_binding: str | None = None  # "redirect" | "post" | None (IdP-initiated)
    request_xml: bytes | None = None
    request_signed: bool | None = None
    request_query: dict | None = None
    idp_login_page: Page | None = None
    response_form: Form | None = None
    response_page: Page | None = None
    acs_page: Page | None = None  # the first answer of the ACS (no redirects followed)
    final: Page | None = None

    @property
    def saml_response(self) -> str:
        return self.response_form.get("SAMLResponse")

    @property
    def relay_state(self) -> str | None:
        return self.response_form.get("RelayState")

    @property
    def acs(self) -> str:
        return self.response_page.absolute(self.response_form.action)

    def response_xml(self) -> bytes:
        return saml.decode_post(self.saml_response)

    def response(self) -> dict:
        return saml.describe(self.response_xml())


def start_sp_initiated(browser: Browser, login_url: str) -> Flow:
    """GET the demo's login route and follow it to the IdP's login page."""
    flow = Flow(browser=browser)
    first = browser.get(login_url, follow=False)
    flow.login_page = first
    if first.status in (302, 303) and "SAMLRequest=" in first.headers.get("Location", ""):
        loc = first.headers["Location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        flow.request_binding = "redirect"
        flow.request_query = q
        flow.request_xml = saml.decode_redirect(q["SAMLRequest"])
        flow.request_signed = "Signature" in q and "SigAlg" in q
        page = browser.get(first.absolute(loc))
    elif first.status == 200 and first.form(has="SAMLRequest") is not None:
        form = first.form(has="SAMLRequest")
        flow.request_binding = "post"
        flow.request_xml = saml.decode_post(form.get("SAMLRequest"))
        flow.request_signed = b"SignatureValue" in flow.request_xml
        page = browser.submit(first, form)  # what the page's script does in a browser
    else:
        raise AssertionError(
            f"GET {login_url}: expected a redirect to the IdP or an auto-POST form, got HTTP "
            f"{first.status} {first.headers.get('Location', '')} {first.text[:300]}"
        )
    flow.idp_login_page = page
    return flow


def start_idp_initiated(browser: Browser, url: str) -> Flow:
    flow = Flow(browser=browser)
    flow.idp_login_page = browser.get(url)
    return flow


def idp_login(flow: Flow, username: str, password: str) -> Flow:
    """Fills in the IdP's login form (Keycloak, the pysaml2 test IdP, SimpleSAMLphp) and
    keeps the auto-POST form carrying the SAMLResponse."""
    page = flow.idp_login_page
    if page.form(has="SAMLResponse") is None:  # an existing IdP session answers at once
        # Keycloak: kc-form-login; the pysaml2 IdP: login; SimpleSAMLphp's UserPass page: f.
        form = page.form(id="kc-form-login") or page.form(id="login") or page.form(name="f")
        if form is None:
            raise IdpRefused(page, f"no login form at {page.url} (HTTP {page.status}): {page.visible_text()[:400]}")
        extra = {"username": username, "password": password}
        if form.attrs.get("id") == "kc-form-login":
            extra["credentialId"] = ""
        page = flow.browser.submit(page, form, extra)
    form = page.form(has="SAMLResponse")
    if form is None:
        raise IdpRefused(page, f"no SAML response after login at {page.url} (HTTP {page.status}): "
                               f"{page.visible_text()[:400]}")
    flow.response_page, flow.response_form = page, form
    return flow


def post_response(flow: Flow, saml_response: str | None = None, relay_state: str | None = "__keep__",
                  acs: str | None = None, browser: Browser | None = None) -> Page:
    """POSTs the IdP's answer (or a replacement) to the ACS, as the auto-POST form does, then
    follows the SP's redirect. Sets flow.acs_page / flow.final; returns the final page."""
    b = browser or flow.browser
    data = [("SAMLResponse", saml_response if saml_response is not None else flow.saml_response)]
    rs = flow.relay_state if relay_state == "__keep__" else relay_state
    if rs is not None:
        data.append(("RelayState", rs))
    first = b.post(acs or flow.acs, data, follow=False)
    flow.acs_page = first
    if first.status in (302, 303) and first.headers.get("Location"):
        flow.final = b.get(first.absolute(first.headers["Location"]))
    else:
        flow.final = first
    return flow.final


def sign_in(browser: Browser, login_url: str, username: str, password: str) -> Flow:
    flow = idp_login(start_sp_initiated(browser, login_url), username, password)
    post_response(flow)
    return flow


def follow_saml_forms(browser: Browser, page: Page, max_steps: int = 8) -> Page:
    """Submits, as the pages' scripts would, every auto-POST form carrying SAMLRequest or
    SAMLResponse (and Keycloak's logout confirmation), until a page has none; redirects and
    `Refresh` headers are followed as a browser would. Returns the last page."""
    for _ in range(max_steps):
        onward = page.refresh_target()
        if onward is not None:
            page = browser.get(onward)
            continue
        form = page.form(has="SAMLRequest") or page.form(has="SAMLResponse") or page.form(has="session_code")
        if form is None:
            return page
        page = browser.submit(page, form)
    raise AssertionError(f"more than {max_steps} SAML forms in a row, last at {page.url}")
