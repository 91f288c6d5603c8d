"""The demo app (examples/visitor) as the suite sees it: its SAML routes, its pages, its store
(read for evidence, written only to seed accounts that "an administrator created": the SQLite
file of a single demo, or the PostgreSQL database of a cluster run), its log (the exact reason
behind each "Sign-in failed" reference), and a restart."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import os
import pathlib
import re
import signal
import sqlite3
import subprocess
import time
import urllib.parse

import requests

from .http import Browser, Page


@dataclasses.dataclass
class MePage:
    """What the "me" page shows."""

    profile: dict  # <dt> -> <dd> text: Name, Email, Role, Account source, Signed in with, ...
    identities: list  # [{"idp", "name_id", "format", "last_used"}]
    attributes: dict  # attribute Name -> [values]


class _MeParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.dl: dict = {}
        self.tables: list = []  # [(caption, [[cell...]...])]
        self._tag = None
        self._dt = None
        self._buf = ""
        self._row = None
        self._caption = None
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag in ("dt", "dd", "caption"):
            self._tag, self._buf = tag, ""
        elif tag == "table":
            self.tables.append(["", []])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._in_cell, self._buf = True, ""
        elif tag == "br" and self._in_cell:
            self._buf += "\n"

    def handle_endtag(self, tag):
        if tag == "dt":
            self._dt = self._buf.strip()
            self._tag = None
        elif tag == "dd" and self._dt is not None:
            self.dl[self._dt] = self._buf.strip()
            self._dt, self._tag = None, None
        elif tag == "caption" and self.tables:
            self.tables[-1][0] = self._buf.strip()
            self._tag = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(self._buf.strip())
            self._in_cell = False
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._tag or self._in_cell:
            self._buf += data


def parse_me(page: Page) -> MePage:
    p = _MeParser()
    p.feed(page.text)
    identities, attributes = [], {}
    for caption, rows in p.tables:
        body = rows[1:]
        if caption.startswith("Company accounts"):
            identities = [
                {"idp": r[0], "name_id": r[1], "format": r[2], "last_used": r[3]} for r in body if len(r) >= 4
            ]
        elif caption.startswith("What your identity provider said"):
            attributes = {r[0]: r[2].split("\n") for r in body if len(r) >= 3}
    return MePage(profile=p.dl, identities=identities, attributes=attributes)


@dataclasses.dataclass
class Failure:
    status: int
    title: str
    reference: str | None
    kind: str | None  # from the demo log: replay, signature, audience, refused, ...
    reason: str | None
    log_line: str | None


class Demo:
    def __init__(self, env):
        self.env = env
        d = env.raw["demo"]
        self.url = env.demo_url
        self.log = pathlib.Path(d["log"])
        self.db_path = pathlib.Path(d["database"])
        # A cluster run's instances share a PostgreSQL database instead of the SQLite file.
        self.database_url = d.get("database_url")
        self.pidfile = pathlib.Path(d["pidfile"])
        self.cmd = d["cmd"]
        self.proc_env = d["env"]

    # -- URLs ---------------------------------------------------------------------------------

    def base(self, tenant: str | None = None) -> str:
        return f"{self.url}/saml" if tenant is None else f"{self.url}/t/{tenant}/saml"

    def entity_id(self, tenant: str | None = None) -> str:
        return f"{self.base(tenant)}/metadata"

    def acs_url(self, tenant: str | None = None) -> str:
        return f"{self.base(tenant)}/acs"

    def login_url(self, idp: str, tenant: str | None = None, return_to: str | None = None) -> str:
        q = {"idp": idp}
        if return_to:
            q["return_to"] = return_to
        return f"{self.base(tenant)}/login?{urllib.parse.urlencode(q)}"

    # -- health, metadata ---------------------------------------------------------------------

    def health(self) -> tuple[int, dict]:
        r = requests.get(f"{self.url}/healthz", timeout=10)
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, {"body": r.text[:300]}

    def wait_ready(self, timeout: float = 60) -> dict:
        """Until every IdP's metadata is loaded (/healthz 200)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                status, body = self.health()
                last = (status, body)
                if status == 200:
                    return body
            except requests.RequestException as e:
                last = repr(e)
            time.sleep(0.5)
        raise RuntimeError(f"demo not ready after {timeout}s: {last}; log tail:\n{self.log_tail()}")

    def metadata(self, tenant: str | None = None) -> str:
        r = requests.get(self.entity_id(tenant), timeout=10)
        r.raise_for_status()
        return r.text

    # -- pages --------------------------------------------------------------------------------

    def me(self, browser: Browser) -> tuple[Page, MePage | None]:
        page = browser.get(f"{self.url}/me")
        if not page.url.rstrip("/").endswith("/me") or page.status != 200:
            return page, None
        return page, parse_me(page)

    def sign_out(self, browser: Browser) -> Page:
        page = browser.get(f"{self.url}/me")
        form = page.form(has="csrf_token")
        if form is None:
            raise AssertionError(f"no sign-out form on {page.url}")
        return browser.submit(page, form)

    def failure(self, page: Page) -> Failure:
        """Reads a failure page and finds its reference in the log."""
        m = re.search(r"Reference: <code>([^<]+)</code>", page.text)
        ref = m.group(1) if m else None
        kind = reason = line = None
        if ref:
            for _ in range(20):  # the log line is written before the response; allow flushing
                for ln in self.log.read_text(errors="replace").splitlines():
                    if ref in ln:
                        line = _strip_ansi(ln)
                        km = re.search(r'\bkind="?([a-z_]+)', line)
                        rm = re.search(r'\breason=(.*?)(?: route=| tenant=| SAML sign-(?:in|out) failed|$)', line)
                        kind = km.group(1) if km else None
                        reason = rm.group(1).strip().strip('"') if rm else None
                if line:
                    break
                time.sleep(0.1)
        return Failure(status=page.status, title=page.title().split(" – ")[0], reference=ref, kind=kind,
                       reason=reason, log_line=line)

    def log_size(self) -> int:
        """Where the log ends now: pass it to wait_for_log to look only at what comes after."""
        return self.log.stat().st_size

    def wait_for_log(self, pattern: str, since: int, timeout: float) -> tuple[str, float]:
        """Polls the demo's log (from byte `since`) until a line matches `pattern`; returns the
        line and how long it took. Fails with the log's tail when the deadline passes."""
        rx = re.compile(pattern)
        t0 = time.monotonic()
        while True:
            with open(self.log, "rb") as f:
                f.seek(since)
                for ln in f.read().decode(errors="replace").splitlines():
                    ln = _strip_ansi(ln)
                    if rx.search(ln):
                        return ln, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"no log line matching {pattern!r} within {timeout}s; "
                                     f"log tail:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError as e:
            return repr(e)

    # -- store --------------------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple = ()) -> list[dict]:
        """Rows of a read-only query written with `?` placeholders, on either store."""
        if self.database_url:
            import psycopg
            from psycopg.rows import dict_row

            with psycopg.connect(self.database_url, row_factory=dict_row, connect_timeout=10) as c:
                c.read_only = True
                return c.execute(sql.replace("?", "%s"), params).fetchall()
        c = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        c.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in c.execute(sql, params)]
        finally:
            c.close()

    def user_by_email(self, email: str) -> dict | None:
        rows = self._rows("SELECT * FROM users WHERE email_normalized = ?", (email.lower(),))
        return rows[0] if rows else None

    def identities_of(self, user_id: int) -> list[dict]:
        return self._rows(
            "SELECT idp_entity_id, name_id, name_id_format, created_at, last_login_at "
            "FROM identities WHERE user_id = ? ORDER BY id", (user_id,))

    def seed_user(self, email: str, given: str, family: str, active: bool = True) -> int:
        """An account an administrator created by hand (source 'manual'), before any sign-in, in
        the organization that verified the email's domain."""
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        domain = email.lower().rsplit("@", 1)[-1]
        insert = (
            "INSERT INTO users (org_id, email, email_normalized, given_name, family_name, "
            "display_name, role, active, source, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, 'host', ?, 'manual', ?, ?)"
        )
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, connect_timeout=10) as c:  # one transaction
                c.execute("DELETE FROM users WHERE email_normalized = %s", (email.lower(),))
                org = c.execute("SELECT org_id FROM org_domains WHERE domain = %s", (domain,)).fetchone()
                if org is None:
                    raise RuntimeError(f"no organization verified the domain of {email}")
                return c.execute(
                    insert.replace("?", "%s") + " RETURNING id",
                    (org[0], email, email.lower(), given, family, f"{given} {family}",
                     1 if active else 0, now, now),
                ).fetchone()[0]
        c = sqlite3.connect(self.db_path, timeout=10)
        try:
            with c:
                c.execute("DELETE FROM users WHERE email_normalized = ?", (email.lower(),))
                org = c.execute("SELECT org_id FROM org_domains WHERE domain = ?", (domain,)).fetchone()
                if org is None:
                    raise RuntimeError(f"no organization verified the domain of {email}")
                cur = c.execute(
                    insert,
                    (org[0], email, email.lower(), given, family, f"{given} {family}",
                     1 if active else 0, now, now),
                )
                return cur.lastrowid
        finally:
            c.close()

    # -- process ------------------------------------------------------------------------------

    def restart(self) -> float:
        """Stops the demo and starts it again with the same command and environment (a new
        process reads every IdP's metadata afresh at start). Returns the seconds it took."""
        t0 = time.monotonic()
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            pid = None
        if pid:
            try:
                os.killpg(pid, signal.SIGTERM)
                for _ in range(100):
                    os.killpg(pid, 0)
                    time.sleep(0.1)
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        with open(self.log, "ab") as log:
            p = subprocess.Popen(
                self.cmd, env={**os.environ, **self.proc_env}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.pidfile.write_text(str(p.pid))
        self.wait_ready(60)
        return time.monotonic() - t0


def _strip_ansi(s: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", s)

