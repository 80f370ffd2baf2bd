"""Helpers of the audit trail's tests: events made by hand, the page and the CSV read back."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.accounts.models import User
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic
from consulta.testing import World, client_for

STOCKHOLM = ZoneInfo("Europe/Stockholm")  # the test organisation's zone (the model's default)


def local(text: str) -> datetime:
    """A moment given as Stockholm wall-clock time, "2025-03-30 23:59:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def make_event(
    world: World,
    kind: Kind,
    *,
    clinic: Clinic | None = None,
    actor: User | None = None,
    target: User | None = None,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
    subject: str = "",
    address: str | None = None,
) -> Event:
    """An event as `log.record` would write it, at a moment of the test's choosing."""
    return Event.objects.create(
        kind=kind,
        organisation=world.organisation,
        clinic=clinic,
        actor=actor,
        actor_label=actor.email if actor else "",
        target=target,
        target_label=target.email if target else "",
        at=at or timezone.now(),
        data=data or {},
        subject=subject,
        client_address=address,
    )


def org_url(world: World, csv_file: bool = False) -> str:
    name = "eventlog:organisation_audit_csv" if csv_file else "eventlog:organisation_audit"
    return reverse(name, args=[world.organisation.slug])


def clinic_url(clinic: Clinic, csv_file: bool = False) -> str:
    return reverse("eventlog:clinic_audit_csv" if csv_file else "eventlog:clinic_audit", args=[clinic.slug])


def page(viewer: User, url: str, **filters: Any) -> Any:
    response = client_for(viewer).get(url, filters)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def shown_ids(viewer: User, url: str, **filters: Any) -> list[int]:
    """The ids of the events the page shows, in its order."""
    return [row.event.pk for row in page(viewer, url, **filters).context["rows"]]


def csv_rows(response: Any) -> list[list[str]]:
    """The CSV's rows, header first, from a streamed response."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "a byte-order mark, for spreadsheets"
    return list(csv.reader(io.StringIO(body[1:])))


def download(viewer: Client | User, url: str, **filters: Any) -> list[list[str]]:
    browser = viewer if isinstance(viewer, Client) else client_for(viewer)
    return csv_rows(browser.get(url, filters))
