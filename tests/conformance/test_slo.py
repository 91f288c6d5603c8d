"""Single Logout against Keycloak and the pysaml2 IdP, over HTTP as a browser takes it.

- SP-initiated: "Sign out" in the demo sends a signed LogoutRequest (Acme: HTTP-Redirect with a
  query signature; Globex: HTTP-POST, enveloped), Keycloak ends its session and answers with a
  signed LogoutResponse; the demo says so, and the next sign-in shows Keycloak's login form.
- IdP-initiated, back-channel: an administrator signs the user out in Keycloak (front-channel
  logout off for the client); Keycloak POSTs a signed LogoutRequest to the demo server to
  server, with no cookie; the session ends at its next request.
- IdP-initiated, front-channel: the user signs out at Keycloak; Keycloak sends the browser to
  the demo's SLO URL with a LogoutRequest (Acme: Redirect; Globex: POST) and the demo answers.
- In every case a second person signed in at the same company stays signed in.
- pysaml2: SP-initiated (Redirect), IdP-initiated (Redirect and POST).

Keycloak signs logout messages only when the client signs documents (`saml.server.signature`):
Acme's client signs only assertions, so it is switched on for these cases (and restored).
"""

from __future__ import annotations

import contextlib

import pytest
import requests

from harness import flows
from harness.http import Browser
from harness.setup import restore

SIGNED_OUT_EVERYWHERE = "You are signed out, here and at your company's sign-in."
# company -> (tenant, the binding our LogoutRequest uses, the person, a second person)
COMPANIES = {
    "acme": (None, "redirect", "alice", "erin"),
    "globex": ("globex", "post", "hank", "gina"),
}
PYSAML2_USERS = {"ingrid": "ingrid-initech-pw", "ivo": "ivo-initech-pw"}


def pw(user: str) -> str:
    return f"{user}-conformance-pw"


SLO_URLS = ("saml_single_logout_service_url_redirect", "saml_single_logout_service_url_post")


def reset(kc, client) -> None:
    """The client as the suite set it up: company attributes, the SLO URLs the metadata import
    gave, front-channel logout on."""
    restore(kc, client)
    imported = client.converted.get("attributes", {})
    kc.update_client(client.realm, client.id, attributes={k: imported.get(k) for k in SLO_URLS},
                     frontchannelLogout=True)


@contextlib.contextmanager
def client_settings(kc, client, attributes=None, **fields):
    """Keycloak client settings for one case (documents signed, so that Keycloak signs its
    logout messages), restored afterwards."""
    fields.setdefault("frontchannelLogout", True)
    kc.update_client(client.realm, client.id, attributes={"saml.server.signature": "true", **(attributes or {})},
                     **fields)
    try:
        yield
    finally:
        reset(kc, client)


def session_ids(kc, realm: str, user: str) -> set[str]:
    return {s["id"] for s in kc.user_sessions(realm, user)}


def signed_in(demo, company: str, user: str) -> Browser:
    tenant = COMPANIES[company][0]
    b = Browser()
    flow = flows.sign_in(b, demo.login_url(company, tenant=tenant), user, pw(user))
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    assert demo.me(b)[1] is not None
    return b


