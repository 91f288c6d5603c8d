"""The third independent IdP: SimpleSAMLphp 1.19 (Debian's package; PHP, xmlseclibs signatures)
as the IdP of the company "Umbrella" (scripts/simplesamlphp). The demo has two connections to
it, each with its own SP that SimpleSAMLphp registered from the SP's metadata:
`umbrella` (/t/umbrella/saml/..., HTTP-Redirect AuthnRequests) and `umbrella-post`
(/t/umbrella-post/saml/..., HTTP-POST AuthnRequests). Both sign their requests and
SimpleSAMLphp verifies them (validate.authnrequest). Each case sets the IdP's options for the SP
it uses (harness/simplesamlphp.py) and the fixture puts the baseline back afterwards."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from harness import flows, saml
from harness import simplesamlphp as ssp_mod
from harness.demo import parse_me
from harness.http import Browser

USERS = {"una": "una-umbrella-pw", "umar": "umar-umbrella-pw", "ulla": "ulla-umbrella-pw"}
OID = {
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
    "isMemberOf": "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
}
SIGN_R, SIGN_A, ENC, NAMEID = ssp_mod.SIGN_RESPONSE, ssp_mod.SIGN_ASSERTION, ssp_mod.ENCRYPTION, ssp_mod.NAMEID_FORMAT
# SimpleSAMLphp 1.19 encrypts with a fixed pair: AES-128-CBC content, RSA-OAEP (MGF1-SHA1) key.
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


@pytest.fixture
def ssp(env, demo):
    idp = ssp_mod.SimpleSAMLphp(env)
    for tenant in ("umbrella", "umbrella-post"):
        assert demo.entity_id(tenant) in idp.registered(), idp.registered().keys()
        idp.set_options(demo.entity_id(tenant))
    yield idp
    for tenant in ("umbrella", "umbrella-post"):
        idp.set_options(demo.entity_id(tenant))


def sign_in(demo, tenant, user):
    return flows.sign_in(Browser(), demo.login_url(tenant, tenant=tenant), user, USERS[user])


def check_signed_in(demo, flow, name):
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    assert flow.final.url.endswith("/me"), flow.final.url
    me = parse_me(flow.final)
    assert me.profile["Name"] == name, me.profile
    return me


def sp_key(env) -> bytes:
    return (env.repo / "testdata" / "keys" / "sp-enc-rsa2048.key").read_bytes()


def _cert_b64(path) -> str:
    return "".join(line for line in path.read_text().splitlines() if "-----" not in line)


def test_ssp_registered_from_metadata(env, demo, ssp, record, tmp_path):
    """SimpleSAMLphp's own metadata parser read the demo's SP metadata right (ACS, signing and
    encryption certificates, WantAssertionsSigned), and `samlsp metadata` (the CLI an
    integrator hands to an IdP admin) for the same SP registers identically."""
    entry = ssp.registered()[demo.entity_id("umbrella")]
    assert entry["AssertionConsumerService"] == [{
        "Binding": saml.POST_BINDING, "Location": demo.acs_url("umbrella"), "index": 0, "isDefault": True}]
    keys = {("signing" if k["signing"] else "encryption"): k["X509Certificate"] for k in entry["keys"]}
    assert keys == {"signing": _cert_b64(env.repo / "testdata/keys/sp-rsa2048.crt"),
                    "encryption": _cert_b64(env.repo / "testdata/keys/sp-enc-rsa2048.crt")}
    assert entry["saml20.sign.assertion"] is True and entry["validate.authnrequest"] is True
    cmd = [str(env.samlsp_bin), "metadata", "--entity-id", demo.entity_id("umbrella"),
           "--acs-url", demo.acs_url("umbrella"), "--cert", str(env.repo / "testdata/keys/sp-rsa2048.crt"),
           "--encryption-cert", str(env.repo / "testdata/keys/sp-enc-rsa2048.crt")]
    for slo in entry.get("SingleLogoutService", [])[:1]:
        cmd += ["--slo-url", slo["Location"]]
    (tmp_path / "sp.xml").write_text(subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                                    check=True).stdout)
    subprocess.run([str(env.repo / "scripts/simplesamlphp/register-sp.sh"), str(tmp_path / "sp.xml")],
                   env={**os.environ, "SAMLSP_SSP_STATE": str(tmp_path)}, check=True, timeout=60,
                   capture_output=True)
    cli = json.loads((tmp_path / "sp-remote.json").read_text())[demo.entity_id("umbrella")]
    cli.pop("entityDescriptor")
    assert cli == {k: v for k, v in entry.items() if k != "entityDescriptor"}
    record(acs=demo.acs_url("umbrella"), keys="signing, encryption", cli_metadata="registers identically")


def test_ssp_sp_initiated_redirect(env, demo, ssp, record):
    """SP-initiated, signed HTTP-Redirect AuthnRequest verified by SimpleSAMLphp; Response and
    Assertion both signed (xmlseclibs, RSA-SHA256); persistent NameID; OID attributes map; the
    account is created on first sign-in, an administrator by isMemberOf."""
    log_at = ssp.log_size()
    flow = sign_in(demo, "umbrella", "una")
    assert flow.request_binding == "redirect" and flow.request_signed
    r = flow.response()
    assert r["issuer"] == ssp.entity_id
    assert r["destination"] == demo.acs_url("umbrella")
    assert r["response_signature"] == {"signature_method": saml.RSA_SHA256, "digest_method": SHA256}
    assert r["assertion_signature"] == {"signature_method": saml.RSA_SHA256, "digest_method": SHA256}
    assert r["name_id"]["format"] == saml.NAMEID["persistent"]
    assert r["audience"] == [demo.entity_id("umbrella")]
    me = check_signed_in(demo, flow, "Una Underwood")
    assert me.profile["Email"] == "una@umbrella.test"
    assert me.profile["Given name"] == "Una" and me.profile["Family name"] == "Underwood"
    assert me.profile["Role"].startswith("admin")
    assert sorted(me.attributes[OID["isMemberOf"]]) == ["staff", "visitor-admins"]
    user = demo.user_by_email("una@umbrella.test")
    assert user["source"] == "jit"
    log = ssp.log_since(log_at)
    assert f"incoming authentication request: '{demo.entity_id('umbrella')}'" in log, log
    record(request="Redirect, signed, verified by SimpleSAMLphp", response="Response and Assertion signed",
           name_id=f"persistent {r['name_id']['value']}", user=f"id={user['id']} source=jit")


def test_ssp_sp_initiated_post(env, demo, ssp, record):
    """SP-initiated with an HTTP-POST AuthnRequest (enveloped signature, verified by
    SimpleSAMLphp) from the second SP; the response goes to that SP's ACS."""
    flow = sign_in(demo, "umbrella-post", "umar")
    assert flow.request_binding == "post" and flow.request_signed
    r = flow.response()
    assert r["destination"] == demo.acs_url("umbrella-post")
    assert r["audience"] == [demo.entity_id("umbrella-post")]
    check_signed_in(demo, flow, "Umar Usman")
    record(request="POST, signed (enveloped), verified by SimpleSAMLphp", acs=flow.acs)


