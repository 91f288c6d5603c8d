"""A cookie-keeping HTTP client that walks SAML flows the way a browser does: it follows
redirects, keeps cookies per host, and "auto-submits" the HTML forms that carry SAMLRequest /
SAMLResponse (the HTTP-POST binding's auto-submitting page) when asked to.

Keycloak quirks handled here (see testdata/keycloak/README.md):
- on 127.0.0.1 over plain HTTP Keycloak marks its cookies `Secure` (loopback counts as a secure
  context for browsers); Python's cookie policy would never send them back over http://;
- its Set-Cookie headers carry `Version=1`, which would make http.cookiejar answer in RFC 2965
  form (`$Version=1; ...`) that Keycloak ignores.
Both are solved by storing every cookie as a plain, non-Secure Netscape cookie. This client only
ever talks to loopback, so dropping `Secure` changes nothing that matters here.
"""

from __future__ import annotations

import dataclasses
import html.parser
import urllib.parse

import requests
from requests.cookies import RequestsCookieJar


class LoopbackCookieJar(RequestsCookieJar):
    def make_cookies(self, response, request):  # noqa: D102 (http.cookiejar API)
        cookies = super().make_cookies(response, request)
        for c in cookies:
            c.version = 0
            c.secure = False
        return cookies


@dataclasses.dataclass
class Form:
    attrs: dict
    fields: list  # [(name, value)] of <input>s with a name, in document order

    @property
    def action(self) -> str | None:
        return self.attrs.get("action")

    def get(self, name: str) -> str | None:
        for k, v in self.fields:
            if k == name:
                return v
        return None


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._current = Form(attrs=a, fields=[])
            self.forms.append(self._current)
        elif tag in ("input", "button") and self._current is not None and a.get("name"):
            if tag == "input" or a.get("type", "submit") == "submit":
                self._current.fields.append((a["name"], a.get("value", "")))
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@dataclasses.dataclass
class Page:
    url: str
    status: int
    text: str
    headers: dict  # case-insensitive (requests.structures.CaseInsensitiveDict)
    history: list  # [(method, url, status)]

    def forms(self) -> list[Form]:
        p = _FormParser()
        p.feed(self.text)
        return p.forms

    def title(self) -> str:
        p = _FormParser()
        p.feed(self.text)
        return p.title.strip()

    def form(self, *, id: str | None = None, name: str | None = None, has: str | None = None) -> Form | None:
        """The first form with that id / name / input field name."""
        for f in self.forms():
            if id is not None and f.attrs.get("id") != id:
                continue
            if name is not None and f.attrs.get("name") != name:
                continue
            if has is not None and f.get(has) is None:
                continue
            return f
        return None

    def absolute(self, url: str) -> str:
        return urllib.parse.urljoin(self.url, url)

    def refresh_target(self) -> str | None:
        """Where the page's `Refresh: 0;url=...` header sends a browser once loaded (the SP's
        sign-out uses it instead of a 302, which the page's CSP form-action would stop)."""
        value = self.headers.get("Refresh") if self.headers else None
        if not value:
            return None
        _, sep, url = value.partition(";url=")
        return self.absolute(url) if sep else None

    def visible_text(self) -> str:
        """The text a person would read (tags removed, whitespace collapsed)."""

        class T(html.parser.HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.parts = []
                self.skip = 0

            def handle_starttag(self, tag, attrs):
                if tag in ("script", "style", "title"):
                    self.skip += 1

            def handle_endtag(self, tag):
                if tag in ("script", "style", "title") and self.skip:
                    self.skip -= 1

            def handle_data(self, data):
                if not self.skip:
                    self.parts.append(data)

        t = T()
        t.feed(self.text)
        return " ".join(" ".join(t.parts).split())


class Browser:
    """One user agent: a cookie jar plus redirect following."""

    def __init__(self, user_agent: str = "samlsp-conformance/1 (like a browser)"):
        self.http = requests.Session()
        self.http.cookies = LoopbackCookieJar()
        self.http.headers["User-Agent"] = user_agent
        self.http.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"

    def request(self, method: str, url: str, data=None, follow: bool = True, max_hops: int = 15) -> Page:
        history = []
        for _ in range(max_hops + 1):
            r = self.http.request(method, url, data=data, allow_redirects=False, timeout=60)
            history.append((method, url, r.status_code))
            loc = r.headers.get("Location")
            if follow and r.status_code in (301, 302, 303, 307, 308) and loc:
                url = urllib.parse.urljoin(url, loc)
                if r.status_code in (301, 302, 303):
                    method, data = "GET", None
                continue
            return Page(url=url, status=r.status_code, text=r.text, headers=r.headers, history=history)
        raise RuntimeError(f"more than {max_hops} redirects from {history[0][1]}")

    def get(self, url: str, follow: bool = True) -> Page:
        return self.request("GET", url, follow=follow)

    def post(self, url: str, data, follow: bool = True) -> Page:
        return self.request("POST", url, data=data, follow=follow)

    def submit(self, page: Page, form: Form, extra: dict | None = None, follow: bool = True) -> Page:
        """Submits a form as a browser would (its inputs, plus/overridden by `extra`)."""
        fields = [(k, v) for k, v in form.fields if not (extra and k in extra)]
        if extra:
            fields += list(extra.items())
        method = form.attrs.get("method", "get").upper()
        action = page.absolute(form.action or page.url)
        if method == "POST":
            return self.post(action, fields, follow=follow)
        sep = "&" if "?" in action else "?"
        return self.get(action + sep + urllib.parse.urlencode(fields), follow=follow)

