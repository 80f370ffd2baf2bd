"""The waiting area over plain HTTP: the patient's pages, the team's actions, the waiting-area settings."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime, time
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from consulta.accounts.models import User
from consulta.consultations import actions, hours
from consulta.consultations.models import (
    Consultation,
    ConsultationRecord,
    EntryField,
    FieldKind,
    OpeningHours,
    Outcome,
    Status,
    Weekday,
)
from consulta.consultations.patient_views import SESSION_KEY
from consulta.organisations.models import Clinic, ClinicMembership, ClinicRole
from consulta.rooms.models import WaitingArea
from consulta.testing import World, client_for, make_user

pytestmark = pytest.mark.django_db

ENTRY_URL = "/wait/alder/"
JSON = {"Accept": "application/json"}
PHONE_MESSAGE = "Enter a phone number we can call, for example 070-123 45 67."
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")  # the server's TIME_ZONE
UTC = zoneinfo.ZoneInfo("UTC")


@pytest.fixture
def area(world: World) -> WaitingArea:
    return world.clinic_a.waiting_area


@pytest.fixture
def questions(area: WaitingArea) -> dict[str, EntryField]:
    """The clinic's own questions, one of each kind; the health-card number is required."""
    return {
        "card": EntryField.objects.create(
            waiting_area=area, label="Health card number", kind=FieldKind.TEXT, required=True, position=1
        ),
        "visits": EntryField.objects.create(
            waiting_area=area, label="Visits this year", kind=FieldKind.NUMBER, position=2
        ),
        "since": EntryField.objects.create(waiting_area=area, label="Ill since", kind=FieldKind.DATE, position=3),
        "reason": EntryField.objects.create(
            waiting_area=area, label="Reason", kind=FieldKind.CHOICE, choices="Rash\nFever\n  \nCough", position=4
        ),
    }


def _entry(questions: dict[str, EntryField], **changes: str) -> dict[str, str]:
    """A complete, valid entry form; `changes` override or (with "") empty fields."""
    data = {
        "first_name": "Astrid",
        "last_name": "Aalto",
        "phone": "070-123 45 67",
        "accept_terms": "on",
        f"extra_{questions['card'].pk}": "19121212-1212",
        f"extra_{questions['visits'].pk}": "0",
        f"extra_{questions['since'].pk}": "2025-03-01",
        f"extra_{questions['reason'].pk}": "Fever",
    }
    for name, value in changes.items():
        key = f"extra_{questions[name].pk}" if name in questions else name
        data[key] = value
    return data


def _html(response: Any) -> str:
    text: str = response.content.decode()
    return text


def _input(html: str, name: str) -> str:
    """The <input> tag of one field."""
    found = re.search(rf'<input[^>]* name="{re.escape(name)}"[^>]*>', html)
    assert found, f"no input {name}"
    return found.group(0)


# --- The entry page --------------------------------------------------------------------------------


def test_the_entry_page_asks_for_the_details_and_the_clinics_questions(
    client: Client, questions: dict[str, EntryField]
) -> None:
    response = client.get(ENTRY_URL)

    assert response.status_code == 200
    html = _html(response)
    for name in ("first_name", "last_name", "phone", "accept_terms"):
        assert f'name="{name}"' in html
    assert 'type="tel"' in html
    for label in ("Health card number", "Visits this year", "Ill since", "Reason"):
        assert label in html
    assert " required" in _input(html, f"extra_{questions['card'].pk}")
    assert 'type="number"' in _input(html, f"extra_{questions['visits'].pk}")
    assert " required" not in _input(html, f"extra_{questions['visits'].pk}")
    assert 'type="date"' in _input(html, f"extra_{questions['since'].pk}")
    assert f'<select name="extra_{questions["reason"].pk}"' in html
    for option in ("Rash", "Fever", "Cough"):
        assert f'<option value="{option}">{option}</option>' in html
    assert '<option value="  ">' not in html  # blank lines of the choice list are no options


