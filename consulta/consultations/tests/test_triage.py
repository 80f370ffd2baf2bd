"""Triage: a caller marked urgent goes first in the queue, with a reason from a list, and is logged.

The order is one rule everywhere (`models.QUEUE_ORDER`): the dashboard's snapshot, the
positions each waiting patient hears, and the position a patient's own status counts.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from consulta.consultations import actions, queries
from consulta.consultations.models import Consultation, ConsultationRecord, Outcome, Status, UrgentReason
from consulta.consultations.tests.sockets import Sockets, collect, enter, receive, run, staff_headers
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World, client_for

JSON = {"Accept": "application/json"}  # as the page script asks


def _show_positions(world: World) -> None:
    area = world.clinic_a.waiting_area
    area.show_queue_position = True
    area.save()


def _fresh(consultation: Consultation) -> Consultation:
    return Consultation.objects.select_related("clinic__waiting_area").get(pk=consultation.pk)


def _queue(world: World) -> list[str]:
    return [card.name for card in queries.queue_cards(world.clinic_a.pk)]


def _positions(world: World) -> dict[str, int | None]:
    """Each waiting patient's position, as their own status counts it."""
    waiting = Consultation.objects.filter(clinic=world.clinic_a, status=Status.WAITING)
    return {c.first_name: actions.patient_status(_fresh(c)).position for c in waiting}


@pytest.fixture
def three(world: World) -> list[Consultation]:
    """Ada, Bo and Cy enter in this order, a minute apart."""
    start = timezone.now() - timedelta(minutes=10)
    callers = []
    for minute, (first, last) in enumerate([("Ada", "Andersson"), ("Bo", "Berg"), ("Cy", "Carlsson")]):
        caller = enter(world.clinic_a, first, last)
        Consultation.objects.filter(pk=caller.pk).update(waiting_since=start + timedelta(minutes=minute))
        callers.append(_fresh(caller))
    return callers


# --- The order ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_urgent_callers_come_first_the_first_marked_first_then_the_rest_by_arrival(
    world: World, three: list[Consultation]
) -> None:
    _ada, bo, cy = three
    assert _queue(world) == ["Ada Andersson", "Bo Berg", "Cy Carlsson"]

    actions.mark_urgent(cy, UrgentReason.DISTRESS, world.member)
    actions.mark_urgent(bo, UrgentReason.CLINICAL_CONCERN, world.member)

    # Cy was marked first: first; then Bo; Ada, who waited longest, after both.
    assert _queue(world) == ["Cy Carlsson", "Bo Berg", "Ada Andersson"]
    assert [c.first_name for c in Consultation.objects.filter(clinic=world.clinic_a)] == ["Cy", "Bo", "Ada"]
    # A patient's own position counts the urgent callers ahead of them, by the same rule.
    _show_positions(world)
    assert _positions(world) == {"Cy": 1, "Bo": 2, "Ada": 3}


@pytest.mark.django_db
def test_a_new_reason_keeps_the_place_among_the_urgent(world: World, three: list[Consultation]) -> None:
    ada, bo, _cy = three
    actions.mark_urgent(bo, UrgentReason.OTHER, world.member)
    actions.mark_urgent(ada, UrgentReason.DISTRESS, world.member)
    since = _fresh(bo).urgent_since

    actions.mark_urgent(_fresh(bo), UrgentReason.VULNERABLE, world.clerk)

    bo = _fresh(bo)
    assert (bo.urgent_reason, bo.urgent_since) == (UrgentReason.VULNERABLE, since)
    assert _queue(world) == ["Bo Berg", "Ada Andersson", "Cy Carlsson"]


@pytest.mark.django_db
def test_clearing_puts_the_caller_back_at_their_place_by_arrival(world: World, three: list[Consultation]) -> None:
    cy = three[2]
    actions.mark_urgent(cy, UrgentReason.TIME_CRITICAL, world.member)
    version = _fresh(cy).version

    actions.mark_urgent(_fresh(cy), "", world.member)

    cy = _fresh(cy)
    assert (cy.urgent_reason, cy.urgent_since) == ("", None)
    assert cy.version == version + 1  # dashboards apply the cleared card over the urgent one
    assert _queue(world) == ["Ada Andersson", "Bo Berg", "Cy Carlsson"]
    card = queries.card(cy)
    assert (card.urgent, card.urgent_label, card.urgent_since) == (None, None, None)
    assert list(Event.objects.filter(subject=f"consultation:{cy.pk}").order_by("id").values_list("kind", "data")) == [
        (Kind.CONSULTATION_ENTERED, {}),
        (Kind.CONSULTATION_URGENT, {"reason": "time_critical"}),
        (Kind.CONSULTATION_NOT_URGENT, {"previous_reason": "time_critical"}),
    ]


