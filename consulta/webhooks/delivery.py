"""Webhooks out of the event log, by the worker (consulta/core/schedule.py); never in a request.

1. `drain()`: each new event of a type some enabled endpoint wants becomes a `WebhookMessage` per
   matching endpoint (its types, its clinics, registered before the event), its payload built
   now (consulta/webhooks/payloads.py). The event log is read with the shared cursor
   (consulta/eventlog/cursor.py): the messages are written in the transaction that moves the
   cursor, so each is made once, whichever worker drains.
2. `deliver_due()` (tests, one-off runs) and `dispatch()` (the schedule: the posts run in a small
   pool of threads, so a slow endpoint never holds up the alerts' drain): only the OLDEST
   undelivered message of each (endpoint, ordering key) is due, so one consultation's events
   arrive in order. A worker claims a message with one UPDATE (`claimed_until`, a lease that
   lapses if the worker dies), so no two workers post it at once.
3. `attempt()`: one signed POST (Standard Webhooks: webhook-id, webhook-timestamp,
   webhook-signature) through the SSRF guard (consulta/core/outbound.py). A 2xx answer is
   delivered; anything else, a refused address, a connection error or a timeout is a failed
   attempt, tried again after WEBHOOK_RETRY_SECONDS, doubling up to WEBHOOK_RETRY_MAX_SECONDS;
   after WEBHOOK_MAX_ATTEMPTS it is given up (failed) and the next message of its line goes.
   An endpoint that keeps failing is disabled (`actions.disable_after_failures`).

Logs name the endpoint by its id, never its URL (its query may hold a token) nor its secret.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import urllib3
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from consulta.core import outbound
from consulta.eventlog import cursor
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic
from consulta.webhooks import actions, payloads
from consulta.webhooks.models import (
    EVENT_TYPES,
    ConsultationTrace,
    MessageStatus,
    WebhookAttempt,
    WebhookCursor,
    WebhookEndpoint,
    WebhookMessage,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Consulta-Webhooks/1"
# How long past its timeout a claimed message stays another worker's: a post ends well before.
CLAIM_MARGIN = timedelta(seconds=30)
# A consultation's trace outlives its row by this much at most (see models.ConsultationTrace).
TRACE_KEPT = timedelta(days=1)
WANTED = frozenset(EVENT_TYPES)


# --- 1. The drain: events into messages -----------------------------------------------------


@dataclass
class _Scope:
    endpoint: WebhookEndpoint
    clinic_ids: frozenset[int]

    def wants(self, event: Event) -> bool:
        if event.kind not in self.endpoint.event_types or event.at < self.endpoint.created_at:
            return False
        return self.endpoint.all_clinics or bool({event.clinic_id, event.other_clinic_id} & self.clinic_ids)


@dataclass
class _Drain:
    """The enabled endpoints, by organisation, and their clinics' slugs: read once per drain."""

    scopes: dict[int, list[_Scope]] = field(default_factory=lambda: defaultdict(list))
    slugs: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> _Drain:
        drain = cls()
        for endpoint in WebhookEndpoint.objects.filter(enabled=True).prefetch_related("clinics"):
            clinic_ids = frozenset(clinic.pk for clinic in endpoint.clinics.all())
            drain.scopes[endpoint.organisation_id].append(_Scope(endpoint, clinic_ids))
        if drain.scopes:
            clinics = Clinic.objects.filter(organisation_id__in=list(drain.scopes)).values_list("pk", "slug")
            drain.slugs = dict(clinics)
        return drain

    def messages_for(self, event: Event) -> int:
        if event.kind not in WANTED:
            return 0
        scopes = [scope for scope in self.scopes.get(event.organisation_id, []) if scope.wants(event)]
        if not scopes:
            return 0
        kind, number = payloads.subject_parts(event.subject)
        who = payloads.caller(number) if kind == "consultation" and number is not None else None
        messages = [
            WebhookMessage(
                endpoint=scope.endpoint,
                event_id=event.pk,
                msg_id=f"msg_{event.pk}",
                ordering_key=event.subject or f"event:{event.pk}",
                type=event.kind,
                payload=payloads.envelope(
                    event,
                    payloads.data(event, self.slugs, who, with_names=scope.endpoint.include_patient_names),
                ),
            )
            for scope in scopes
        ]
        # The cursor's lock makes each message once; the constraint is the last word all the same.
        WebhookMessage.objects.bulk_create(messages, ignore_conflicts=True)
        return len(messages)


def drain() -> int:
    """Turn the events come in since the last drain into messages; how many."""
    return cursor.drain(WebhookCursor, _Drain.load().messages_for)


# --- 2. What is due, claimed by one worker ----------------------------------------------------


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def due(now: datetime, limit: int) -> list[int]:
    """The messages to post now: the oldest pending one of each line, its time come."""
    earlier = WebhookMessage.objects.filter(
        endpoint=OuterRef("endpoint"),
        ordering_key=OuterRef("ordering_key"),
        status=MessageStatus.PENDING,
        event_id__lt=OuterRef("event_id"),
    )
    heads = (
        WebhookMessage.objects.filter(_unclaimed(now), status=MessageStatus.PENDING, next_attempt_at__lte=now)
        .filter(endpoint__enabled=True)
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "pk")
    )
    return list(heads.values_list("pk", flat=True)[:limit])


