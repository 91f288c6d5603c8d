"""Reception check-in and the host's email, through the demo's real SMTP client (lettre) and a
real SMTP server (the aiosmtpd sink, mail/smtp_sink.py): check-in in Chromium on the kiosk page,
the message that arrives; the mail server down during a check-in; header injection through a
visitor's name; the invitation of a user created by SCIM. (After test_organizations.py: Alice
of Acme has signed in by then.)"""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
import requests

from harness.browser import check_steps, run_plan
from harness.mailsink import body_html, body_text

PLAN = {
    "button": "Sign in with Acme Corp", "username": "alice", "password": "alice-conformance-pw",
    "location": "Acme HQ", "host_search": "ali", "host_name": "Alice Anderson",
    "visitor": "Kim Kioskguest", "visitor_email": "kim@guest.test", "company": "Kiosk & Co",
}


@pytest.fixture(scope="module")
def reception_run(env, clients, demo, mail_sink):
    plan = dict(PLAN, chromium=env.raw.get("chromium", "/usr/bin/chromium"),
                artifacts=str(env.artifacts / "screenshots"), demo_url=env.demo_url,
                keycloak_url=env.kc_url)
    return run_plan(env, "reception.mjs", plan, "browser-reception")


def _to(addr: str, visitor: str):
    return lambda m: addr in str(m.get("To", "")) and visitor in str(m.get("Subject", ""))


def test_browser_kiosk_check_in_emails_the_host(reception_run, mail_sink, record):
    """Chromium: Alice makes a kiosk link; a device without a session opens it; a visitor finds
    Alice by name (no email shown) and checks in; the SMTP sink receives Alice's message naming
    the visitor, their company and the location, and Alice's page says "host notified at"."""
    check_steps(reception_run, ["admin-sign-in", "kiosk-link", "kiosk-opens", "host-search",
                                "check-in", "host-notified"], record)
    m = mail_sink.wait_for("to Alice about Kim", _to("alice@acme.test", "Kim Kioskguest"), 30)
    assert str(m["Subject"]) == "Your visitor Kim Kioskguest has arrived at Acme HQ"
    assert "visitors@conformance.test" in str(m["From"])
    assert "Kim Kioskguest (Kiosk & Co) checked in at Acme HQ" in body_text(m)
    assert "Kiosk &amp; Co" in body_html(m)
    record(subject=str(m["Subject"]), parts=[p.get_content_type() for p in m.walk()])


def _kiosk(env, link: str) -> tuple[requests.Session, str, str]:
    """A kiosk device over HTTP: opens the link, searches Alice; the session, the check-in form's
    CSRF token and Alice's host ID."""
    s = requests.Session()
    r = s.get(link, timeout=10)
    assert r.status_code == 200 and "Welcome to Acme HQ" in r.text, r.text[:500]
    r = s.get(env.demo_url + "/kiosk", params={"q": "alice"}, timeout=10)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)
    host = re.search(r'name="host_id" value="(\d+)"', r.text).group(1)
    return s, csrf, host


def _outbox_row(env, visitor: str):
    """(attempts, status) of the check-in message about `visitor`, read from the demo's database."""
    with sqlite3.connect(f"file:{env.raw['demo']['database']}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT attempts, status FROM outbox WHERE kind = 'checkin' AND subject LIKE ?",
                          (f"%{visitor}%",)).fetchone()


def test_mail_server_down_during_check_in(env, reception_run, mail_sink, record):
    """The SMTP server is down at check-in: the check-in succeeds at once; the message is sent
    by the outbox worker's retry after the server is back (the run sets the first retry to 2 s;
    30 s by default)."""
    s, csrf, host = _kiosk(env, reception_run["kiosk-link"]["detail"])
    mail_sink.stop()
    try:
        r = s.post(env.demo_url + "/kiosk/check-in", timeout=10, data={
            "csrf_token": csrf, "name": "Dora Downtime", "email": "dora@guest.test",
            "company": "", "host_id": host})
        assert r.status_code == 200 and "You are checked in" in r.text, r.text[:500]
        record(check_in_while_down=f"{r.status_code} in {r.elapsed.total_seconds():.2f}s")
        # The worker tried and failed (it polls every 2 s): the outbox row says so.
        deadline = time.monotonic() + 20
        while (row := _outbox_row(env, "Dora Downtime")) is None or row[0] < 1:
            assert time.monotonic() < deadline, f"the worker did not try while the server was down: {row}"
            time.sleep(0.25)
        assert row[1] == "pending", row
        record(while_down=f"attempts={row[0]} status={row[1]}")
    finally:
        mail_sink.start()
    m = mail_sink.wait_for("about Dora after the server returned",
                           _to("alice@acme.test", "Dora Downtime"), 30)
    assert "Dora Downtime checked in at Acme HQ" in body_text(m)


def test_no_header_injection_through_a_visitor_name(env, reception_run, mail_sink, record):
    """A visitor name or email with a line break is refused at the kiosk (400); no message the
    sink ever received carries a Bcc or a second recipient."""
    s, csrf, host = _kiosk(env, reception_run["kiosk-link"]["detail"])
    for name, addr in [("Mallory\r\nBcc: everyone@acme.test", "m@guest.test"),
                       ("Mallory", "m@guest.test\r\nBcc: everyone@acme.test")]:
        r = s.post(env.demo_url + "/kiosk/check-in", timeout=10, data={
            "csrf_token": csrf, "name": name, "email": addr, "company": "", "host_id": host})
        assert r.status_code == 400, r.text[:300]
    msgs = mail_sink.messages()
    assert msgs
    for m in msgs:
        assert m.get_all("Bcc") is None and len(m.get_all("To")) == 1, m
        assert "Mallory" not in str(m["Subject"])
    record(messages_checked=len(msgs))


def test_a_user_created_by_scim_is_invited(env, demo, mail_sink, record):
    """A SCIM client (Acme's token, `visitor scim-token acme`) creates Ivy: her invitation
    arrives at the sink (Acme's policy is "at once"), with the link of Acme's sign-in."""
    from test_scim import make_token

    token = make_token(env, "acme")
    r = requests.post(f"{env.demo_url}/scim/v2/Users", timeout=10,
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/scim+json"},
                      json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                            "userName": "ivy@acme.test", "name": {"givenName": "Ivy", "familyName": "Invited"},
                            "emails": [{"value": "ivy@acme.test", "type": "work", "primary": True}],
                            "active": True})
    assert r.status_code == 201, r.text
    m = mail_sink.wait_for("inviting Ivy", lambda m: "ivy@acme.test" in str(m.get("To", "")), 30)
    assert str(m["Subject"]) == "You can now sign in to Visitors with your Acme Corp account"
    assert f"{env.demo_url}/saml/login?idp=acme" in body_text(m)
    record(subject=str(m["Subject"]))
