"""Bearer tokens out of the logs: paths with a token logged as `/consultation/[redacted]/`.

A patient's consultation, a guest link, a room, a call invitation, an e-mailed
invitation and a password reset are each opened by a secret in the URL's path; the
one-click link carries one in its query string. Whoever reads the access log could open
them. uvicorn logs every request's path and query on `uvicorn.access` and every
WebSocket's on `uvicorn.error`; Django logs a 404's path on `django.request`.

`RedactTokens` rewrites those records before any handler formats them:

- each path segment that a URL pattern captures as a token becomes `[redacted]`. The
  patterns come from the project's own URLconf and WebSocket routes: every captured
  parameter except ids (`<int:…>`) and slugs (`<slug:…>`), such as `<str:token>`,
  `<uidb64>`, `<path:…>`. A new route with a token is covered without touching this file;
- query strings are dropped (`/wait/northside/?p=…` is logged as `/wait/northside/`);
- an exception's traceback, when the record has one, gets the same treatment.

It is attached to the logger objects (uvicorn configures its own loggers before the
application is imported, so settings.LOGGING cannot reach them) by `install()`, which
`CoreConfig.ready()` calls when Django starts.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

REDACTED = "[redacted]"

# Loggers that write request paths: uvicorn's access log and its WebSocket lines, Django's
# 4xx/5xx lines, runserver's and daphne's access logs.
LOGGERS = ("uvicorn.access", "uvicorn.error", "django.request", "django.server", "django.channels.server")

# Captured URL parameters that are no secret: database ids and public slugs.
_PUBLIC_CONVERTERS = ("IntConverter", "SlugConverter")
# A path segment as it appears in a log line: up to the next slash, query, quote or space.
_SEGMENT = r"[^/?#\s\"']+"
# A query string after a path: from "?" to the next space or quote.
_QUERY = re.compile(r"(/[^\s\"'?#]*)\?[^\s\"'#]*")


def _route_parts(patterns: Iterable[Any], prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Each route as a tuple of parts: literal text, or (converter, name) for a captured parameter."""
    from django.urls.resolvers import RoutePattern, URLResolver

    for entry in patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern):
            continue  # re_path(): none of ours carries a token (Django admin's catch-alls)
        parts = list(prefix)
        converters = pattern.converters
        for piece in re.split(r"(<[^>]+>)", str(pattern)):  # str(): the route as written
            if piece.startswith("<") and piece.endswith(">"):
                name = piece[1:-1].split(":")[-1]
                parts.append((converters[name], name))
            elif piece:
                parts.append(piece)
        if isinstance(entry, URLResolver):
            yield from _route_parts(entry.url_patterns, tuple(parts))
        else:
            yield tuple(parts)


def token_regex(parts: Sequence[Any]) -> str | None:
    """A regex finding the route's path in text, its token segments as groups; None without a token."""
    pieces = ["/"]
    last_secret = None
    for part in parts:
        if isinstance(part, str):
            pieces.append(re.escape(part))
            continue
        converter, _name = part
        if type(converter).__name__ in _PUBLIC_CONVERTERS:
            pieces.append(f"(?:{converter.regex})")
        else:
            pieces.append(f"({_SEGMENT})")
            last_secret = len(pieces)
    if last_secret is None:
        return None
    # Up to the last token only: what follows it (or a missing trailing slash) does not matter.
    # Anywhere in the text, also inside a full URL: redacting too much costs nothing.
    return "".join(pieces[:last_secret])


def project_token_regexes() -> list[str]:
    """One regex per route of the project (HTTP and WebSocket) that carries a token."""
    from django.urls import get_resolver

    from consulta.routing import websocket_urlpatterns

    routes = [*_route_parts(get_resolver().url_patterns), *_route_parts(websocket_urlpatterns)]
    regexes = {regex for regex in (token_regex(parts) for parts in routes) if regex is not None}
    # The most specific first: /accounts/password-reset/<uidb64>/<token>/ before anything shorter.
    return sorted(regexes, key=lambda regex: (-len(regex), regex))


class Redactor:
    """Replaces token segments and drops query strings in text."""

    def __init__(self, regexes: Iterable[str]) -> None:
        self.patterns = [re.compile(regex) for regex in regexes]

    @staticmethod
    def _blank_groups(match: re.Match[str]) -> str:
        text, start = match.group(0), match.start(0)
        out, position = [], 0
        for index in range(1, (match.re.groups or 0) + 1):
            if match.group(index) is None:
                continue
            group_start, group_end = match.span(index)
            out += [text[position : group_start - start], REDACTED]
            position = group_end - start
        out.append(text[position:])
        return "".join(out)

    def __call__(self, text: str) -> str:
        if "/" not in text:
            return text
        text = _QUERY.sub(r"\1", text)
        for pattern in self.patterns:
            text = pattern.sub(self._blank_groups, text)
        return text


_redactor: Redactor | None = None
_redactor_lock = threading.Lock()


def redactor() -> Redactor:
    """The project's redactor, built from the URL patterns on first use (they need the apps loaded)."""
    global _redactor
    if _redactor is None:
        with _redactor_lock:
            if _redactor is None:
                _redactor = Redactor(project_token_regexes())
    return _redactor


def redact(text: str) -> str:
    return redactor()(text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts a record's arguments (or its message, without arguments) and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_text = redactor()
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(redact_text(arg) if isinstance(arg, str) else arg for arg in args)
        elif isinstance(args, Mapping):
            record.args = {key: redact_text(value) if isinstance(value, str) else value for key, value in args.items()}
        if not args and isinstance(record.msg, str):
            # Without arguments the message is the text itself; with them it is a format string.
            record.msg = redact_text(record.msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        return True


def install(names: Iterable[str] = LOGGERS) -> None:
    """Attach the filter to each named logger once (idempotent: ready() may run more than once in tests)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactTokens) for existing in logger.filters):
            logger.addFilter(RedactTokens())
