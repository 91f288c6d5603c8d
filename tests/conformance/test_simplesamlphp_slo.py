"""Single Logout with SimpleSAMLphp 1.19 ("Umbrella"), over HTTP as a browser takes it.

SimpleSAMLphp keeps, per IdP session, the SPs it signed the person in to ("associations").
A logout, whoever starts it, ends the IdP session and sends a LogoutRequest to every other SP
of the session, one after the other by redirecting the browser ('traditional', its default;
its 'iframe' variant runs in Chromium below; screenshots:
target/conformance/screenshots/ssp-slo-*.png). The demo's two Umbrella connections are two
SP entities at it (`umbrella`: our messages by HTTP-Redirect; `umbrella-post`: by
HTTP-POST), so one person signed in to both is signed out of both by one logout.

SimpleSAMLphp signs logout messages only with `sign.logout` (the harness sets it for every
SP); without it they go unsigned and the demo refuses them. It verifies ours
(`validate.logout`, set at registration).
"""

from __future__ import annotations

import re
import time

import pytest

from harness import flows, saml
from harness import simplesamlphp as ssp_mod
from harness.browser import check_steps, run_plan
from harness.http import Browser

USERS = {"una": "una-umbrella-pw", "umar": "umar-umbrella-pw", "ulla": "ulla-umbrella-pw"}
SIGNED_OUT_EVERYWHERE = "You are signed out, here and at your company's sign-in."
ENDED = "IdP-initiated logout: sessions ended"
NAMES = {"umbrella": "Umbrella Corporation", "umbrella-post": "Umbrella Corporation (HTTP-POST)"}


@pytest.fixture
def ssp(env, demo):
    idp = ssp_mod.SimpleSAMLphp(env)
    for tenant in ("umbrella", "umbrella-post"):
        idp.set_options(demo.entity_id(tenant))
    idp.set_idp_options()
    yield idp
    for tenant in ("umbrella", "umbrella-post"):
        idp.set_options(demo.entity_id(tenant))
    idp.set_idp_options()


def sign_in(demo, tenant: str, user: str) -> Browser:
    """A fresh browser with `user` signed in to the demo through one Umbrella SP."""
    b = Browser()
    flow = flows.idp_login(flows.start_sp_initiated(b, demo.login_url(tenant, tenant=tenant)),
                           user, USERS[user])
    flows.post_response(flow)
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    assert demo.me(b)[1] is not None
    return b


def same_person_elsewhere(b: Browser) -> Browser:
    """A second application window of the person using `b`: it shares `b`'s SimpleSAMLphp
    cookies (the same IdP session, so no password is asked) but not the demo's. Both Umbrella
    SPs live on one demo host, where a browser keeps only one demo session; two SPs on two
    hosts would each keep their own, as here."""
    other = Browser()
    for c in b.http.cookies:
        if c.name.startswith("SimpleSAML"):
            other.http.cookies.set_cookie(c)
    return other


def asks_password(demo, b: Browser, tenant: str) -> bool:
    """Whether SimpleSAMLphp shows its login form (no IdP session) rather than answering."""
    page = flows.start_sp_initiated(b, demo.login_url(tenant, tenant=tenant)).idp_login_page
    return page.form(name="f") is not None and page.form(has="SAMLResponse") is None


def ended_tenants(demo, since: int, expect: set[str], timeout: float = 10) -> dict[str, str]:
    """Waits until the demo logged an IdP-initiated logout for each tenant in `expect` (after
    byte `since`); returns the line per tenant."""
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while set(found) < expect:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"IdP-initiated logouts logged for {sorted(found)}, expected {sorted(expect)}")
        line, _ = demo.wait_for_log(ENDED, since, timeout=remaining)
        m = re.search(r'tenant="?([a-z0-9-]+)', line)
        found[m.group(1) if m else "?"] = line
        with open(demo.log, "rb") as f:  # go on after this line
            since += f.read()[since:].index(b"IdP-initiated logout") + len(ENDED)
    return found


def post_only(ssp, demo, tenant: str) -> None:
    """SimpleSAMLphp sends its logout messages to this SP by HTTP-POST (it prefers Redirect when
    both are registered): the SP's SingleLogoutService list narrowed to the POST entry."""
    ssp.set_options(demo.entity_id(tenant), **{ssp_mod.SLO_SERVICE: ssp.slo_endpoints(
        demo.entity_id(tenant), saml.POST_BINDING)})