@pytest.mark.django_db
def test_the_estimate_follows_the_position(world: World, three: list[Consultation]) -> None:
    _show_positions(world)
    now = timezone.now()
    ConsultationRecord.objects.create(
        clinic=world.clinic_a, entered_at=now, ended_at=now, wait_seconds=0, call_seconds=600, outcome=Outcome.ENDED
    )
    ada, _bo, cy = three
    assert actions.patient_status(_fresh(cy)).estimated_wait_minutes == 30  # third, 10 minutes each

    actions.mark_urgent(cy, UrgentReason.CLINICAL_CONCERN, world.member)

    assert actions.patient_status(_fresh(cy)).estimated_wait_minutes == 10
    assert actions.patient_status(_fresh(ada)).estimated_wait_minutes == 20


# --- The log, and what is refused -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_event_holds_the_reason_code_and_the_actor_never_the_patient(
    world: World, three: list[Consultation]
) -> None:
    _ada, bo, _cy = three
    actions.mark_urgent(bo, UrgentReason.DISTRESS, world.member)

    event = Event.objects.get(kind=Kind.CONSULTATION_URGENT)
    assert (event.clinic_id, event.subject, event.data) == (
        world.clinic_a.pk,
        f"consultation:{bo.pk}",
        {"reason": "distress"},
    )
    assert (event.actor, event.actor_label) == (world.member, world.member.email)
    written = json.dumps(model_to_dict(event), default=str)
    for secret in (bo.first_name, bo.last_name, bo.phone, bo.token, "Patient in distress"):
        assert secret not in written


@pytest.mark.django_db
def test_a_reason_not_in_the_list_is_refused_and_changes_nothing(world: World, three: list[Consultation]) -> None:
    ada = three[0]
    with pytest.raises(ValueError):
        actions.mark_urgent(ada, "Feels dizzy, lives alone", world.member)
    assert _fresh(ada).urgent_reason == ""
    assert not Event.objects.filter(kind=Kind.CONSULTATION_URGENT).exists()
    # Nor can anything else write free text or an urgency without its time.
    for reason, since in (("Feels dizzy", timezone.now()), (UrgentReason.OTHER, None), ("", timezone.now())):
        with pytest.raises(IntegrityError), transaction.atomic():
            Consultation.objects.filter(pk=ada.pk).update(urgent_reason=reason, urgent_since=since)


@pytest.mark.django_db
def test_marking_again_with_the_same_reason_changes_and_logs_nothing(world: World, three: list[Consultation]) -> None:
    ada = three[0]
    actions.mark_urgent(ada, UrgentReason.OTHER, world.member)
    before = _fresh(ada)
    actions.mark_urgent(before, UrgentReason.OTHER, world.member)
    actions.mark_urgent(_fresh(three[1]), "", world.member)  # clearing who is not urgent
    assert _fresh(ada).version == before.version
    assert Event.objects.filter(kind__in=[Kind.CONSULTATION_URGENT, Kind.CONSULTATION_NOT_URGENT]).count() == 1


# --- The view -------------------------------------------------------------------------------------------


def _url(world: World, consultation: Consultation) -> str:
    return reverse("consultations:urgent", args=[world.clinic_a.slug, consultation.pk])


@pytest.mark.django_db
def test_the_view_marks_and_clears_and_answers_the_page_script(world: World, three: list[Consultation]) -> None:
    bo = three[1]
    client = client_for(world.clerk)
    answer = client.post(_url(world, bo), {"reason": "vulnerable"}, headers=JSON)
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "message": "Bo Berg is marked urgent: Vulnerable patient.", "url": None}
    assert _queue(world)[0] == "Bo Berg"
    assert Event.objects.get(kind=Kind.CONSULTATION_URGENT).actor == world.clerk

    answer = client.post(_url(world, bo), {"reason": ""}, headers=JSON)
    assert answer.json()["message"] == "Bo Berg is no longer marked urgent."
    assert _fresh(bo).urgent_reason == ""


