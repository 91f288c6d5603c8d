#!/usr/bin/env python3
"""Check the captured responses against manifest.json with python-xmlsec.

    .venv/bin/python testdata/captured/check.py

For every entry: decode the file, verify each ds:Signature with the entry's pinned
`trusted_cert` (signatures outside EncryptedData before decrypting, the others after),
decrypt with `sp_decryption_key` when one is given, and compare the NameID with
`expect_name_id`. This shows that each trust anchor really signed its file; it says
nothing about protocol checks (those are the Rust tests' job). Prints one line per
entry with the signature algorithms found, so the "algorithm" expectations can be read
off. Exits 1 on any mismatch. SHA-1 signatures are verified too: here the point is that
the right key signed the file, not whether the algorithm is acceptable.
"""
from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import xmlsec
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent.parent
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def load(entry) -> bytes:
    raw = (ROOT / entry["file"]).read_bytes()
    return base64.b64decode(raw) if entry["format"] == "base64" else raw


def verify_all(root, cert: Path) -> list[str]:
    results = []
    for sig in root.iter(f"{{{DS}}}Signature"):
        ctx = xmlsec.SignatureContext()
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("ID") is not None:
                ctx.register_id(el, "ID")
        ctx.key = xmlsec.Key.from_file(str(cert), xmlsec.constants.KeyDataFormatCertPem)
        alg = sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm").rsplit("#", 1)[-1]
        where = etree.QName(sig.getparent()).localname
        try:
            ctx.verify(sig)
            results.append(f"{where}:{alg}:ok")
        except xmlsec.Error:
            results.append(f"{where}:{alg}:BAD")
    return results


def main() -> int:
    failures = 0
    entries = json.loads((Path(__file__).parent / "manifest.json").read_text())
    for entry in entries:
        root = etree.fromstring(load(entry), etree.XMLParser(resolve_entities=False, no_network=True))
        cert = ROOT / entry["trusted_cert"]
        results = verify_all(root, cert)
        if entry.get("sp_decryption_key"):
            xmlsec.tree.add_ids(root, ["Id"])  # same-document RetrievalMethod to an EncryptedKey (Okta)
            manager = xmlsec.KeysManager()
            manager.add_key(xmlsec.Key.from_file(str(ROOT / entry["sp_decryption_key"]), xmlsec.constants.KeyDataFormatPem))
            for enc in list(root.iter(f"{{{XENC}}}EncryptedData")):
                xmlsec.EncryptionContext(manager).decrypt(enc)
            for assertion in root.iter(f"{{{SAML}}}Assertion"):
                results += ["decrypted " + r for r in verify_all(assertion, cert)]
        name_id = root.find(f".//{{{SAML}}}NameID")
        name_ok = entry.get("expect_name_id") in (None, name_id.text if name_id is not None else None)
        bad = any(r.endswith("BAD") for r in results) or not name_ok
        failures += bad
        print(f"{'FAIL' if bad else 'ok  '} {entry['name']}: {', '.join(results) or 'no signature'}"
              f"{'' if name_ok else ' (NameID mismatch)'}")
    print(f"{len(entries) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
