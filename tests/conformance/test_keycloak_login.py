"""Keycloak -> demo: SP-initiated (HTTP-Redirect and HTTP-POST AuthnRequests), IdP-initiated,
signature placements and encryption, NameID formats, attribute mapping, JIT creation, linking,
refusals. Every response here is a real Keycloak response, verified by the demo's ACS.

Companies (testdata/conformance/keycloak, harness/setup.py):
  acme   - realm conformance-acme, the demo's shared SP /saml/...: assertions signed and encrypted,
           signed HTTP-Redirect AuthnRequests required, email NameID;
  globex - realm conformance-globex, its own SP /t/globex/saml/...: only the Response signed,
           HTTP-POST AuthnRequests, persistent NameID, IdP-initiated SSO.
"""

from __future__ import annotations

import subprocess

import pytest

from harness import flows, saml
from harness.http import Browser
from harness.demo import parse_me
from harness.setup import restore

SP_ENC_KEY = "testdata/keys/sp-enc-rsa2048.key"


def pw(user: str) -> str:
    return f"{user}-conformance-pw"


def enc_key(env) -> bytes:
    return (env.repo / SP_ENC_KEY).read_bytes()


def sign_in(demo, company: str, user: str, tenant=None, browser=None) -> flows.Flow:
    b = browser or Browser()
    return flows.sign_in(b, demo.login_url(company, tenant=tenant), user, pw(user))


def assert_signed_in(demo, flow: flows.Flow, name: str):
    final = flow.final
    assert flow.acs_page.status == 303, (
        f"ACS answered HTTP {flow.acs_page.status}: {demo.failure(flow.acs_page)}"
    )
    assert final.status == 200 and final.url.endswith("/me"), f"landed on {final.url} ({final.status})"
    me = parse_me(final)
    assert me.profile.get("Name") == name, me.profile
    return me


def test_sp_metadata_imported_into_keycloak(env, clients, demo, record):
    """Keycloak's client-description-converter reads the demo's SP metadata correctly."""
    for company, c in clients.items():
        conv, attrs = c.converted, c.converted["attributes"]
        assert conv["clientId"] == demo.entity_id(c.tenant)
        assert conv["protocol"] == "saml"
        assert attrs["saml_assertion_consumer_url_post"] == demo.acs_url(c.tenant)
        assert demo.acs_url(c.tenant) in conv["redirectUris"]
        # AuthnRequestsSigned="true" and the signing certificate -> Keycloak verifies our requests
        assert attrs["saml.client.signature"] == "true"
        assert attrs["saml.signing.certificate"] == _cert_b64(env.repo / "testdata/keys/sp-rsa2048.crt")
        # WantAssertionsSigned="true"
        assert attrs["saml.assertion.signature"] == "true"
        # KeyDescriptor use="encryption" -> Keycloak encrypts to our encryption certificate
        assert attrs["saml.encrypt"] == "true"
        assert attrs["saml.encryption.certificate"] == _cert_b64(env.repo / "testdata/keys/sp-enc-rsa2048.crt")
        record(**{f"{company}_client": conv["clientId"],
                  f"{company}_imported": ",".join(sorted(k for k in attrs if k.startswith("saml")))})


