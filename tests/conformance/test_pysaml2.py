"""The second, independent IdP: pysaml2 (PyPI) signing with xmlsec1 (Debian), RSA-SHA256 and
SHA-256 digests (tests/conformance/idp/pysaml2_idp.py), against the demo's shared SP as the
company "Initech". Attributes come named by OID (NameFormat uri), as pysaml2 sends them."""

from __future__ import annotations

import requests

from harness import flows, saml
from harness.http import Browser
from harness.demo import parse_me

USERS = {"ingrid": "ingrid-initech-pw", "ivo": "ivo-initech-pw"}
OID = {
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "isMemberOf": "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
}


def knobs(env, **k):
    r = requests.post(f"{env.pysaml2_url}/_control", json=k, timeout=10)
    r.raise_for_status()
    return r.json()


def check_signed_in(demo, flow, name):
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    assert flow.final.url.endswith("/me"), flow.final.url
    me = parse_me(flow.final)
    assert me.profile["Name"] == name, me.profile
    return me


def test_pysaml2_sp_initiated_signed_response(env, demo, record):
    """SP-initiated: our signed HTTP-Redirect AuthnRequest is verified by pysaml2; its
    xmlsec1-signed Response (Assertion unsigned) is verified by the demo; OID attributes map."""
    knobs(env, sign_response=True, sign_assertion=False)
    flow = flows.sign_in(Browser(), demo.login_url("initech"), "ingrid", USERS["ingrid"])
    assert flow.request_binding == "redirect" and flow.request_signed
    r = flow.response()
    assert r["issuer"] == f"{env.pysaml2_url}/idp/metadata"
    assert r["response_signature"] == {"signature_method": saml.RSA_SHA256,
                                       "digest_method": "http://www.w3.org/2001/04/xmlenc#sha256"}
    assert r["assertion_signature"] is None
    assert r["name_id"]["format"] == saml.NAMEID["persistent"]
    me = check_signed_in(demo, flow, "Ingrid Isaksen")
    assert me.profile["Email"] == "ingrid@initech.test"
    assert me.profile["Given name"] == "Ingrid" and me.profile["Family name"] == "Isaksen"
    assert me.profile["Role"].startswith("admin")  # isMemberOf visitor-admins
    assert sorted(me.attributes[OID["isMemberOf"]]) == ["staff", "visitor-admins"]
    log = (env.artifacts / "pysaml2-idp.log").read_text()
    rid = flow.request_xml.split(b' ID="', 1)[1].split(b'"', 1)[0].decode()
    assert f"AuthnRequest {rid} from {demo.entity_id()} via {saml.REDIRECT_BINDING}: signature verified" in log
    record(request="Redirect, signed, verified by pysaml2", response="Response signed (xmlsec1, rsa-sha256)",
           name_id=r["name_id"]["value"], attributes=",".join(sorted(me.attributes)))


def test_pysaml2_sp_initiated_both_signed(env, demo, record):
    """SP-initiated with Response and Assertion both signed by xmlsec1."""
    knobs(env, sign_response=True, sign_assertion=True)
    try:
        flow = flows.sign_in(Browser(), demo.login_url("initech"), "ingrid", USERS["ingrid"])
        r = flow.response()
        assert r["response_signature"] is not None and r["assertion_signature"] is not None
        check_signed_in(demo, flow, "Ingrid Isaksen")
        record(response="Response and Assertion signed")
    finally:
        knobs(env, sign_response=True, sign_assertion=False)


def test_pysaml2_idp_initiated(env, demo, record):
    """IdP-initiated from pysaml2 (unsolicited, no InResponseTo), to the SP's ACS from its
    metadata: accepted (Initech may sign people in unsolicited)."""
    knobs(env, sign_response=True, sign_assertion=False)
    b = Browser()
    url = f"{env.pysaml2_url}/idp-init?sp={requests.utils.quote(demo.entity_id(), safe='')}&RelayState=/me"
    flow = flows.idp_login(flows.start_idp_initiated(b, url), "ivo", USERS["ivo"])
    r = flow.response()
    assert r["in_response_to"] is None
    assert flow.acs == demo.acs_url()
    flows.post_response(flow)
    me = check_signed_in(demo, flow, "Ivo Ibarra")
    assert me.profile["Role"].startswith("host")
    user = demo.user_by_email("ivo@initech.test")
    assert user["source"] == "jit"
    record(relay_state="/me", user=f"created id={user['id']}")


def test_pysaml2_replayed_response(env, demo, record):
    """The pysaml2 IdP-initiated response, replayed: refused by the replay cache."""
    b = Browser()
    url = f"{env.pysaml2_url}/idp-init?sp={requests.utils.quote(demo.entity_id(), safe='')}"
    flow = flows.idp_login(flows.start_idp_initiated(b, url), "ivo", USERS["ivo"])
    flows.post_response(flow)
    check_signed_in(demo, flow, "Ivo Ibarra")
    again = flows.Flow(browser=Browser(), response_form=flow.response_form, response_page=flow.response_page)
    flows.post_response(again)
    f = demo.failure(again.acs_page)
    assert again.acs_page.status == 400 and f.kind == "replay", f
    record(kind=f.kind)
