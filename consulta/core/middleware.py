"""Middleware of our own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SynchronousStack:
    """Under ASGI, run the middleware above this one in the request's one thread, as WSGI does.

    Every page view here is synchronous. Left to itself, Django's ASGI handler keeps each
    async-capable middleware async and hops from the event loop to a thread and back for
    each of their `process_*` hooks: about twenty hops per request, a millisecond of CPU
    on the patient entry page (bench/entry_rps.py). A middleware that can only run
    synchronously makes Django switch once, here: every middleware above it then runs
    synchronously in the request's thread, the same code path as under WSGI and in the
    test client. Nothing else changes: this one only passes the request on.

    Keep it below every other middleware but axes' (which asks to be last): a middleware
    below it stays async; the hop back to the event loop happens once, just below it.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