@pytest.mark.parametrize("company", ["acme", "globex"])
def test_keycloak_sp_initiated_logout(env, kc, clients, demo, record, company):
    """SP-initiated: the demo's "Sign out" -> signed LogoutRequest to Keycloak (Acme: Redirect,
    Globex: POST) -> Keycloak's session ends -> its signed LogoutResponse -> "signed out, here
    and at your company's sign-in"; the next sign-in shows Keycloak's login form; a second
    person stays signed in."""
    tenant, binding, user, other_user = COMPANIES[company]
    client, realm = clients[company], env.realms[company]
    with client_settings(kc, client):
        before = session_ids(kc, realm, user)
        b = signed_in(demo, company, user)
        ours = session_ids(kc, realm, user) - before
        assert len(ours) == 1, "Keycloak has this browser's session"
        other = signed_in(demo, company, other_user)

        me = b.get(f"{demo.url}/me")
        first = b.submit(me, me.form(has="csrf_token"), follow=False)
        if binding == "redirect":
            # A same-origin page that moves on by its Refresh header: a 302 after the form
            # post would be stopped by the page's CSP form-action in a real browser.
            to_idp = first.refresh_target() or ""
            assert first.status == 200 and "SAMLRequest=" in to_idp, (first.status, to_idp)
            assert "Signature=" in to_idp
            page = b.get(to_idp)
        else:
            form = first.form(has="SAMLRequest")
            assert first.status == 200 and form is not None, first.status
            page = b.submit(first, form)
        final = flows.follow_saml_forms(b, page)
        assert final.url.endswith("/?logout=idp"), (final.url, final.visible_text()[:300])
        assert SIGNED_OUT_EVERYWHERE in final.visible_text()

        assert demo.me(b)[1] is None, "signed out here"
        assert not ours & session_ids(kc, realm, user), "Keycloak's session ended"
        again = flows.start_sp_initiated(b, demo.login_url(company, tenant=tenant))
        assert again.idp_login_page.form(id="kc-form-login") is not None, "the password is asked again"
        assert demo.me(other)[1] is not None, "the other person is still signed in"
    record(request=f"{binding}, signed", outcome="logout=idp", keycloak_session="ended",
           other_person="still signed in")


@pytest.mark.parametrize("company", ["acme", "globex"])
def test_keycloak_back_channel_logout(env, kc, clients, demo, record, company):
    """IdP-initiated, back-channel: an administrator signs the person out in Keycloak
    (front-channel logout off); Keycloak POSTs a signed LogoutRequest to the demo's SLO URL,
    server to server, without the person's cookie; their demo session is refused at its next
    request; a second person stays signed in."""
    _, _, user, other_user = COMPANIES[company]
    client, realm = clients[company], env.realms[company]
    with client_settings(kc, client, frontchannelLogout=False):
        b = signed_in(demo, company, user)
        other = signed_in(demo, company, other_user)
        since = demo.log_size()
        kc.logout_user(realm, user)
        line, seconds = demo.wait_for_log("IdP-initiated logout: sessions ended", since, timeout=15)
        assert "sessions=1" in line, line
        assert demo.me(b)[1] is None, "the session ended without its cookie"
        assert demo.me(other)[1] is not None, "the other person is still signed in"
    record(binding="POST (Keycloak back-channel, no cookie)", log=line[-160:], seconds=round(seconds, 2))


@pytest.mark.parametrize("company", ["acme", "globex"])
def test_keycloak_front_channel_logout(env, kc, clients, demo, record, company):
    """IdP-initiated, front-channel: the person signs out at Keycloak; Keycloak sends their
    browser to the demo's SLO URL with a signed LogoutRequest (Acme: Redirect, only the
    Redirect SLO URL registered; Globex: POST), the demo ends the session and answers with a
    signed LogoutResponse, Keycloak finishes; a second person stays signed in."""
    _, binding, user, other_user = COMPANIES[company]
    client = clients[company]
    extra = {"saml_single_logout_service_url_post": ""} if binding == "redirect" else {}
    realm = env.realms[company]
    with client_settings(kc, client, attributes=extra):
        before = session_ids(kc, realm, user)
        b = signed_in(demo, company, user)
        ours = session_ids(kc, realm, user) - before
        other = signed_in(demo, company, other_user)
        since = demo.log_size()
        page = b.get(f"{env.realm_url(company)}/protocol/openid-connect/logout")
        final = flows.follow_saml_forms(b, page)
        hops = [(m, u.split("?")[0], s) for m, u, s in final.history]
        line, _ = demo.wait_for_log("IdP-initiated logout: sessions ended", since, timeout=15)
        assert demo.me(b)[1] is None, "signed out here"
        assert demo.me(other)[1] is not None, "the other person is still signed in"
        assert not ours & session_ids(kc, realm, user), "Keycloak's session ended"
    record(binding=binding, keycloak_final=final.url.split("?")[0], last_hops=str(hops[-3:]), log=line[-120:])


