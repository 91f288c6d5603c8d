"""Organizations are tenants, seen through a real browser: Alice of Acme and Gina of Globex,
each in her own Chromium context (browser/orgs.mjs), signed in at the same time, each see only
their company's hosts, locations and visitors. (A file of its own, after test_keycloak_login.py,
whose cases expect Alice's first sign-in to create her account.)"""

from __future__ import annotations

import pytest

from harness.browser import check_steps, run_plan


@pytest.fixture(scope="module")
def orgs_run(env, clients, demo):
    """Runs browser/orgs.mjs: Alice (Acme) and Gina (Globex), two Chromium contexts at once."""
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "people": [
            {"name": "alice", "button": "Sign in with Acme Corp", "username": "alice",
             "password": "alice-conformance-pw", "me": ["alice@acme.test", "Acme Corp"],
             "visitor": "Ada Acmeguest",
             "own_hosts": ["alice@acme.test"], "own_visits": ["Ada Acmeguest", "Acme HQ"],
             "own_locations": ["Acme HQ"],
             "foreign": ["@globex.test", "Globex Campus", "Gus Globexguest", "Initech"]},
            {"name": "gina", "button": "Sign in with Globex Corporation", "username": "gina",
             "password": "gina-conformance-pw", "me": ["gina@globex.test", "Globex Corporation"],
             "visitor": "Gus Globexguest",
             "own_hosts": ["gina@globex.test"], "own_visits": ["Gus Globexguest", "Globex Campus"],
             "own_locations": ["Globex Campus"],
             "foreign": ["@acme.test", "Acme HQ", "Ada Acmeguest", "Initech"]},
        ],
    }
    return run_plan(env, "orgs.mjs", plan, "browser-orgs")


def test_browser_two_organizations_at_once(orgs_run, record):
    """Chromium, two contexts signed in at the same time: Alice (Acme) and Gina (Globex) each
    pre-register a visitor; each then sees only her company's hosts, visitors and locations."""
    check_steps(orgs_run, [f"{who}-{what}" for who in ("alice", "gina")
                      for what in ("sign-in", "pre-registers", "hosts", "visits", "locations")], record)