def test_cli_metadata_imports_like_the_demos(env, kc, clients, demo, record, tmp_path):
    """`samlsp metadata` (the CLI an integrator hands to an IdP admin) for the demo's shared SP
    imports into Keycloak exactly as the demo's own /saml/metadata does."""
    out = subprocess.run(
        [str(env.samlsp_bin), "metadata", "--entity-id", demo.entity_id(), "--acs-url", demo.acs_url(),
         "--slo-url", f"{demo.base()}/slo",
         "--cert", str(env.repo / "testdata/keys/sp-rsa2048.crt"),
         "--encryption-cert", str(env.repo / "testdata/keys/sp-enc-rsa2048.crt")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    converted = kc.convert_client_description(env.realms["acme"], out)
    assert converted == clients["acme"].converted
    record(cli_metadata_bytes=len(out), same_client_representation=True)


def _cert_b64(path) -> str:
    pem = path.read_text()
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def test_acme_sp_initiated_redirect_encrypted_email_jit(env, clients, demo, record):
    """Acme: signed HTTP-Redirect AuthnRequest; encrypted, signed assertion; email NameID;
    the first sign-in creates the user just in time, with the mapped attributes."""
    assert demo.user_by_email("alice@acme.test") is None
    flow = sign_in(demo, "acme", "alice")
    assert flow.request_binding == "redirect" and flow.request_signed
    req = flow.request_query
    assert req["SigAlg"] == saml.RSA_SHA256
    r = saml.describe_encrypted(flow.response_xml(), enc_key(env))
    assert r["encrypted_assertion"] and r["data_encryption"].endswith("aes256-gcm")
    assert r["key_transport"] == "http://www.w3.org/2009/xmlenc11#rsa-oaep"
    assert r["response_signature"] is None and r["assertion_signature"] is not None
    assert r["name_id"] == {"format": saml.NAMEID["email"], "value": "alice@acme.test"}
    me = assert_signed_in(demo, flow, "Alice Anderson")
    assert me.profile["Email"] == "alice@acme.test"
    assert me.profile["Given name"] == "Alice" and me.profile["Family name"] == "Anderson"
    assert me.profile["Account source"] == "jit"
    assert me.profile["Role"].startswith("admin")  # member of visitor-admins
    assert me.profile["Default location"] == "Acme HQ"
    assert me.attributes["email"] == ["alice@acme.test"]
    assert me.attributes["firstName"] == ["Alice"] and me.attributes["lastName"] == ["Anderson"]
    assert sorted(me.attributes["groups"]) == ["staff", "visitor-admins"]
    user = demo.user_by_email("alice@acme.test")
    assert user["source"] == "jit"
    ids = demo.identities_of(user["id"])
    assert [(i["name_id"], i["name_id_format"]) for i in ids] == [("alice@acme.test", saml.NAMEID["email"])]
    record(request="Redirect, RSA-SHA256 signed", response="Assertion signed then encrypted "
           f"({r['data_encryption'].rsplit('#', 1)[-1]}, {r['key_transport'].rsplit('#', 1)[-1]})",
           name_id="email", user=f"created id={user['id']}",
           attributes=",".join(sorted(me.attributes)))


def test_acme_second_sign_in_same_user(env, clients, demo, record):
    """A second sign-in of the same person resolves to the same user (no new account)."""
    before = demo.user_by_email("alice@acme.test") or _first_sign_in(demo, "acme", "alice")
    flow = sign_in(demo, "acme", "alice")
    assert_signed_in(demo, flow, "Alice Anderson")
    after = demo.user_by_email("alice@acme.test")
    assert after["id"] == before["id"] and after["created_at"] == before["created_at"]
    assert len(demo.identities_of(after["id"])) == 1
    record(user=f"id={after['id']} both times", identities=1)


def _first_sign_in(demo, company, user, tenant=None):
    flow = sign_in(demo, company, user, tenant=tenant)
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    return demo.user_by_email(f"{user}@{company}.test")


def test_acme_links_existing_user_by_authoritative_domain(env, clients, demo, record):
    """An account created by an administrator (bob@acme.test) is linked on Bob's first SAML
    sign-in, because Acme is authoritative for acme.test; no second account appears."""
    seeded = demo.seed_user("bob@acme.test", "Bob", "Baker")
    flow = sign_in(demo, "acme", "bob")
    me = assert_signed_in(demo, flow, "Bob Baker")
    user = demo.user_by_email("bob@acme.test")
    assert user["id"] == seeded and user["source"] == "manual"
    assert me.profile["Account source"] == "manual"
    ids = demo.identities_of(seeded)
    assert [(i["idp_entity_id"], i["name_id"]) for i in ids] == [(env.realm_url("acme"), "bob@acme.test")]
    record(user=f"seeded id={seeded} linked", identity=ids[0]["name_id"])


def test_acme_deactivated_user_refused(env, clients, demo, record):
    """A deactivated account (dave@acme.test) is refused after a valid SAML response: the
    demo shows its "deactivated" page (403) and starts no session."""
    demo.seed_user("dave@acme.test", "Dave", "Dunn", active=False)
    b = Browser()
    flow = sign_in(demo, "acme", "dave", browser=b)
    f = demo.failure(flow.acs_page)
    assert f.status == 403 and f.kind == "refused" and "deactivated" in (f.reason or ""), f
    assert f.title == "Your account is deactivated"
    _, me = demo.me(b)
    assert me is None
    assert demo.identities_of(demo.user_by_email("dave@acme.test")["id"]) == []
    record(refused=f"HTTP {f.status} {f.title!r}", log=f.reason)


def test_keycloak_disabled_user_gets_no_response(env, clients, demo, record):
    """A user disabled in Keycloak (carol) never gets a SAML response: Keycloak says so on its
    login page (there is no SAML error Response for it)."""
    flow = flows.start_sp_initiated(Browser(), demo.login_url("acme"))
    with pytest.raises(flows.IdpRefused) as e:
        flows.idp_login(flow, "carol", pw("carol"))
    text = e.value.page.visible_text()
    assert "Account is disabled" in text, text[:400]
    assert demo.user_by_email("carol@acme.test") is None
    record(keycloak_says="Account is disabled, contact your administrator.")


@pytest.mark.parametrize(
    "placement,encrypted",
    [(p, e) for p in ("assertion", "response", "both") for e in (True, False)],
    ids=lambda v: {True: "encrypted", False: "plain"}.get(v, v) if isinstance(v, bool) else v,
)
def test_signature_placement_and_encryption(env, kc, clients, demo, record, placement, encrypted):
    """Each signature placement (Assertion, Response, both) with encryption on and off is
    accepted (acme client reconfigured through the admin REST API; user erin)."""
    c = clients["acme"]
    kc.update_client(c.realm, c.id, attributes={
        "saml.assertion.signature": str(placement in ("assertion", "both")).lower(),
        "saml.server.signature": str(placement in ("response", "both")).lower(),
        "saml.encrypt": str(encrypted).lower(),
    })
    try:
        flow = sign_in(demo, "acme", "erin")
        r = saml.describe_encrypted(flow.response_xml(), enc_key(env))
        assert r["encrypted_assertion"] == encrypted
        assert (r["response_signature"] is not None) == (placement in ("response", "both"))
        assert (r["assertion_signature"] is not None) == (placement in ("assertion", "both"))
        assert_signed_in(demo, flow, "Erin Evans")
        record(response_signed=r["response_signature"] is not None,
               assertion_signed=r["assertion_signature"] is not None,
               encrypted=r.get("data_encryption", "no"))
    finally:
        restore(kc, c)


XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
ENCRYPTION_CASES = {
    # what importing our metadata gives when nobody picks algorithms (Keycloak's defaults)
    "keycloak-defaults": (None, None, False, None),
    "aes128-gcm+rsa-oaep-mgf1p": (XENC11 + "aes128-gcm", XENC + "rsa-oaep-mgf1p", False, None),
    # CBC is a padding oracle unless a signature covers the ciphertext: only a signed Response does
    "aes256-cbc,assertion-signed-only": (XENC + "aes256-cbc", XENC + "rsa-oaep-mgf1p", False, "CBC"),
    "aes128-cbc,response-signed": (XENC + "aes128-cbc", XENC + "rsa-oaep-mgf1p", True, None),
    # off unless the integrator opts in through samlsp::danger
    "rsa-1_5-key-transport": (XENC11 + "aes256-gcm", XENC + "rsa-1_5", False, "rsa-1_5"),
    "tripledes-cbc": (XENC + "tripledes-cbc", XENC + "rsa-oaep-mgf1p", True, "tripledes-cbc"),
}


@pytest.mark.parametrize("case", list(ENCRYPTION_CASES))
def test_encryption_algorithms(env, kc, clients, demo, record, case):
    """Keycloak's encryption algorithms against the SP's policy: AES-GCM with either RSA-OAEP
    accepted; AES-CBC only under a Response signature; RSA 1.5 and 3DES refused (danger
    opt-ins). Keycloak's own defaults (after a plain metadata import) are accepted."""
    data, key, response_signed, refusal = ENCRYPTION_CASES[case]
    c = clients["acme"]
    kc.update_client(c.realm, c.id, attributes={
        "saml.encryption.algorithm": data, "saml.encryption.keyAlgorithm": key,  # None: unset
        "saml.encryption.digestMethod": None, "saml.encryption.maskGenerationFunction": None,
        "saml.server.signature": str(response_signed).lower(), "saml.assertion.signature": "true",
        "saml.encrypt": "true",
    })
    try:
        flow = sign_in(demo, "acme", "erin")
        r = saml.describe(flow.response_xml())
        if data:
            assert r["data_encryption"] == data and r["key_transport"] == key, r
        used = f"{r['data_encryption'].rsplit('#', 1)[-1]} + {r['key_transport'].rsplit('#', 1)[-1]}"
        if refusal is None:
            assert_signed_in(demo, flow, "Erin Evans")
            record(keycloak_sent=used, response_signed=response_signed, outcome="accepted")
        else:
            f = demo.failure(flow.acs_page)
            assert f.status == 400 and f.kind == "decryption" and refusal in (f.reason or ""), f
            record(keycloak_sent=used, response_signed=response_signed, outcome=f"refused: {f.reason}")
    finally:
        restore(kc, c)


@pytest.mark.parametrize("fmt", ["email", "persistent", "transient", "username"])
def test_name_id_formats(env, kc, clients, demo, record, fmt):
    """Keycloak's four NameID formats verify; email, persistent and username sign the person
    in; a transient NameID is verified but the demo refuses it (it cannot identify anyone
    from one visit to the next) with its own clear page."""
    c = clients["acme"]
    kc.update_client(c.realm, c.id, attributes={"saml_name_id_format": fmt,
                                                 "saml_force_name_id_format": "true"})
    try:
        flow = sign_in(demo, "acme", "erin")
        r = saml.describe_encrypted(flow.response_xml(), enc_key(env))
        assert r["name_id"]["format"] == saml.NAMEID[fmt]
        value = r["name_id"]["value"]
        if fmt == "email":
            assert value == "erin@acme.test"
        elif fmt == "username":
            assert value == "erin"
        else:
            assert value.startswith("G-")
        if fmt == "transient":
            f = demo.failure(flow.acs_page)
            assert f.status == 403 and f.kind == "refused" and "transient" in (f.reason or ""), f
            record(name_id=value, outcome=f"verified, refused by the app: {f.title!r}")
        else:
            me = assert_signed_in(demo, flow, "Erin Evans")
            short = saml.NAMEID[fmt].rsplit(":", 1)[-1]
            assert any(i["name_id"] == value and i["format"] == short for i in me.identities), me.identities
            record(name_id=value, format=short, outcome="signed in")
    finally:
        restore(kc, c)


def test_globex_sp_initiated_post_persistent_jit(env, clients, demo, record):
    """Globex: HTTP-POST AuthnRequest (signed, enveloped; Keycloak verifies it), only the
    Response signed, persistent NameID; JIT creation with the admin group mapped."""
    flow = sign_in(demo, "globex", "gina", tenant="globex")
    assert flow.request_binding == "post" and flow.request_signed
    r = flow.response()
    assert r["response_signature"] is not None and r.get("assertion_signature") is None
    assert not r["encrypted_assertion"]
    assert r["name_id"]["format"] == saml.NAMEID["persistent"]
    assert r["audience"] == [demo.entity_id("globex")]
    me = assert_signed_in(demo, flow, "Gina Garcia")
    assert me.profile["Role"].startswith("admin") and me.profile["Default location"] == "Globex Campus"
    assert sorted(me.attributes["groups"]) == ["staff", "visitor-admins"]
    user = demo.user_by_email("gina@globex.test")
    assert user["source"] == "jit"
    elements = r["attribute_elements"]
    repeated = {n: elements.count(n) for n in set(elements) if elements.count(n) > 1}
    record(request="POST, enveloped RSA-SHA256 signature", response="Response signed only",
           name_id=r["name_id"]["value"], user=f"created id={user['id']}",
           repeated_attribute_elements=repeated or "none")


def test_globex_persistent_name_id_stable(env, clients, demo, record):
    """The persistent NameID is the same at the next sign-in and maps to the same user."""
    first = sign_in(demo, "globex", "hank", tenant="globex")
    assert_signed_in(demo, first, "Hank Hill")
    second = sign_in(demo, "globex", "hank", tenant="globex")
    assert_signed_in(demo, second, "Hank Hill")
    a, b = first.response()["name_id"]["value"], second.response()["name_id"]["value"]
    assert a == b
    user = demo.user_by_email("hank@globex.test")
    assert [i["name_id"] for i in demo.identities_of(user["id"])] == [a]
    record(name_id=a, user=f"id={user['id']} both times")


def test_globex_idp_initiated(env, clients, demo, record):
    """IdP-initiated SSO from Keycloak's URL (no AuthnRequest, no InResponseTo): accepted,
    because the demo allows unsolicited responses from Globex."""
    b = Browser()
    flow = flows.start_idp_initiated(b, clients["globex"].idp_initiated_url(env.kc_url))
    flows.idp_login(flow, "grace", pw("grace"))
    r = flow.response()
    assert r["in_response_to"] is None and "InResponseTo" not in (r["subject_confirmation_data"] or {})
    assert flow.acs == demo.acs_url("globex")
    flows.post_response(flow)
    assert_signed_in(demo, flow, "Grace Gomez")
    record(url=clients["globex"].idp_initiated_url(env.kc_url), relay_state=repr(flow.relay_state))


def test_acme_idp_initiated_refused(env, kc, clients, demo, record):
    """Acme is not allowed to sign people in unsolicited: a real IdP-initiated response from
    the acme realm is refused (login CSRF protection)."""
    c = clients["acme"]
    kc.update_client(c.realm, c.id, attributes={"saml_idp_initiated_sso_url_name": "acme-unsolicited"})
    try:
        b = Browser()
        flow = flows.start_idp_initiated(b, f"{env.realm_url('acme')}/protocol/saml/clients/acme-unsolicited")
        flows.idp_login(flow, "erin", pw("erin"))
        flows.post_response(flow)
        f = demo.failure(flow.acs_page)
        assert f.status == 400 and f.kind == "unsolicited_not_allowed", f
        assert demo.me(b)[1] is None
        record(refused=f.kind, log=f.reason)
    finally:
        kc.update_client(c.realm, c.id, attributes={"saml_idp_initiated_sso_url_name": ""})


def test_foreign_domain_not_linked(env, clients, demo, record):
    """A Globex user whose email is bob@acme.test cannot take over Bob's account, nor get one
    with that address: acme.test is Acme's verified domain, and Globex's sign-ins only ever see
    Globex's accounts."""
    bob = demo.user_by_email("bob@acme.test")
    if bob is None:
        demo.seed_user("bob@acme.test", "Bob", "Baker")
        bob = demo.user_by_email("bob@acme.test")
    before = demo.identities_of(bob["id"])
    b = Browser()
    flow = sign_in(demo, "globex", "mallory", tenant="globex", browser=b)
    f = demo.failure(flow.acs_page)
    assert f.status == 403 and "domain_of_another_idp" in (f.reason or ""), f
    assert demo.identities_of(bob["id"]) == before
    assert demo.me(b)[1] is None
    record(refused=f.title, log=f.reason)