def test_an_invalid_entry_says_what_is_wrong_and_keeps_what_was_typed(
    client: Client, questions: dict[str, EntryField]
) -> None:
    data = _entry(
        questions,
        last_name="",
        accept_terms="",
        card="",
        visits="many",
        since="2025-13-45",
        reason="Headache",
    )
    del data["accept_terms"]

    response = client.post(ENTRY_URL, data)

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["last_name"] == ["This field is required."]
    assert form.errors["accept_terms"] == ["Please accept the terms of use to enter."]
    assert form.errors[f"extra_{questions['card'].pk}"] == ["This field is required."]
    assert form.errors[f"extra_{questions['visits'].pk}"] == ["Enter a number."]
    assert form.errors[f"extra_{questions['since'].pk}"] == ["Enter a valid date."]
    assert "Select a valid choice" in form.errors[f"extra_{questions['reason'].pk}"][0]
    html = _html(response)
    assert "Please accept the terms of use to enter." in html
    assert "Enter a valid date." in html
    # Everything typed is still there to correct.
    for value in ("Astrid", "070-123 45 67", "many", "2025-13-45"):
        assert f'value="{value}"' in html
    assert '<option value="Headache"' not in html  # not an option, so not kept as one
    assert not Consultation.objects.exists()


@pytest.mark.parametrize("phone", ["12345", "070-123 45 67 89 00", "call me maybe", "+999 123"])
def test_a_phone_number_that_cannot_be_called_gets_the_phone_message(
    client: Client, questions: dict[str, EntryField], phone: str
) -> None:
    response = client.post(ENTRY_URL, _entry(questions, phone=phone))

    assert response.status_code == 400
    assert response.context["form"].errors == {"phone": [PHONE_MESSAGE]}
    assert f'value="{phone}"' in _html(response)
    assert not Consultation.objects.exists()


def test_a_valid_entry_opens_the_patients_own_space(
    client: Client, world: World, questions: dict[str, EntryField]
) -> None:
    response = client.post(ENTRY_URL, _entry(questions, reason="Rash"))

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/consultation/{consultation.token}/"
    assert consultation.clinic == world.clinic_a
    assert (consultation.first_name, consultation.last_name) == ("Astrid", "Aalto")
    assert consultation.phone == "+46701234567"
    assert consultation.status == Status.WAITING
    assert consultation.answers == [
        ["Health card number", "19121212-1212"],
        ["Visits this year", "0"],
        ["Ill since", "2025-03-01"],
        ["Reason", "Rash"],
    ]
    space = client.get(response["Location"])
    assert space.status_code == 200
    assert f"/ws/patient/{consultation.token}/" in _html(space)


def test_unanswered_optional_questions_are_kept_as_empty_answers(
    client: Client, questions: dict[str, EntryField]
) -> None:
    client.post(ENTRY_URL, _entry(questions, visits="", since="", reason=""))
    assert Consultation.objects.get().answers == [
        ["Health card number", "19121212-1212"],
        ["Visits this year", ""],
        ["Ill since", ""],
        ["Reason", ""],
    ]


def test_the_clinic_link_again_leads_back_to_the_same_space(client: Client, questions: dict[str, EntryField]) -> None:
    first = client.post(ENTRY_URL, _entry(questions))

    again = client.get(ENTRY_URL)
    posted_again = client.post(ENTRY_URL, _entry(questions, first_name="Second", last_name="Try"))

    assert again.status_code == 302
    assert again["Location"] == first["Location"]
    assert posted_again["Location"] == first["Location"]
    assert Consultation.objects.count() == 1


def test_another_browser_gets_its_own_space(client: Client, questions: dict[str, EntryField]) -> None:
    first = client.post(ENTRY_URL, _entry(questions))
    second = Client().post(ENTRY_URL, _entry(questions, first_name="Bertil", last_name="Berg"))
    assert first["Location"] != second["Location"]
    assert Consultation.objects.count() == 2


# --- Closed ----------------------------------------------------------------------------------------


def test_a_switched_off_waiting_area_shows_the_closed_message_and_no_form(
    client: Client, area: WaitingArea, questions: dict[str, EntryField]
) -> None:
    area.is_enabled = False
    area.closed_message = "We are on a training day. Call 010-100 10 00 if urgent."
    area.save()

    response = client.get(ENTRY_URL)
    posted = client.post(ENTRY_URL, _entry(questions))

    assert response.status_code == 200
    html = _html(response)
    assert "<bdi>Alder Clinic</bdi> is closed" in html
    assert "We are on a training day. Call 010-100 10 00 if urgent." in html
    assert 'name="first_name"' not in html
    assert 'id="entry-form"' not in html
    assert "<bdi>Alder Clinic</bdi> is closed" in _html(posted)
    assert not Consultation.objects.exists()


