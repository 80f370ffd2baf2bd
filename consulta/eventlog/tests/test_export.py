"""The audit trail's CSV: the page's rows, streamed, inert in spreadsheets, and naming no patient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, cast

import pytest
from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from consulta.calls import actions as calls
from consulta.consultations import actions as consultations
from consulta.core import downloads
from consulta.eventlog import export
from consulta.eventlog.kinds import Kind
from consulta.eventlog.tests.trail import clinic_url, csv_rows, download, local, make_event, org_url, page
from consulta.organisations.models import Clinic
from consulta.testing import World, client_for

HEADER = ["Time", "Kind", "What", "Actor", "Client address", "Clinic", "Subject", "Concerning", "Summary"]


def _many(world: World, count: int = 60) -> None:
    """A mix of kinds, clinics and actors, a minute apart."""
    start = local("2025-09-01 07:00")
    kinds: list[tuple[Kind, Clinic | None, dict[str, Any]]] = [
        (Kind.ROLE_CHANGED, world.clinic_a, {"from": "member", "to": "clerk"}),
        (Kind.CONSULTATION_ENDED, world.clinic_b, {"wait_seconds": 75, "participants": 2}),
        (Kind.ORGANISATION_ROLE_REMOVED, None, {"role": "reporter"}),
        (Kind.PARTICIPANT_LEFT, world.clinic_a, {"role": "guest"}),
    ]
    for n in range(count):
        kind, clinic, data = kinds[n % len(kinds)]
        make_event(
            world,
            kind,
            clinic=clinic,
            actor=world.org_admin if n % 3 else None,
            target=world.member,
            at=start + timedelta(minutes=n),
            data=data,
            subject=f"consultation:{n}",
            address="192.0.2.4",
        )


def _every_page(world: World, url: str, **filters: Any) -> list[list[str]]:
    """The page's rows, all pages, as the CSV would have them (time, kind, what, actor, ..., summary)."""
    rows, number = [], 1
    while True:
        response = page(world.org_admin, url, page=number, **filters)
        for row in response.context["rows"]:
            event = row.event
            clinic = event.clinic.name if event.clinic else ""
            rows.append(
                [
                    row.at_iso,
                    event.kind,
                    row.what,
                    row.who,
                    event.client_address or "",
                    clinic,
                    event.subject,
                    event.target_label,
                    row.summary,
                ]
            )
        if not response.context["page"].has_next():
            return rows
        number += 1


@pytest.mark.parametrize("filters", [{}, {"kind": "administration"}, {"clinic": "none", "person": "member"}])
def test_the_csv_has_the_same_rows_as_the_page(world: World, filters: dict[str, str]) -> None:
    _many(world)
    if filters.get("person") == "member":
        filters = {**filters, "person": str(world.member.pk)}
    shown = _every_page(world, org_url(world), **filters)
    rows = download(world.org_admin, org_url(world, csv_file=True), **filters)
    assert rows[0] == HEADER
    assert rows[1:] == shown
    assert len(shown) == {0: 60, 1: 30, 2: 15}[len(filters)]


def test_the_page_links_to_the_csv_of_the_same_filters(world: World) -> None:
    html = page(world.org_admin, org_url(world), kind="calls", date_from="2025-01-01").content.decode()
    assert f'href="{org_url(world, csv_file=True)}?kind=calls&amp;date_from=2025-01-01"' in html
    clinic_html = page(world.clinic_admin, clinic_url(world.clinic_a)).content.decode()
    assert f'href="{clinic_url(world.clinic_a, csv_file=True)}"' in clinic_html


def test_the_csv_is_named_after_the_scope_and_the_day(world: World) -> None:
    response = client_for(world.clinic_admin).get(clinic_url(world.clinic_a, csv_file=True))
    today = timezone.localdate(timezone=local("2025-01-01 00:00").tzinfo)
    assert response["Content-Disposition"] == f'attachment; filename="audit-alder-{today:%Y-%m-%d}.csv"'
    assert csv_rows(response) == [HEADER]


def test_a_clinic_admins_csv_holds_their_clinic_only(world: World) -> None:
    _many(world, 8)
    rows = download(world.clinic_admin, clinic_url(world.clinic_a, csv_file=True))
    assert {row[5] for row in rows[1:]} == {"Alder Clinic"} and len(rows) == 1 + 4