def test_pysaml2_sp_initiated_logout(env, demo, record):
    """pysaml2, SP-initiated: "Sign out" -> our signed Redirect LogoutRequest, verified by
    pysaml2 (xmlsec1) -> pysaml2 ends its session and answers -> "signed out, here and at your
    company's sign-in"; the next sign-in asks for the password again."""
    b = Browser()
    flows.sign_in(b, demo.login_url("initech"), "ingrid", PYSAML2_USERS["ingrid"])
    assert demo.me(b)[1] is not None
    again = flows.start_sp_initiated(b, demo.login_url("initech"))
    assert again.idp_login_page.form(has="SAMLResponse") is not None, "an IdP session answers at once"
    final = flows.follow_saml_forms(b, demo.sign_out(b))
    assert final.url.endswith("/?logout=idp"), (final.url, final.visible_text()[:300])
    assert SIGNED_OUT_EVERYWHERE in final.visible_text()
    assert demo.me(b)[1] is None
    log = (env.artifacts / "pysaml2-idp.log").read_text()
    assert "via urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect: signature verified" in log
    assert "IdP session ended: True" in log
    again = flows.start_sp_initiated(b, demo.login_url("initech"))
    assert again.idp_login_page.form(id="login") is not None, "the password is asked again"
    record(request="Redirect, signed, verified by pysaml2", outcome="logout=idp")


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_pysaml2_idp_initiated_logout(env, demo, record, binding):
    """pysaml2, IdP-initiated: the person signs out at the IdP, which sends their browser to
    the demo with a signed LogoutRequest (Redirect or POST) naming the NameID and SessionIndex
    it issued; the demo ends that session and answers with a signed LogoutResponse, which
    pysaml2 verifies; a second person stays signed in."""
    url = f"{env.pysaml2_url}/idp-init?sp={requests.utils.quote(demo.entity_id(), safe='')}"
    b = Browser()
    flow = flows.idp_login(flows.start_idp_initiated(b, url), "ivo", PYSAML2_USERS["ivo"])
    flows.post_response(flow)
    other = Browser()
    flows.sign_in(other, demo.login_url("initech"), "ingrid", PYSAML2_USERS["ingrid"])
    assert demo.me(b)[1] is not None and demo.me(other)[1] is not None
    page = b.get(f"{env.pysaml2_url}/slo-init?binding={binding}")
    final = flows.follow_saml_forms(b, page)
    result = final.text.split('id="slo-result">', 1)[-1].split("<", 1)[0]
    assert "status=urn:oasis:names:tc:SAML:2.0:status:Success" in result, final.text[:500]
    assert ("signature=query" if binding == "redirect" else "signature=enveloped") in result
    assert demo.me(b)[1] is None
    assert demo.me(other)[1] is not None
    record(binding=binding, idp_saw=result)


def test_keycloak_unsigned_logout_messages_refused(env, kc, clients, demo, record):
    """Acme's client as set up for sign-in signs only assertions, so Keycloak's logout
    messages are unsigned. Our sign-out still ends the session here, but Keycloak's unsigned
    LogoutResponse is refused (not_signed) and the page says the company sign-in did not
    confirm; Keycloak's unsigned back-channel LogoutRequest is refused and ends nothing."""
    client, realm = clients["acme"], env.realms["acme"]
    reset(kc, client)
    b = signed_in(demo, "acme", "alice")
    since = demo.log_size()
    final = flows.follow_saml_forms(b, demo.sign_out(b))
    assert final.url.endswith("/?logout=idp_failed"), final.url
    assert "did not confirm" in final.visible_text()
    assert demo.me(b)[1] is None, "signed out here all the same"
    refused, _ = demo.wait_for_log('kind="?not_signed', since, timeout=10)

    kc.update_client(realm, client.id, frontchannelLogout=False)
    try:
        other = signed_in(demo, "acme", "erin")
        since = demo.log_size()
        kc.logout_user(realm, "erin")
        line, _ = demo.wait_for_log('kind="?not_signed', since, timeout=15)
        assert demo.me(other)[1] is not None, "an unsigned LogoutRequest ends nothing"
    finally:
        reset(kc, client)
    record(logout_response=refused[-120:], back_channel_request=line[-120:])