def test_without_a_closed_message_a_default_one_is_shown(client: Client, area: WaitingArea) -> None:
    area.is_enabled = False
    area.save()
    assert "The waiting area is closed right now." in _html(client.get(ENTRY_URL))


@pytest.fixture
def new_york_hours(world: World, area: WaitingArea) -> WaitingArea:
    """Open Mondays 09:00-17:00 in New York: 15:00-23:00 on the server's Stockholm clock."""
    world.clinic_a.time_zone = "America/New_York"
    world.clinic_a.save()
    OpeningHours.objects.create(waiting_area=area, weekday=Weekday.MONDAY, opens=time(9), closes=time(17))
    return WaitingArea.objects.select_related("clinic__organisation").get(pk=area.pk)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2025, 1, 6, 9, 0, tzinfo=NEW_YORK), True),  # Monday, at opening
        (datetime(2025, 1, 6, 16, 59, tzinfo=NEW_YORK), True),
        (datetime(2025, 1, 6, 8, 59, tzinfo=NEW_YORK), False),  # 14:59 in Stockholm, still closed
        (datetime(2025, 1, 6, 17, 0, tzinfo=NEW_YORK), False),  # at closing: closed
        (datetime(2025, 1, 6, 22, 0, tzinfo=UTC), False),  # 17:00 in New York: closing time
        (datetime(2025, 1, 6, 21, 59, tzinfo=UTC), True),
        (datetime(2025, 1, 6, 21, 30, tzinfo=STOCKHOLM), True),  # 15:30 in New York, though late in Stockholm
        (datetime(2025, 1, 6, 10, 0, tzinfo=STOCKHOLM), False),  # 04:00 in New York, though open hours here
        (datetime(2025, 1, 7, 3, 0, tzinfo=STOCKHOLM), False),  # Tuesday here, Monday 21:00 there: closed
        (datetime(2025, 1, 7, 10, 0, tzinfo=NEW_YORK), False),  # Tuesday
    ],
)
def test_opening_hours_are_read_in_the_clinics_time_zone(
    new_york_hours: WaitingArea, moment: datetime, is_open: bool
) -> None:
    assert hours.is_open(new_york_hours, at=moment) is is_open


def test_no_opening_hours_means_open_whenever_switched_on(area: WaitingArea) -> None:
    assert hours.is_open(area, at=datetime(2025, 1, 5, 3, 0, tzinfo=NEW_YORK)) is True
    area.is_enabled = False
    area.save()
    assert hours.is_open(area, at=datetime(2025, 1, 5, 3, 0, tzinfo=NEW_YORK)) is False


