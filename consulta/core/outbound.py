"""Requests the server makes to addresses its users give (webhooks): the guard against SSRF.

An organisation admin types a URL and the worker posts to it. Without a guard that URL could be
http://169.254.169.254/ (a cloud's metadata service, with its credentials), http://127.0.0.1:6379/
(the Redis next door) or any host of the private network the server sits in. So:

- at save time (`check_url`): https only (http only where the caller allows it), no user name or
  password in the URL, a host; a host that is an IP address is checked as below at once;
- at delivery time (`post`): the host is resolved (`socket.getaddrinfo`) and the request is
  refused when ANY of its addresses is loopback, private, link-local, multicast, reserved,
  unspecified, shared (CGNAT, 100.64.0.0/10), otherwise not global, or an IPv4-mapped IPv6
  address of one of those, unless it lies in one of the `allowed` networks (a setting:
  WEBHOOK_ALLOWED_NETWORKS). The connection then goes to THAT checked address, never through
  a second lookup (a DNS name that answers a public address to the check and 127.0.0.1 to the
  connection: DNS rebinding). TLS still checks the certificate against the host's name.
  Redirects are not followed (a public host could redirect to a private one).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import urllib3
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
# What an answer's body we read at most: only its status matters.
MAX_ANSWER_BYTES = 4096


class BadURL(ValueError):
    """A URL refused at save time; the message is for the person who typed it."""


class Refused(Exception):
    """A request refused before it was made (the address is not one we post to)."""


@dataclass(frozen=True)
class Answer:
    status: int
    duration_ms: int


def networks(cidrs: Iterable[str]) -> list[IPNetwork]:
    """The allowed networks of a setting ("127.0.0.1/32", "10.1.0.0/16", ...)."""
    return [ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip()]


def refusal(address: IPAddress, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Why we post nothing to this address (a phrase: "a private address"), or None."""
    allowed = list(allowed)
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    if any(address in network or (mapped is not None and mapped in network) for network in allowed):
        return None
    checked = mapped or address
    reasons = (
        (checked.is_unspecified, _("an unspecified address")),
        (checked.is_loopback, _("a loopback address")),
        (checked.is_link_local, _("a link-local address")),
        (checked.is_multicast, _("a multicast address")),
        (checked.version == 4 and checked in SHARED_ADDRESS_SPACE, _("a shared (carrier-grade NAT) address")),
        (checked.is_reserved, _("a reserved address")),
        (checked.is_private, _("a private address")),
        (not checked.is_global, _("not a public address")),
    )
    return next((reason for refused, reason in reasons if refused), None)


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, *, allow_http: bool, allowed: Iterable[IPNetwork] = (), literal: bool = True) -> SplitResult:
    """The URL taken apart, or BadURL saying what is wrong with it (`literal`: check a host that
    is an IP address here too; a delivery leaves that to `resolve`)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise BadURL(_("Enter a valid URL.")) from error
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise BadURL(_("The URL must start with https://.") if not allow_http else _("Enter an http or https URL."))
    if parts.username is not None or parts.password is not None:
        raise BadURL(_("Leave the user name and password out of the URL: the signature proves who sends."))
    if not parts.hostname:
        raise BadURL(_("Enter a valid URL."))
    if port == 0:
        raise BadURL(_("Enter a valid URL."))
    address = _literal_address(parts.hostname) if literal else None
    if address is not None and (reason := refusal(address, allowed)):
        raise BadURL(_("We do not post to %(address)s: it is %(reason)s.") % {"address": address, "reason": reason})
    return parts


def resolve(host: str, port: int, allowed: Iterable[IPNetwork] = ()) -> str:
    """The address to connect to: every address the host resolves to must pass, else Refused."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        # Not the name itself: the delivery log is shown, and logged, without the URL's parts.
        raise Refused("cannot resolve the host name") from error
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise Refused("cannot resolve the host name")
    for address in addresses:
        if reason := refusal(address, allowed):
            raise Refused(f"refused: {address} is {reason}")
    return str(addresses[0])


def _pool(parts: SplitResult, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    host, port = str(parts.hostname), parts.port
    settings = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if parts.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            port or 443,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            **settings,  # type: ignore[arg-type]
        )
    return urllib3.HTTPConnectionPool(address, port or 80, **settings)  # type: ignore[arg-type]


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    allow_http: bool,
    allowed: Iterable[IPNetwork] = (),
) -> Answer:
    """POST `body` to `url` through the guard; the answer's status. Raises BadURL or Refused
    (nothing was sent), or urllib3's HTTPError (a connection that failed or timed out)."""
    allowed = list(allowed)
    parts = check_url(url, allow_http=allow_http, allowed=allowed, literal=False)
    default_port = 443 if parts.scheme == "https" else 80
    address = resolve(str(parts.hostname), parts.port or default_port, allowed)
    host_header = parts.netloc.rpartition("@")[2]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    with _pool(parts, address, timeout) as pool:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            response.read(MAX_ANSWER_BYTES)
        finally:
            response.release_conn()
    return Answer(status=response.status, duration_ms=round((time.monotonic() - started) * 1000))
