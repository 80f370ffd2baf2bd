"""A second baseline for the queue: the same ASGI server as Consulta (uvicorn), no framework.

A POST of a form to any path is turned into a `caller` event shaped like Consulta's and
sent at once to every open WebSocket, then answered with a 302, as the entry form is.
No Django, no Channels, no database, no session, no CSRF: what remains is the HTTP and
WebSocket path itself. Started by bench/queue_latency.py with the same uvicorn options
as tests/e2e/server.py, on 127.0.0.1.

A GET of /page/<n>/ answers a static HTML page of exactly n bytes (built once per size):
bench/entry_rps.py's baseline for serving a page as large as the patient's entry page.

    uvicorn bench._bare_asgi:app --host 127.0.0.1 --port PORT --no-server-header --lifespan off
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]

_sockets: set[Send] = set()
_next_id = 0
_pages: dict[int, bytes] = {}
MAX_PAGE_BYTES = 10_000_000


def _page_of_size(size: int) -> bytes:
    """A static HTML page of exactly `size` bytes (at least the bare skeleton's)."""
    if size not in _pages:
        head = b"<!doctype html><html><head><title>bare</title></head><body><p>"
        tail = b"</p></body></html>\n"
        _pages[size] = head + b"x" * max(0, size - len(head) - len(tail)) + tail
    return _pages[size]


async def _websocket(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            _sockets.add(send)
        elif event["type"] == "websocket.disconnect":
            _sockets.discard(send)
            return


async def _http(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    global _next_id
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    if scope["method"] == "POST":
        form = urllib.parse.parse_qs(body.decode())
        _next_id += 1
        card = {
            "id": _next_id,
            "version": 1,
            "name": f"{form['first_name'][0]} {form['last_name'][0]}",
            "phone": "+46701234567",
            "answers": [],
            "status": "waiting",
            "waiting_since": datetime.now(UTC).isoformat(),
            "connected": False,
            "in_call_with": None,
        }
        text = json.dumps({"type": "caller", "caller": card})
        for socket_send in list(_sockets):
            await socket_send({"type": "websocket.send", "text": text})
        headers = [(b"location", f"/consultation/bare-{_next_id}/".encode()), (b"content-length", b"0")]
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    page = b'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="none"></form>'
    parts = scope["path"].strip("/").split("/")
    if len(parts) == 2 and parts[0] == "page" and parts[1].isdigit() and int(parts[1]) <= MAX_PAGE_BYTES:
        page = _page_of_size(int(parts[1]))
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(page)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": page})


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await _websocket(receive, send)
    elif scope["type"] == "http":
        await _http(scope, receive, send)
