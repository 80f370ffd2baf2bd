"""`record`: write one event, inside the caller's transaction. The actions modules call it.

The actor defaults to the person of the current request or socket (`context.py`); pass
`actor=None` for what the system does by itself (a caller's connection expiring).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from consulta.accounts.models import User
from consulta.eventlog import context
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event

FROM_CONTEXT: Any = object()


@lru_cache(maxsize=4096)
def organisation_of(clinic_id: int) -> int:
    """A clinic's organisation: it never changes, so it is looked up once per process."""
    from consulta.organisations.models import Clinic

    return Clinic.objects.values_list("organisation_id", flat=True).get(pk=clinic_id)


def _person(user: Any) -> User | None:
    return user if isinstance(user, User) and user.is_authenticated else None


def record(
    kind: Kind,
    *,
    clinic_id: int | None = None,
    organisation_id: int | None = None,
    subject: str = "",
    actor: User | None = FROM_CONTEXT,
    target: User | None = None,
    target_label: str = "",
    other_clinic_id: int | None = None,
    seconds: float | None = None,
    data: dict[str, Any] | None = None,
) -> Event | None:
    """Append one event. Give `clinic_id`, or `organisation_id` for an organisation-wide change."""
    if not settings.EVENT_LOG_ENABLED:
        return None
    acting = context.current()
    person = _person(acting.user()) if actor is FROM_CONTEXT else actor
    if organisation_id is None:
        assert clinic_id is not None, "an event belongs to an organisation"
        organisation_id = organisation_of(clinic_id)
    if acting.api_key:  # a change made by an API key: which one, by its public prefix
        data = {**(data or {}), "api_key": acting.api_key}
    return Event.objects.create(
        kind=kind,
        organisation_id=organisation_id,
        clinic_id=clinic_id,
        actor=person,
        actor_label=person.email if person else "",
        client_address=acting.address,
        subject=subject,
        target=target,
        target_label=target_label or (target.email if target else ""),
        other_clinic_id=other_clinic_id,
        seconds=max(0, round(seconds)) if seconds is not None else None,
        data=data or {},
    )


def delete_expired() -> int:
    """Retention: delete the events older than EVENT_LOG_RETENTION_DAYS; how many went."""
    cutoff = timezone.now() - timedelta(days=settings.EVENT_LOG_RETENTION_DAYS)
    deleted, _per_model = Event.objects.filter(at__lt=cutoff).delete()
    return deleted
