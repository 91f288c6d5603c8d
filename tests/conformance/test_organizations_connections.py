"""SSO connection set-up by an organization's admin, through a real browser
(browser/connections.mjs): a third Keycloak realm, `wizard`, gets a SAML client imported from the
demo's shared SP metadata (as its IdP administrator would do); Alice, Acme's admin, adds the
connection in the console from the realm's descriptor URL, reads what was understood, runs a test
sign-in as Wendy of that realm (the real SP-initiated flow, verified, no session), sees the
verified NameID and attributes, and enables the connection. Screenshots:
target/conformance/screenshots/connections-*.png. (After test_keycloak_login.py, whose cases
expect Alice's first sign-in to create her account.)"""

from __future__ import annotations

import pytest

from harness import setup as kcsetup
from harness.browser import check_steps, run_plan

REALM = "wizard"
WENDY = {"username": "wendy", "password": "wendy-conformance-pw", "email": "wendy@acme.test"}


@pytest.fixture(scope="module")
def wizard_realm(env, kc, demo, clients):
    kc.recreate_realm({
        "realm": REALM,
        "enabled": True,
        "users": [{
            "username": WENDY["username"], "email": WENDY["email"], "firstName": "Wendy",
            "lastName": "Wizard", "enabled": True, "emailVerified": True,
            "credentials": [{"type": "password", "value": WENDY["password"], "temporary": False}],
        }],
    })
    converted = kc.convert_client_description(REALM, demo.metadata(None))
    cid = kc.create_client(REALM, converted)
    kc.update_client(REALM, cid, attributes={
        "saml.server.signature": "true",
        "saml.assertion.signature": "true",
        "saml.client.signature": "true",
        "saml.encrypt": "false",
        "saml_name_id_format": "email",
        "saml_force_name_id_format": "true",
        "saml.force.post.binding": "true",
        "saml.authnstatement": "true",
    })
    kc.add_protocol_mappers(REALM, cid, kcsetup.mappers())
    return f"{env.kc_url}/realms/{REALM}"


@pytest.fixture(scope="module")
def connections_run(env, demo, wizard_realm):
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "descriptor_url": f"{wizard_realm}/protocol/saml/descriptor",
        "entity_id": wizard_realm,
        "admin": {"button": "Sign in with Acme Corp", "username": "alice",
                  "password": "alice-conformance-pw", "me": ["alice@acme.test"]},
        "tester": WENDY,
    }
    return run_plan(env, "connections.mjs", plan, "browser-connections")


def test_browser_connection_added_tested_enabled(connections_run, record):
    """Chromium: an org admin adds a connection from a Keycloak realm's descriptor URL, sees its
    entity ID, endpoints and certificates and the values to enter at the IdP; enabling before a
    test is refused; a test sign-in shows the verified NameID and attributes without signing
    anyone in; then the connection is enabled."""
    check_steps(connections_run, ["admin-sign-in", "add-by-url", "enable-refused-untested",
                                  "test-sign-in", "enable"], record)
    record(idp="Keycloak (realm wizard)", binding="Redirect request, POST response",
           expected="test sign-in verified; enabled after it")
