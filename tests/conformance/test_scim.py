"""SCIM 2.0 provisioning of the demo (/scim/v2), checked by the two public testers from PyPI
and in a real browser. Tokens are made the way an operator makes them: `visitor scim-token
<org>` on the demo's database, while it runs.

- scim2-tester (via scim2-cli `scim2 test`): discovery, CRUD, PATCH add/remove/replace of every
  published attribute, attributes/excludedAttributes; it sends random userNames and email
  domains, so it runs against the `scimlab` organization (`scim_any_email_domain = true`);
- scim-sanity `probe`: discovery, the User lifecycle, search and paging, errors;
- Chromium: Sam signs in through Keycloak, Acme's provisioning client deactivates him, his next
  request signs him out and Keycloak cannot sign him in again.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import requests

from harness.browser import check_steps, run_plan


def _bin(env, name: str) -> str:
    path = env.repo / ".venv" / "bin" / name
    if not path.is_file():
        raise RuntimeError(f"{path} missing: scripts/conformance.sh installs tests/conformance/requirements.txt")
    return str(path)


def make_token(env, org: str) -> str:
    """`visitor scim-token <org>`, with the running demo's configuration and database."""
    d = env.raw["demo"]
    p = subprocess.run(d["cmd"] + ["scim-token", org, "--label", "conformance"],
                       env={**os.environ, **d["env"]}, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert token.startswith("vscim_"), "the command prints the token and nothing else"
    return token


@pytest.fixture(scope="module")
def scim_url(env, demo):
    return f"{env.demo_url}/scim/v2"


def test_scim_requires_a_token(env, scim_url, record):
    """No token, a wrong one, or a revoked one: 401 with WWW-Authenticate: Bearer and a SCIM
    Error; `visitor scim-token <org> --revoke <id>` takes effect at the next request."""
    token = make_token(env, "acme")
    ok = requests.get(f"{scim_url}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200, ok.text
    for headers in ({}, {"Authorization": "Bearer vscim_1_" + "0" * 64}, {"Authorization": "Basic eDp5"}):
        r = requests.get(f"{scim_url}/Users", headers=headers, timeout=10)
        assert r.status_code == 401, r.text
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["status"] == "401"
    token_id = token.split("_")[1]
    d = env.raw["demo"]
    p = subprocess.run(d["cmd"] + ["scim-token", "acme", "--revoke", token_id],
                       env={**os.environ, **d["env"]}, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    r = requests.get(f"{scim_url}/Users", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 401
    record(revoked=f"token {token_id}: 401 after --revoke")


def test_scim2_tester(env, scim_url, record):
    """scim2-tester (scim2-cli `scim2 test`) against organization scimlab: every check SUCCESS
    (the CLI exits 1 on any other result, SKIPPED included)."""
    token = make_token(env, "scimlab")
    p = subprocess.run([_bin(env, "scim2"), "--url", scim_url, "test"],
                       env={**os.environ, "SCIM_CLI_HEADERS": f"Authorization: Bearer {token}"},
                       capture_output=True, text=True, timeout=600)
    (env.artifacts / "scim2-tester.log").write_text(p.stdout + "\n--- stderr\n" + p.stderr)
    successes = p.stdout.count("SUCCESS")
    assert p.returncode == 0, f"scim2 test exited {p.returncode}:\n{p.stdout[-4000:]}\n{p.stderr[-2000:]}"
    assert successes >= 50, p.stdout[-2000:]
    record(checks=f"{successes} SUCCESS", log="target/conformance/scim2-tester.log")


def test_scim_sanity(env, scim_url, record):
    """scim-sanity `probe --resource User` (strict mode) against organization scimlab: no check
    failed."""
    token = make_token(env, "scimlab")
    p = subprocess.run([_bin(env, "scim-sanity"), "probe", scim_url, "--token", token, "--resource", "User",
                        "--i-accept-side-effects", "--json-output"],
                       capture_output=True, text=True, timeout=600)
    (env.artifacts / "scim-sanity.json").write_text(p.stdout + "\n--- stderr\n" + p.stderr)
    report = json.loads(p.stdout)
    summary = report["summary"]
    assert summary["failed"] == 0, json.dumps(report, indent=1)[-4000:]
    assert summary["passed"] >= 18, summary
    assert p.returncode == 0, p.stderr
    record(summary=json.dumps(summary))


@pytest.fixture(scope="module")
def deprovision_run(env, clients, demo):
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "scim_url": f"{env.demo_url}/scim/v2",
        "token": make_token(env, "acme"),
        "person": {"button": "Sign in with Acme Corp", "username": "sam", "password": "sam-conformance-pw",
                   "user_name": "sam@acme.test", "me": ["Sam Scimson", "sam@acme.test"]},
        "expect_signed_out": ["Your account is deactivated", "Sign in with Acme Corp"],
        "expect_refused": ["Your account is deactivated"],
    }
    return run_plan(env, "scim_deprovision.mjs", plan, "browser-scim")


def test_browser_scim_deactivation_signs_out(deprovision_run, record):
    """Chromium: Sam signs in through Keycloak; SCIM PATCH active "False" (as Entra ID sends it);
    his next request lands on the sign-in page, signed out; signing in again through Keycloak is
    refused ("Your account is deactivated")."""
    check_steps(deprovision_run, ["sign-in", "scim-deactivate", "next-request-signed-out",
                                  "sign-in-again-refused"], record)
