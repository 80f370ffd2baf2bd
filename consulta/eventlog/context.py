"""Who is acting, and from where: set once per request or socket, read by `log.record`.

The actions modules do not take a request (a worker, a socket and a view all call them), so
the actor and the client's address travel in a context variable: `EventContextMiddleware`
sets it for each request, `JsonSocket.connect` for each socket (its handlers run in the same
task; `sync_to_async` copies the context into the database thread). Nothing set: the system.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from consulta.core.client import UNKNOWN, client_address


@dataclass(frozen=True)
class Acting:
    # A callable: request.user and a socket's scope user are lazy, and most requests log nothing.
    user: Callable[[], Any]
    address: str | None
    # The public prefix of the API key a request came with (consulta/api/auth.py), or "".
    api_key: str = ""


_NOBODY = Acting(user=lambda: None, address=None)
_current: ContextVar[Acting] = ContextVar("consulta_acting", default=_NOBODY)


def current() -> Acting:
    return _current.get()


@contextmanager
def acting(user: Callable[[], Any], address: str | None) -> Iterator[None]:
    token = _current.set(Acting(user=user, address=None if address == UNKNOWN else address))
    try:
        yield
    finally:
        _current.reset(token)


def set_api_key(prefix: str) -> None:
    """For the rest of this request: its events were caused by the API key `prefix` (no person)."""
    _current.set(dataclasses.replace(_current.get(), api_key=prefix))


def set_for_socket(scope: Mapping[str, Any]) -> None:
    """For the rest of a socket's life (its consumer's task): its person and address."""
    address = client_address(scope)
    _current.set(Acting(user=lambda: scope.get("user"), address=None if address == UNKNOWN else address))


class EventContextMiddleware:
    """Every event a request causes names the request's person and address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(lambda: getattr(request, "user", None), client_address(request)):
            return self.get_response(request)