def test_ssp_tampered_request_signature_refused_by_idp(env, demo, ssp, record):
    """Our AuthnRequest signature is really checked: the same Redirect URL with one character of
    its Signature changed gets SimpleSAMLphp's error page, no SAMLResponse."""
    b = Browser()
    first = b.get(demo.login_url("umbrella", tenant="umbrella"), follow=False)
    loc = first.headers["Location"]
    head, sig = loc.split("&Signature=", 1)
    bad = head + "&Signature=" + ("B" if sig[0] != "B" else "C") + sig[1:]
    log_at = ssp.log_size()
    page = b.get(bad)
    assert page.form(has="SAMLResponse") is None and page.form(name="f") is None, page.visible_text()[:300]
    assert "Unable to validate signature on query string" in ssp.log_since(log_at)
    # The untouched URL still works: the refusal was the signature's.
    ok = b.get(loc)
    assert ok.form(name="f") is not None, ok.visible_text()[:300]
    record(idp_page=f"HTTP {page.status}", idp_log="Unable to validate signature on query string")


@pytest.mark.parametrize("sign_response,sign_assertion", [(True, False), (False, True), (True, True)],
                         ids=["response", "assertion", "both"])
def test_ssp_signature_placement(env, demo, ssp, record, sign_response, sign_assertion):
    """saml20.sign.response / saml20.sign.assertion: each placement SimpleSAMLphp offers, in
    the clear, is verified and accepted."""
    ssp.set_options(demo.entity_id("umbrella"), **{SIGN_R: sign_response, SIGN_A: sign_assertion})
    flow = sign_in(demo, "umbrella", "ulla")
    r = flow.response()
    assert (r["response_signature"] is not None) == sign_response
    assert (r["assertion_signature"] is not None) == sign_assertion
    check_signed_in(demo, flow, "Ulla Ulrich")
    record(response_signed=sign_response, assertion_signed=sign_assertion)


