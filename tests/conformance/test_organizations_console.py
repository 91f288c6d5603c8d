"""The admin console through a real browser (browser/console.mjs): Erin of Acme signs in at
Keycloak, and her browser's post of the genuine response is diverted to another SP of the demo
that trusts the same realm (/t/acme-partner/saml/acs), as an IdP configured with the wrong ACS
URL would send it. Erin sees the fixed failure page and a reference; Alice, Acme's admin, finds
the failure by that reference with its error code and remediation; Gina (Globex) finds nothing
and gets 404 for the event; Erin, a host, gets 403 for the console. Screenshots of every page:
target/conformance/screenshots/console-*.png. (After test_keycloak_login.py, whose cases expect
Alice's first sign-in to create her account.)"""

from __future__ import annotations

import pytest

from harness.browser import check_steps, run_plan

# What a response for the shared SP is refused for at the partner SP.
CODES = ["destination_mismatch", "recipient_mismatch", "audience_mismatch", "in_response_to_mismatch",
         "unknown_in_response_to"]


@pytest.fixture(scope="module")
def console_run(env, clients, demo):
    plan = {
        "chromium": env.raw.get("chromium", "/usr/bin/chromium"),
        "artifacts": str(env.artifacts / "screenshots"),
        "demo_url": env.demo_url,
        "keycloak_url": env.kc_url,
        "login_path": "/saml/login?idp=acme",
        "acs_path": "/saml/acs",
        "divert_to": "/t/acme-partner/saml/acs",
        "divert_connection": "acme-partner",
        "codes": CODES,
        "expect_failed": ["Sign-in failed", "Reference:"],
        "admin": {"button": "Sign in with Acme Corp", "username": "alice",
                  "password": "alice-conformance-pw", "me": ["alice@acme.test"]},
        "other_admin": {"button": "Sign in with Globex Corporation", "username": "gina",
                        "password": "gina-conformance-pw", "me": ["gina@globex.test"]},
        "person": {"username": "erin", "password": "erin-conformance-pw"},
    }
    return run_plan(env, "console.mjs", plan, "browser-console")


def test_browser_console_failure_trace(console_run, demo, record):
    """Chromium: a failed sign-in shows the person only the fixed page and a reference; Acme's
    admin finds it by the reference with its code and remediation (also in the failures list
    and the audit log), and sees the connections' certificate and metadata health."""
    check_steps(console_run, ["admin-sign-in", "failing-sign-in", "admin-finds-trace",
                              "admin-failures-list", "admin-audit-log", "admin-health"], record)
    reference = console_run["failing-sign-in"]["detail"].rsplit("reference ", 1)[-1]
    line = next((ln for ln in demo.log.read_text(errors="replace").splitlines() if reference in ln), "")
    assert any(f"code={c}" in line or f'code="{c}"' in line for c in CODES), f"log line for {reference}: {line!r}"
    record(log=line[-240:])


def test_browser_console_isolation(console_run, record):
    """Chromium: Globex's admin finds nothing by Acme's reference and gets 404 for Acme's event;
    Erin, a host of Acme, gets 403 for the console."""
    check_steps(console_run, ["other-admin-sign-in", "other-admin-sees-nothing",
                              "host-cannot-open-console"], record)
