"""The real server as `make run` starts it (tests/e2e/server.py: uvicorn, a fresh database, its own log).

What only a real uvicorn shows: the frame limit it enforces before the application sees a
frame, what its access log writes, and the headers of the whole stack (WhiteNoise included).
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from consulta.calls.messages import MAX_FRAME_BYTES
from consulta.testing import wait_until
from tests.e2e import server as live


@pytest.fixture(scope="module")
def server() -> Iterator[live.LiveServer]:
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-live-"))
    try:
        started = live.start(tmp_dir)
        try:
            yield started
        finally:
            started.stop()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def _socket(server: live.LiveServer, path: str, cookie: str | None = None) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    url = server.url.replace("http://", "ws://") + path
    # The client's own limit is far above the server's: the server is what must refuse.
    return connect(url, origin=Origin(server.url), additional_headers=headers, open_timeout=10, max_size=2**24)


def _ping(server: live.LiveServer) -> None:
    with _socket(server, "/ws/ping/") as socket:
        socket.send('{"type": "ping"}')
        assert json.loads(socket.recv(timeout=10)) == {"type": "pong"}


def _health(server: live.LiveServer) -> int:
    with urllib.request.urlopen(f"{server.url}/health/", timeout=10) as response:  # noqa: S310 - 127.0.0.1
        return int(response.status)


def test_the_server_limit_matches_the_applications() -> None:
    assert live.WS_MAX_SIZE == MAX_FRAME_BYTES


def test_a_one_mebibyte_frame_is_refused_by_the_server_before_the_application_sees_it(
    server: live.LiveServer,
) -> None:
    with _socket(server, "/ws/ping/") as socket:
        socket.send("x" * (1024 * 1024))
        # The application would answer a frame it saw with an error frame ("too_large" or
        # "bad_message"); the server closes with 1009, "message too big", instead.
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    # A frame just under the limit is the application's to judge (an error frame, or a close of its
    # own): the server's limit is not below the application's.
    with _socket(server, "/ws/ping/") as socket:
        socket.send("x" * (MAX_FRAME_BYTES - 1))
        try:
            socket.recv(timeout=10)
        except ConnectionClosed as error:
            assert error.rcvd is not None and error.rcvd.code != 1009
    # And the server goes on serving.
    _ping(server)
    assert _health(server) == 200


def _enter_as_a_patient(server: live.LiveServer) -> tuple[str, str]:
    """GET and POST the demo clinic's entry form over HTTP; the consultation's token and the session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    entry_url = f"{server.url}/wait/northside/?p={secrets.token_urlsafe(16)}"
    with opener.open(entry_url, timeout=10) as response:
        page = response.read().decode()
        assert "no-store" in response.headers["Cache-Control"]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    form = {
        "csrfmiddlewaretoken": csrf.group(1),
        "first_name": "Logan",
        "last_name": "Leakless",
        "phone": "070-123 45 67",
        "accept_terms": "on",
    }
    data = urllib.parse.urlencode(form).encode()
    with opener.open(urllib.request.Request(entry_url, data=data), timeout=10) as response:  # noqa: S310
        landed = response.geturl()
        assert "no-store" in response.headers["Cache-Control"]
    match = re.search(r"/consultation/([^/]+)/$", landed)
    assert match is not None, landed
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return match.group(1), cookie


def test_the_access_log_keeps_no_token_and_no_query_string(server: live.LiveServer) -> None:
    token, cookie = _enter_as_a_patient(server)
    with _socket(server, f"/ws/patient/{token}/", cookie) as socket:
        socket.recv(timeout=10)  # the patient's first status: the socket was accepted
    unknown = secrets.token_urlsafe(32)
    with pytest.raises(urllib.error.HTTPError) as gone:  # Django logs a 404's path on django.request
        urllib.request.urlopen(f"{server.url}/consultation/{unknown}/", timeout=10)  # noqa: S310 - 127.0.0.1
    assert gone.value.code == 404

    wait_until(lambda: "/ws/patient/[redacted]/" in server.log_text(), 10, server.log_text)
    log = server.log_text()
    assert "/consultation/[redacted]/" in log, log
    assert "GET /wait/northside/ HTTP/1.1" in log, log
    for secret in (token, unknown, "?p="):
        assert secret not in log, f"{secret!r} is in the server log"


def test_pages_are_not_stored_and_static_files_are_cached(server: live.LiveServer) -> None:
    with urllib.request.urlopen(f"{server.url}/wait/northside/", timeout=10) as response:  # noqa: S310 - 127.0.0.1
        page = response.read().decode()
        headers = response.headers
    assert "no-store" in headers["Cache-Control"]
    assert "camera=(self)" in headers["Permissions-Policy"]
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
    assert stylesheet is not None
    with urllib.request.urlopen(server.url + stylesheet.group(1), timeout=10) as response:  # noqa: S310 - 127.0.0.1
        cache_control = response.headers["Cache-Control"]
    assert "no-store" not in cache_control
    assert "max-age" in cache_control
