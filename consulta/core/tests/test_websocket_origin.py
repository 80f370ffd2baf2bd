"""WebSockets open only from this site's own pages: scheme, host and port of the Origin all count."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from pytest_django import Settings

from consulta.asgi import application
from consulta.core.origin import origin_allowed, parse_origin

PATH = "/ws/ping/"  # public: what the origin check decides is all that decides


@pytest.fixture(autouse=True)
def _elsewhere(settings: Settings) -> None:
    # BASE_URL and CSRF_TRUSTED_ORIGINS point elsewhere, so the socket's own address is what is tested.
    settings.BASE_URL = "https://video.example.org"
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "video.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = None


def _scope(origin: str | None, host: str = "127.0.0.1:8000", scheme: str = "ws", **headers: str) -> dict[str, Any]:
    pairs = [(b"host", host.encode())] if host else []
    if origin is not None:
        pairs.append((b"origin", origin.encode()))
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


async def _opens(headers: list[tuple[bytes, bytes]]) -> bool:
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _code = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


# The auth middleware behind the check reads the session store: a real database.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("origin", "opens"),
    [
        ("http://127.0.0.1:8000", True),  # the page's own origin
        ("https://127.0.0.1:8000", False),  # another scheme: Channels' validator let it through
        ("http://127.0.0.1:9999", False),  # another port on the same host: so did it
        ("http://evil.example", False),
        ("http://127.0.0.1", False),  # port 80, not 8000
        ("null", False),  # a sandboxed frame or a file:// page
        (None, False),  # no Origin at all: no browser's page
    ],
)
async def test_only_the_sites_own_origin_opens_a_socket(origin: str | None, opens: bool) -> None:
    headers = [(b"host", b"127.0.0.1:8000")]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    assert await _opens(headers) is opens


@pytest.mark.django_db(transaction=True)
async def test_the_configured_base_url_opens_a_socket_whatever_the_host_header() -> None:
    assert await _opens([(b"host", b"127.0.0.1:8000"), (b"origin", b"https://video.example.org")])
    assert not await _opens([(b"host", b"127.0.0.1:8000"), (b"origin", b"http://video.example.org")])
    assert not await _opens([(b"host", b"127.0.0.1:8000"), (b"origin", b"https://video.example.org:8443")])


def test_the_scheme_comes_from_the_connection() -> None:
    # A wss:// connection (TLS at uvicorn, or uvicorn's --proxy-headers) is an https page's.
    assert origin_allowed(_scope("https://127.0.0.1:8000", scheme="wss"))
    assert not origin_allowed(_scope("http://127.0.0.1:8000", scheme="wss"))
    assert origin_allowed(_scope("http://127.0.0.1:8000", scheme="ws"))


def test_x_forwarded_proto_counts_only_behind_a_tls_proxy(settings: Settings) -> None:
    https_page = _scope("https://127.0.0.1:8000", x_forwarded_proto="https")
    http_page = _scope("http://127.0.0.1:8000", x_forwarded_proto="https")
    # Not behind a proxy: anyone can send the header; the connection's own scheme counts.
    assert not origin_allowed(https_page)
    assert origin_allowed(http_page)

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # BEHIND_TLS_PROXY=true
    assert origin_allowed(https_page)
    assert not origin_allowed(http_page)
    assert origin_allowed(_scope("http://127.0.0.1:8000", x_forwarded_proto="http"))


def test_a_host_header_outside_allowed_hosts_lends_no_origin() -> None:
    # DNS rebinding: evil.example resolves to this server, Host and Origin agree, yet it is not us.
    assert not origin_allowed(_scope("http://evil.example:8000", host="evil.example:8000"))
    assert not origin_allowed(_scope("http://127.0.0.1:8000", host=""))


def test_csrf_trusted_origins_count_with_their_subdomain_wildcards(settings: Settings) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://video.example.com", "https://*.clinics.example.net"]
    assert origin_allowed(_scope("https://video.example.com"))
    assert origin_allowed(_scope("https://north.clinics.example.net"))
    assert not origin_allowed(_scope("https://clinics.example.net"))
    assert not origin_allowed(_scope("https://evilclinics.example.net"))
    assert not origin_allowed(_scope("http://north.clinics.example.net"))


def test_two_origin_headers_are_refused() -> None:
    scope = _scope("http://127.0.0.1:8000")
    scope["headers"].append((b"origin", b"http://127.0.0.1:8000"))
    assert not origin_allowed(scope)


def test_parse_origin_fills_in_default_ports_and_refuses_what_is_no_web_origin() -> None:
    assert parse_origin("https://Video.Example.org") == ("https", "video.example.org", 443)
    assert parse_origin("http://[::1]:8000") == ("http", "::1", 8000)
    assert parse_origin("http://127.0.0.1:8000/some/page/") == ("http", "127.0.0.1", 8000)
    for value in ("null", "", "ftp://example.org", "http://", "http://127.0.0.1:99999", "http://h:port"):
        assert parse_origin(value) is None, value
