"""Pages through the whole ASGI application, as uvicorn serves them, not through the test client (WSGI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref import sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.urls import reverse

from consulta.asgi import application
from consulta.testing import World

# The view runs in a thread of its own: a real (transactional) database.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_synchronous_stack_sits_below_every_middleware_but_axes() -> None:
    assert settings.MIDDLEWARE[-2:] == ["consulta.core.middleware.SynchronousStack", "axes.middleware.AxesMiddleware"]


def _count_switches(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count every switch between the event loop and a thread from here on."""
    counts = {"to_thread": 0, "to_loop": 0}
    to_thread: Callable[..., Any] = sync.SyncToAsync.__call__
    to_loop: Callable[..., Any] = sync.AsyncToSync.__call__

    async def counted_to_thread(self: sync.SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        counts["to_thread"] += 1
        return await to_thread(self, *args, **kwargs)

    def counted_to_loop(self: sync.AsyncToSync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        counts["to_loop"] += 1
        return to_loop(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted_to_thread)
    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted_to_loop)
    return counts


async def test_the_entry_page_over_asgi_switches_threads_a_few_times_not_once_per_hook(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = reverse("consultations:entry", args=[world.clinic_a.slug])
    counts = _count_switches(monkeypatch)
    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost")])
    response = await communicator.get_response()

    assert response["status"] == 200
    headers = dict(response["headers"])
    assert b"csrftoken=" in headers[b"Set-Cookie"]
    assert b"Content-Security-Policy" in headers
    assert b'id="entry-form"' in response["body"]
    # The request started, the middleware, the CSRF check of the view, the view, the response
    # closed: five. Each middleware hook in a thread of its own made it about twenty.
    assert counts["to_thread"] + counts["to_loop"] <= 6, counts
