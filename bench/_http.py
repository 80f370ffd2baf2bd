"""A browser's HTTP, reduced to what the benchmarks need: cookies, Django's CSRF token, forms.

Standard library only (http.client): one person's cookie jar per `HttpSession`.
"""

from __future__ import annotations

import html
import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    sent_at: float  # time.perf_counter() just before the request was written
    answered_at: float  # ... once the whole response was read

    def csrf_token(self) -> str:
        match = _CSRF_INPUT.search(self.body.decode("utf-8", "replace"))
        if match is None:
            raise RuntimeError(f"No CSRF token in the page (status {self.status})")
        return html.unescape(match.group(1))


@dataclass
class HttpSession:
    """One visitor: a keep-alive connection to the server and its cookies."""

    base_url: str
    timeout_s: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    _connection: http.client.HTTPConnection | None = None

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1":
            raise ValueError(f"The benchmarks talk to http://127.0.0.1 only, not {self.base_url}")
        self.host = parts.hostname
        self.port = parts.port or 80

    def _conn(self) -> http.client.HTTPConnection:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "en-US", **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        for attempt in (1, 2):
            connection = self._conn()
            try:
                sent_at = time.perf_counter()
                connection.request(method, path, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
                answered_at = time.perf_counter()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed meanwhile: once more on a new one.
                self.close()
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(response.status, response.headers, data, sent_at, answered_at)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        """POST a form as a browser does, with the page's own address as Referer."""
        body = urllib.parse.urlencode(fields).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{self.host}:{self.port}",
            "Referer": f"http://{self.host}:{self.port}{path}",
        }
        return self.request("POST", path, body=body, headers=headers)


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def log_in(base_url: str, login_url: str, email: str, password: str) -> HttpSession:
    """Log in through the real login form; the session's cookies then hold `sessionid`."""
    session = HttpSession(base_url)
    page = session.get(path_of(login_url))
    answer = session.post_form(
        path_of(login_url),
        {"csrfmiddlewaretoken": page.csrf_token(), "username": email, "password": password, "next": ""},
    )
    if answer.status != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"Logging in as {email} was refused (status {answer.status})")
    return session