@pytest.mark.parametrize("tenant", ["umbrella", "umbrella-post"])
def test_ssp_sp_initiated_logout(env, demo, ssp, record, tenant):
    """"Sign out" in the demo -> our signed LogoutRequest (umbrella: HTTP-Redirect, query
    signature; umbrella-post: HTTP-POST, enveloped) verified by SimpleSAMLphp -> its session
    ends -> its signed LogoutResponse (umbrella: Redirect; umbrella-post: POST) accepted ->
    "signed out, here and at your company's sign-in"; the next sign-in asks for the password;
    a second person stays signed in."""
    if tenant == "umbrella-post":
        post_only(ssp, demo, tenant)
    b = sign_in(demo, tenant, "una")
    other = sign_in(demo, tenant, "umar")
    at = ssp.log_size()
    since = demo.log_size()
    me = b.get(f"{demo.url}/me")
    first = b.submit(me, me.form(has="csrf_token"), follow=False)
    if tenant == "umbrella":
        to_idp = first.refresh_target() or ""
        assert first.status == 200 and to_idp.startswith(ssp.slo_url), (first.status, to_idp)
        assert "SAMLRequest=" in to_idp and "Signature=" in to_idp
        page = b.get(to_idp)
    else:
        form = first.form(has="SAMLRequest")
        assert first.status == 200 and form is not None and form.action == ssp.slo_url, first.status
        assert b"SignatureValue" in saml.decode_post(form.get("SAMLRequest"))
        page = b.submit(first, form)
    final = flows.follow_saml_forms(b, page)
    assert final.url.endswith("/?logout=idp"), (final.url, final.visible_text()[:300])
    assert SIGNED_OUT_EVERYWHERE in final.visible_text()
    answer = "POST" if tenant == "umbrella-post" else "GET"
    assert (answer, f"{demo.base(tenant)}/slo") in [(m, u.split("?")[0]) for m, u, _ in final.history], \
        final.history
    assert demo.me(b)[1] is None, "signed out here"
    line, _ = demo.wait_for_log("LogoutResponse received.*outcome=\"?idp\\b", since, timeout=10)
    log = ssp.log_since(at)
    assert f"Received SAML 2.0 LogoutRequest from: '{demo.entity_id(tenant)}'" in log, log
    assert asks_password(demo, b, tenant), "SimpleSAMLphp's session ended"
    assert demo.me(other)[1] is not None, "the other person is still signed in"
    binding = "Redirect" if tenant == "umbrella" else "POST"
    record(request=f"{binding}, signed, verified by SimpleSAMLphp", response=f"{binding}, signed",
           demo_log=line[-100:], idp_session="ended", other_person="still signed in")


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_ssp_idp_initiated_logout(env, demo, ssp, record, binding):
    """The person signs out at SimpleSAMLphp (SingleLogoutService.php?ReturnTo=..., the link a
    portal shows): it sends their browser to the demo's SLO URL with a signed LogoutRequest
    (Redirect, or POST when only the POST endpoint is registered); the demo ends that session
    and answers with a signed LogoutResponse, which SimpleSAMLphp verifies before it returns
    the browser to ReturnTo; a second person stays signed in."""
    if binding == "post":
        post_only(ssp, demo, "umbrella")
    b = sign_in(demo, "umbrella", "ulla")
    other = sign_in(demo, "umbrella", "umar")
    at = ssp.log_size()
    since = demo.log_size()
    final = flows.follow_saml_forms(b, b.get(ssp.logout_url(f"{demo.url}/")))
    assert final.url.split("?")[0] == f"{demo.url}/", (final.url, final.visible_text()[:300])
    line = ended_tenants(demo, since, {"umbrella"})["umbrella"]
    assert "sessions=1" in line, line
    assert demo.me(b)[1] is None, "signed out here"
    assert demo.me(other)[1] is not None, "the other person is still signed in"
    log = ssp.log_since(at)
    assert f"Received SAML 2.0 LogoutResponse from: '{demo.entity_id('umbrella')}'" in log, log
    assert "Unsuccessful logout" not in log, log
    assert asks_password(demo, b, "umbrella"), "SimpleSAMLphp's session ended"
    record(binding=binding, demo_log=line[-110:], idp_saw="LogoutResponse, Success")


