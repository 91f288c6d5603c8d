"""An organization's admin sets up an SSO connection whose IdP sends the wrong Audience, finds
out why on the console, has it fixed at the IdP and goes live, through a real browser
(browser/audience.mjs) and a real Keycloak realm, `audience`.

The realm's SAML client is imported from the demo's SP metadata, then its Client ID is changed to
the demo's ACS URL: the mistake an IdP administrator makes when pasting the wrong value. Keycloak
sends the client's Client ID as the assertion's Audience, and finds the client of an
SP-initiated request by the request's Issuer (our entity ID), so an SP-initiated test never
reaches that client (Keycloak answers "unknown login requester" itself). The test sign-in that
shows the wrong Audience is therefore Keycloak's own IdP-initiated SSO URL for the client, which
the demo takes as a test (no session) because Gina, Globex's admin, is signed in in that
browser.

Steps: Gina adds the connection from the realm's descriptor URL; runs the IdP-initiated test as
Quinn of that realm, which fails (audience_mismatch); reads the code and the remediation ("sends
Audience X; set it ... to our entity ID Y") on the connection's page; the test fixes the Client ID
through Keycloak's admin REST API, standing in for the IdP's administrator; the same test again
succeeds and shows Quinn's verified NameID and attributes; Gina enables the connection; Quinn
signs in for real in another browser and lands on his page as a new Globex user. Screenshots of
every page: target/conformance/screenshots/audience-*.png."""

from __future__ import annotations

import pytest

from harness import setup as kcsetup
from harness.browser import check_steps, run_plan

REALM = "audience"
IDP_INITIATED_NAME = "visitor-test"
QUINN = {"username": "quinn", "password": "quinn-conformance-pw", "email": "quinn@globex.test"}


@pytest.fixture(scope="module")
def audience_realm(env, kc, demo, clients):
    kc.recreate_realm({
        "realm": REALM,
        "enabled": True,
        "users": [{
            "username": QUINN["username"], "email": QUINN["email"], "firstName": "Quinn",
            "lastName": "Audience", "enabled": True, "emailVerified": True,
            "credentials": [{"type": "password", "value": QUINN["password"], "temporary": False}],
        }],
    })
    converted = kc.convert_client_description(REALM, demo.metadata(None))
    cid = kc.create_client(REALM, converted)
    wrong = f"{env.demo_url}/saml/acs"
    kc.update_client(REALM, cid, clientId=wrong, attributes={
        "saml.server.signature": "true",
        "saml.assertion.signature": "true",
        "saml.client.signature": "true",
        "saml.encrypt": "false",
        "saml_name_id_format": "email",
        "saml_force_name_id_format": "true",
        "saml.force.post.binding": "true",
        "saml.authnstatement": "true",
        "saml_idp_initiated_sso_url_name": IDP_INITIATED_NAME,
        "saml_idp_initiated_sso_relay_state": "",
    })
    kc.add_protocol_mappers(REALM, cid, kcsetup.mappers())
    assert kc.client(REALM, cid)["clientId"] == wrong
    return {"cid": cid, "wrong": wrong, "right": converted["clientId"],
            "base": f"{env.kc_url}/realms/{REALM}"}


@pytest.fixture(scope="module")
def audience_run(env, demo, audience_realm):
    base = audience_realm["base"]
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "keycloak_admin": {"username": env.kc_admin_user, "password": env.kc_admin_password},
        "realm": REALM,
        "client_uuid": audience_realm["cid"],
        "wrong_audience": audience_realm["wrong"],
        "entity_id": audience_realm["right"],
        "descriptor_url": f"{base}/protocol/saml/descriptor",
        "idp_entity_id": base,
        "idp_initiated_url": f"{base}/protocol/saml/clients/{IDP_INITIATED_NAME}",
        "admin": {"button": "Sign in with Globex Corporation", "username": "gina",
                  "password": "gina-conformance-pw", "me": ["gina@globex.test"]},
        "connection_name": "Audience realm",
        "tester": QUINN,
        "tester_me": [QUINN["email"], "Globex Corporation"],
    }
    return run_plan(env, "audience.mjs", plan, "browser-audience")


def test_browser_wrong_audience_found_fixed_and_enabled(audience_run, kc, audience_realm, demo, record):
    """Chromium: a connection added from its metadata URL; the IdP's test sign-in fails on the
    Audience; the console shows the code and what to change; fixed at the IdP (admin REST); the
    test then succeeds without signing anyone in; enabled; a real sign-in works."""
    check_steps(audience_run, ["admin-sign-in", "add-by-url", "idp-test-fails",
                               "console-shows-remediation", "trace-page", "fix-at-keycloak",
                               "idp-test-succeeds", "enable", "real-sign-in"], record)
    assert kc.client(REALM, audience_realm["cid"])["clientId"] == audience_realm["right"]
    user = demo.user_by_email(QUINN["email"])
    assert user["source"] == "jit", user
    record(idp="Keycloak (realm audience)", binding="IdP-initiated test, then Redirect request",
           expected="audience_mismatch with its remediation; then tested, enabled, signed in")
