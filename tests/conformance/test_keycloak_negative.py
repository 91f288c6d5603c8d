"""Negative cases with real Keycloak responses: each is a genuine response that the demo must
refuse once something about it (or about where and when it arrives) is wrong. Every refusal is
checked on the page (HTTP status, the fixed "Sign-in failed" page, no session) and in the demo's
log (the exact kind of error behind the page's reference)."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
import requests

from harness import flows, saml
from harness.http import Browser
from test_keycloak_login import assert_signed_in, pw


def refused(demo, flow, browser=None, status=400):
    f = demo.failure(flow.acs_page)
    assert flow.acs_page.status == status, (flow.acs_page.status, f)
    assert f.title == "Sign-in failed" and f.reference, f
    assert f.kind is not None, f"no log line for reference {f.reference}:\n{demo.log_tail()}"
    assert demo.me(browser or flow.browser)[1] is None, "a session was created"
    return f


def globex_response(demo, user="hank"):
    """A genuine SP-initiated Globex response, not yet posted."""
    flow = flows.start_sp_initiated(Browser(), demo.login_url("globex", tenant="globex"))
    return flows.idp_login(flow, user, pw(user))


def acme_response(demo, user="erin"):
    flow = flows.start_sp_initiated(Browser(), demo.login_url("acme"))
    return flows.idp_login(flow, user, pw(user))


TAMPER = {
    # A byte inside the signed content: NameID text (persistent G-<uuid>).
    "name_id": lambda b64: saml.flip_byte(b64, b">G-", 5),
    # A byte of an attribute value (the signed Response covers the Assertion).
    "attribute_value": lambda b64: saml.flip_byte(b64, b"hank@globex.test", 1),
    # A byte of the Audience.
    "audience": lambda b64: saml.flip_byte(b64, b"/t/globex/saml/metadata</", 4),
    # A byte of the SignatureValue (the content itself is intact).
    "signature_value": lambda b64: saml.flip_base64_char(b64, b"SignatureValue"),
    # A byte of the DigestValue.
    "digest_value": lambda b64: saml.flip_base64_char(b64, b"DigestValue"),
}


@pytest.mark.parametrize("where", list(TAMPER))
def test_one_byte_changed(env, clients, demo, record, where):
    """One byte changed anywhere in a signed Keycloak response: refused, as a signature
    failure."""
    flow = globex_response(demo)
    tampered = TAMPER[where](flow.saml_response)
    assert tampered != flow.saml_response
    flows.post_response(flow, saml_response=tampered)
    f = refused(demo, flow)
    assert f.kind == "signature", f
    # Is the genuine response still usable after the tampered one was refused? (Recorded only:
    # either answer is safe.)
    flows.post_response(flow)
    after = "accepted" if flow.acs_page.status == 303 else f"refused ({demo.failure(flow.acs_page).kind})"
    record(kind=f.kind, reason=f.reason, genuine_response_afterwards=after)


def test_one_byte_changed_in_encrypted_assertion(env, clients, demo, record):
    """One byte changed in the ciphertext of Acme's EncryptedAssertion (AES-256-GCM): refused."""
    flow = acme_response(demo)
    tampered = saml.flip_content_ciphertext_byte(flow.saml_response)
    flows.post_response(flow, saml_response=tampered)
    f = refused(demo, flow)
    assert f.kind in ("decryption", "signature"), f
    record(kind=f.kind, reason=f.reason)


def test_replayed_sp_initiated_response(env, clients, demo, record):
    """A response that signed someone in, posted again (same RelayState, another browser):
    refused."""
    flow = globex_response(demo)
    flows.post_response(flow)
    assert_signed_in(demo, flow, "Hank Hill")
    attacker = Browser()
    again = flows.Flow(browser=attacker, response_form=flow.response_form, response_page=flow.response_page)
    flows.post_response(again)
    f = refused(demo, again)
    assert f.kind in ("replay", "in_response_to", "tracking"), f
    record(kind=f.kind, reason=f.reason)


