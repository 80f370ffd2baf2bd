"""The REST API's answer time beside the server's smallest page, and a webhook's delay beside its poll.

API: the real server (tests/e2e/server.py, SQLite, the seeded demo) with a write key that may see
names. OURS: `GET /api/v1/clinics/northside/waiting-area` with the key (the key looked up by its
hash, rate-limited, its last use written at most once a minute; the waiting area read through
the key's access module). BASELINE: `GET /health/` through the same server, which reads
nothing. Requests alternate ours/baseline on one keep-alive connection each, after a warm-up;
the figures are medians. Also `POST .../patient-links` (a link made, an event written).

WEBHOOKS: the real worker beside that server posts to a receiver on 127.0.0.1 (the tests' own,
which checks every signature). OURS: from a test message committed in the server's database to
the receiver holding it (signed, posted by the worker's pool). BASELINE: the poll period
(WEBHOOK_POLL_SECONDS): a message waits for the next look, half a period on average.

    python -m bench.api_webhooks [--requests 300] [--webhooks 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from typing import Any

from bench._common import Deadline, Run, consulta_server, log, row, summarize, write_result
from consulta.webhooks.tests.receiver import Receiver, running_receiver
from tests.e2e import server as live

NAME = "api_webhooks"
TITLE = "REST API answers and webhook delays"
CLINIC = "northside"
POLL_SECONDS = 2.0  # the default of WEBHOOK_POLL_SECONDS
TIME_LIMIT_S = 300
WEBHOOK_ENV = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_POLL_SECONDS": str(POLL_SECONDS),
}
SET_UP = """
import json
from consulta.api.actions import create_key
from consulta.organisations.models import Organisation
from consulta.webhooks.actions import create_endpoint
organisation = Organisation.objects.get(slug="demo-health")
key, secret = create_key(organisation, name="Bench", access="write", can_see_names=True, clinics=None, created_by=None)
hook = create_endpoint(organisation, url={url!r}, event_types=["consultation.entered"])
print(json.dumps({{"key": secret, "webhook_secret": hook.secret, "endpoint": hook.pk}}))
"""
SEND_TESTS = """
import json, time
from consulta.webhooks.actions import send_test
from consulta.webhooks.models import WebhookEndpoint
endpoint = WebhookEndpoint.objects.get(pk={endpoint})
sent = {{}}
for _ in range({count}):
    message = send_test(endpoint)  # committed: autocommit, no transaction around it
    sent[message.msg_id] = time.time()
    time.sleep({spacing})  # spaced over the poll period, so the delays sample its phases
print(json.dumps(sent))
"""


def _timed(connection: http.client.HTTPConnection, method: str, path: str, body: Any, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    answer = connection.getresponse()
    answer.read()
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status >= 300:
        raise RuntimeError(f"{method} {path} answered {answer.status}")
    return elapsed


def measure_api(server: live.LiveServer, key: str, requests: int) -> dict[str, list[float]]:
    host, port = server.url.removeprefix("http://").split(":")
    ours_connection = http.client.HTTPConnection(host, int(port), timeout=30)
    base_connection = http.client.HTTPConnection(host, int(port), timeout=30)
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    read = f"/api/v1/clinics/{CLINIC}/waiting-area"
    link = {"first_name": "Bench", "last_name": "Patient", "external_reference": "BENCH-1"}
    samples: dict[str, list[float]] = {"read": [], "health": [], "link": []}
    for _ in range(5):  # warm-up
        _timed(ours_connection, "GET", read, None, auth)
        _timed(base_connection, "GET", "/health/", None, {})
    deadline = Deadline(TIME_LIMIT_S / 2)
    for number in range(requests):
        if deadline.passed():
            break
        samples["read"].append(_timed(ours_connection, "GET", read, None, auth))
        samples["health"].append(_timed(base_connection, "GET", "/health/", None, {}))
        if number % 10 == 0:
            path = f"/api/v1/clinics/{CLINIC}/patient-links"
            samples["link"].append(_timed(ours_connection, "POST", path, link, auth))
    return samples


def measure_webhooks(server: live.LiveServer, receiver: Receiver, endpoint: int, count: int) -> list[float]:
    spacing = POLL_SECONDS * 0.37  # not a divisor of the period: each message lands at another phase
    sent: dict[str, float] = server.python(SEND_TESTS.format(endpoint=endpoint, count=count, spacing=spacing))
    deadline = Deadline(60)
    while len(receiver.accepted()) < count and not deadline.passed():
        time.sleep(0.05)  # the poll interval of a bounded wait
    arrived = {delivery.msg_id: delivery.received_at for delivery in receiver.accepted()}
    return [(arrived[msg_id] - at) * 1000 for msg_id, at in sent.items() if msg_id in arrived]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="API requests of each kind (bounded in time too)")
    parser.add_argument("--webhooks", type=int, default=15, help="test messages to time")
    args = parser.parse_args(argv)
    run = Run(NAME, TITLE, {"requests": args.requests, "webhooks": args.webhooks, "poll_seconds": POLL_SECONDS})
    with running_receiver() as receiver, consulta_server(WEBHOOK_ENV) as server:
        made = server.python(SET_UP.format(url=receiver.url))
        receiver.secret = made["webhook_secret"]
        log("API requests ...")
        api = measure_api(server, made["key"], args.requests)
        log("webhook deliveries ...")
        with server.worker("bench-webhooks", WEBHOOK_ENV):
            delays = measure_webhooks(server, receiver, made["endpoint"], args.webhooks)
        unsigned = sum(1 for delivery in receiver.deliveries if not delivery.verified)
    read, health, link = (statistics.median(api[k]) for k in ("read", "health", "link"))
    delay = statistics.median(delays) if delays else None
    rows = [
        row("API: waiting area with a key (GET), median", read, health),
        row("API: a patient link made (POST), median", link, health),
        row("webhook: committed message to the receiver, median", delay, POLL_SECONDS * 1000 / 2),
    ]
    notes = [
        "Baseline of the API rows: GET /health/ through the same server, alternated with them.",
        "Baseline of the webhook row: half the worker's poll period, the mean wait for its next look.",
        f"{len(delays)} of {args.webhooks} webhook messages arrived; {unsigned} failed the signature check.",
    ]
    figures = {
        "api_read_ms": summarize(api["read"]),
        "api_link_ms": summarize(api["link"]),
        "webhook_delay_ms": summarize(delays),
    }
    write_result(run.result(figures, {"health_ms": summarize(api["health"])}, rows, notes))
    return 0 if len(delays) == args.webhooks and not unsigned else 1


if __name__ == "__main__":
    raise SystemExit(main())