def test_ssp_unsigned_refused(env, demo, ssp, record):
    """Neither the Response nor the Assertion signed: refused (not_signed), no session."""
    ssp.set_options(demo.entity_id("umbrella"), **{SIGN_R: False, SIGN_A: False})
    flow = sign_in(demo, "umbrella", "ulla")
    r = flow.response()
    assert r["response_signature"] is None and r["assertion_signature"] is None
    f = demo.failure(flow.acs_page)
    assert flow.acs_page.status == 400 and f.kind == "not_signed", f
    assert demo.me(flow.browser)[1] is None
    record(kind=f.kind)


@pytest.mark.parametrize("sign_assertion", [True, False], ids=["both", "response"])
def test_ssp_encrypted_assertion(env, demo, ssp, record, sign_assertion):
    """assertion.encryption on, Response signed: SimpleSAMLphp's AES-128-CBC + RSA-OAEP
    EncryptedAssertion is decrypted with the SP's key and accepted (the Response signature
    covers the ciphertext)."""
    ssp.set_options(demo.entity_id("umbrella"), **{ENC: True, SIGN_A: sign_assertion})
    flow = sign_in(demo, "umbrella", "ulla")
    r = saml.describe_encrypted(flow.response_xml(), sp_key(env))
    assert r["encrypted_assertion"] and r["response_signature"] is not None
    assert r["data_encryption"] == AES128_CBC and r["key_transport"] == RSA_OAEP_MGF1P, r
    assert (r["assertion_signature"] is not None) == sign_assertion
    assert r["name_id"]["format"] == saml.NAMEID["persistent"]
    check_signed_in(demo, flow, "Ulla Ulrich")
    record(encryption=f"{r['data_encryption']} / {r['key_transport']}", assertion_signed=sign_assertion)


def test_ssp_encrypted_without_response_signature_refused(env, demo, ssp, record):
    """assertion.encryption on, only the (encrypted) Assertion signed: refused before any
    decryption result is used (decryption): AES-CBC not covered by a Response signature is a
    padding oracle."""
    ssp.set_options(demo.entity_id("umbrella"), **{ENC: True, SIGN_R: False, SIGN_A: True})
    flow = sign_in(demo, "umbrella", "ulla")
    r = flow.response()
    assert r["encrypted_assertion"] and r["response_signature"] is None
    f = demo.failure(flow.acs_page)
    assert flow.acs_page.status == 400 and f.kind == "decryption", f
    assert demo.me(flow.browser)[1] is None
    record(kind=f.kind, reason=f.reason)