def test_replayed_idp_initiated_response(env, clients, demo, record):
    """An unsolicited response replayed: no pending request is involved, so only the replay
    cache can stop it, and it does."""
    b = Browser()
    flow = flows.idp_login(flows.start_idp_initiated(b, clients["globex"].idp_initiated_url(env.kc_url)),
                           "hank", pw("hank"))
    flows.post_response(flow)
    assert_signed_in(demo, flow, "Hank Hill")
    again = flows.Flow(browser=Browser(), response_form=flow.response_form, response_page=flow.response_page)
    flows.post_response(again)
    f = refused(demo, again)
    assert f.kind == "replay", f
    record(kind=f.kind, reason=f.reason)


def test_acme_response_posted_to_globex_sp(env, clients, demo, record):
    """A genuine Acme response (Issuer acme realm, Audience the shared SP) posted to Globex's
    SP: refused."""
    flow = acme_response(demo)
    flows.post_response(flow, acs=demo.acs_url("globex"))
    f = refused(demo, flow)
    assert f.kind in ("unknown_issuer", "issuer_mismatch", "issuer_not_in_tenant", "audience",
                      "destination", "in_response_to"), f
    record(kind=f.kind, reason=f.reason)


def test_globex_response_posted_to_shared_sp(env, clients, demo, record):
    """A genuine Globex response (Audience /t/globex/saml/metadata) posted to the shared SP,
    which trusts Acme and Initech but not Globex: refused."""
    flow = globex_response(demo)
    flows.post_response(flow, acs=demo.acs_url(None))
    f = refused(demo, flow)
    assert f.kind in ("unknown_issuer", "issuer_mismatch", "issuer_not_in_tenant", "audience",
                      "destination", "in_response_to"), f
    record(kind=f.kind, reason=f.reason)