def test_bad_filters_give_no_csv_but_say_why(world: World) -> None:
    response = client_for(world.org_admin).get(org_url(world, csv_file=True), {"date_from": "soon"})
    assert response.status_code == 400
    assert "From: Enter a valid date." in response.content.decode()


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_be_a_formula_is_made_text(start: str) -> None:
    assert export.neutralised(f'{start}HYPERLINK("http://evil.test")') == f'\'{start}HYPERLINK("http://evil.test")'


def test_harmless_cells_are_left_as_they_are() -> None:
    for value in ("mia@acme.test", "2025-01-01T10:00:00+01:00", "Room = 2", "", "192.0.2.4"):
        assert export.neutralised(value) == value
    assert export.neutralised(None) == ""


def test_formula_injection_through_an_invited_address_is_neutralised(world: World) -> None:
    team = reverse("organisations:clinic_team", args=[world.clinic_a.slug])
    for address in ("=cmd@evil.test", "+sum@evil.test", "-2@evil.test"):
        response = client_for(world.clinic_admin).post(team, {"email": address, "role": "member"})
        assert response.status_code == 302, response.content.decode()[:500]
    rows = download(world.org_admin, org_url(world, csv_file=True), kind="invitation.sent")
    assert sorted(row[7] for row in rows[1:]) == ["'+sum@evil.test", "'-2@evil.test", "'=cmd@evil.test"]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_patients_details_never_reach_the_audit_trail(world: World) -> None:
    """A whole consultation, with the patient and a guest in the call: named nowhere in the trail."""
    consultation = consultations.enter(
        world.clinic_a,
        first_name="Zebulon",
        last_name="Quenby",
        phone="+46709998877",
        answers=[["Reason", "Sprained ankle"]],
    )
    consultations.join(consultation, world.member)
    key, number = consultation.call_key, consultation.pk
    patient, _o, _r = calls.join(
        key,
        channel_name="p",
        role="patient",
        name="Zebulon Quenby",
        principal=f"consultation:{consultation.pk}",
        consultation_id=consultation.pk,
    )
    guest, _o, _r = calls.join(key, channel_name="i", role="guest", name="Yolanda Interpreter", principal="s:i")
    calls.leave(guest.peer_id)
    consultation.refresh_from_db()
    consultations.end(consultation)

    secrets = ("Zebulon", "Quenby", "9998877", "Sprained", "Yolanda")
    for url in (org_url(world), clinic_url(world.clinic_a)):
        html = page(world.org_admin, url).content.decode()
        assert f"consultation #{number}" in html and "Consultation ended" in html
        assert not [secret for secret in secrets if secret in html]
        rows = download(world.org_admin, url.replace("/audit/", "/audit/export.csv"))
        text = repr(rows)
        assert len(rows) > 4 and not [secret for secret in secrets if secret in text]
    assert patient.peer_id  # the patient was in the call


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_csv_streams_in_batches(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Through Django's ASGI handler (uvicorn in production): an asynchronous body, sent in pieces."""
    await sync_to_async(_many)(world, 12)
    monkeypatch.setattr(downloads, "LINES_PER_BLOCK", 5)
    client = AsyncClient()
    await client.aforce_login(world.org_admin)
    response = cast(StreamingHttpResponse, await client.get(org_url(world, csv_file=True)))
    assert response.status_code == 200 and response.is_async
    content = response.streaming_content
    assert isinstance(content, AsyncIterator)  # Django would otherwise gather the whole body first
    chunks = [chunk async for chunk in content]
    assert len(chunks) == 3  # 13 lines (the header and 12 rows), 5 a piece
    expected = await sync_to_async(lambda: download(world.org_admin, org_url(world, csv_file=True)))()
    assert csv_rows(_Body(b"".join(chunks))) == expected


class _Body:
    """A finished download's bytes, read like a streamed response."""

    status_code = 200

    def __init__(self, body: bytes) -> None:
        self.streaming_content = [body]

    def __getitem__(self, header: str) -> str:
        return {"Content-Type": "text/csv; charset=utf-8"}[header]
