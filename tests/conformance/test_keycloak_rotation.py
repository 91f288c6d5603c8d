"""Keycloak realm key rotation: a new RSA key with a higher priority becomes the realm's active
signing key (added through the admin REST API). Until the demo has refreshed Globex's
metadata, responses signed with the new key are refused; after the refresh they are accepted.
The refused response (its KeyInfo names a certificate the demo does not trust) wakes the demo's
refresher, which fetches Globex's metadata at once (on a backoff schedule that only repeated
unknown-key failures move along): no restart, no waiting for cacheDuration (Keycloak publishes
none). The test waits for the fetch's log line with a deadline, never a fixed sleep."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import requests

from harness import flows, saml
from harness.http import Browser
from test_keycloak_login import assert_signed_in, pw
from test_keycloak_negative import refused


def descriptor_keys(env, company) -> list[str]:
    root = ET.fromstring(requests.get(env.descriptor_url(company), timeout=10).content)
    return [e.text for e in root.iter(f"{{{saml.NS['ds']}}}KeyName")]


def test_realm_key_rotation(env, kc, clients, demo, record):
    """New realm signing key: refused with the cached metadata, accepted after the SP's
    metadata refresh."""
    realm = env.realms["globex"]
    old_kid = kc.active_rsa_signing_kid(realm)
    keys_before = descriptor_keys(env, "globex")
    component = kc.add_rsa_signing_key(realm, "conformance-rotated", priority=1000)
    try:
        new_kid = kc.active_rsa_signing_kid(realm)
        assert new_kid != old_kid
        keys_after = descriptor_keys(env, "globex")
        assert new_kid in keys_after and old_kid in keys_after, keys_after

        # 1. The demo still has the metadata it loaded at start: only the old key.
        flow = flows.idp_login(flows.start_sp_initiated(Browser(), demo.login_url("globex", tenant="globex")),
                               "hank", pw("hank"))
        assert new_kid in saml.decode_post(flow.saml_response).decode()  # KeyName of the new key
        mark = demo.log_size()
        flows.post_response(flow)
        f = refused(demo, flow)
        assert f.kind == "signature", f
        assert "not trusted" in (f.reason or ""), f

        # 2. Metadata refresh. Without cacheDuration the demo would wait 4 h; the signature by an
        #    unknown key asked for an early fetch. The deadline covers the schedule's longest
        #    step (5 min), reached only if many unknown-key failures came just before.
        line, took = demo.wait_for_log(r"early IdP metadata fetch.*globex.*outcome=NewKey",
                                       since=mark, timeout=330)

        flow = flows.sign_in(Browser(), demo.login_url("globex", tenant="globex"), "hank", pw("hank"))
        assert new_kid in saml.decode_post(flow.saml_response).decode()
        assert_signed_in(demo, flow, "Hank Hill")
        record(old_key=old_kid, new_key=new_kid, descriptor_keys_before=len(keys_before),
               descriptor_keys_after=len(keys_after), before_refresh=f"refused ({f.kind}: {f.reason})",
               refresh=f"early fetch after the refused response, new key after {took:.1f}s", after_refresh="accepted")
    finally:
        kc.call("DELETE", f"/realms/{realm}/components/{component}")
