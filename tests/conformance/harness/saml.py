"""Reading, tampering with and forging SAML messages for the conformance cases."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}
NAMEID = {
    "username": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "unspecified": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
    "email": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    "persistent": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    "transient": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
}
POST_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def decode_post(value: str) -> bytes:
    """The XML of an HTTP-POST binding value (base64, no DEFLATE)."""
    return base64.b64decode(value)


def decode_redirect(value: str) -> bytes:
    """The XML of an HTTP-Redirect binding value (base64 of raw DEFLATE)."""
    return zlib.decompress(base64.b64decode(value), -15)


def encode_post(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


def parse_time(s: str) -> dt.datetime:
    s = s.rstrip("Z")
    frac = ""
    if "." in s:
        s, frac = s.split(".", 1)
    t = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    if frac:
        t += dt.timedelta(microseconds=int((frac + "000000")[:6]))
    return t


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signature_info(sig):
    if sig is None:
        return None
    sm = sig.find("ds:SignedInfo/ds:SignatureMethod", NS)
    dm = sig.find("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)
    return {
        "signature_method": sm.get("Algorithm") if sm is not None else None,
        "digest_method": dm.get("Algorithm") if dm is not None else None,
    }


def describe(xml: bytes) -> dict:
    """What the cases assert on: signed parts, encryption, NameID, conditions, attributes."""
    root = ET.fromstring(xml)
    status = root.find("samlp:Status/samlp:StatusCode", NS)
    issuer = root.find("saml:Issuer", NS)
    info = {
        "root": root.tag.split("}")[-1],
        "id": root.get("ID"),
        "issuer": issuer.text if issuer is not None else None,
        "issue_instant": root.get("IssueInstant"),
        "destination": root.get("Destination"),
        "in_response_to": root.get("InResponseTo"),
        "status": status.get("Value") if status is not None else None,
        "response_signature": _signature_info(root.find("ds:Signature", NS)),
        "encrypted_assertion": root.find("saml:EncryptedAssertion", NS) is not None,
    }
    enc = root.find("saml:EncryptedAssertion/xenc:EncryptedData/xenc:EncryptionMethod", NS)
    if enc is not None:
        info["data_encryption"] = enc.get("Algorithm")
        km = root.find(".//xenc:EncryptedKey/xenc:EncryptionMethod", NS)
        info["key_transport"] = km.get("Algorithm") if km is not None else None
    a = root.find("saml:Assertion", NS)
    if a is not None:
        info.update(describe_assertion(a))
    return info


def describe_assertion(a) -> dict:
    info = {"assertion_id": a.get("ID"), "assertion_signature": _signature_info(a.find("ds:Signature", NS))}
    nid = a.find("saml:Subject/saml:NameID", NS)
    if nid is not None:
        info["name_id"] = {"format": nid.get("Format"), "value": nid.text}
    scd = a.find("saml:Subject/saml:SubjectConfirmation/saml:SubjectConfirmationData", NS)
    info["subject_confirmation_data"] = dict(scd.attrib) if scd is not None else None
    cond = a.find("saml:Conditions", NS)
    info["conditions"] = dict(cond.attrib) if cond is not None else None
    info["audience"] = [e.text for e in a.findall(".//saml:AudienceRestriction/saml:Audience", NS)]
    attrs, elements = {}, []
    for at in a.findall("saml:AttributeStatement/saml:Attribute", NS):
        values = [v.text for v in at.findall("saml:AttributeValue", NS)]
        attrs.setdefault(at.get("Name"), []).extend(values)
        elements.append(at.get("Name"))
    info["attributes"] = attrs  # values of repeated <Attribute Name=...> elements merged
    info["attribute_elements"] = elements  # one entry per <Attribute> element, in order
    return info


def flip_byte(b64: str, needle: bytes, offset: int = 0) -> str:
    """Changes exactly one byte of the decoded XML: the byte at `offset` within the first
    occurrence of `needle` gets its lowest bit flipped (ASCII letters stay letters)."""
    xml = bytearray(decode_post(b64))
    at = bytes(xml).find(needle)
    if at < 0:
        raise ValueError(f"{needle!r} not in the response")
    xml[at + offset] ^= 0x01
    return encode_post(bytes(xml))


def flip_base64_char(b64: str, element: bytes, offset: int = 10) -> str:
    """Changes one character of the base64 text of the first `element` (e.g.
    b"SignatureValue", b"DigestValue") to another base64 character, so that the value still
    decodes, to different bytes."""
    xml = bytearray(decode_post(b64))
    at = bytes(xml).find(element + b">")
    if at < 0:
        raise ValueError(f"no {element!r}")
    i = at + len(element) + 1 + offset
    xml[i] = ord("A") if xml[i] != ord("A") else ord("B")
    return encode_post(bytes(xml))


def new_request_id() -> str:
    return "_" + secrets.token_hex(16)


def authn_request(
    *, issuer: str, destination: str, acs: str, request_id: str | None = None,
    name_id_format: str | None = None,
) -> tuple[str, str]:
    """A minimal, unsigned AuthnRequest (HTTP-POST response binding); returns (id, xml)."""
    rid = request_id or new_request_id()
    policy = (
        f'<samlp:NameIDPolicy Format="{NAMEID[name_id_format]}" AllowCreate="true"/>'
        if name_id_format else ""
    )
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    xml = (
        '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
        f'ID="{rid}" Version="2.0" IssueInstant="{iso(now)}" Destination="{destination}" '
        f'AssertionConsumerServiceURL="{acs}" ProtocolBinding="{POST_BINDING}">'
        f"<saml:Issuer>{issuer}</saml:Issuer>{policy}</samlp:AuthnRequest>"
    )
    return rid, xml


# -- decryption (only to show, in the matrix, what is inside an EncryptedAssertion) ------------

XENC11 = "http://www.w3.org/2009/xmlenc11#"


def decrypt_assertion(xml: bytes, key_pem: bytes) -> bytes:
    """Decrypts the EncryptedAssertion of a Response with the SP's RSA key (RSA-OAEP with SHA-1
    or SHA-256 digests; AES-GCM or AES-CBC content) and returns the Assertion's XML."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    root = ET.fromstring(xml)
    ed = root.find("saml:EncryptedAssertion/xenc:EncryptedData", NS)
    ek = ed.find(".//xenc:EncryptedKey", NS)
    if ek is None:
        ek = root.find("saml:EncryptedAssertion/xenc:EncryptedKey", NS)
    km = ek.find("xenc:EncryptionMethod", NS)
    digest = km.find("ds:DigestMethod", NS)
    mgf = km.find(f"{{{XENC11}}}MGF")
    hmap = {
        None: hashes.SHA1(),
        "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1(),
        "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256(),
        XENC11 + "mgf1sha1": hashes.SHA1(),
        XENC11 + "mgf1sha256": hashes.SHA256(),
    }
    h = hmap[digest.get("Algorithm") if digest is not None else None]
    m = hmap[mgf.get("Algorithm") if mgf is not None else None]
    key = serialization.load_pem_private_key(key_pem, password=None)
    cek = key.decrypt(
        base64.b64decode(ek.find("xenc:CipherData/xenc:CipherValue", NS).text),
        padding.OAEP(mgf=padding.MGF1(m), algorithm=h, label=None),
    )
    alg = ed.find("xenc:EncryptionMethod", NS).get("Algorithm")
    data = base64.b64decode(ed.find("xenc:CipherData/xenc:CipherValue", NS).text)
    if alg.endswith("-gcm"):
        return AESGCM(cek).decrypt(data[:12], data[12:], None)
    d = Cipher(algorithms.AES(cek), modes.CBC(data[:16])).decryptor()
    plain = d.update(data[16:]) + d.finalize()
    return plain[: -plain[-1]]


