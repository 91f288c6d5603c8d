"""A person at a real browser: Debian's Chromium, headless, driven by playwright-core
(browser/flow.mjs). They open the demo, click their company's button, type their username and
password on Keycloak's page and land on "me" showing their name; then sign in IdP-initiated
from Keycloak's URL; then sign out. Screenshots of every step: target/conformance/screenshots/.
The assertions are on page content; the screenshots are evidence for people."""

from __future__ import annotations

import re

import pytest

from harness.browser import check_steps, run_plan
from harness.setup import IDP_INITIATED_NAME


@pytest.fixture(scope="module")
def browser_run(env, clients, demo):
    shots = env.artifacts / "screenshots"
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(shots),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "start_path": "/",
        "me_path": "/me",
        "sp_initiated": {
            "button": "Sign in with Acme Corp", "button_role": "link",
            "username": "frank", "password": "frank-conformance-pw",
            "expect": ["Frank Fischer", "frank@acme.test", "Acme Corp"],
        },
        "idp_initiated": {
            "url": f"{env.realm_url('globex')}/protocol/saml/clients/{IDP_INITIATED_NAME}",
            "username": "grace", "password": "grace-conformance-pw",
            "expect": ["Grace Gomez", "grace@globex.test", "Globex Corporation"],
            # on any page only while Grace is signed in (the header shows her name)
            "signed_in_markers": ["Grace Gomez", "grace@globex.test"],
        },
        "sign_out": {
            "role": "button", "name": "Sign out",
            "expect": ["You are signed out, here and at your company's sign-in.", "Sign in with Acme Corp"],
            "expect_me": ["Sign in with Acme Corp"],
        },
    }
    return run_plan(env, "flow.mjs", plan, "browser")




def test_browser_sp_initiated(browser_run, record):
    """Chromium: demo sign-in page -> "Sign in with Acme Corp" -> Keycloak login page ->
    username and password typed -> the "me" page shows Frank Fischer."""
    check_steps(browser_run, ["open-demo", "click-company-button", "keycloak-sign-in", "me-page"], record)


def test_browser_idp_initiated(browser_run, record):
    """Chromium: Keycloak's IdP-initiated URL for Globex -> login -> the demo's "me" page shows
    Grace Gomez."""
    check_steps(browser_run, ["idp-initiated-open", "idp-initiated-sign-in", "idp-initiated-me-page"], record)


def test_browser_sign_out(browser_run, record):
    """Chromium: "Sign out" -> signed-out notice; /me then asks to sign in again."""
    check_steps(browser_run, ["sign-out", "me-after-sign-out"], record)


@pytest.fixture(scope="module")
def csrf_run(env, clients, demo):
    """Runs browser/login_csrf.mjs: two Chromium contexts, an attacker's and a victim's."""
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "login_path": "/saml/login?idp=acme",
        "acs_path": "/saml/acs",
        "me_path": "/me",
        # Another site: the victim's browser is made to post from there (never resolved: the
        # browser context serves it).
        "attacker_site": "http://attacker.test",
        "attacker": {"username": "erin", "password": "erin-conformance-pw",
                     "markers": ["Erin Evans", "erin@acme.test"]},
        "expect_refused": ["Sign-in failed"],
        "expect_signed_out": ["Sign in with Acme Corp"],
    }
    return run_plan(env, "login_csrf.mjs", plan, "browser-csrf")


def test_browser_login_csrf_refused(csrf_run, demo, record):
    """Chromium, login CSRF: the attacker (Erin) starts a login in their own browser context and
    keeps Keycloak's response; a victim's context auto-posts it to the demo's ACS from another
    site: refused (browser_mismatch: the victim's browser lacks the login's __Host- cookie), the
    victim is not signed in; the attacker's own context can still use it."""
    check_steps(csrf_run, ["attacker-starts-login", "attacker-signs-in-and-keeps-response",
                      "victim-posts-attackers-response", "victim-not-signed-in",
                      "attacker-own-browser-still-accepted"], record)
    detail = csrf_run["victim-posts-attackers-response"]["detail"]
    m = re.search(r"reference (\S+)", detail)
    assert m and m.group(1) != "?", detail
    line = next((ln for ln in demo.log.read_text(errors="replace").splitlines() if m.group(1) in ln), "")
    assert "browser_mismatch" in line, f"log line for {m.group(1)}: {line!r}"
    record(log=line[-240:])

