#!/usr/bin/env python3
"""Independent check of testdata/keycloak/captured/*: verifies every XML signature the sidecar says
is there with xmlsec1 (Debian package `xmlsec1`) against the realm's pinned signing certificate,
decrypts encrypted assertions with the SP key (Python package `cryptography`) and verifies the
signature inside. Keycloak need not be running.

    python3 scripts/keycloak/verify_captures.py
"""

import base64
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture  # noqa: E402

ROOT = HERE.parents[1]
CAPTURED = ROOT / "testdata" / "keycloak" / "captured"
KEYS = ROOT / "testdata" / "keycloak" / "keys"
ID_ATTRS = [
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
]


def xmlsec_verify(xml_path, pubkey, xpath):
    r = subprocess.run(
        ["xmlsec1", "--verify", "--pubkey-pem", str(pubkey), "--enabled-key-data", "key-name,rsa",
         *ID_ATTRS, "--node-xpath", xpath, str(xml_path)],
        capture_output=True, text=True,
    )
    return r.returncode == 0


def main():
    if not shutil.which("xmlsec1"):
        print("xmlsec1 not found: apt-get install -y xmlsec1", file=sys.stderr)
        return 2
    failures = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for realm in ("acme", "globex"):
            pem = subprocess.run(
                ["openssl", "x509", "-in", str(KEYS / f"{realm}-idp.crt"), "-pubkey", "-noout"],
                capture_output=True, check=True,
            ).stdout
            (tmp / f"{realm}.pub").write_bytes(pem)
        for side in sorted(CAPTURED.glob("*.json")):
            meta = json.loads(side.read_text())
            name, realm, resp = meta["name"], meta["realm"], meta["response"]
            raw = base64.b64decode((CAPTURED / f"{name}.b64").read_text())
            xml_path = tmp / f"{name}.xml"
            xml_path.write_bytes(raw)
            pub = tmp / f"{realm}.pub"
            pinned = (KEYS / f"{realm}-idp.crt").read_text().split()
            if meta["idp_signing_cert_pem"].split() != pinned:
                print(f"FAIL {name}: sidecar IdP cert differs from testdata/keycloak/keys/{realm}-idp.crt")
                failures += 1
            checks = []
            if resp["response_signed"]:
                checks.append(("Response signature", xml_path, "/*/*[local-name()='Signature']"))
            if resp.get("assertion_signed"):
                checks.append(("Assertion signature", xml_path,
                               "/*/*[local-name()='Assertion']/*[local-name()='Signature']"))
            if resp["encrypted_assertion"]:
                plain = capture.decrypt_assertion(raw, ROOT / meta["encryption"]["sp_key"])
                if plain is None:
                    print(f"SKIP {name}: cannot decrypt without the 'cryptography' package")
                else:
                    a_path = tmp / f"{name}.assertion.xml"
                    a_path.write_bytes(plain)
                    checks.append(("decrypted Assertion signature", a_path,
                                   "/*/*[local-name()='Signature']"))
            for label, path, xpath in checks:
                checked += 1
                if xmlsec_verify(path, pub, xpath):
                    print(f"ok   {name}: {label}")
                else:
                    print(f"FAIL {name}: {label}")
                    failures += 1
            if not checks:
                print(f"ok   {name}: nothing signed (as recorded)")
    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