def test_the_entry_page_follows_the_opening_hours(
    client: Client, new_york_hours: WaitingArea, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = SimpleNamespace(now=lambda: datetime(2025, 1, 6, 20, 0, tzinfo=NEW_YORK))
    monkeypatch.setattr(hours, "timezone", now)
    closed = _html(client.get(ENTRY_URL))
    assert "<bdi>Alder Clinic</bdi> is closed" in closed
    assert "Monday 09:00\u201317:00" in closed  # an en dash between the times
    assert "Times in <bdi>America/New_York</bdi>." in closed

    now.now = lambda: datetime(2025, 1, 6, 10, 0, tzinfo=NEW_YORK)
    assert 'name="first_name"' in _html(client.get(ENTRY_URL))


# --- Links ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_the_short_link_leads_to_the_entry_page(client: Client, area: WaitingArea, case: Any) -> None:
    response = client.get(f"/w/{case(area.short_code)}/")
    assert response.status_code == 302
    assert response["Location"] == ENTRY_URL


def test_an_unknown_short_code_is_404(client: Client, world: World) -> None:
    assert client.get("/w/ZZZZZZ/").status_code == 404


def test_an_unknown_clinic_is_404(client: Client, world: World) -> None:
    assert client.get("/wait/no-such-clinic/").status_code == 404


# One-click links: test_prefill_links.py.


# --- The patient's space ---------------------------------------------------------------------------


@pytest.fixture
def astrid(world: World) -> Consultation:
    return actions.enter(world.clinic_a, first_name="Astrid", last_name="Aalto", phone="+46701111111", answers=[])


@pytest.fixture
def bertil(world: World) -> Consultation:
    return actions.enter(world.clinic_a, first_name="Bertil", last_name="Berg", phone="+46702222222", answers=[])


def test_the_space_of_an_unknown_or_ended_token_says_the_consultation_is_over(
    client: Client, astrid: Consultation
) -> None:
    for token in ("no-such-token", astrid.token):
        if token == astrid.token:
            actions.end(astrid)
        response = client.get(f"/consultation/{token}/")
        assert response.status_code == 404
        assert "This consultation is over" in _html(response)


def test_leaving_removes_the_space_and_records_the_outcome(client: Client, questions: dict[str, EntryField]) -> None:
    space_url = client.post(ENTRY_URL, _entry(questions))["Location"]
    consultation = Consultation.objects.get()

    assert client.get(f"{space_url}leave/")["Location"] == space_url  # a GET does not leave
    assert Consultation.objects.exists()
    response = client.post(f"{space_url}leave/")

    assert response.status_code == 200
    assert "You have left the waiting area." in _html(response)
    assert not Consultation.objects.filter(pk=consultation.pk).exists()
    record = ConsultationRecord.objects.get()
    assert (record.outcome, record.answered_at, record.call_seconds) == (Outcome.LEFT, None, 0)
    assert str(consultation.clinic_id) not in client.session.get(SESSION_KEY, {})
    # The clinic's link now offers a new entry.
    assert 'name="first_name"' in _html(client.get(ENTRY_URL))


# --- The team's actions over HTTP ---------------------------------------------------------------------


def _caller_url(consultation: Consultation, action: str, clinic: Clinic | None = None) -> str:
    slug = (clinic or consultation.clinic).slug
    return f"/c/{slug}/callers/{consultation.pk}/{action}/"


@pytest.fixture
def member_client(world: World) -> Client:
    return client_for(world.member)


def test_join_answers_with_the_call_to_hold_on_the_dashboard(member_client: Client, astrid: Consultation) -> None:
    response = member_client.post(_caller_url(astrid, "join"), headers=JSON)

    assert response.status_code == 200
    url = f"/c/alder/callers/{astrid.pk}/call/"
    assert response.json() == {
        "ok": True,
        "message": "Joining Astrid Aalto.",
        "url": url,
        "call": {
            "id": astrid.pk,
            "name": "Astrid Aalto",
            "socketUrl": f"/ws/consultations/{astrid.pk}/call/",
            "url": url,
        },
    }
    astrid.refresh_from_db()
    assert astrid.status == Status.IN_CALL
    assert astrid.answered_at is not None
    assert member_client.get(response.json()["url"]).status_code == 200


def test_join_without_json_redirects_to_the_call_page(member_client: Client, astrid: Consultation) -> None:
    response = member_client.post(_caller_url(astrid, "join"))
    assert response.status_code == 302
    assert response["Location"] == f"/c/alder/callers/{astrid.pk}/call/"


def test_actions_need_a_post(member_client: Client, astrid: Consultation) -> None:
    for action in ("join", "hold", "notify", "transfer", "end"):
        assert member_client.get(_caller_url(astrid, action)).status_code == 405
    astrid.refresh_from_db()
    assert astrid.status == Status.WAITING


def test_hold_puts_the_caller_back_to_waiting_on_hold(
    member_client: Client, world: World, astrid: Consultation
) -> None:
    actions.join(astrid, world.member)
    response = member_client.post(_caller_url(astrid, "hold"), headers=JSON)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    astrid.refresh_from_db()
    assert astrid.status == Status.ON_HOLD


@pytest.mark.parametrize("text", ["", "   ", "x" * 301])
def test_notify_refuses_an_empty_or_overlong_message(member_client: Client, astrid: Consultation, text: str) -> None:
    response = member_client.post(_caller_url(astrid, "notify"), {"text": text}, headers=JSON)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": "Write a message of at most 300 characters."}


def test_notify_sends_the_message(member_client: Client, astrid: Consultation, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[Consultation, str]] = []
    monkeypatch.setattr(actions, "notify", lambda consultation, text: sent.append((consultation, text)))

    response = member_client.post(_caller_url(astrid, "notify"), {"text": "Running 5 minutes late"}, headers=JSON)

    assert response.status_code == 200
    assert response.json()["message"] == "Message shown to Astrid Aalto."
    assert [(c.pk, text) for c, text in sent] == [(astrid.pk, "Running 5 minutes late")]


def test_transfer_only_to_a_clinic_the_member_may_use(
    member_client: Client, world: World, astrid: Consultation
) -> None:
    response = member_client.post(_caller_url(astrid, "transfer"), {"clinic": "birch"}, headers=JSON)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "message": "Choose a clinic to transfer to."}
    astrid.refresh_from_db()
    assert astrid.clinic == world.clinic_a