@pytest.mark.parametrize("started_at", ["demo", "simplesamlphp"])
def test_ssp_one_logout_reaches_both_sps(env, demo, ssp, record, started_at):
    """One person signed in to both Umbrella SPs (the second sign-in answered from
    SimpleSAMLphp's session, no password): one logout, started by "Sign out" in the demo (the
    umbrella-post SP) or at SimpleSAMLphp, ends the demo sessions of both SPs; SimpleSAMLphp
    redirects the browser through the other SP's SLO URL on the way."""
    first = sign_in(demo, "umbrella", "una")
    b = same_person_elsewhere(first)
    flow = flows.idp_login(flows.start_sp_initiated(b, demo.login_url("umbrella-post", tenant="umbrella-post")),
                           "una", USERS["una"])
    assert flow.idp_login_page.form(name="f") is None, "the second sign-in needs no password"
    flows.post_response(flow)
    assert demo.me(b)[1] is not None and demo.me(first)[1] is not None
    other = sign_in(demo, "umbrella", "umar")
    since = demo.log_size()
    if started_at == "demo":
        final = flows.follow_saml_forms(b, demo.sign_out(b))
        assert final.url.endswith("/?logout=idp"), (final.url, final.visible_text()[:300])
        expect = {"umbrella"}  # umbrella-post ended its own session before asking the IdP
    else:
        final = flows.follow_saml_forms(b, b.get(ssp.logout_url(f"{demo.url}/")))
        assert final.url.split("?")[0] == f"{demo.url}/", final.url
        expect = {"umbrella", "umbrella-post"}
    lines = ended_tenants(demo, since, expect)
    assert set(lines) == expect, lines
    assert all("sessions=1" in ln for ln in lines.values()), lines
    assert demo.me(b)[1] is None and demo.me(first)[1] is None, "both demo sessions ended"
    assert demo.me(other)[1] is not None, "the other person is still signed in"
    record(started_at=started_at, sessions_ended=", ".join(sorted(expect)), other_person="still signed in")


def test_ssp_unsigned_logout_messages_refused(env, demo, ssp, record):
    """`sign.logout` off for the umbrella SP: SimpleSAMLphp's logout messages go unsigned.
    Our sign-out still ends the session here (and SimpleSAMLphp's), but its unsigned
    LogoutResponse is refused (`not_signed`) and the page says the company sign-in did not
    confirm; its unsigned LogoutRequest (logout started at SimpleSAMLphp) is refused and ends
    nothing."""
    ssp.set_options(demo.entity_id("umbrella"), **{ssp_mod.SIGN_LOGOUT: False})
    b = sign_in(demo, "umbrella", "una")
    since = demo.log_size()
    final = flows.follow_saml_forms(b, demo.sign_out(b))
    assert final.url.endswith("/?logout=idp_failed"), (final.url, final.visible_text()[:300])
    assert "did not confirm" in final.visible_text()
    assert demo.me(b)[1] is None, "signed out here all the same"
    refused_response, _ = demo.wait_for_log('kind="?not_signed', since, timeout=10)

    b = sign_in(demo, "umbrella", "umar")
    since = demo.log_size()
    page = flows.follow_saml_forms(b, b.get(ssp.logout_url(f"{demo.url}/")))
    assert "/t/umbrella/saml/slo" in page.url and page.status >= 400, (page.url, page.status)
    refused_request, _ = demo.wait_for_log('kind="?not_signed', since, timeout=10)
    assert ENDED not in demo.log.read_bytes()[since:].decode(errors="replace")
    assert demo.me(b)[1] is not None, "an unsigned LogoutRequest ends nothing"
    record(logout_response=refused_response[-110:], logout_request=refused_request[-110:],
           page=f"HTTP {page.status}")


# scenario: (the SP of window A, whose logout runs in a frame; the SP of window B; where B
# starts; the binding SimpleSAMLphp sends its LogoutRequests by, hence our LogoutResponse's)
IFRAME_SCENARIOS = {
    "sign-out-post": ("umbrella", "umbrella-post", "sign-out", "redirect"),
    "at-simplesamlphp": ("umbrella-post", "umbrella", "idp-url", "redirect"),
    "at-simplesamlphp-post": ("umbrella-post", "umbrella", "idp-url", "post"),
}


# "Sign out" from a demo page whose CSP says `form-action 'self'`, our LogoutRequest by
# HTTP-Redirect: the SP answers with a same-origin page and a Refresh header, not a 302 (which
# Chromium would check against form-action and stop).
IFRAME_SCENARIOS["sign-out-redirect"] = ("umbrella-post", "umbrella", "sign-out", "redirect")


