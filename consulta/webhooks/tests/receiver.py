"""A webhook receiver for the tests: the appointment system's side, on 127.0.0.1.

A stdlib ThreadingHTTPServer in a thread. Every request is verified with the `standardwebhooks`
library (`Webhook(secret).verify(body, headers)`), as a real receiver would, and recorded; one
whose signature does not verify is recorded as such and answered 401. It can be told to answer
500 to the next N requests, or to hang past the sender's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    payload: Any  # the parsed JSON when verified
    answered: int
    received_at: float = field(default_factory=time.time)  # when it arrived (the benchmark's delays)

    @property
    def msg_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str:
        return str(self.payload.get("type", "")) if isinstance(self.payload, dict) else ""


@dataclass
class Receiver:
    secret: str = ""
    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0  # answer 500 to this many more requests
    hang_seconds: float = 0.0  # wait this long before answering
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.hang_seconds:
            self.release.wait(self.hang_seconds)  # the sender gives up first; the test's end releases it
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            payload, verified = None, False
        with self.lock:
            status = 401 if not verified else 500 if self.fail_next > 0 else 204
            if verified and self.fail_next > 0:
                self.fail_next -= 1
            self.deliveries.append(Delivery(path, headers, body, verified, payload, status))
        return status

    def accepted(self) -> list[Delivery]:
        """The deliveries answered 2xx: each message's once, in the order they came."""
        with self.lock:
            return [delivery for delivery in self.deliveries if delivery.answered < 300]

    def types(self) -> list[str]:
        return [delivery.type for delivery in self.accepted()]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status = receiver.answer(self.path, headers, body)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender timed out and left

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads `deliveries`

    return Handler


@contextmanager
def running_receiver(secret: str = "", path: str = "/hooks/consulta?token=abc") -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port), stopped when the block ends."""
    receiver = Receiver(secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def payloads(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(delivery.body) for delivery in receiver.accepted()]