def test_a_service_referrer_may_transfer_to_any_clinic_of_the_organisation(
    member_client: Client, world: World, astrid: Consultation
) -> None:
    ClinicMembership.objects.filter(clinic=world.clinic_a, user=world.member).update(is_service_referrer=True)
    waited_since = astrid.waiting_since

    outside = member_client.post(_caller_url(astrid, "transfer"), {"clinic": "oak"}, headers=JSON)
    assert outside.status_code == 400  # another organisation's clinic: never
    response = member_client.post(_caller_url(astrid, "transfer"), {"clinic": "birch"}, headers=JSON)

    assert response.status_code == 200
    assert response.json()["message"] == "Astrid Aalto moved to the waiting area of Birch Clinic."
    astrid.refresh_from_db()
    assert astrid.clinic == world.clinic_b
    assert astrid.status == Status.WAITING
    assert astrid.waiting_since == waited_since
    assert astrid.was_transferred is True
    # Now clinic B's caller: no longer the member's to handle.
    assert member_client.post(_caller_url(astrid, "hold"), headers=JSON).status_code == 404


def test_a_member_of_both_clinics_may_transfer_between_them(
    member_client: Client, world: World, astrid: Consultation
) -> None:
    ClinicMembership.objects.create(clinic=world.clinic_b, user=world.member, role=ClinicRole.MEMBER)
    response = member_client.post(_caller_url(astrid, "transfer"), {"clinic": "birch"}, headers=JSON)
    assert response.status_code == 200
    astrid.refresh_from_db()
    assert astrid.clinic == world.clinic_b


def test_add_to_call_brings_a_caller_into_anothers_call(
    member_client: Client, world: World, astrid: Consultation, bertil: Consultation
) -> None:
    actions.join(astrid, world.member)

    response = member_client.post(f"/c/alder/callers/{bertil.pk}/add-to/{astrid.pk}/", headers=JSON)

    assert response.status_code == 200
    assert response.json()["message"] == "Bertil Berg is joining your call."
    bertil.refresh_from_db()
    assert bertil.status == Status.IN_CALL
    assert bertil.call_host_id == astrid.pk
    assert bertil.call_key == astrid.call_key
    # Already in a call: refused.
    again = member_client.post(f"/c/alder/callers/{bertil.pk}/add-to/{astrid.pk}/", headers=JSON)
    assert again.status_code == 400
    assert again.json()["message"] == "This caller is already in a call."
    assert member_client.post(f"/c/alder/callers/{astrid.pk}/add-to/{astrid.pk}/", headers=JSON).status_code == 400


def test_end_removes_the_caller_and_keeps_a_record(member_client: Client, astrid: Consultation) -> None:
    response = member_client.post(_caller_url(astrid, "end"), headers=JSON)

    assert response.status_code == 200
    assert response.json()["message"] == "The consultation with Astrid Aalto has ended."
    assert not Consultation.objects.filter(pk=astrid.pk).exists()
    assert ConsultationRecord.objects.get().outcome == Outcome.ENDED
    assert member_client.post(_caller_url(astrid, "end"), headers=JSON).status_code == 404  # already over


def test_ending_a_host_ends_the_callers_added_to_its_call(
    member_client: Client, world: World, astrid: Consultation, bertil: Consultation
) -> None:
    actions.join(astrid, world.member)
    actions.add_to_call(bertil, astrid)

    member_client.post(_caller_url(astrid, "end"), headers=JSON)

    assert not Consultation.objects.exists()
    assert sorted(ConsultationRecord.objects.values_list("outcome", flat=True)) == [Outcome.ENDED, Outcome.ENDED]


TEAM_ACTIONS = ["join", "hold", "notify", "transfer", "end", "add-to", "call"]


def _try(client: Client, action: str, astrid: Consultation, bertil: Consultation) -> int:
    if action == "call":
        return client.get(_caller_url(astrid, "call")).status_code
    if action == "add-to":
        return client.post(f"/c/alder/callers/{astrid.pk}/add-to/{bertil.pk}/", headers=JSON).status_code
    data = {"text": "Hello", "clinic": "birch"}
    return client.post(_caller_url(astrid, action), data, headers=JSON).status_code


