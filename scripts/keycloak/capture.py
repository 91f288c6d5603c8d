#!/usr/bin/env python3
"""Drives real SAML logins against the Keycloak started by scripts/keycloak/start.sh and saves the
responses as test fixtures in testdata/keycloak/captured/.

    python3 scripts/keycloak/capture.py            # every capture in CAPTURES
    python3 scripts/keycloak/capture.py acme-encrypted globex-idp-initiated
    python3 scripts/keycloak/capture.py --list

For each capture it writes <name>.b64 (the SAMLResponse form value exactly as Keycloak sent it,
base64 of the XML) and <name>.json (sidecar: versions, realm, SP, InResponseTo, IdP cert, clock pin).
It also saves <realm>-descriptor.xml, the realm's IdP metadata.

Only the Python standard library is used, plus the `openssl` CLI to sign HTTP-Redirect AuthnRequests
for clients that require signed requests (key testdata/keys/sp-rsa2048.key).

The module is importable: `SamlBrowser` and `build_authn_request` / `redirect_url` work for any
SAML login against Keycloak (cookie jar that sends Secure cookies to loopback over plain HTTP).
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import http.cookiejar
import json
import os
import pathlib
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEYS = ROOT / "testdata" / "keys"
OUT = ROOT / "testdata" / "keycloak" / "captured"
SP = "http://127.0.0.1:8080"

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
NAMEID = {
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "email": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# name -> how to capture it. Users and passwords come from the realm JSON.
CAPTURES = {
    "acme-assertion-signed": dict(
        realm="acme", client=f"{SP}/capture/assertion-signed", acs=f"{SP}/saml/acs", user="bob",
        description="SP-initiated; only the Assertion is signed; NameID unspecified (username)",
    ),
    "globex-response-signed": dict(
        realm="globex", client=f"{SP}/saml/metadata", acs=f"{SP}/saml/acs", user="hank",
        description="SP-initiated; only the Response is signed; persistent NameID (demo SP client)",
    ),
    "acme-both-signed": dict(
        realm="acme", client=f"{SP}/capture", acs=f"{SP}/saml/acs", user="alice",
        description="SP-initiated; Response and Assertion signed; NameID unspecified (username); "
        "user in two groups",
    ),
    "acme-both-signed-email": dict(
        realm="acme", client=f"{SP}/capture", acs=f"{SP}/saml/acs", user="alice", name_id="email",
        description="SP-initiated; Response and Assertion signed; NameIDPolicy emailAddress requested",
    ),
    "acme-both-signed-transient": dict(
        realm="acme", client=f"{SP}/capture", acs=f"{SP}/saml/acs", user="bob", name_id="transient",
        description="SP-initiated; Response and Assertion signed; NameIDPolicy transient requested",
    ),
    "globex-idp-initiated": dict(
        realm="globex", client=f"{SP}/saml/metadata", acs=f"{SP}/saml/acs", user="gina",
        idp_initiated="samlsp-demo",
        description="IdP-initiated (unsolicited, no InResponseTo); only the Response is signed; "
        "persistent NameID; RelayState from the client's default",
    ),
    "acme-encrypted": dict(
        realm="acme", client=f"{SP}/saml/metadata", acs=f"{SP}/saml/acs", user="alice",
        sign_request=True,
        description="SP-initiated with a signed HTTP-Redirect AuthnRequest (demo SP client); "
        "Assertion signed then encrypted (AES-256-GCM, RSA-OAEP SHA-256/MGF1-SHA256); "
        "Response unsigned; email NameID",
        encryption=dict(
            sp_key="testdata/keys/sp-enc-rsa2048.key", sp_cert="testdata/keys/sp-enc-rsa2048.crt",
            data="http://www.w3.org/2009/xmlenc11#aes256-gcm",
            key_transport="http://www.w3.org/2009/xmlenc11#rsa-oaep",
            digest="http://www.w3.org/2001/04/xmlenc#sha256",
            mgf="http://www.w3.org/2009/xmlenc11#mgf1sha256",
        ),
    ),
    "acme-encrypted-cbc": dict(
        realm="acme", client=f"{SP}/capture/encrypted-cbc", acs=f"{SP}/saml/acs", user="bob",
        description="SP-initiated; Response signed, Assertion signed then encrypted "
        "(AES-128-CBC, RSA-OAEP-MGF1P with SHA-1)",
        encryption=dict(
            sp_key="testdata/keys/sp-enc-rsa2048.key", sp_cert="testdata/keys/sp-enc-rsa2048.crt",
            data="http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            key_transport="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
            digest="http://www.w3.org/2000/09/xmldsig#sha1",
            mgf=None,
        ),
    ),
    "acme-nopassive": dict(
        realm="acme", client=f"{SP}/capture", acs=f"{SP}/saml/acs", user="alice", is_passive=True,
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        description="SP-initiated IsPassive=true without an IdP session: error Response "
        "(Responder / NoPassive), no Assertion; Response signed",
    ),
    "acme-unsigned": dict(
        realm="acme", client=f"{SP}/capture/unsigned", acs=f"{SP}/saml/acs", user="bob",
        description="SP-initiated; NOTHING signed (negative fixture: an SP must reject it)",
    ),
}


class LoopbackCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Keycloak marks cookies `Secure` on loopback even over plain HTTP (it counts as a secure
    context); the default policy would then never send them back over http://."""

    def __init__(self):
        super().__init__(secure_protocols=("https", "wss", "http"))