@pytest.mark.parametrize("fmt,expect", [
    ("persistent", None), ("email", "umar@umbrella.test"), ("unspecified", "umar"),
])
def test_ssp_name_id_formats(env, demo, ssp, record, fmt, expect):
    """The NameID formats SimpleSAMLphp offers (its metadata lists them), each accepted and
    shown on "me": persistent (its salted hash, the same on the next sign-in), email, and
    unspecified (the uid)."""
    assert saml.NAMEID[fmt] in ssp.name_id_formats()
    ssp.set_options(demo.entity_id("umbrella"), **{NAMEID: saml.NAMEID[fmt]})
    flow = sign_in(demo, "umbrella", "umar")
    r = flow.response()
    assert r["name_id"]["format"] == saml.NAMEID[fmt], r["name_id"]
    if expect is not None:
        assert r["name_id"]["value"] == expect
    me = check_signed_in(demo, flow, "Umar Usman")
    assert any(i["name_id"] == r["name_id"]["value"] for i in me.identities), me.identities
    if fmt == "persistent":
        again = sign_in(demo, "umbrella", "umar").response()
        assert again["name_id"]["value"] == r["name_id"]["value"]
    record(name_id=f"{fmt}: {r['name_id']['value']}")


def test_ssp_transient_name_id_refused(env, demo, ssp, record):
    """A transient NameID (SimpleSAMLphp's default) cannot identify a person twice: the demo
    refuses it with a page that says what to configure, and no session."""
    ssp.set_options(demo.entity_id("umbrella"), **{NAMEID: saml.NAMEID["transient"]})
    flow = sign_in(demo, "umbrella", "umar")
    assert flow.response()["name_id"]["format"] == saml.NAMEID["transient"]
    assert flow.acs_page.status == 403, flow.acs_page.status
    assert "persistent or email NameID" in flow.acs_page.visible_text()
    assert demo.me(flow.browser)[1] is None
    record(page=flow.acs_page.title())


def test_ssp_idp_initiated(env, demo, ssp, record):
    """IdP-initiated from SimpleSAMLphp's SSOService.php?spentityid=...&RelayState=/me
    (unsolicited, no InResponseTo), to the SP's ACS from its metadata: accepted."""
    url = ssp.idp_initiated_url(demo.entity_id("umbrella"), relay_state="/me")
    flow = flows.idp_login(flows.start_idp_initiated(Browser(), url), "umar", USERS["umar"])
    r = flow.response()
    assert r["in_response_to"] is None
    assert flow.acs == demo.acs_url("umbrella") and flow.relay_state == "/me"
    flows.post_response(flow)
    me = check_signed_in(demo, flow, "Umar Usman")
    assert me.profile["Role"].startswith("host")
    record(relay_state="/me", acs=flow.acs)


def test_ssp_replayed_response(env, demo, ssp, record):
    """A SimpleSAMLphp response accepted once, posted again from another browser: replay."""
    url = ssp.idp_initiated_url(demo.entity_id("umbrella"))
    flow = flows.idp_login(flows.start_idp_initiated(Browser(), url), "ulla", USERS["ulla"])
    flows.post_response(flow)
    check_signed_in(demo, flow, "Ulla Ulrich")
    again = flows.Flow(browser=Browser(), response_form=flow.response_form, response_page=flow.response_page)
    flows.post_response(again)
    f = demo.failure(again.acs_page)
    assert again.acs_page.status == 400 and f.kind == "replay", f
    record(kind=f.kind)


def test_ssp_response_for_another_sp(env, demo, ssp, record):
    """An unsolicited response SimpleSAMLphp made for the `umbrella` SP, posted to the
    `umbrella-post` SP's ACS (same IdP, trusted there, IdP-initiated allowed there too):
    refused on its Audience / Destination, no session."""
    url = ssp.idp_initiated_url(demo.entity_id("umbrella"))
    flow = flows.idp_login(flows.start_idp_initiated(Browser(), url), "ulla", USERS["ulla"])
    flows.post_response(flow, acs=demo.acs_url("umbrella-post"))
    f = demo.failure(flow.acs_page)
    assert flow.acs_page.status == 400 and f.kind in ("audience", "destination"), f
    assert demo.me(flow.browser)[1] is None
    record(kind=f.kind, reason=f.reason)
