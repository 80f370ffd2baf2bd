"""The address of the client behind a request or a WebSocket connection.

X-Forwarded-For is anyone's to write, so it is believed only when the direct peer is one of
the proxies listed in `settings.TRUSTED_PROXIES` (IPs or CIDRs; nginx on the same host is
127.0.0.1). Then the client is the right-most address of the header that is not itself a
trusted proxy: each proxy appends the peer it saw, so everything left of that was written by
the client and may be forged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    address = address.strip()
    if address.startswith("[") and "]" in address:  # "[2001:db8::1]:443"
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:  # "192.0.2.1:443"
        address = address.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return parsed.ipv4_mapped
    return parsed


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Iterable[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def resolve(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address, given the direct peer and the X-Forwarded-For header (if any)."""
    direct = _parse(peer or "")
    if direct is None:
        return UNKNOWN
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not forwarded_for or not _trusted(direct, networks):
        return str(direct)
    for hop in reversed(forwarded_for.split(",")):
        address = _parse(hop)
        if address is None:
            break  # garbage written by someone: the last good hop is the best we know
        direct = address
        if not _trusted(address, networks):
            return str(address)
    return str(direct)


def _scope_header(scope: Mapping[str, Any], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope.get("headers", ()) if key.lower() == name]
    return ",".join(values) if values else None


def client_address(request_or_scope: HttpRequest | Mapping[str, Any]) -> str:
    """The client's address for a Django request or an ASGI (HTTP or WebSocket) scope."""
    if isinstance(request_or_scope, Mapping):
        client = request_or_scope.get("client")
        peer = str(client[0]) if client else None
        return resolve(peer, _scope_header(request_or_scope, b"x-forwarded-for"))
    meta = request_or_scope.META
    return resolve(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))