@pytest.fixture
def birch_member(world: World) -> User:
    user = make_user("bea@acme.test", "Bea", "Birchley")
    ClinicMembership.objects.create(clinic=world.clinic_b, user=user, role=ClinicRole.MEMBER)
    return user


@pytest.mark.parametrize("action", TEAM_ACTIONS)
@pytest.mark.parametrize("person", ["outsider", "reporter", "birch_member"])
def test_people_outside_the_clinics_team_get_404_for_its_callers(
    world: World, astrid: Consultation, bertil: Consultation, birch_member: User, person: str, action: str
) -> None:
    user = birch_member if person == "birch_member" else world.person(person)
    assert _try(client_for(user), action, astrid, bertil) == 404
    astrid.refresh_from_db()
    assert (astrid.status, astrid.clinic_id) == (Status.WAITING, world.clinic_a.pk)


@pytest.mark.parametrize("action", TEAM_ACTIONS)
def test_anonymous_people_are_sent_to_log_in(
    client: Client, astrid: Consultation, bertil: Consultation, action: str
) -> None:
    status = _try(client, action, astrid, bertil)
    assert status == 302
    assert Consultation.objects.get(pk=astrid.pk).status == Status.WAITING


def test_a_caller_is_reached_only_under_its_own_clinic(world: World, astrid: Consultation) -> None:
    org_admin = client_for(world.org_admin)  # may use both clinics' waiting areas
    assert org_admin.post(_caller_url(astrid, "hold", world.clinic_b), headers=JSON).status_code == 404
    assert org_admin.post(_caller_url(astrid, "hold"), headers=JSON).status_code == 200


# --- The waiting-area settings -------------------------------------------------------------------------

SETTINGS_URL = "/c/alder/waiting-area/settings/"


def _settings_form(**hours: str) -> dict[str, str]:
    return {
        "is_enabled": "on",
        "closed_message": "Back tomorrow",
        "device_check": "warn",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "hours-0-weekday": "2",
        "hours-0-opens": hours.get("opens", "08:00"),
        "hours-0-closes": hours.get("closes", "16:30"),
        "fields-TOTAL_FORMS": "0",
        "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
    }


def test_opening_hours_that_close_before_they_open_are_refused(world: World, area: WaitingArea) -> None:
    response = client_for(world.clinic_admin).post(SETTINGS_URL, _settings_form(opens="17:00", closes="09:00"))

    assert response.status_code == 400
    html = _html(response)
    assert "The closing time must be after the opening time." in html
    assert 'value="17:00"' in _input(html, "hours-0-opens")
    assert 'value="09:00"' in _input(html, "hours-0-closes")
    assert '<option value="2" selected>Wednesday</option>' in html
    assert re.search(r'<textarea name="closed_message"[^>]*>\s*Back tomorrow</textarea>', html)
    assert not OpeningHours.objects.exists()
    area.refresh_from_db()
    assert area.closed_message == ""  # nothing saved


def test_valid_settings_are_saved(world: World, area: WaitingArea) -> None:
    response = client_for(world.clinic_admin).post(SETTINGS_URL, _settings_form())

    assert response.status_code == 302
    assert response["Location"] == SETTINGS_URL
    assert list(OpeningHours.objects.values_list("weekday", "opens", "closes")) == [
        (Weekday.WEDNESDAY, time(8), time(16, 30))
    ]
    area.refresh_from_db()
    assert area.closed_message == "Back tomorrow"


@pytest.mark.parametrize(("person", "status"), [("member", 403), ("clerk", 403), ("reporter", 403), ("outsider", 404)])
def test_only_those_who_configure_the_clinic_open_its_settings(
    world: World, area: WaitingArea, person: str, status: int
) -> None:
    client = world.client_for(person)
    assert client.get(SETTINGS_URL).status_code == status
    assert client.post(SETTINGS_URL, _settings_form()).status_code == status
    assert not OpeningHours.objects.exists()


def test_the_settings_page_shows_the_patients_links(world: World, area: WaitingArea) -> None:
    html = _html(client_for(world.clinic_admin).get(SETTINGS_URL))
    assert reverse("consultations:entry", args=["alder"]) in html
    assert f"/w/{area.short_code}/" in html
