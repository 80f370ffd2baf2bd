"""Who may open a WebSocket: pages of this site only, by scheme, host and port.

A browser lets any page open a WebSocket to any address, with the user's cookies, and
says where the page came from in the `Origin` header. Channels' own
`AllowedHostsOriginValidator` compares that header's host with ALLOWED_HOSTS only: a
page served over plain http, or from another port of the same host (another service on
the machine, a forgotten test server), passed as if it were this site. Here the whole
origin must be one of the site's own:

- the origin of `BASE_URL` (the address the site gives out in links and e-mails);
- each of `CSRF_TRUSTED_ORIGINS` (the same list Django trusts for forms; a
  `https://*.example.org` entry stands for the subdomains of example.org, as there);
- the address the socket itself was opened on: its `Host` header (which must be one of
  ALLOWED_HOSTS, so that a DNS-rebinding name does not pass) with the scheme the
  connection came in on (ws → http, wss → https; behind a TLS proxy the proxy's
  `X-Forwarded-Proto`, but only when SECURE_PROXY_SSL_HEADER says to trust it, that is
  when BEHIND_TLS_PROXY is on). This is what lets the demo and the tests run on any
  address and port without configuration.

A socket without an `Origin` header (or with more than one, or with "null") is refused:
every browser sends it, and a client that does not is no page of this site. Refused
sockets get the HTTP 403 answer of Channels' `WebsocketDenier`, before any consumer runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Origin = tuple[str, str, int]  # scheme, host (lower case, IPv6 without brackets), port

DEFAULT_PORTS = {"http": 80, "https": 443}
# The page scheme a socket's own scheme stands for.
SOCKET_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def parse_origin(value: str) -> Origin | None:
    """`scheme://host[:port]` as (scheme, host, port), the port filled in; None when it is no web origin.

    A path after the origin is ignored (browsers send none; some clients send a page's URL).
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:  # a port out of range or not a number, a broken IPv6 literal
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in DEFAULT_PORTS or not host:
        return None
    return scheme, host, DEFAULT_PORTS[scheme] if port is None else port


def _header(scope: dict[str, Any], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]


def _matches(origin: Origin, pattern: Origin) -> bool:
    scheme, host, port = pattern
    if scheme != origin[0] or port != origin[2]:
        return False
    if host.startswith("*."):  # CSRF_TRUSTED_ORIGINS' wildcard: any subdomain, not the domain itself
        return origin[1].endswith(host[1:])
    return host == origin[1]


def configured_origins() -> list[Origin]:
    """BASE_URL's origin and CSRF_TRUSTED_ORIGINS, as configured (read on each call: settings may change in tests)."""
    origins = [parse_origin(value) for value in [settings.BASE_URL, *settings.CSRF_TRUSTED_ORIGINS]]
    return [origin for origin in origins if origin is not None]


def _allowed_hosts() -> list[str]:
    # As Django's HttpRequest.get_host(): DEBUG with no ALLOWED_HOSTS means the local names.
    allowed = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return allowed


def connection_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin of the address this socket was opened on, or None when its Host is not one of ours."""
    hosts = _header(scope, b"host")
    if len(hosts) != 1:
        return None
    domain, _port = split_domain_port(hosts[0])
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    scheme = SOCKET_SCHEMES.get(str(scope.get("scheme") or "ws").lower())
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        # As Django's HttpRequest.scheme: the proxy's header, when present, decides.
        name, secure_value = proxy_header
        header_name = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = _header(scope, header_name)
        if forwarded:
            scheme = "https" if forwarded[0].split(",", 1)[0].strip() == secure_value else "http"
    if scheme is None:
        return None
    return parse_origin(f"{scheme}://{hosts[0]}")


def origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the socket's Origin header is exactly one of this site's origins."""
    values = _header(scope, b"origin")
    if len(values) != 1:
        return False
    origin = parse_origin(values[0])
    if origin is None:
        return False
    own = connection_origin(scope)
    candidates = configured_origins() + ([own] if own is not None else [])
    return any(_matches(origin, pattern) for pattern in candidates)


class SameOriginValidator:
    """ASGI middleware for the WebSocket stack: refuse (403) a socket whose origin is not this site's."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator serves WebSocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        denier = WebsocketDenier()
        return await denier(scope, receive, send)