def describe_encrypted(xml: bytes, key_pem: bytes) -> dict:
    """describe() plus what the decrypted Assertion holds."""
    info = describe(xml)
    if info["encrypted_assertion"]:
        a = ET.fromstring(decrypt_assertion(xml, key_pem))
        info.update(describe_assertion(a))
    return info


def signed_redirect_url(endpoint: str, xml: str, relay_state: str | None, key_pem: bytes) -> str:
    """HTTP-Redirect binding with an RSA-SHA256 signature over
    `SAMLRequest=...&RelayState=...&SigAlg=...` (Bindings §3.4.4.1)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = c.compress(xml.encode()) + c.flush()
    params = [("SAMLRequest", base64.b64encode(deflated).decode())]
    if relay_state is not None:
        params.append(("RelayState", relay_state))
    params.append(("SigAlg", RSA_SHA256))
    signed = urllib.parse.urlencode(params, quote_via=urllib.parse.quote).encode()
    key = serialization.load_pem_private_key(key_pem, password=None)
    sig = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    params.append(("Signature", base64.b64encode(sig).decode()))
    return endpoint + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def flip_content_ciphertext_byte(b64: str) -> str:
    """Changes one base64 character of the EncryptedData's own CipherValue (the encrypted
    Assertion). Keycloak puts the EncryptedKey inside EncryptedData/KeyInfo, before CipherData,
    so the content's CipherValue is the last one in document order."""
    xml = bytearray(decode_post(b64))
    tag = b"<xenc:CipherValue>"
    start = bytes(xml).rfind(tag)
    if start < 0:
        raise ValueError("no xenc:CipherValue")
    i = start + len(tag) + 40
    xml[i] = ord("A") if xml[i] != ord("A") else ord("B")
    return encode_post(bytes(xml))
