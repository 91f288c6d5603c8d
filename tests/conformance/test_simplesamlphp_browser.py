"""People at a real browser (Debian's Chromium, headless, browser/simplesamlphp.mjs) signing in
through SimpleSAMLphp's own login page, each in a fresh browser context: SP-initiated from the
demo's buttons over HTTP-Redirect and HTTP-POST, and IdP-initiated from SimpleSAMLphp's
SSOService.php?spentityid=... URL. Screenshots: target/conformance/screenshots/ssp-*.png."""

from __future__ import annotations

import pytest

from harness import simplesamlphp as ssp_mod
from harness.browser import check_steps, run_plan


@pytest.fixture(scope="module")
def ssp_browser_run(env, demo):
    ssp = ssp_mod.SimpleSAMLphp(env)
    for tenant in ("umbrella", "umbrella-post"):
        ssp.set_options(demo.entity_id(tenant))
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "ssp_url": ssp.url,
        "me_path": "/me",
        "people": [
            {"name": "redirect", "button": "Sign in with Umbrella Corporation",
             "username": "una", "password": "una-umbrella-pw",
             "expect": ["Una Underwood", "una@umbrella.test", "Umbrella Corporation"]},
            {"name": "post", "button": "Sign in with Umbrella Corporation (HTTP-POST)",
             "username": "umar", "password": "umar-umbrella-pw",
             "expect": ["Umar Usman", "umar@umbrella.test", "Umbrella Corporation"]},
            {"name": "idp-initiated", "url": ssp.idp_initiated_url(demo.entity_id("umbrella"), "/me"),
             "username": "ulla", "password": "ulla-umbrella-pw",
             "expect": ["Ulla Ulrich", "ulla@umbrella.test", "Umbrella Corporation"]},
        ],
    }
    return run_plan(env, "simplesamlphp.mjs", plan, "browser-simplesamlphp")


def test_ssp_browser_sp_initiated_redirect(ssp_browser_run, record):
    """Chromium: demo sign-in page -> "Sign in with Umbrella Corporation" -> SimpleSAMLphp's
    login page (HTTP-Redirect AuthnRequest) -> username and password typed -> "me" shows Una."""
    check_steps(ssp_browser_run, ["redirect-open-demo", "redirect-click-company-button",
                                  "redirect-sign-in", "redirect-me-page"], record)


def test_ssp_browser_sp_initiated_post(ssp_browser_run, record):
    """Chromium: "Sign in with Umbrella Corporation (HTTP-POST)" -> the demo's auto-submitting
    form posts the AuthnRequest -> SimpleSAMLphp's login page -> "me" shows Umar."""
    check_steps(ssp_browser_run, ["post-open-demo", "post-click-company-button",
                                  "post-sign-in", "post-me-page"], record)


def test_ssp_browser_idp_initiated(ssp_browser_run, record):
    """Chromium: SimpleSAMLphp's SSOService.php?spentityid=...&RelayState=/me -> its login page
    -> the demo's "me" page shows Ulla."""
    check_steps(ssp_browser_run, ["idp-initiated-open-idp-initiated", "idp-initiated-sign-in",
                                  "idp-initiated-me-page"], record)
