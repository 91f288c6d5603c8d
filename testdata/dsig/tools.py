#!/usr/bin/env python3
"""Helpers for testdata/dsig/gen.sh: signature templates, an independent check of the
signed files, and manifest.json. Run with the repository venv (scripts/test-deps.sh).

    tools.py template --layout L --prefix P --sig S --digest D --c14n C [...]  > template.xml
    tools.py check FILE --cert CERT | --hmac-key FILE
    tools.py manifest CASES.tsv > manifest.json

`check` does not use xmlsec: it recomputes the DigestValue with libxml2's C14N over the
XPath node set of the Reference (element with ID, minus the enveloped Signature, comments
excluded) and hashlib, then checks the SignatureValue over the canonical SignedInfo with
the `openssl` command (ECDSA values are converted from XMLDSig 1.1's raw r||s to DER
first, and must be exactly twice the curve's field size) or with hmac.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "tools"))
import c14n_oracle  # noqa: E402  (libxml2 C14N with explicit node sets)

DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
INC_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"

SIG_ALGS = {
    "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "rsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "rsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "ecdsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "ecdsa-sha384": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "ecdsa-sha512": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
    "hmac-sha1": "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
    "hmac-sha256": "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
}
DIGESTS = {
    "sha1": "http://www.w3.org/2000/09/xmldsig#sha1",
    "sha256": "http://www.w3.org/2001/04/xmlenc#sha256",
    "sha384": "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "sha512": "http://www.w3.org/2001/04/xmlenc#sha512",
}
C14NS = {"exc": EXC_C14N, "inc": INC_C14N}
HASH_OF_URI = {v: k for k, v in DIGESTS.items()}
HASH_OF_SIG = {v: k.split("-")[1] for k, v in SIG_ALGS.items()}

ISSUER = "https://idp.example.com/saml2/idp/metadata"
INSTANT = "2026-01-01T00:00:00Z"


# --- templates ---------------------------------------------------------------------------

def signature_template(prefix: str, sig: str, digest: str, c14n: str, transform_c14n: bool,
                       transform_prefixes: str | None, signedinfo_prefixes: str | None,
                       key_info: bool) -> str:
    """The ds:Signature template xmlsec1 fills in (DigestValue, SignatureValue, certificate)."""
    p = prefix + ":" if prefix else ""
    decl = f'xmlns:{prefix}="{DSIG}"' if prefix else f'xmlns="{DSIG}"'

    def inclusive_namespaces(prefix_list):
        return (f'<ec:InclusiveNamespaces xmlns:ec="{EXC_C14N}" PrefixList="{prefix_list}"/>')

    if signedinfo_prefixes is not None:
        canon = (f'<{p}CanonicalizationMethod Algorithm="{C14NS[c14n]}">'
                 f"{inclusive_namespaces(signedinfo_prefixes)}</{p}CanonicalizationMethod>")
    else:
        canon = f'<{p}CanonicalizationMethod Algorithm="{C14NS[c14n]}"/>'
    transforms = [f'        <{p}Transform Algorithm="{ENVELOPED}"/>']
    if transform_c14n:
        if transform_prefixes is not None:
            transforms.append(f'        <{p}Transform Algorithm="{EXC_C14N}">'
                              f"{inclusive_namespaces(transform_prefixes)}</{p}Transform>")
        else:
            transforms.append(f'        <{p}Transform Algorithm="{EXC_C14N}"/>')
    ki = ""
    if key_info:
        ki = (f"\n  <{p}KeyInfo>\n    <{p}X509Data>\n      <{p}X509Certificate/>\n"
              f"    </{p}X509Data>\n  </{p}KeyInfo>")
    return (
        f"<{p}Signature {decl}>\n"
        f"  <{p}SignedInfo>\n"
        f"    {canon}\n"
        f'    <{p}SignatureMethod Algorithm="{SIG_ALGS[sig]}"/>\n'
        f'    <{p}Reference URI="#_a1">\n'
        f"      <{p}Transforms>\n" + "\n".join(transforms) + "\n"
        f"      </{p}Transforms>\n"
        f'      <{p}DigestMethod Algorithm="{DIGESTS[digest]}"/>\n'
        f"      <{p}DigestValue/>\n"
        f"    </{p}Reference>\n"
        f"  </{p}SignedInfo>\n"
        f"  <{p}SignatureValue/>{ki}\n"
        f"</{p}Signature>"
    )


def attribute_statement(s: str) -> str:
    """An AttributeStatement whose xsi:type values use the xs prefix only in content
    (the reason InclusiveNamespaces exists)."""
    return (f'<{s}AttributeStatement><{s}Attribute Name="mail">'
            f'<{s}AttributeValue xsi:type="xs:string">alice@example.com</{s}AttributeValue>'
            f"</{s}Attribute></{s}AttributeStatement>")


def document(layout: str, signature: str, attrs: bool) -> str:
    xs = (' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
          ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"') if attrs else ""
    if layout == "assertion":
        s = "saml:"
        return (f'<saml:Assertion xmlns:saml="{SAML}"{xs} ID="_a1" Version="2.0" '
                f'IssueInstant="{INSTANT}"><saml:Issuer>{ISSUER}</saml:Issuer>{signature}'
                f"<saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject>"
                + (attribute_statement(s) if attrs else "") + "</saml:Assertion>\n")
    if layout == "saml-default":
        return (f'<Assertion xmlns="{SAML}"{xs} ID="_a1" Version="2.0" '
                f'IssueInstant="{INSTANT}"><Issuer>{ISSUER}</Issuer>{signature}'
                f"<Subject><NameID>alice@example.com</NameID></Subject>"
                + (attribute_statement("") if attrs else "") + "</Assertion>\n")
    if layout == "response":
        # The saml prefix (and xs/xsi) are declared on the Response only, so the signed
        # Assertion depends on namespace context from outside the signed subtree.
        return (
            f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"{xs} ID="_r1" '
            f'Version="2.0" IssueInstant="{INSTANT}" Destination="https://sp.example.org/saml/acs">\n'
            f"  <saml:Issuer>{ISSUER}</saml:Issuer>\n"
            f'  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            f"</samlp:Status>\n"
            f'  <saml:Assertion ID="_a1" Version="2.0" IssueInstant="{INSTANT}">'
            f"<saml:Issuer>{ISSUER}</saml:Issuer>{signature}"
            f"<saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject>"
            + (attribute_statement("saml:") if attrs else "") + "</saml:Assertion>\n"
            "</samlp:Response>\n")
    raise SystemExit(f"unknown layout {layout}")


def cmd_template(a) -> int:
    sig = signature_template(
        a.prefix, a.sig, a.digest, a.c14n, a.transform_c14n,
        None if a.transform_prefixes == "-" else a.transform_prefixes,
        None if a.signedinfo_prefixes == "-" else a.signedinfo_prefixes,
        a.key_info)
    sys.stdout.write(document(a.layout, sig, a.attrs))
    return 0


# --- independent check -------------------------------------------------------------------

NOT_IN_SIGNATURE = (
    "[not(ancestor-or-self::*[local-name()='Signature' and "
    "namespace-uri()='http://www.w3.org/2000/09/xmldsig#'])]"
)


def subset_xpath(predicate: str, exclude_signature: bool) -> bytes:
    x = f"(//. | //@* | //namespace::*)[not(self::comment())][ancestor-or-self::*[{predicate}]]"
    if exclude_signature:
        x += NOT_IN_SIGNATURE
    return x.encode()


def inclusive_prefixes(el) -> list | None:
    for c in el:
        if c.tag == "{%s}InclusiveNamespaces" % EXC_C14N:
            return c.get("PrefixList").split()
    return None


def der_int(b: bytes) -> bytes:
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + der_len(len(b)) + b


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def openssl(*args, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)


def cmd_check(a) -> int:
    lib = c14n_oracle.Libxml2()
    data = open(a.file, "rb").read()
    root = etree.fromstring(data)
    ns = {"ds": DSIG}
    sigs = root.findall(".//ds:Signature", ns)
    assert len(sigs) == 1, "exactly one Signature"
    sig = sigs[0]
    si = sig.find("ds:SignedInfo", ns)
    canon_el = si.find("ds:CanonicalizationMethod", ns)
    sig_alg = si.find("ds:SignatureMethod", ns).get("Algorithm")
    refs = si.findall("ds:Reference", ns)
    assert len(refs) == 1, "exactly one Reference"
    ref = refs[0]
    uri = ref.get("URI")
    assert uri.startswith("#")
    ident = uri[1:]
    transforms = ref.findall("ds:Transforms/ds:Transform", ns)
    algs = [t.get("Algorithm") for t in transforms]
    assert algs[0] == ENVELOPED, algs
    if len(algs) == 2:
        assert algs[1] == EXC_C14N, algs
        ref_exc, ref_prefixes = True, inclusive_prefixes(transforms[1])
    else:
        assert len(algs) == 1, algs
        # No C14N transform: the node set is canonicalized with C14N 1.0 (XMLDSig 4.4.3.2).
        ref_exc, ref_prefixes = False, None
    digest_alg = HASH_OF_URI[ref.find("ds:DigestMethod", ns).get("Algorithm")]

    # 1. DigestValue over the Reference's node set.
    signed = lib.canonicalize(data, None, ref_exc, ref_prefixes,
                              xpath=subset_xpath(f"@ID='{ident}'", True)).encode()
    digest = hashlib.new(digest_alg, signed).digest()
    stated = base64.b64decode(ref.find("ds:DigestValue", ns).text)
    if digest != stated:
        raise SystemExit(f"{a.file}: DigestValue does not match the recomputed digest")

    # 2. SignatureValue over canonical SignedInfo.
    si_exc = canon_el.get("Algorithm") == EXC_C14N
    si_canon = lib.canonicalize(
        data, None, si_exc, inclusive_prefixes(canon_el) if si_exc else None,
        xpath=subset_xpath("local-name()='SignedInfo' and "
                           "namespace-uri()='http://www.w3.org/2000/09/xmldsig#'", False)).encode()
    value = base64.b64decode("".join(sig.find("ds:SignatureValue", ns).text.split()))
    hash_name = HASH_OF_SIG[sig_alg]
    notes = []
    if "hmac" in sig_alg:
        key = open(a.hmac_key, "rb").read()
        if not hmac.compare_digest(hmac.new(key, si_canon, hash_name).digest(), value):
            raise SystemExit(f"{a.file}: HMAC does not verify")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            pub = os.path.join(tmp, "pub.pem")
            r = openssl("x509", "-in", a.cert, "-pubkey", "-noout")
            open(pub, "wb").write(r.stdout)
            sigfile = os.path.join(tmp, "sig.bin")
            if "ecdsa" in sig_alg:
                text = openssl("pkey", "-pubin", "-in", pub, "-text", "-noout").stdout.decode()
                bits = int(text.split("Public-Key: (")[1].split(" bit")[0])
                n = (bits + 7) // 8
                if len(value) != 2 * n:
                    raise SystemExit(f"{a.file}: ECDSA value is {len(value)} bytes, "
                                     f"not raw r||s of 2x{n}")
                body = der_int(value[:n]) + der_int(value[n:])
                value = b"\x30" + der_len(len(body)) + body
                notes.append(f"ECDSA raw r||s {2 * n} bytes (P-{bits})")
            open(sigfile, "wb").write(value)
            siff = os.path.join(tmp, "si.xml")
            open(siff, "wb").write(si_canon)
            r = openssl("dgst", "-" + hash_name, "-verify", pub, "-signature", sigfile, siff)
            if r.returncode != 0:
                raise SystemExit(f"{a.file}: openssl does not verify: {r.stdout!r} {r.stderr!r}")
    print(f"{os.path.basename(a.file)}: digest and signature recomputed independently"
          + (f" ({'; '.join(notes)})" if notes else ""))
    return 0


# --- manifest ----------------------------------------------------------------------------

def cmd_manifest(a) -> int:
    """manifest.json from the case table gen.sh wrote (one TSV line per file)."""
    entries = []
    for line in open(a.cases, encoding="utf-8"):
        if not line.strip():
            continue
        (file, trusted, signer, expect, layout, prefix, note) = line.rstrip("\n").split("\t")
        root = etree.parse(os.path.join(HERE, file)).getroot()
        ns = {"ds": DSIG}
        si = root.find(".//ds:Signature/ds:SignedInfo", ns)
        canon = si.find("ds:CanonicalizationMethod", ns)
        ref = si.find("ds:Reference", ns)
        transforms = ref.findall("ds:Transforms/ds:Transform", ns)
        entry = {
            "file": file,
            "signed_element_id": ref.get("URI")[1:],
            "trusted_cert": trusted,
            "signature_method": si.find("ds:SignatureMethod", ns).get("Algorithm"),
            "digest_method": ref.find("ds:DigestMethod", ns).get("Algorithm"),
            "c14n": canon.get("Algorithm"),
            "c14n_prefixes": inclusive_prefixes(canon),
            "transforms": [t.get("Algorithm") for t in transforms],
            "transform_prefixes": (inclusive_prefixes(transforms[-1])
                                   if transforms[-1].get("Algorithm") == EXC_C14N else None),
            "signing_key": signer,
            "layout": layout,
            "ds_prefix": prefix,
            "expect": expect,
        }
        if note:
            entry["note"] = note
        entries.append(entry)
    json.dump(entries, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("template")
    t.add_argument("--layout", choices=["assertion", "saml-default", "response"], required=True)
    t.add_argument("--prefix", default="ds", help='dsig prefix; "" = default namespace')
    t.add_argument("--sig", choices=sorted(SIG_ALGS), required=True)
    t.add_argument("--digest", choices=sorted(DIGESTS), required=True)
    t.add_argument("--c14n", choices=sorted(C14NS), default="exc", help="SignedInfo C14N")
    t.add_argument("--no-transform-c14n", dest="transform_c14n", action="store_false",
                   help="Reference transforms: enveloped-signature only")
    t.add_argument("--transform-prefixes", default="-", help='PrefixList on the transform ("-": none)')
    t.add_argument("--signedinfo-prefixes", default="-", help='PrefixList on SignedInfo ("-": none)')
    t.add_argument("--attrs", action="store_true", help="xs/xsi declarations and an AttributeStatement")
    t.add_argument("--no-key-info", dest="key_info", action="store_false")
    c = sub.add_parser("check")
    c.add_argument("file")
    c.add_argument("--cert")
    c.add_argument("--hmac-key")
    m = sub.add_parser("manifest")
    m.add_argument("cases")
    a = ap.parse_args()
    return {"template": cmd_template, "check": cmd_check, "manifest": cmd_manifest}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
