"""Tokens out of the request logs: every route with a token, as uvicorn and Django log it."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from django.urls import get_resolver

from consulta.core import logging as token_logging
from consulta.core.logging import LOGGERS, RedactTokens, _route_parts, redact
from consulta.routing import websocket_urlpatterns

SECRET = "Zq3-_secretTOKENvalue0123456789abcdefXYZ"

# The routes the issue named, written out: a check on the derivation from the URL patterns.
NAMED = {
    f"/consultation/{SECRET}/": "/consultation/[redacted]/",
    f"/consultation/{SECRET}/leave/": "/consultation/[redacted]/leave/",
    f"/ws/patient/{SECRET}/": "/ws/patient/[redacted]/",
    f"/g/{SECRET}/": "/g/[redacted]/",
    f"/r/{SECRET}/": "/r/[redacted]/",
    f"/r/{SECRET}/invite/": "/r/[redacted]/invite/",
    f"/u/{SECRET}/": "/u/[redacted]/",
    f"/u/{SECRET}/guest-links/12/revoke/": "/u/[redacted]/guest-links/12/revoke/",
    f"/join/{SECRET}/": "/join/[redacted]/",
    f"/w/{SECRET}/": "/w/[redacted]/",
    f"/ws/invites/{SECRET}/": "/ws/invites/[redacted]/",
    f"/ws/guest/{SECRET}/": "/ws/guest/[redacted]/",
    f"/ws/rooms/{SECRET}/": "/ws/rooms/[redacted]/",
    f"/ws/user-rooms/{SECRET}/": "/ws/user-rooms/[redacted]/",
    f"/accounts/invitation/{SECRET}/": "/accounts/invitation/[redacted]/",
    f"/accounts/password-reset/MTI/{SECRET}/": "/accounts/password-reset/[redacted]/[redacted]/",
    "/accounts/password-reset/MTI/set-password/": "/accounts/password-reset/[redacted]/[redacted]/",
    f"/wait/northside/?p={SECRET}": "/wait/northside/",
    f"/consultation/{SECRET}": "/consultation/[redacted]",  # before CommonMiddleware adds the slash
    f"/consultation/{SECRET}/?lang=sv": "/consultation/[redacted]/",
}

# Paths without a secret are logged as they are.
KEPT = [
    "/wait/northside/",
    "/c/northside/waiting-area/",
    "/c/northside/callers/42/join/",
    "/ws/clinic/northside/queue/",
    "/ws/consultations/42/call/",
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/static/js/call/mesh.0123abcd.js",
    "/health/",
]


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access log makes one: the path among the arguments."""
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def _socket_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]', ("127.0.0.1:5000", path), None
    )


@pytest.mark.parametrize(("path", "logged"), NAMED.items(), ids=list(NAMED))
def test_each_token_route_is_redacted_in_uvicorns_lines(path: str, logged: str) -> None:
    for record in (_access_record(path), _socket_record(path)):
        assert RedactTokens().filter(record) is True  # redacted, never dropped
        message = record.getMessage()
        assert SECRET not in message
        assert logged in message
        assert "?" not in message


@pytest.mark.parametrize("path", KEPT)
def test_paths_without_a_token_are_kept(path: str) -> None:
    assert redact(path) == path


def _example(parts: tuple[Any, ...]) -> tuple[str, bool]:
    """A path for a route, each captured parameter filled in; whether it holds a secret."""
    path, secret = "/", False
    for part in parts:
        if isinstance(part, str):
            path += part
            continue
        kind = type(part[0]).__name__  # (converter, name)
        if kind == "IntConverter":
            path += "42"
        elif kind == "SlugConverter":
            path += "northside"
        else:
            path += SECRET
            secret = True
    return path, secret


def _every_route() -> list[tuple[str, bool]]:
    routes = [*_route_parts(get_resolver().url_patterns), *_route_parts(websocket_urlpatterns)]
    return [_example(parts) for parts in routes]


def test_every_route_of_the_project_with_a_token_is_redacted() -> None:
    # Derived from the URL patterns: a new route with <str:token> is covered as it is added.
    examples = _every_route()
    for path, secret in examples:
        if secret:
            assert SECRET not in redact(path), path
            assert "[redacted]" in redact(path), path
        elif not path.startswith("/django-admin/"):  # the admin's <path:object_id> also covers its "add/"
            assert redact(path) == path, path


def test_every_named_route_is_a_route_of_the_project() -> None:
    # The list above is not stale: each of its paths is still served by a route with a token.
    derived = {re.sub(re.escape(SECRET), "X", path) for path, secret in _every_route() if secret}
    for path in NAMED:
        if "?" in path or not path.endswith("/"):
            continue
        shape = re.sub(re.escape(SECRET), "X", path).replace("/MTI/", "/X/").replace("/12/", "/42/")
        if "set-password" in shape:
            continue
        assert shape in derived, shape


def test_djangos_404_line_and_a_message_without_arguments_are_redacted() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", f"/g/{SECRET}/"), None
    )
    RedactTokens().filter(record)
    assert record.getMessage() == "Not Found: /g/[redacted]/"
    plain = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, f"failed on /join/{SECRET}/", None, None)
    RedactTokens().filter(plain)
    assert plain.getMessage() == "failed on /join/[redacted]/"


def test_a_traceback_is_redacted_too() -> None:
    try:
        raise ValueError(f"no consultation at http://127.0.0.1:8000/consultation/{SECRET}/")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", None, sys.exc_info()
        )
    RedactTokens().filter(record)
    text = logging.Formatter().format(record)
    assert SECRET not in text
    assert "/consultation/[redacted]/" in text


def test_the_filter_sits_on_the_request_loggers_once() -> None:
    token_logging.install()  # as ready() does; twice is still once
    for name in LOGGERS:
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, RedactTokens)]
        assert len(filters) == 1, name


def test_a_line_logged_through_the_logger_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", f"/r/{SECRET}/", "1.1", 200
        )
    assert SECRET not in caplog.text
    assert "/r/[redacted]/" in caplog.text
