"""Floods refused, real people let in: against a real server with the default limits.

One client on 127.0.0.1 floods the patient entry of a waiting area with one CSRF token, as the
attack of issue 9 did (1,539 fake patients in 10 s). Then a real patient on 127.0.0.2 (another
address on loopback) enters and takes a place in the queue. The server is our own, started with
the rate limits a deployment gets by default; the e2e session server has them out of the way.
"""

from __future__ import annotations

import http.client
import re
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.e2e import server as live

FLOOD_POSTS = 200
FLOOD_SECONDS = 10.0
DEFAULT_ADDRESS_LIMIT = 30  # RATE_LIMIT_PATIENT_ENTRY_ADDRESS=30/10minutes, the default
REAL_PATIENT = ("Rita", "Realperson")


@pytest.fixture(scope="module")
def server() -> Iterator[live.LiveServer]:
    """The e2e tests' server (uvicorn on 127.0.0.1 only, a temporary database) with the default limits."""
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-flood-"))
    try:
        running = live.start(tmp_dir, default_limits=True)
        try:
            yield running
        finally:
            running.stop()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


class Browser:
    """A plain HTTP/1.1 client bound to one source address, keeping only the cookies it is told to."""

    def __init__(self, server: live.LiveServer, source: str) -> None:
        parsed = urllib.parse.urlsplit(server.url)
        assert parsed.hostname and parsed.port
        self.connection = http.client.HTTPConnection(
            parsed.hostname, parsed.port, timeout=10, source_address=(source, 0)
        )
        self.cookies: dict[str, str] = {}
        self.extra_headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.update(self.extra_headers)
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        answer_headers = {name.lower(): value for name, value in response.getheaders() if name.lower() != "set-cookie"}
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return response.status, answer_headers, text

    def entry_form(self, path: str, first: str, last: str) -> str:
        status, _headers, page = self.request("GET", path)
        assert status == 200, page[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, page[:500]
        fields = {
            "csrfmiddlewaretoken": token.group(1),
            "first_name": first,
            "last_name": last,
            "phone": "070-123 45 67",
            "accept_terms": "on",
        }
        return urllib.parse.urlencode(fields)

    def close(self) -> None:
        self.connection.close()


def queue_names(server: live.LiveServer, slug: str) -> list[str]:
    """Who is in the clinic's queue, read from the server's own database."""
    code = (
        "import json; from consulta.consultations.models import Consultation; "
        f"rows = Consultation.objects.filter(clinic__slug={slug!r}); "
        "print(json.dumps([c.first_name + ' ' + c.last_name for c in rows]))"
    )
    names: list[str] = server.python(code)
    return names


def test_a_flood_from_one_address_does_not_keep_a_patient_from_another_address_out(server: live.LiveServer) -> None:
    clinic = next(c for c in server.demo["clinics"] if c["slug"] == "northside")
    path = urllib.parse.urlsplit(clinic["waiting_area_url"]).path

    # The flood: one CSRF token, POST after POST, no session kept (each would be a new patient).
    flooder = Browser(server, "127.0.0.1")
    body = flooder.entry_form(path, "Fake", "Patient")
    flooder.cookies = {"csrftoken": flooder.cookies["csrftoken"]}
    statuses: list[int] = []
    refusal = ""
    retry_after = ""
    deadline = time.monotonic() + FLOOD_SECONDS
    hard_deadline = time.monotonic() + 6 * FLOOD_SECONDS
    try:
        # Bounded: 200 POSTs, or 10 s once refusals have begun (60 s at most on a slow machine).
        while len(statuses) < FLOOD_POSTS and time.monotonic() < (deadline if refusal else hard_deadline):
            # A new forged address every time: believed by nobody, as 127.0.0.1 is no trusted proxy.
            flooder.extra_headers = {"X-Forwarded-For": f"203.0.113.{len(statuses) % 250 + 1}"}
            status, headers, page = flooder.request("POST", path, body)
            flooder.cookies = {"csrftoken": flooder.cookies["csrftoken"]}  # never the new session
            statuses.append(status)
            if status == 429 and not refusal:
                refusal, retry_after = page, headers.get("retry-after", "")
    finally:
        flooder.close()

    admitted = statuses.count(302)
    assert statuses.count(429) > 0, statuses
    assert set(statuses) <= {302, 429}, statuses
    assert admitted <= DEFAULT_ADDRESS_LIMIT, statuses
    assert statuses[:admitted] == [302] * admitted  # the first ones in, every later one refused
    assert "Too many attempts. Please try again in 10 minutes." in refusal
    assert 'value="Fake"' in refusal and 'value="Patient"' in refusal  # nothing typed is lost
    assert 0 < int(retry_after) <= 600

    # A real patient from another address gets in at once, and is in the queue.
    patient = Browser(server, "127.0.0.2")
    try:
        status, headers, page = patient.request("POST", path, patient.entry_form(path, *REAL_PATIENT))
        assert status == 302, page[:2000]
        space = urllib.parse.urlsplit(headers["location"]).path
        assert re.fullmatch(r"/consultation/[\w-]+/", space), space
        status, _headers, page = patient.request("GET", space)
        assert status == 200
        assert f"/ws/patient{space.removeprefix('/consultation')}" in page
    finally:
        patient.close()

    names = queue_names(server, "northside")
    assert " ".join(REAL_PATIENT) in names
    assert names.count("Fake Patient") == admitted  # far fewer than the flood's 200
    assert "Traceback" not in server.log_text()
