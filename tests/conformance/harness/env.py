"""The run's environment, written by scripts/conformance.sh to target/conformance/env.json.

The suite never guesses: without that file (or with a service that does not answer) it fails,
it does not skip.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[3]


@dataclasses.dataclass
class Env:
    repo: pathlib.Path
    artifacts: pathlib.Path
    kc_url: str
    kc_admin_user: str
    kc_admin_password: str
    kc_version: str
    realms: dict  # company -> realm name
    demo_url: str
    demo_log: pathlib.Path
    pysaml2_url: str
    samlsp_bin: pathlib.Path
    sp_signing_key: pathlib.Path
    raw: dict

    def realm_url(self, company: str) -> str:
        return f"{self.kc_url}/realms/{self.realms[company]}"

    def descriptor_url(self, company: str) -> str:
        return f"{self.realm_url(company)}/protocol/saml/descriptor"

    def sso_url(self, company: str) -> str:
        return f"{self.realm_url(company)}/protocol/saml"


def load() -> Env:
    path = pathlib.Path(os.environ.get("SAMLSP_CONFORMANCE_ENV", REPO / "target" / "conformance" / "env.json"))
    if not path.is_file():
        raise RuntimeError(
            f"{path} is missing: the conformance suite runs through scripts/conformance.sh, "
            "which starts Keycloak, the pysaml2 IdP and the demo, then writes it"
        )
    d = json.loads(path.read_text())
    return Env(
        repo=REPO,
        artifacts=pathlib.Path(d["artifacts"]),
        kc_url=d["keycloak"]["url"],
        kc_admin_user=d["keycloak"]["admin_user"],
        kc_admin_password=d["keycloak"]["admin_password"],
        kc_version=d["keycloak"].get("version", "?"),
        realms=d["realms"],
        demo_url=d["demo"]["url"],
        demo_log=pathlib.Path(d["demo"]["log"]),
        pysaml2_url=d["pysaml2"]["url"],
        samlsp_bin=pathlib.Path(d["samlsp_bin"]),
        sp_signing_key=pathlib.Path(d["sp_signing_key"]),
        raw=d,
    )
