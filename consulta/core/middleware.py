"""Middleware of our own."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from consulta.core.languages import BY_CODE


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


class NoStore:
    """`Cache-Control: no-store` (and `private`) on every response that does not say otherwise.

    Patients' names, phone numbers and answers are on the dashboard, the call screen and
    the patient's own pages; tokens are in almost every page's links and data. A shared
    computer's browser cache, or a proxy on the way, must keep none of it. Deciding per
    view (Django's `never_cache`) fails open: the next view that shows a name and forgets
    the decorator is cached. So it is the other way round: nothing Django answers is
    stored, and a response that may be (none today) says so with its own Cache-Control.

    Static files are not affected: WhiteNoise, above this middleware, answers them itself
    with its long-lived caching headers, and nothing below it sees those requests.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # no-store for browsers and proxies; private, max-age=0 and Expires for old caches.
            add_never_cache_headers(response)
        return response


class PersonLanguage:
    """A signed-in person's own language (User.language), whatever the browser asks for.

    Below LocaleMiddleware (which chose from the cookie and Accept-Language) and
    AuthenticationMiddleware; a blank choice leaves the browser's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and language in BY_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