class LoopbackCookieJar(http.cookiejar.CookieJar):
    """Keycloak's Set-Cookie headers carry `Version=1`; http.cookiejar would then answer in RFC 2965
    style (`$Version=1; name="value"; $Path=...`), which Keycloak ignores ("cookie_not_found").
    Browsers ignore `Version`: store every cookie as a plain Netscape (version 0) cookie."""

    def make_cookies(self, response, request):
        cookies = super().make_cookies(response, request)
        for c in cookies:
            c.version = 0
        return cookies


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


class SamlBrowser:
    """A minimal cookie-keeping client that follows redirects itself."""

    def __init__(self):
        self.jar = LoopbackCookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def request(self, url, data=None, max_redirects=10):
        """GET (or POST a dict as a form) and follow redirects; returns (final_url, status, body)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        for _ in range(max_redirects + 1):
            req = urllib.request.Request(url, data=body)
            try:
                with self.opener.open(req, timeout=60) as r:
                    return url, r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                if e.code in (301, 302, 303, 307, 308) and e.headers.get("Location"):
                    url = urllib.parse.urljoin(url, e.headers["Location"])
                    if e.code in (301, 302, 303):
                        body = None
                    continue
                return url, e.code, e.read().decode("utf-8", "replace")
        raise RuntimeError(f"too many redirects at {url}")

    def login(self, start_url, username, password):
        """GET the start URL (redirect AuthnRequest or IdP-initiated URL), submit the login form,
        return dict(action, SAMLResponse, RelayState) of Keycloak's saml-post-binding form."""
        url, status, page = self.request(start_url)
        if "saml-post-binding" not in page:
            action = form_action(page, "kc-form-login")
            if not action:
                raise RuntimeError(f"no login form at {url} (HTTP {status}):\n{page[:2000]}")
            url, status, page = self.request(
                action, {"username": username, "password": password, "credentialId": ""}
            )
        if "saml-post-binding" not in page:
            msg = re.search(r'kc-feedback-text[^>]*>([^<]*)<', page) or re.search(
                r"<title>([^<]*)</title>", page
            )
            raise RuntimeError(
                f"no SAML response after login at {url} (HTTP {status}): "
                f"{html.unescape(msg.group(1)).strip() if msg else page[:2000]}"
            )
        return {
            "action": form_action(page, "saml-post-binding", attr="name"),
            "SAMLResponse": hidden_value(page, "SAMLResponse"),
            "RelayState": hidden_value(page, "RelayState"),
        }


def form_action(page, ident, attr="id"):
    m = re.search(r"<form\b[^>]*\b%s=\"%s\"[^>]*>" % (attr, re.escape(ident)), page)
    if not m:
        return None
    a = re.search(r'\baction="([^"]*)"', m.group(0))
    return html.unescape(a.group(1)) if a else None


