"""Organizations are tenants, seen through a real browser: Alice of Acme and Gina of Globex,
each in her own Chromium context (browser/orgs.mjs), signed in at the same time, each see only
their company's hosts, locations and visitors. (A file of its own, after test_keycloak_login.py,
whose cases expect Alice's first sign-in to create her account.)"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess

import pytest

HERE = pathlib.Path(__file__).resolve().parent


def _check(steps, names, record):
    for n in names:
        s = steps.get(n)
        assert s is not None, f"step {n} did not run: {json.dumps(steps, indent=1)}"
        assert s["ok"], f"step {n}: {s['detail']} (screenshot {s.get('screenshot')})"
    record(**{n: f"{steps[n]['ms']}ms: {steps[n]['detail']}" for n in names})



@pytest.fixture(scope="module")
def orgs_run(env, clients, demo):
    """Runs browser/orgs.mjs: Alice (Acme) and Gina (Globex), two Chromium contexts at once."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed")
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
    plan_file = env.artifacts / "browser-orgs-plan.json"
    plan_file.write_text(json.dumps(plan, indent=2))
    p = subprocess.run([node, str(HERE / "browser" / "orgs.mjs"), str(plan_file)], cwd=HERE,
                       capture_output=True, text=True, timeout=240)
    (env.artifacts / "browser-orgs.log").write_text(p.stdout + "\n--- stderr\n" + p.stderr)
    steps = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            s = json.loads(line)
            steps[s["step"]] = s
    if not steps:
        raise RuntimeError(f"the browser did not run (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
    return steps


def test_browser_two_organizations_at_once(orgs_run, record):
    """Chromium, two contexts signed in at the same time: Alice (Acme) and Gina (Globex) each
    pre-register a visitor; each then sees only her company's hosts, visitors and locations."""
    _check(orgs_run, [f"{who}-{what}" for who in ("alice", "gina")
                      for what in ("sign-in", "pre-registers", "hosts", "visits", "locations")], record)
