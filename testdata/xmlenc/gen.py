#!/usr/bin/env python3
"""Generate the EncryptedAssertion interop corpus in this directory (manifest.tsv).

Run with the project venv (lxml + python-xmlsec; xmlsec1 on PATH for the CLI cases):

    .venv/bin/python testdata/xmlenc/gen.py

Every file is a SAML Response for the settings below whose Assertion was encrypted by an
independent implementation: python-xmlsec (libxmlsec1 1.3, bundled in its wheel) for the
algorithm matrix, and the `xmlsec1 encrypt` command (Debian's libxmlsec1 1.2) for a few
cases. Either the Response is signed after encryption (its signature covers the
EncryptedAssertion), or the Assertion is signed before encryption and the Response is not.

XML Encryption needs random session keys and OAEP seeds, so running the script again
rewrites every ciphertext; the tests only depend on what the files decrypt to.

manifest.tsv columns: name, tool, key transport, block cipher, which signature
(response|assertion), SP key the assertion is encrypted to (current|next|attacker),
expected result under the strict policy, expected result under the danger policy
(rsa-1_5 and 3DES allowed). Results: ok, failed, cbc-without-signature,
disabled-rsa-1_5, disabled-tripledes, doctype.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import xmlsec
from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KEYS = ROOT / "testdata" / "keys"

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

IDP = "https://idp.example.com/saml2/idp/metadata"
SP = "https://sp.example.org/saml/metadata"
ACS = "https://sp.example.org/saml/acs"
REQ = "_req_4fee3b046395c4e751011e97f8900b52"
ISSUE = "2026-01-01T00:00:00Z"
NOT_BEFORE = "2025-12-31T23:59:00Z"
NOT_ON_OR_AFTER = "2026-01-01T00:05:00Z"

SP_KEYS = {
    "current": "sp-enc-rsa2048.crt",
    "next": "sp-rsa2048.crt",
    "attacker": "attacker-rsa2048.crt",
}

# Key transport: name -> (Algorithm, DigestMethod or None, MGF or None)
KEY_TRANSPORTS = {
    "rsa-oaep-mgf1p": (XENC + "rsa-oaep-mgf1p", None, None),
    "rsa-oaep-mgf1p-sha256": (XENC + "rsa-oaep-mgf1p", SHA256, None),
    "rsa-oaep11-sha256-mgf1sha256": (XENC11 + "rsa-oaep", SHA256, XENC11 + "mgf1sha256"),
    "rsa-oaep11-sha1": (XENC11 + "rsa-oaep", SHA1, None),
    "rsa-oaep11-sha256": (XENC11 + "rsa-oaep", SHA256, None),
    "rsa-1_5": (XENC + "rsa-1_5", None, None),
}

# Block cipher: name -> (python-xmlsec transform, key data, bits)
BLOCKS = {
    "aes128-gcm": (xmlsec.constants.TransformAes128Gcm, xmlsec.constants.KeyDataAes, 128),
    "aes192-gcm": (xmlsec.constants.TransformAes192Gcm, xmlsec.constants.KeyDataAes, 192),
    "aes256-gcm": (xmlsec.constants.TransformAes256Gcm, xmlsec.constants.KeyDataAes, 256),
    "aes128-cbc": (xmlsec.constants.TransformAes128Cbc, xmlsec.constants.KeyDataAes, 128),
    "aes192-cbc": (xmlsec.constants.TransformAes192Cbc, xmlsec.constants.KeyDataAes, 192),
    "aes256-cbc": (xmlsec.constants.TransformAes256Cbc, xmlsec.constants.KeyDataAes, 256),
    "tripledes-cbc": (xmlsec.constants.TransformDes3Cbc, xmlsec.constants.KeyDataDes, 192),
}


def q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def parse(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def response_text(assertion_id: str, response_id: str) -> str:
    """The response with the Assertion inside <saml:EncryptedAssertion>; the
    Assertion repeats xmlns:saml so that its serialization is self-contained."""
    return (
        f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{response_id}" Version="2.0" '
        f'IssueInstant="{ISSUE}" Destination="{ACS}" InResponseTo="{REQ}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>'
        f"<saml:EncryptedAssertion>"
        f'<saml:Assertion xmlns:saml="{SAML}" ID="{assertion_id}" Version="2.0" IssueInstant="{ISSUE}">'
        f"<saml:Issuer>{IDP}</saml:Issuer>"
        f'<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">'
        f"alice@example.com</saml:NameID>"
        f'<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{NOT_ON_OR_AFTER}" Recipient="{ACS}" InResponseTo="{REQ}"/>'
        f"</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}">'
        f"<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>"
        f"</saml:Conditions>"
        f'<saml:AuthnStatement AuthnInstant="{ISSUE}" SessionIndex="_session_1">'
        f"<saml:AuthnContext><saml:AuthnContextClassRef>"
        f"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        f"</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        f"<saml:AttributeStatement>"
        f'<saml:Attribute Name="email"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute>'
        f"</saml:AttributeStatement>"
        f"</saml:Assertion></saml:EncryptedAssertion></samlp:Response>"
    )


def cert_b64(name: str) -> str:
    pem = (KEYS / name).read_text()
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def sign(target, container=None):
    """Enveloped RSA-SHA256 signature over `target`, placed after the Issuer of
    `container` (default `target`), signed by the test IdP key."""
    container = target if container is None else container
    sig = parse(
        (
            f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
            f'<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
            f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>'
            f'<ds:Reference URI="#{target.get("ID")}"><ds:Transforms>'
            f'<ds:Transform Algorithm="{ENVELOPED}"/><ds:Transform Algorithm="{EXC_C14N}"/>'
            f'</ds:Transforms><ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue/>'
            f"</ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
            f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64('idp-rsa2048.crt')}"
            f"</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"
        ).encode()
    )
    container[0].addnext(sig)
    ctx = xmlsec.SignatureContext()
    for el in target.getroottree().getroot().iter():
        if isinstance(el.tag, str) and el.get("ID") is not None:
            ctx.register_id(el, "ID")
    ctx.key = xmlsec.Key.from_file(str(KEYS / "idp-rsa2048.key"), xmlsec.constants.KeyDataFormatPem)
    ctx.sign(sig)


def template(root, kt: str, block: str):
    """EncryptedData template with the EncryptedKey inside its KeyInfo."""
    transform, _, _ = BLOCKS[block]
    tpl = xmlsec.template.encrypted_data_create(
        root, transform, type=xmlsec.constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(tpl)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(tpl, ns="ds")
    uri, digest, mgf = KEY_TRANSPORTS[kt]
    base = xmlsec.constants.TransformRsaPkcs1 if kt == "rsa-1_5" else xmlsec.constants.TransformRsaOaep
    ek = xmlsec.template.add_encrypted_key(key_info, base)
    xmlsec.template.encrypted_data_ensure_cipher_value(ek)
    method = ek.find(q(XENC, "EncryptionMethod"))
    method.set("Algorithm", uri)
    if digest:
        etree.SubElement(method, q(DS, "DigestMethod"), nsmap={"ds": DS}).set("Algorithm", digest)
    if mgf:
        etree.SubElement(method, q(XENC11, "MGF"), nsmap={"xenc11": XENC11}).set("Algorithm", mgf)
    return tpl


def encrypt_in_place(root, kt: str, block: str, sp_key: str):
    wrapper = root.find(q(SAML, "EncryptedAssertion"))
    assertion = wrapper.find(q(SAML, "Assertion"))
    tpl = template(root, kt, block)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(KEYS / SP_KEYS[sp_key]), xmlsec.constants.KeyDataFormatCertPem))
    ctx = xmlsec.EncryptionContext(manager)
    _, data, bits = BLOCKS[block]
    ctx.key = xmlsec.Key.generate(data, bits, xmlsec.constants.KeyDataTypeSession)
    ctx.encrypt_xml(tpl, assertion)


def build(name: str, kt: str, block: str, signed: str, sp_key: str = "current") -> bytes:
    root = parse(response_text(f"_a_{name}", f"_r_{name}").encode())
    if signed == "assertion":
        assertion = root.find(q(SAML, "EncryptedAssertion")).find(q(SAML, "Assertion"))
        sign(assertion)
    encrypt_in_place(root, kt, block, sp_key)
    if signed == "response":
        sign(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def with_peer_key(data: bytes) -> bytes:
    """Move the EncryptedKey out of KeyInfo to a sibling of EncryptedData, pointed
    to by a RetrievalMethod (the placement OpenSAML uses; SAML Core §2.3.4)."""
    root = parse(data)
    wrapper = root.find(q(SAML, "EncryptedAssertion"))
    ed = wrapper.find(q(XENC, "EncryptedData"))
    ki = ed.find(q(DS, "KeyInfo"))
    ek = ki.find(q(XENC, "EncryptedKey"))
    ki.remove(ek)
    ek.set("Id", "_ek1")
    rm = etree.SubElement(ki, q(DS, "RetrievalMethod"))
    rm.set("Type", XENC + "EncryptedKey")
    rm.set("URI", "#_ek1")
    wrapper.append(ek)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def doctype_payload() -> bytes:
    """A GCM EncryptedAssertion whose plaintext starts with a DTD (XXE)."""
    root = parse(response_text("_a_doctype", "_r_doctype").encode())
    wrapper = root.find(q(SAML, "EncryptedAssertion"))
    assertion = wrapper.find(q(SAML, "Assertion"))
    plaintext = (
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + etree.tostring(assertion)
    )
    wrapper.remove(assertion)
    tpl = template(root, "rsa-oaep-mgf1p", "aes128-gcm")
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(KEYS / SP_KEYS["current"]), xmlsec.constants.KeyDataFormatCertPem))
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 128, xmlsec.constants.KeyDataTypeSession)
    ed = ctx.encrypt_binary(tpl, plaintext)
    wrapper.append(ed)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def xmlsec1_case(name: str, block: str, session: str, signed: str) -> bytes:
    """Encrypt with the xmlsec1 command instead of the Python binding."""
    root = parse(response_text(f"_a_{name}", f"_r_{name}").encode())
    wrapper = root.find(q(SAML, "EncryptedAssertion"))
    assertion = wrapper.find(q(SAML, "Assertion"))
    if signed == "assertion":
        sign(assertion)
    tpl = (
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">'
        f'<xenc:EncryptionMethod Algorithm="{KEY_ALGS[block]}"/>'
        f'<ds:KeyInfo xmlns:ds="{DS}"><xenc:EncryptedKey>'
        f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"/>'
        f"<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"
    )
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "tpl.xml").write_text(tpl)
        (d / "data.xml").write_bytes(etree.tostring(assertion))
        out = subprocess.run(
            [
                "xmlsec1", "encrypt",
                "--pubkey-cert-pem", str(KEYS / SP_KEYS["current"]),
                "--session-key", session,
                "--xml-data", str(d / "data.xml"),
                "--node-name", f"{SAML}:Assertion",
                str(d / "tpl.xml"),
            ],
            check=True,
            capture_output=True,
        ).stdout
    encrypted = parse(out)
    wrapper.remove(assertion)
    wrapper.append(encrypted)
    if signed == "response":
        sign(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


KEY_ALGS = {
    "aes256-gcm": XENC11 + "aes256-gcm",
    "aes128-cbc": XENC + "aes128-cbc",
}


def expectation(kt: str, block: str, signed: str, danger: bool) -> str:
    # Errors in the order the decryptor meets them: the content algorithm,
    # the CBC rule, then the key transport.
    if block == "tripledes-cbc" and not danger:
        return "disabled-tripledes"
    if block.endswith("-cbc") and signed != "response":
        return "cbc-without-signature"
    if kt == "rsa-1_5" and not danger:
        return "disabled-rsa-1_5"
    return "ok"


def main() -> None:
    rows = []

    def emit(name, tool, kt, block, signed, sp_key, strict, danger, data):
        (HERE / f"{name}.xml").write_bytes(data)
        rows.append("\t".join([name, tool, kt, block, signed, sp_key, strict, danger]))

    for kt in KEY_TRANSPORTS:
        for block in BLOCKS:
            name = f"{kt}--{block}--response-signed"
            emit(
                name, "python-xmlsec", kt, block, "response", "current",
                expectation(kt, block, "response", False),
                expectation(kt, block, "response", True),
                build(name, kt, block, "response"),
            )
    for block in BLOCKS:
        name = f"rsa-oaep-mgf1p--{block}--assertion-signed"
        emit(
            name, "python-xmlsec", "rsa-oaep-mgf1p", block, "assertion", "current",
            expectation("rsa-oaep-mgf1p", block, "assertion", False),
            expectation("rsa-oaep-mgf1p", block, "assertion", True),
            build(name, "rsa-oaep-mgf1p", block, "assertion"),
        )
    name = "next-key--aes256-gcm--assertion-signed"
    emit(name, "python-xmlsec", "rsa-oaep-mgf1p", "aes256-gcm", "assertion", "next", "ok", "ok",
         build(name, "rsa-oaep-mgf1p", "aes256-gcm", "assertion", "next"))
    name = "attacker-key--aes128-gcm--assertion-signed"
    emit(name, "python-xmlsec", "rsa-oaep-mgf1p", "aes128-gcm", "assertion", "attacker", "failed", "failed",
         build(name, "rsa-oaep-mgf1p", "aes128-gcm", "assertion", "attacker"))
    name = "peer-encrypted-key--aes128-gcm--assertion-signed"
    emit(name, "python-xmlsec", "rsa-oaep-mgf1p", "aes128-gcm", "assertion", "current", "ok", "ok",
         with_peer_key(build(name, "rsa-oaep-mgf1p", "aes128-gcm", "assertion")))
    emit("doctype-plaintext--aes128-gcm", "python-xmlsec", "rsa-oaep-mgf1p", "aes128-gcm", "none", "current",
         "doctype", "doctype", doctype_payload())
    name = "xmlsec1--aes256-gcm--assertion-signed"
    emit(name, "xmlsec1", "rsa-oaep-mgf1p", "aes256-gcm", "assertion", "current", "ok", "ok",
         xmlsec1_case(name, "aes256-gcm", "aes-256", "assertion"))
    name = "xmlsec1--aes128-cbc--response-signed"
    emit(name, "xmlsec1", "rsa-oaep-mgf1p", "aes128-cbc", "response", "current", "ok", "ok",
         xmlsec1_case(name, "aes128-cbc", "aes-128", "response"))
    name = "xmlsec1--aes128-cbc--assertion-signed"
    emit(name, "xmlsec1", "rsa-oaep-mgf1p", "aes128-cbc", "assertion", "current",
         "cbc-without-signature", "cbc-without-signature",
         xmlsec1_case(name, "aes128-cbc", "aes-128", "assertion"))

    header = "# name\ttool\tkey_transport\tblock\tsigned\tsp_key\tstrict\tdanger"
    (HERE / "manifest.tsv").write_text("\n".join([header, *rows]) + "\n")
    print(f"wrote {len(rows)} files")


if __name__ == "__main__":
    main()