@pytest.mark.parametrize("scenario", list(IFRAME_SCENARIOS))
def test_ssp_browser_iframe_logout_reaches_both_sps(env, demo, ssp, record, scenario):
    """Chromium, SimpleSAMLphp with `logouttype` iframe: window A signed in to one Umbrella SP
    (password typed), window B (same IdP session, its own demo session) to the other without
    a password. B starts the logout ("Sign out" in the demo, umbrella-post: our POST
    LogoutRequest; or SimpleSAMLphp's SingleLogoutService.php?ReturnTo=...) -> SimpleSAMLphp
    asks whether to sign out of every service -> "Yes, all services" -> its page runs each
    other SP's logout in a hidden frame (our LogoutResponse answers inside the frame) -> B
    lands on the demo ("signed out, here and at your company's sign-in", or ReturnTo); A's
    /me asks to sign in again."""
    framed, initiator, start, binding = IFRAME_SCENARIOS[scenario]
    ssp.set_idp_options(**{ssp_mod.LOGOUT_TYPE: "iframe"})
    if binding == "post":
        for tenant in (framed, initiator):
            post_only(ssp, demo, tenant)
    since = demo.log_size()
    plan = {"name": scenario, **iframe_plan(env, demo, ssp, framed, initiator, start)}
    steps = run_plan(env, "simplesamlphp_slo.mjs", plan, f"browser-simplesamlphp-slo-{scenario}")
    names = ["a-sign-in", "b-sign-in-without-password", "b-logout-asks-all-services",
             "b-yes-all-services", "a-me-after-logout", "b-me-after-logout"]
    check_steps(steps, names, record)
    expect = {framed} if start == "sign-out" else {framed, initiator}
    lines = ended_tenants(demo, since, expect)
    assert all("sessions=1" in ln for ln in lines.values()), lines


def iframe_plan(env, demo, ssp, framed: str, initiator: str, start: str) -> dict:
    return_to = f"{demo.url}/?from=idp-logout"
    return {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "ssp_url": ssp.url,
        "me_path": "/me",
        "start": start,
        "idp_logout_url": ssp.logout_url(return_to),
        "final_url": f"{demo.url}/?logout=idp" if start == "sign-out" else return_to,
        "final_text": [SIGNED_OUT_EVERYWHERE] if start == "sign-out" else ["Sign in with Umbrella Corporation"],
        "login_a": demo.login_url(framed, tenant=framed),
        "login_b": demo.login_url(initiator, tenant=initiator),
        "username": "ulla", "password": USERS["ulla"], "username_marker": "ulla@umbrella.test",
        "expect_a": ["Ulla Ulrich", NAMES[framed]],
        "expect_b": ["Ulla Ulrich", NAMES[initiator]],
        "expect_signed_out": ["Sign in with Umbrella Corporation"],
    }


def test_ssp_logout_request_replayed_or_for_another_sp_refused(env, demo, ssp, record):
    """SimpleSAMLphp's signed LogoutRequest for the umbrella SP (taken from its redirect, not
    followed): delivered to the umbrella-post SP's SLO URL it is refused (`destination`) and
    ends nothing; delivered where it belongs it ends the session; delivered again it is
    refused (`replay`)."""
    b = sign_in(demo, "umbrella", "umar")
    to_sp = ssp.logout_url(f"{demo.url}/")
    for _ in range(4):  # SimpleSAMLphp's own hops (resumelogout.php), then the one to the SP
        hop = b.get(to_sp, follow=False)
        assert hop.status in (302, 303), (hop.status, hop.url)
        to_sp = hop.absolute(hop.headers["Location"])
        if not to_sp.startswith(ssp.url):
            break
    assert to_sp.startswith(f"{demo.base('umbrella')}/slo?"), to_sp
    query = to_sp.split("?", 1)[1]
    assert "Signature=" in query

    since = demo.log_size()
    elsewhere = Browser().get(f"{demo.base('umbrella-post')}/slo?{query}")
    assert elsewhere.status == 400, elsewhere.status
    wrong_sp, _ = demo.wait_for_log('kind="?destination', since, timeout=10)
    assert demo.me(b)[1] is not None, "a LogoutRequest for another SP ends nothing"

    since = demo.log_size()
    Browser().get(to_sp, follow=False)
    line = ended_tenants(demo, since, {"umbrella"})["umbrella"]
    assert "sessions=1" in line, line
    assert demo.me(b)[1] is None

    since = demo.log_size()
    again = Browser().get(to_sp, follow=False)
    assert again.status == 400, again.status
    replayed, _ = demo.wait_for_log('kind="?replay', since, timeout=10)
    record(other_sp=wrong_sp[-90:], replayed=replayed[-90:])
