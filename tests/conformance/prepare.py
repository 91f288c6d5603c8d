#!/usr/bin/env python3
"""Prepares the IdPs for a conformance run (called by scripts/conformance.sh).

    prepare.py realms      # (re)create the conformance realms in Keycloak from
                           # testdata/conformance/keycloak/*-realm.json via the admin REST API

The realms carry users and groups only. The SAML clients are created later, by the test session,
by importing the demo's own SP metadata (conftest.py: `keycloak_clients`).
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import env as envmod  # noqa: E402
from harness.keycloak import KeycloakAdmin  # noqa: E402


def realms() -> None:
    env = envmod.load()
    kc = KeycloakAdmin(env.kc_url, env.kc_admin_user, env.kc_admin_password)
    for path in sorted((env.repo / "testdata" / "conformance" / "keycloak").glob("*-realm.json")):
        rep = json.loads(path.read_text())
        t0 = time.monotonic()
        kc.recreate_realm(rep)
        print(f"prepare: realm {rep['realm']} created from {path.relative_to(env.repo)} "
              f"in {time.monotonic() - t0:.1f}s", flush=True)


def main(argv):
    if argv[:1] == ["realms"]:
        realms()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
