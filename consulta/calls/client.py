"""Which browser and system a participant's socket came from, read from its User-Agent header.

Only the family, major version and system family are kept (ua_parser): "Chrome", "156",
"Android". Never the raw header, which can narrow a person down far more than that. Chromium run
headless calls itself "HeadlessChrome": it is Chrome to everyone who reads a report.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ua_parser import parse

from consulta.calls.messages import Client

MAX_FIELD = 40
# Families ua_parser names that are, for people reading the call's panel or a report, plain Chrome.
_SAME_AS = {"HeadlessChrome": "Chrome", "Chromium": "Chrome"}


def client_of(user_agent: str) -> Client:
    """The browser family, its major version and the system family ("" for what is not known)."""
    if not user_agent:
        return Client()
    found = parse(user_agent[:1000])
    agent, system = found.user_agent, found.os
    family = agent.family if agent and agent.family != "Other" else ""
    return Client(
        browser=_SAME_AS.get(family, family)[:MAX_FIELD],
        browser_version=(agent.major or "")[:MAX_FIELD] if agent and family else "",
        os=(system.family if system and system.family != "Other" else "")[:MAX_FIELD],
    )


def client_of_scope(scope: dict[str, Any]) -> Client:
    """The socket's browser, from the User-Agent header of its opening request."""
    for name, value in scope.get("headers", []):
        if name.lower() == b"user-agent":
            return client_of(value.decode("latin-1"))
    return Client()


def described(client: Client) -> str:
    """The browser in words for people: "Chrome 156 on Android" (as the call's participant list)."""
    if not client.browser:
        return _("Browser not known")
    if not client.os:
        return f"{client.browser} {client.browser_version}".strip()
    return _("%(browser)s %(version)s on %(os)s") % {
        "browser": client.browser,
        "version": client.browser_version,
        "os": client.os,
    }
