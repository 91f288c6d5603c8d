"""Faults in the demo's cluster (scripts/conformance.sh with SAMLSP_CONF_CLUSTER=1: two instances
behind nginx round-robin, Redis, PostgreSQL), with real Keycloak sign-ins through nginx:

  - PostgreSQL stopped (pg_ctl -m fast) and started again: meanwhile both instances answer a
    clean 503 page (never a 500) and write nothing; afterwards the same session and new sign-ins
    work again, neither instance restarted;
  - an instance killed (SIGKILL) in the middle of a sign-in it started: the IdP's response,
    posted through nginx, completes on the other one (the pending request is in Redis); the
    killed instance, started again, serves the session made meanwhile.

Every wait has a deadline; none is a fixed sleep.
"""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest

from harness import flows
from harness.http import Browser, Page

pytestmark = pytest.mark.cluster

UNAVAILABLE = re.compile(r"(?i)temporarily unavailable")


def pw(user: str) -> str:
    return f"{user}-conformance-pw"


def instance(page: Page) -> str:
    return page.headers.get("X-Visitor-Instance", "?")


def session_cookie_set(page: Page) -> bool:
    return any(c.strip().startswith("id=") for c in page.headers.get("Set-Cookie", "").split(","))


def assert_unavailable(demo, page: Page, what: str) -> None:
    """A clean refusal: 503, Retry-After, the demo's page saying so, no session cookie."""
    assert page.status == 503, f"{what}: HTTP {page.status} from {instance(page)}: {page.text[:300]}"
    assert page.headers.get("Retry-After"), f"{what}: no Retry-After"
    assert "text/html" in page.headers.get("Content-Type", ""), what
    assert UNAVAILABLE.search(page.visible_text()), f"{what}: {page.visible_text()[:300]}"
    assert not session_cookie_set(page), f"{what}: a session cookie with a 503"


def from_each_instance(cluster, call, accept, retry, deadline_s: float, what: str) -> dict:
    """Repeats `call()` (one request through nginx) until each instance answered once with a
    page `accept(page)` takes. A page `retry(page)` allows (an instance that has not reconnected
    yet) is asked again until the deadline; any other page fails at once. Returns instance ->
    page."""
    pages: dict = {}
    deadline = time.monotonic() + deadline_s
    while set(pages) != set(cluster.instances):
        page = call()
        if accept(page) and instance(page) not in pages:
            pages[instance(page)] = page
            continue
        if not (accept(page) or retry(page)):
            raise AssertionError(f"{what}: HTTP {page.status} from {instance(page)}: "
                                 f"{page.visible_text()[:300]}")
        # A page not taken yet, or the same instance again (nginx passes over one it could not
        # reach, for a while): asked again, not in a tight loop.
        assert time.monotonic() < deadline, (
            f"{what}: not from every instance within {deadline_s}s; last HTTP {page.status} "
            f"from {instance(page)}: {page.visible_text()[:300]}")
        time.sleep(0.1)
    return pages


