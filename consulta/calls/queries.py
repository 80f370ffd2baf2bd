"""What the pages show about calls without taking part: how many are in a room, whether a guest knocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from consulta.calls.models import Knock, Participant


@dataclass(frozen=True)
class Presence:
    people: int = 0
    guest_waiting: bool = False


def presence(keys: list[str]) -> dict[str, Presence]:
    """Per call key: the people in the call now and whether a guest knocks. Two queries for any number of rooms."""
    if not keys:
        return {}
    alive_since = timezone.now() - timedelta(seconds=settings.PARTICIPANT_TIMEOUT_SECONDS)
    counts = dict(
        Participant.objects.filter(call__key__in=keys, last_seen_at__gte=alive_since)
        .values_list("call__key")
        .annotate(people=Count("pk"))
        .values_list("call__key", "people")
    )
    knocking = set(
        Knock.objects.filter(call_key__in=keys, last_seen_at__gte=alive_since).values_list("call_key", flat=True)
    )
    return {key: Presence(people=counts.get(key, 0), guest_waiting=key in knocking) for key in keys}