def _verify(env, descriptor, response_b64, sp, acs, request_id, now, tmp_path):
    resp = tmp_path / "response.b64"
    resp.write_text(response_b64)
    cmd = [str(env.samlsp_bin), "verify", "--idp-metadata", str(descriptor), "--sp-entity-id", sp,
           "--acs-url", acs, "--request-id", request_id, "--clock-skew", "60", "--now", saml.iso(now), str(resp)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_expired_with_pinned_clock(env, clients, demo, record, tmp_path):
    """A captured Keycloak response verified offline (`samlsp verify --now`) is accepted just
    inside its validity window (+60 s skew) and refused one second after it."""
    flow = globex_response(demo)
    r = flow.response()
    request_id = flow.request_xml.split(b' ID="', 1)[1].split(b'"', 1)[0].decode()
    assert r["in_response_to"] == request_id
    descriptor = tmp_path / "globex-descriptor.xml"
    descriptor.write_bytes(requests.get(env.descriptor_url("globex"), timeout=10).content)
    ends = [saml.parse_time(r["conditions"]["NotOnOrAfter"])]
    if r["subject_confirmation_data"] and "NotOnOrAfter" in r["subject_confirmation_data"]:
        ends.append(saml.parse_time(r["subject_confirmation_data"]["NotOnOrAfter"]))
    end = min(ends)
    sp, acs = demo.entity_id("globex"), demo.acs_url("globex")
    inside = end + dt.timedelta(seconds=59)
    after = end + dt.timedelta(seconds=61)
    ok = _verify(env, descriptor, flow.saml_response, sp, acs, request_id, inside, tmp_path)
    assert ok.returncode == 0, (ok.returncode, ok.stderr)
    late = _verify(env, descriptor, flow.saml_response, sp, acs, request_id, after, tmp_path)
    assert late.returncode == 1, (late.returncode, late.stdout, late.stderr)
    assert "expire" in late.stderr.lower() or "notonorafter" in late.stderr.lower(), late.stderr
    record(issue_instant=r["issue_instant"], conditions=r["conditions"],
           subject_confirmation_not_on_or_after=(r["subject_confirmation_data"] or {}).get("NotOnOrAfter"),
           accepted_at=saml.iso(inside), refused_at=saml.iso(after), reason=late.stderr.strip())


def test_offline_audience_of_another_sp(env, clients, demo, record, tmp_path):
    """The same kind of captured Globex response, verified offline as if by the shared SP (its
    entity ID, Globex's ACS URL so that Destination and Recipient match): refused for its
    Audience alone."""
    flow = globex_response(demo)
    request_id = flow.request_xml.split(b' ID="', 1)[1].split(b'"', 1)[0].decode()
    descriptor = tmp_path / "globex-descriptor.xml"
    descriptor.write_bytes(requests.get(env.descriptor_url("globex"), timeout=10).content)
    issued = saml.parse_time(flow.response()["issue_instant"]) + dt.timedelta(seconds=5)
    right = _verify(env, descriptor, flow.saml_response, demo.entity_id("globex"), demo.acs_url("globex"),
                    request_id, issued, tmp_path)
    assert right.returncode == 0, right.stderr
    wrong = _verify(env, descriptor, flow.saml_response, demo.entity_id(None), demo.acs_url("globex"),
                    request_id, issued, tmp_path)
    assert wrong.returncode == 1 and "audience" in wrong.stderr.lower(), (wrong.returncode, wrong.stderr)
    record(audience=flow.response()["audience"], verified_as=demo.entity_id(None), reason=wrong.stderr.strip())


def test_acme_response_posted_to_partner_sp(env, clients, demo, record):
    """A genuine Acme response for the shared SP, posted to another SP of the demo that trusts
    the same Acme realm (/t/acme-partner/saml/acs), with its RelayState: refused."""
    flow = acme_response(demo)
    flows.post_response(flow, acs=demo.acs_url("acme-partner"))
    f = refused(demo, flow)
    assert f.kind in ("audience", "destination", "in_response_to"), f
    record(kind=f.kind, reason=f.reason)


def _forged_request(env, demo, user="hank"):
    """Starts a login at Keycloak with an AuthnRequest the demo never sent (random ID, issued
    for Globex's SP), signed with the SP's key as Keycloak requires."""
    rid, xml = saml.authn_request(issuer=demo.entity_id("globex"), destination=env.sso_url("globex"),
                                  acs=demo.acs_url("globex"))
    url = saml.signed_redirect_url(env.sso_url("globex"), xml, None, env.sp_signing_key.read_bytes())
    b = Browser()
    flow = flows.idp_login(flows.start_idp_initiated(b, url), user, pw(user))
    assert flow.response()["in_response_to"] == rid
    return rid, flow


def test_response_to_request_never_sent(env, clients, demo, record):
    """A Keycloak response to an AuthnRequest this SP never sent (no RelayState): refused,
    although Globex may sign people in unsolicited."""
    rid, flow = _forged_request(env, demo)
    flows.post_response(flow, relay_state=None)
    f = refused(demo, flow)
    assert f.kind in ("in_response_to", "tracking"), f
    record(in_response_to=rid, kind=f.kind, reason=f.reason)


def test_response_to_other_request_with_pending_relay_state(env, clients, demo, record):
    """A response to a request the SP never sent, posted with the RelayState of a request the
    SP did send (in the same browser): refused (InResponseTo does not match)."""
    rid, flow = _forged_request(env, demo)
    b = flow.browser
    start = b.get(demo.login_url("globex", tenant="globex"), follow=False)
    form = start.form(has="SAMLRequest")
    assert form is not None and form.get("RelayState"), start.text[:300]
    flows.post_response(flow, relay_state=form.get("RelayState"))
    f = refused(demo, flow)
    assert f.kind in ("in_response_to", "tracking"), f
    record(in_response_to=rid, kind=f.kind, reason=f.reason)
