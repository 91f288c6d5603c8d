#!/usr/bin/env python3
"""Generate the SP-protocol fixtures in this directory: IdP responses to the
AuthnRequest that samlsp builds with the tests' fixed random source.

    .venv/bin/python testdata/sp/gen.py

The tests build an AuthnRequest at NOW with a RandomSource that yields the bytes
0, 1, 2, ...: the request ID is "_" + hex(bytes 0..20) and the RelayState token is
base64url(bytes 20..40). The responses below answer that request, signed by the
test IdP key (python-xmlsec, RSA-SHA256, exclusive C14N). RSA PKCS#1 v1.5
signatures are deterministic, so running the script again changes nothing.

- solicited.xml            Response unsigned, Assertion signed, InResponseTo = the request
- solicited-second.xml     the same request answered again with another assertion ID
- unsolicited.xml          no InResponseTo (IdP-initiated)
"""
from __future__ import annotations

import base64
from pathlib import Path

import xmlsec
from lxml import etree

HERE = Path(__file__).resolve().parent
KEYS = HERE.parent / "keys"

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

IDP = "https://idp.example.com/saml2/idp/metadata"
SP = "https://sp.example.org/saml/metadata"
ACS = "https://sp.example.org/saml/acs"
REQUEST_ID = "_" + bytes(range(20)).hex()
RELAY_STATE = base64.urlsafe_b64encode(bytes(range(20, 40))).rstrip(b"=").decode()
ISSUE = "2026-01-01T00:00:00Z"
NOT_BEFORE = "2025-12-31T23:59:00Z"
NOT_ON_OR_AFTER = "2026-01-01T00:05:00Z"


def response(resp_id: str, assertion_id: str, in_response_to: str | None) -> bytes:
    irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    text = (
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{resp_id}" Version="2.0" '
        f'IssueInstant="{ISSUE}" Destination="{ACS}"{irt}>'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f'<saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{ISSUE}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
        f"alice@example.com</saml:NameID>"
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{NOT_ON_OR_AFTER}" Recipient="{ACS}"{irt}/>'
        f"</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}">'
        f"<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{ISSUE}" SessionIndex="_session_1">'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>"
        f"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        f"</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"</saml:Assertion></samlp:Response>"
    )
    root = etree.fromstring(text.encode())
    assertion = root.find(f"{{{SAML}}}Assertion")
    sig = xmlsec.template.create(
        assertion, xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256, ns="ds"
    )
    assertion[0].addnext(sig)
    ref = xmlsec.template.add_reference(sig, xmlsec.constants.TransformSha256, uri=f"#{assertion_id}")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
    ki = xmlsec.template.ensure_key_info(sig)
    xmlsec.template.add_x509_data(ki)
    ctx = xmlsec.SignatureContext()
    ctx.register_id(assertion, "ID")
    ctx.key = xmlsec.Key.from_file(str(KEYS / "idp-rsa2048.key"), xmlsec.constants.KeyDataFormatPem)
    ctx.key.load_cert_from_file(str(KEYS / "idp-rsa2048.crt"), xmlsec.constants.KeyDataFormatPem)
    ctx.sign(sig)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def main() -> None:
    (HERE / "solicited.xml").write_bytes(response("_resp_sp_1", "_assertion_sp_1", REQUEST_ID))
    (HERE / "solicited-second.xml").write_bytes(response("_resp_sp_2", "_assertion_sp_2", REQUEST_ID))
    (HERE / "unsolicited.xml").write_bytes(response("_resp_sp_3", "_assertion_sp_3", None))
    print(f"request {REQUEST_ID}, RelayState {RELAY_STATE}")


if __name__ == "__main__":
    main()
