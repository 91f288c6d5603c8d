"""The SimpleSAMLphp IdP ("Umbrella", scripts/simplesamlphp) as the cases drive it.

SimpleSAMLphp reads its SP list at every request: the entries register-sp.sh made from the
demo's metadata, each overlaid with `<state>/sp-options.json`. A case changes how the IdP
treats one SP (which parts it signs, whether it encrypts, which NameID format it sends) by
rewriting that overlay, atomically, and puts it back afterwards; nothing restarts.
"""

from __future__ import annotations

import json
import os
import pathlib
import urllib.parse
import xml.etree.ElementTree as ET

import requests

from . import saml

ENCRYPTION = "assertion.encryption"
SIGN_RESPONSE = "saml20.sign.response"
SIGN_ASSERTION = "saml20.sign.assertion"
NAMEID_FORMAT = "NameIDFormat"
SIGN_LOGOUT = "sign.logout"
SLO_SERVICE = "SingleLogoutService"
LOGOUT_TYPE = "logouttype"

# What every case starts from: both signed, not encrypted, persistent NameID (the demo refuses
# transient NameIDs, which cannot identify a person twice), logout messages signed
# (SimpleSAMLphp 1.19 signs them only when asked; the demo refuses unsigned ones).
BASELINE = {SIGN_RESPONSE: True, SIGN_ASSERTION: True, ENCRYPTION: False, NAMEID_FORMAT: saml.NAMEID["persistent"],
            SIGN_LOGOUT: True}


class SimpleSAMLphp:
    def __init__(self, env):
        d = env.raw.get("simplesamlphp")
        if not d:
            raise RuntimeError("env.json has no simplesamlphp section: run scripts/conformance.sh")
        self.url = d["url"]
        self.state = pathlib.Path(d["state"])
        self.log = pathlib.Path(d["log"])
        self.entity_id = f"{self.url}/saml2/idp/metadata.php"
        self.sso_url = f"{self.url}/saml2/idp/SSOService.php"
        self.slo_url = f"{self.url}/saml2/idp/SingleLogoutService.php"

    def registered(self) -> dict:
        return json.loads((self.state / "sp-remote.json").read_text())

    def set_options(self, sp_entity_id: str, **options) -> None:
        """The IdP's options for one SP from now on: BASELINE overridden by `options` (keys as
        SimpleSAMLphp spells them, e.g. set_options(sp, **{SIGN_ASSERTION: False}))."""
        path = self.state / "sp-options.json"
        current = json.loads(path.read_text()) if path.exists() else {}
        current[sp_entity_id] = {**BASELINE, **options}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(current, indent=2))
        os.replace(tmp, path)

    def set_idp_options(self, **options) -> None:
        """Options of the IdP itself from now on (merged over saml20-idp-hosted.php), e.g.
        set_idp_options(**{LOGOUT_TYPE: "iframe"}); set_idp_options() puts the defaults back."""
        path = self.state / "idp-options.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(options, indent=2))
        os.replace(tmp, path)

    def slo_endpoints(self, sp_entity_id: str, binding: str) -> list[dict]:
        """The SP's registered SingleLogoutService entries of one binding (for an overlay that
        leaves SimpleSAMLphp only that binding to send its LogoutRequests by)."""
        return [e for e in self.registered()[sp_entity_id].get(SLO_SERVICE, []) if e["Binding"] == binding]

    def logout_url(self, return_to: str) -> str:
        """The IdP-initiated logout a portal links to: SingleLogoutService.php?ReturnTo=...
        SimpleSAMLphp ends its session, sends a LogoutRequest to every SP the session signed
        in to, then sends the browser to `return_to`."""
        return f"{self.slo_url}?{urllib.parse.urlencode({'ReturnTo': return_to})}"

    def idp_initiated_url(self, sp_entity_id: str, relay_state: str | None = None) -> str:
        """SimpleSAMLphp's IdP-initiated SSO: SSOService.php?spentityid=... (its own extension:
        the response goes to the SP's default ACS from its metadata, no InResponseTo)."""
        q = {"spentityid": sp_entity_id}
        if relay_state is not None:
            q["RelayState"] = relay_state
        return f"{self.sso_url}?{urllib.parse.urlencode(q)}"

    def name_id_formats(self) -> list[str]:
        """The NameIDFormat elements of its IdP metadata (what it offers)."""
        r = requests.get(self.entity_id, timeout=10)
        r.raise_for_status()
        return [e.text for e in ET.fromstring(r.content).iter(f"{{{saml.NS['md']}}}NameIDFormat")]

    def log_size(self) -> int:
        return self.log.stat().st_size if self.log.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