def test_cluster_postgres_restart(env, clients, demo, cluster, record):
    """PostgreSQL stopped (pg_ctl -m fast) while people use the cluster: each instance answers
    a clean 503 page, a sign-in arriving then is refused and leaves no trace in the database;
    started again, the session made before works on both instances and sign-ins succeed, without
    restarting the app."""
    nginx_from, log_from = cluster.log_offset(), demo.log_size()
    me_url = f"{demo.url}/me"

    # Before: Erin is signed in; Frank's IdP has answered, his response not yet posted.
    erin = Browser()
    flow = flows.sign_in(erin, demo.login_url("acme"), "erin", pw("erin"))
    assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
    frank = flows.idp_login(flows.start_sp_initiated(Browser(), demo.login_url("acme")), "frank", pw("frank"))
    frank_before = demo.user_by_email("frank@acme.test")
    frank_ids_before = demo.identities_of(frank_before["id"]) if frank_before else []

    t0 = time.monotonic()
    cluster.pg_stop("fast")
    try:
        # Down: pages that need the database, on each instance, and Frank's response.
        down = from_each_instance(cluster, lambda: erin.get(me_url, follow=False),
                                  lambda p: p.status == 503, lambda p: False, 10,
                                  "GET /me with PostgreSQL down")
        for name, page in down.items():
            assert_unavailable(demo, page, f"GET /me on {name}, PostgreSQL down")
        flows.post_response(frank)
        assert_unavailable(demo, frank.acs_page, "Frank's response, PostgreSQL down")
    finally:
        server = cluster.pg_start()
    t_down = time.monotonic() - t0

    # Back, and no instance restarted: the session made before the outage, on both.
    t1 = time.monotonic()
    up = from_each_instance(cluster, lambda: erin.get(me_url, follow=False),
                            lambda p: p.status == 200, lambda p: p.status == 503, 30,
                            "GET /me after PostgreSQL came back")
    recovered_s = time.monotonic() - t1
    for name, page in up.items():
        assert "Erin Evans" in page.text, f"/me on {name}: {page.visible_text()[:300]}"

    # Nothing of Frank's refused sign-in was written; he signs in now, once, fully.
    assert demo.user_by_email("frank@acme.test") == frank_before
    if frank_before:
        assert demo.identities_of(frank_before["id"]) == frank_ids_before
    again = flows.sign_in(Browser(), demo.login_url("acme"), "frank", pw("frank"))
    assert again.acs_page.status == 303, demo.failure(again.acs_page)
    assert again.final.status == 200 and "Frank Fischer" in again.final.text
    user = demo.user_by_email("frank@acme.test")
    assert [i["name_id"] for i in demo.identities_of(user["id"])] == ["frank@acme.test"]

    # nginx saw 503s, never a 500 (nor a 502: no instance died).
    statuses = cluster.statuses_since(nginx_from)
    errors = [s for s in statuses if s[1] >= 500 and s[1] != 503]
    assert not errors, errors
    refused_by = sorted({s[2] for s in statuses if s[1] == 503})
    assert refused_by == sorted(cluster.instances), refused_by
    # The log says what failed, and never the database password.
    with open(demo.log, "rb") as f:
        f.seek(log_from)
        log = f.read().decode(errors="replace")
    password = urllib.parse.urlsplit(demo.database_url).password
    assert password and password not in log, "the database password in the app's log"
    record(down_s=round(t_down, 1), recovered_after_s=round(recovered_s, 2), server=server.split(": ", 1)[-1],
           refused=f"503 by {','.join(refused_by)}", frank=f"user id={user['id']} after the outage")


def test_cluster_instance_killed_mid_login(env, clients, demo, cluster, record):
    """A sign-in started on instance a; a is killed (SIGKILL) before the IdP's response is
    posted; the response, posted through nginx, completes on b (the pending request is in
    Redis, not in a's memory). a, started again, serves the session b made."""
    nginx_from = cluster.log_offset()
    b = Browser()
    login = demo.login_url("acme")
    # Round-robin: within a few tries the login is started by a.
    for _ in range(2 * len(cluster.instances)):
        flow = flows.start_sp_initiated(b, login)
        if instance(flow.login_page) == "a":
            break
    assert instance(flow.login_page) == "a", "no login started on instance a"
    flows.idp_login(flow, "sam", pw("sam"))

    cluster.kill("a")
    try:
        flows.post_response(flow)
        assert flow.acs_page.status == 303, demo.failure(flow.acs_page)
        assert instance(flow.acs_page) == "b"
        assert flow.final.status == 200 and "Sam Scimson" in flow.final.text
    finally:
        cluster.start("a")

    # The session made on b, on a: nginx sends a no request for a while after a failed
    # connection (its fail_timeout), hence the deadline.
    me = from_each_instance(cluster, lambda: b.get(f"{demo.url}/me", follow=False),
                            lambda p: p.status == 200, lambda p: False, 30, "GET /me after a came back")
    assert all("Sam Scimson" in p.text for p in me.values())
    statuses = cluster.statuses_since(nginx_from)
    acs = [s for s in statuses if "/saml/acs" in s[0]]
    assert [(s[1], s[2]) for s in acs] == [(303, "b")], acs
    assert not [s for s in statuses if s[1] >= 500], statuses
    record(started_on="a", completed_on="b", restarted="a", session_on="a,b")
