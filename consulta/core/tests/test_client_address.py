"""consulta/core/client.py: X-Forwarded-For is believed only from a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from consulta.core.client import client_address


def request(peer: str, forwarded_for: str | None = None) -> Any:
    extra: dict[str, Any] = {"REMOTE_ADDR": peer}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def scope(peer: str | None, *forwarded_for: str) -> dict[str, Any]:
    return {
        "type": "websocket",
        "client": (peer, 51234) if peer else None,
        "headers": [(b"host", b"example.org"), *((b"x-forwarded-for", value.encode()) for value in forwarded_for)],
    }


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert client_address(scope("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert client_address(request("127.0.0.1", "198.51.100.1")) == "127.0.0.1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address(request("203.0.113.5", "127.0.0.1, 198.51.100.1")) == "203.0.113.5"
    assert client_address(scope("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_the_client_is_the_header_s_last_hop() -> None:
    assert client_address(request("127.0.0.1", "198.51.100.1")) == "198.51.100.1"
    assert client_address(scope("127.0.0.1", "198.51.100.1")) == "198.51.100.1"
    # What the client wrote itself (left) is not believed; nginx appended the real peer (right).
    assert client_address(request("127.0.0.1", "10.9.9.9, 1.2.3.4, 198.51.100.1")) == "198.51.100.1"


@override_settings(TRUSTED_PROXIES=["127.0.0.1", "10.0.0.0/8", "2001:db8::/32"])
def test_a_chain_of_trusted_proxies_is_skipped_from_the_right() -> None:
    assert client_address(request("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.1.2.3, 10.4.5.6")) == "198.51.100.1"
    assert client_address(request("10.0.0.1", "2001:db8::7, 2001:db9::1")) == "2001:db9::1"
    assert client_address(request("2001:db8::1", "198.51.100.2")) == "198.51.100.2"
    # Two X-Forwarded-For headers on a socket count as one list.
    assert client_address(scope("10.0.0.2", "1.1.1.1", "198.51.100.3, 10.0.0.9")) == "198.51.100.3"
    # Every hop a trusted proxy: the farthest one is the best we know.
    assert client_address(request("127.0.0.1", "10.0.0.7, 10.0.0.8")) == "10.0.0.7"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("198.51.100.1:4711", "198.51.100.1"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("  198.51.100.1  ", "198.51.100.1"),
        ("::ffff:198.51.100.9", "198.51.100.9"),
        ("not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_odd_header_values(header: str, expected: str) -> None:
    assert client_address(request("127.0.0.1", header)) == expected


def test_a_peer_that_is_not_an_address() -> None:
    assert client_address(scope(None)) == "unknown"
    assert client_address(request("")) == "unknown"
    assert client_address(scope("::ffff:203.0.113.5")) == "203.0.113.5"