@pytest.mark.django_db
@pytest.mark.parametrize("data", [{"reason": "Feels dizzy"}, {"reason": "Clinical concern"}, {}], ids=str)
def test_the_view_refuses_a_reason_not_in_the_list(world: World, three: list[Consultation], data: dict) -> None:
    ada = three[0]
    client = client_for(world.member)
    answer = client.post(_url(world, ada), data, headers=JSON)
    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "message": "Choose a reason from the list."}
    # Without a script: back to the dashboard, with the same words.
    page = client.post(_url(world, ada), data, follow=True)
    assert page.redirect_chain == [(reverse("consultations:dashboard", args=[world.clinic_a.slug]), 302)]
    assert "Choose a reason from the list." in page.content.decode()
    assert _fresh(ada).urgent_reason == ""
    assert not Event.objects.filter(kind=Kind.CONSULTATION_URGENT).exists()


@pytest.mark.django_db
def test_only_a_waiting_caller_is_marked_urgent_but_anyone_is_cleared(world: World, three: list[Consultation]) -> None:
    ada = three[0]
    actions.mark_urgent(ada, UrgentReason.OTHER, world.member)
    actions.join(_fresh(ada), world.member)
    client = client_for(world.member)
    refused = client.post(_url(world, ada), {"reason": "distress"}, headers=JSON)
    assert (refused.status_code, refused.json()["message"]) == (400, "Only a waiting caller can be marked urgent.")
    assert _fresh(ada).urgent_reason == UrgentReason.OTHER
    assert client.post(_url(world, ada), {"reason": ""}, headers=JSON).status_code == 200
    assert _fresh(ada).urgent_reason == ""


@pytest.mark.django_db
def test_the_dashboard_page_lists_the_reasons_in_its_language(world: World) -> None:
    page = client_for(world.member).get(reverse("consultations:dashboard", args=[world.clinic_a.slug]))
    data = page.context["page_data"]
    assert data["urgentReasons"] == [[code, str(label)] for code, label in UrgentReason.choices]
    assert data["labels"]["urgentBadge"] == "Urgent: %(reason)s"


# --- Live: the dashboards hear the card, each patient only their own new place --------------------------


@pytest.mark.django_db(transaction=True)
async def test_each_patient_hears_only_their_own_new_place_and_dashboards_the_card(
    sockets: Sockets, world: World
) -> None:
    await run(_show_positions)(world)
    ada = await run(enter)(world.clinic_a, "Ada", "Andersson", "+46701111111")
    bo = await run(enter)(world.clinic_a, "Bo", "Berg", "+46702222222")
    cy = await run(enter)(world.clinic_a, "Cy", "Carlsson", "+46703333333")
    patients = {c.first_name: (await sockets.patient(c))[0] for c in (ada, bo, cy)}
    dashboard, _snapshot = await sockets.dashboard(world.clinic_a, await run(staff_headers)(world.member))
    for socket in patients.values():
        await collect(socket)  # the others connecting: nothing of theirs, but drain anyway

    await run(actions.mark_urgent)(await run(_fresh)(cy), UrgentReason.DISTRESS, world.member)

    card = (await receive(dashboard))["caller"]
    assert (card["id"], card["urgent"], card["urgent_label"]) == (cy.pk, "distress", "Patient in distress")
    assert card["urgent_since"]
    heard = {name: await collect(socket) for name, socket in patients.items()}
    assert {name: [frame["position"] for frame in frames] for name, frames in heard.items()} == {
        "Ada": [2],
        "Bo": [3],
        "Cy": [1],
    }
    for name, frames in heard.items():
        for frame in frames:
            assert frame == {**frame, "type": "status", "state": "waiting"}
            text = json.dumps(frame)
            # Nobody hears that anyone is urgent, nor of anyone else at all.
            assert "urgent" not in text and "distress" not in text.lower()
            for other in (ada, bo, cy):
                if other.first_name != name:
                    assert other.first_name not in text and other.token not in text