def claim(limit: int) -> list[int]:
    """Claim up to `limit` due messages for this worker: one UPDATE each, so only one worker wins."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + CLAIM_MARGIN
    claimed = []
    for pk in due(now, limit):
        pending = WebhookMessage.objects.filter(_unclaimed(now), pk=pk, status=MessageStatus.PENDING)
        if pending.update(claimed_until=lease):
            claimed.append(pk)
    return claimed


# --- 3. One attempt ---------------------------------------------------------------------------


def body_of(message: WebhookMessage) -> bytes:
    return json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(endpoint: WebhookEndpoint, message: WebhookMessage, body: bytes, now: datetime) -> dict[str, str]:
    seconds = int(now.timestamp())
    signature = Webhook(endpoint.secret).sign(message.msg_id, datetime.fromtimestamp(seconds, UTC), body.decode())
    return {
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _error_of(error: Exception) -> str:
    """A short error for the delivery log: its kind, never a URL."""
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "TLS error"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "could not connect"
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return "connection broken"
    return type(error).__name__


def _post(endpoint: WebhookEndpoint, message: WebhookMessage) -> tuple[int | None, str, int]:
    """(status code, error, milliseconds) of one POST."""
    body = body_of(message)
    try:
        answer = outbound.post(
            endpoint.url,
            body,
            signed_headers(endpoint, message, body, timezone.now()),
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_http=settings.WEBHOOK_ALLOW_HTTP,
            allowed=outbound.networks(settings.WEBHOOK_ALLOWED_NETWORKS),
        )
    except outbound.BadURL as error:
        return None, f"refused: {error}", 0
    except outbound.Refused as error:
        return None, str(error), 0
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return None, _error_of(error), 0
    ok = 200 <= answer.status < 300
    return answer.status, "" if ok else f"HTTP {answer.status}", answer.duration_ms


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling, capped."""
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def _record(pk: int, status_code: int | None, error: str, duration_ms: int) -> str:
    """Write an attempt's outcome; the message's status after it."""
    now = timezone.now()
    with transaction.atomic():
        message = WebhookMessage.objects.select_for_update().filter(pk=pk).first()
        if message is None:
            return ""  # its endpoint was deleted meanwhile
        WebhookAttempt.objects.create(
            message=message, at=now, status_code=status_code, error=error[:200], duration_ms=duration_ms
        )
        message.attempts += 1
        message.last_status_code, message.last_error, message.claimed_until = status_code, error[:200], None
        endpoints = WebhookEndpoint.objects.filter(pk=message.endpoint_id)
        if not error:
            message.status, message.delivered_at = MessageStatus.DELIVERED, now
            message.payload = payloads.without_names(message.payload)
            endpoints.update(failed_messages=0, failing_since=None)
        else:
            if message.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
                message.payload = payloads.without_names(message.payload)
                endpoints.update(failed_messages=F("failed_messages") + 1)
            else:
                message.next_attempt_at = now + backoff(message.attempts)
            endpoints.filter(failing_since__isnull=True).update(failing_since=now)
            actions.disable_if_failing(message.endpoint_id, now)
        message.save()
    return message.status


def attempt(pk: int) -> str:
    """Post one claimed message; its status after it."""
    message = WebhookMessage.objects.select_related("endpoint").filter(pk=pk).first()
    if message is None or message.status != MessageStatus.PENDING or not message.endpoint.enabled:
        WebhookMessage.objects.filter(pk=pk).update(claimed_until=None)  # disabled meanwhile: it waits
        return message.status if message else ""
    status_code, error, duration_ms = _post(message.endpoint, message)
    if error:
        logger.info(
            "Webhook %s to endpoint %s: attempt %d failed (%s).",
            message.msg_id,
            message.endpoint_id,
            message.attempts + 1,
            error,
        )
    return _record(pk, status_code, error, duration_ms)


def deliver_due(limit: int = 50) -> int:
    """Claim and post the due messages one after the other, here; how many were tried."""
    claimed = claim(limit)
    for pk in claimed:
        attempt(pk)
    return len(claimed)


# --- The schedule's dispatch: posts in a bounded pool of threads ------------------------------


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = 0
        self._executor: ThreadPoolExecutor | None = None

    def _run(self, pk: int) -> None:
        try:
            attempt(pk)
        except Exception:  # a thread of its own: log it; the claim lapses and it is tried again
            logger.exception("Posting webhook message %s failed.", pk)
        finally:
            connections.close_all()  # this thread's own connections
            with self._lock:
                self._busy -= 1

    def dispatch(self) -> int:
        size = settings.WEBHOOK_CONCURRENCY
        with self._lock:
            free = size - self._busy
        if free <= 0:
            return 0
        claimed = claim(free)
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="webhook")
            self._busy += len(claimed)
        for pk in claimed:
            self._executor.submit(self._run, pk)
        return len(claimed)


_pool = _Pool()


def dispatch() -> int:
    """Hand the due messages to the pool (at most WEBHOOK_CONCURRENCY at a time); how many."""
    return _pool.dispatch()


def prune() -> int:
    """The delivery log's retention: messages older than WEBHOOK_LOG_DAYS, traces older than a day."""
    now = timezone.now()
    old = WebhookMessage.objects.filter(created_at__lt=now - timedelta(days=settings.WEBHOOK_LOG_DAYS))
    deleted, _per_model = old.delete()
    ConsultationTrace.objects.filter(created_at__lt=now - TRACE_KEPT).delete()
    return deleted