def hidden_value(page, name):
    m = re.search(r'<input\b[^>]*\bname="%s"[^>]*>' % re.escape(name), page)
    if not m:
        return None
    v = re.search(r'\bvalue="([^"]*)"', m.group(0))
    return html.unescape(v.group(1)) if v else None


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_authn_request(req_id, destination, issuer, acs, name_id_format=None, is_passive=False):
    nameid_policy = (
        f'<samlp:NameIDPolicy Format="{NAMEID[name_id_format]}" AllowCreate="true"/>'
        if name_id_format
        else ""
    )
    return (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{req_id}" Version="2.0" IssueInstant="{iso(utcnow())}" '
        f'Destination="{destination}" AssertionConsumerServiceURL="{acs}" '
        + ('IsPassive="true" ' if is_passive else "")
        + f'ProtocolBinding="{POST_BINDING}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>{nameid_policy}</samlp:AuthnRequest>"
    )


def redirect_url(endpoint, xml, relay_state=None, sign_key=None):
    """HTTP-Redirect binding: raw DEFLATE + base64 + URL-encode; optionally RSA-SHA256 signed
    over `SAMLRequest=..&RelayState=..&SigAlg=..` (URL-encoded values), with the openssl CLI."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = c.compress(xml.encode()) + c.flush()
    params = [("SAMLRequest", base64.b64encode(deflated).decode())]
    if relay_state is not None:
        params.append(("RelayState", relay_state))
    if sign_key:
        params.append(("SigAlg", RSA_SHA256))
        signed = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
        sig = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(sign_key)],
            input=signed, capture_output=True, check=True,
        ).stdout
        params.append(("Signature", base64.b64encode(sig).decode()))
    return endpoint + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def realm_users(realm):
    data = json.loads((ROOT / "testdata" / "keycloak" / f"{realm}-realm.json").read_text())
    return {
        u["username"]: dict(
            password=next(c["value"] for c in u["credentials"] if c["type"] == "password"),
            email=u["email"], firstName=u["firstName"], lastName=u["lastName"],
            groups=[g.strip("/") for g in u.get("groups", [])],
            enabled=u.get("enabled", True),
            persistent_name_ids={
                k[len("saml.persistent.name.id.for."):]: v[0]
                for k, v in u.get("attributes", {}).items()
                if k.startswith("saml.persistent.name.id.for.")
            },
        )
        for u in data["users"]
    }


def parse_time(s):
    s = s.rstrip("Z")
    if "." in s:
        s = s.split(".")[0]
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def describe(xml_bytes):
    """What a test wants to know about the response without re-parsing it."""
    root = ET.fromstring(xml_bytes)
    info = {
        "response_id": root.get("ID"),
        "issue_instant": root.get("IssueInstant"),
        "destination": root.get("Destination"),
        "in_response_to": root.get("InResponseTo"),
        "status": root.find("samlp:Status/samlp:StatusCode", NS).get("Value"),
        "sub_status": [
            e.get("Value") for e in root.findall("samlp:Status/samlp:StatusCode/samlp:StatusCode", NS)
        ],
        "response_signed": root.find("ds:Signature", NS) is not None,
        "encrypted_assertion": root.find("saml:EncryptedAssertion", NS) is not None,
    }
    a = root.find("saml:Assertion", NS)
    if a is not None:
        info.update(describe_assertion(a))
    return info


def describe_assertion(a):
    info = {}
    info["assertion_id"] = a.get("ID")
    info["assertion_issue_instant"] = a.get("IssueInstant")
    info["assertion_signed"] = a.find("ds:Signature", NS) is not None
    nid = a.find("saml:Subject/saml:NameID", NS)
    info["name_id"] = {"format": nid.get("Format"), "value": nid.text}
    scd = a.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    info["subject_confirmation_data"] = dict(scd.attrib) if scd is not None else None
    cond = a.find("saml:Conditions", NS)
    info["conditions"] = dict(cond.attrib) if cond is not None else None
    info["audience"] = [e.text for e in a.findall(".//saml:AudienceRestriction/saml:Audience", NS)]
    authn = a.find("saml:AuthnStatement", NS)
    if authn is not None:
        info["authn_statement"] = dict(authn.attrib)
        ref = authn.find(".//saml:AuthnContextClassRef", NS)
        info["authn_context_class_ref"] = ref.text if ref is not None else None
    attrs = {}
    for at in a.findall("saml:AttributeStatement/saml:Attribute", NS):
        attrs[at.get("Name")] = {
            "name_format": at.get("NameFormat"),
            "friendly_name": at.get("FriendlyName"),
            "values": [v.text for v in at.findall("saml:AttributeValue", NS)],
        }
    info["attributes"] = attrs
    return info


def decrypt_assertion(response_xml, key_path):
    """Decrypts the EncryptedAssertion (EncryptedKey inside EncryptedData/KeyInfo, as Keycloak
    emits it) with the SP key. Needs the `cryptography` package; returns None without it."""
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        print("  (python package 'cryptography' missing: encrypted assertion not described)")
        return None
    xenc11 = "http://www.w3.org/2009/xmlenc11#"
    digests = {
        "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1(),
        "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256(),
        "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512(),
    }
    mgfs = {xenc11 + "mgf1sha1": hashes.SHA1(), xenc11 + "mgf1sha256": hashes.SHA256(),
            xenc11 + "mgf1sha512": hashes.SHA512()}
    root = ET.fromstring(response_xml)
    ed = root.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
    data_alg = ed.find("xenc:EncryptionMethod", NS).get("Algorithm")
    ek = ed.find("ds:KeyInfo/xenc:EncryptedKey", NS)
    if ek is None:  # other IdPs put it beside EncryptedData
        ek = root.find("saml:EncryptedAssertion/xenc:EncryptedKey", NS)
    em = ek.find("xenc:EncryptionMethod", NS)
    dm = em.find("ds:DigestMethod", NS)
    mgf = em.find(f"{{{xenc11}}}MGF")
    md = digests[dm.get("Algorithm")] if dm is not None else hashes.SHA1()
    mgf_md = mgfs[mgf.get("Algorithm")] if mgf is not None else hashes.SHA1()
    key = serialization.load_pem_private_key(pathlib.Path(key_path).read_bytes(), None)
    cek = key.decrypt(
        base64.b64decode(ek.find("xenc:CipherData/xenc:CipherValue", NS).text),
        padding.OAEP(mgf=padding.MGF1(mgf_md), algorithm=md, label=None),
    )
    ct = base64.b64decode(ed.find("xenc:CipherData/xenc:CipherValue", NS).text)
    if data_alg.endswith("-gcm"):
        return AESGCM(cek).decrypt(ct[:12], ct[12:], None)
    dec = Cipher(algorithms.AES(cek), modes.CBC(ct[:16])).decryptor()
    pt = dec.update(ct[16:]) + dec.finalize()
    return pt[: -pt[-1]]


def fetch_descriptor(base, realm):
    with urllib.request.urlopen(f"{base}/realms/{realm}/protocol/saml/descriptor", timeout=30) as r:
        return r.read()


def signing_cert_pem(descriptor_xml):
    root = ET.fromstring(descriptor_xml)
    certs = [
        e.text.strip()
        for kd in root.iter(f"{{{NS['md']}}}KeyDescriptor")
        if kd.get("use") in (None, "signing")
        for e in kd.iter(f"{{{NS['ds']}}}X509Certificate")
    ]
    body = certs[0]
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n", len(certs)


def keycloak_version(base):
    envfile = ROOT / "target" / "keycloak" / "keycloak.env"
    if envfile.exists():
        m = re.search(r"^SAMLSP_KC_VERSION=(.*)$", envfile.read_text(), re.M)
        if m:
            return m.group(1).strip()
    return os.environ.get("SAMLSP_KC_VERSION", "unknown")


def capture(name, spec, base, out, version, descriptors):
    realm = spec["realm"]
    users = realm_users(realm)
    user = users[spec["user"]]
    sso = f"{base}/realms/{realm}/protocol/saml"
    browser = SamlBrowser()
    req_id = relay = xml = None
    if spec.get("idp_initiated"):
        start = f"{sso}/clients/{spec['idp_initiated']}"
    else:
        req_id = "_req_" + secrets.token_hex(16)
        relay = "rs_" + secrets.token_hex(8)
        xml = build_authn_request(
            req_id, sso, spec["client"], spec["acs"], spec.get("name_id"), spec.get("is_passive", False)
        )
        key = KEYS / "sp-rsa2048.key" if spec.get("sign_request") else None
        start = redirect_url(sso, xml, relay, key)
    form = browser.login(start, spec["user"], user["password"])
    b64 = form["SAMLResponse"]
    xml_bytes = base64.b64decode(b64)
    info = describe(xml_bytes)
    info["xml_declaration"] = xml_bytes.lstrip().startswith(b"<?xml")
    if info["in_response_to"] != req_id:
        raise RuntimeError(f"{name}: InResponseTo {info['in_response_to']!r} != {req_id!r}")
    if relay is not None and form["RelayState"] != relay:
        raise RuntimeError(f"{name}: RelayState {form['RelayState']!r} != {relay!r}")
    want_status = spec.get("status", "urn:oasis:names:tc:SAML:2.0:status:Success")
    if info["status"] != want_status:
        raise RuntimeError(f"{name}: status {info['status']!r} != {want_status!r}")
    if info["encrypted_assertion"]:
        plain = decrypt_assertion(xml_bytes, ROOT / spec["encryption"]["sp_key"])
        if plain is not None:
            info["decrypted_assertion"] = describe_assertion(ET.fromstring(plain))
    cert_pem, n_certs = signing_cert_pem(descriptors[realm])
    issue = parse_time(info["issue_instant"])
    sidecar = {
        "name": name,
        "description": spec["description"],
        "keycloak_version": version,
        "realm": realm,
        "idp_entity_id": f"{base}/realms/{realm}",
        "idp_sso_url": sso,
        "idp_descriptor": f"{realm}-descriptor.xml",
        "idp_signing_cert_pem": cert_pem,
        "client_entity_id": spec["client"],
        "acs_url": spec["acs"],
        "form_action": form["action"],
        "sp_initiated": req_id is not None,
        "authn_request_id": req_id,
        "in_response_to": req_id,
        "authn_request_signed": bool(spec.get("sign_request")),
        "authn_request_xml": xml,
        "requested_name_id_format": NAMEID.get(spec.get("name_id")) if spec.get("name_id") else None,
        "relay_state": form["RelayState"],
        "user": {"username": spec["user"], **{k: v for k, v in user.items() if k != "password"}},
        "captured_at": iso(utcnow()),
        "issue_instant": info["issue_instant"],
        "now": iso(issue + dt.timedelta(seconds=10)),
        "encryption": spec.get("encryption"),
        "response": info,
    }
    if n_certs != 1:
        sidecar["note"] = f"descriptor lists {n_certs} signing certificates; the first is recorded"
    (out / f"{name}.b64").write_text(b64 + "\n")
    (out / f"{name}.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    flags = [
        "resp-signed" if info["response_signed"] else "resp-unsigned",
        "encrypted" if info["encrypted_assertion"] else
        ("no-assertion" if "assertion_id" not in info else
         "assertion-signed" if info["assertion_signed"] else "assertion-unsigned"),
    ]
    print(f"captured {name}: {len(b64)} b64 chars, {', '.join(flags)}, InResponseTo={req_id}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="captures to take (default: all)")
    ap.add_argument("--base", default=None, help="Keycloak base URL (default from target/keycloak/keycloak.env or http://127.0.0.1:8180)")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.list:
        for n, s in CAPTURES.items():
            print(f"{n:28} {s['description']}")
        return 0
    base = args.base or os.environ.get("SAMLSP_KC_URL")
    envfile = ROOT / "target" / "keycloak" / "keycloak.env"
    if not base and envfile.exists():
        m = re.search(r"^SAMLSP_KC_URL=(.*)$", envfile.read_text(), re.M)
        base = m.group(1).strip() if m else None
    base = (base or "http://127.0.0.1:8180").rstrip("/")
    names = args.names or list(CAPTURES)
    unknown = [n for n in names if n not in CAPTURES]
    if unknown:
        ap.error(f"unknown capture(s): {', '.join(unknown)}")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    version = keycloak_version(base)
    descriptors = {}
    for realm in sorted({CAPTURES[n]["realm"] for n in names}):
        descriptors[realm] = fetch_descriptor(base, realm)
        (out / f"{realm}-descriptor.xml").write_bytes(descriptors[realm])
        print(f"saved {realm}-descriptor.xml")
    for n in names:
        capture(n, CAPTURES[n], base, out, version, descriptors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
