"""Reading the event log in order, once: the cursor of a consumer (the alerts, the webhooks).

A consumer keeps one row of its own model with `last_event_id` (every event up to it has been
handled) and `holes` ({id: when first missed}). `drain(model, handle)` locks that row
(SELECT ... FOR UPDATE on PostgreSQL; SQLite's write lock, which every transaction here takes
first), hands each new event to `handle` and moves the cursor on, all in one transaction: what
`handle` writes commits with the cursor's move or not at all, and two workers draining at once
handle each event once.

Event ids come from a sequence, taken when a row is inserted, not when it commits: on
PostgreSQL an event with a lower id can still commit after one with a higher id is seen, and
a rolled-back transaction leaves a hole for ever. A drain goes on past a hole at once and
keeps its ids in the cursor (`holes`); each later drain looks for them again, and forgets
those older than `GAP_WAIT` (no transaction here stays open that long). So nothing waits for
a hole, and nothing that commits late is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone

from consulta.eventlog.models import Event

# How long a hole in the event ids may be a transaction still to commit (see above).
GAP_WAIT = timedelta(seconds=10)
# The ids of one hole kept at most: a sequence that jumps (PostgreSQL after a crash) is no hole.
MAX_HOLE = 100
# Events one drain reads at most; the next drain, a poll later, goes on from there.
BATCH = 500
# Every consumer's cursor is the one row of its own model, with this key.
CURSOR_PK = 1


class Cursor(Protocol):
    """The fields a consumer's cursor model has (alerts.AlertCursor, webhooks.WebhookCursor)."""

    last_event_id: int
    holes: dict[str, str]

    def save(self, *args: Any, **kwargs: Any) -> None: ...


def _locked(model: type[models.Model]) -> Any:
    manager = model._default_manager
    cursor = manager.select_for_update().filter(pk=CURSOR_PK).first()
    if cursor is None:
        # No cursor (a database made without the migration's row): start from now, not from
        # the whole history of the log.
        start = Event.objects.aggregate(last=Max("pk"))["last"] or 0
        manager.get_or_create(pk=CURSOR_PK, defaults={"last_event_id": start})
        cursor = manager.select_for_update().get(pk=CURSOR_PK)
    return cursor


def _seen_holes(cursor: Cursor, now: datetime) -> dict[str, str]:
    """The holes still worth looking for: those younger than GAP_WAIT."""
    oldest = (now - GAP_WAIT).isoformat()
    return {pk: since for pk, since in cursor.holes.items() if since >= oldest}


def _nothing_new(model: type[models.Model]) -> bool:
    """No new event and no hole to look in again: the drain need not take the lock."""
    state = model._default_manager.filter(pk=CURSOR_PK).values_list("last_event_id", "holes").first()
    if state is None:
        return False
    last, holes = state
    return not holes and not Event.objects.filter(pk__gt=last).exists()


def drain(model: type[models.Model], handle: Callable[[Event], int], *, batch: int = BATCH) -> int:
    """Hand each event not yet handled by this consumer to `handle`, in id order, and move the
    cursor on in the same transaction; the sum of what `handle` returned."""
    if _nothing_new(model):
        return 0
    total = 0
    now = timezone.now()
    with transaction.atomic():
        cursor: Cursor = _locked(model)
        handled, holes = cursor.last_event_id, _seen_holes(cursor, now)
        events = Event.objects.filter(Q(pk__gt=handled) | Q(pk__in=[int(pk) for pk in holes])).order_by("pk")
        for event in events[:batch]:
            if event.pk > handled:
                missed = range(max(handled + 1, event.pk - MAX_HOLE), event.pk)
                holes.update({str(hole): now.isoformat() for hole in missed})
                handled = event.pk
            holes.pop(str(event.pk), None)  # a late commit found, or never missed
            total += handle(event)
        if (handled, holes) != (cursor.last_event_id, cursor.holes):
            cursor.last_event_id, cursor.holes = handled, holes
            cursor.save(update_fields=["last_event_id", "holes", "updated_at"])
    return total
