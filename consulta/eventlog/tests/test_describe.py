"""The audit trail's words: who, and a sentence per kind, from nothing but the event's row."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from consulta.eventlog import describe
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Clinic

ZONE = ZoneInfo("Europe/Stockholm")
ALDER = Clinic(pk=1, name="Alder Clinic")
BIRCH = Clinic(pk=2, name="Birch Clinic")


def event(kind: Kind, *, clinic: Clinic | None = ALDER, **fields: Any) -> Event:
    """An unsaved event: describing one reads no database."""
    made = Event(kind=kind, clinic=clinic, **fields)
    made.clinic_id = clinic.pk if clinic else None
    return made


def test_every_kind_is_in_exactly_one_group() -> None:
    groups = (describe.ADMINISTRATION_GROUP, describe.CONSULTATION_GROUP, describe.CALL_GROUP)
    assert sum(len(group) for group in groups) == len(Kind)
    assert frozenset().union(*groups) == frozenset(Kind)
    assert Kind.ROLE_CHANGED in describe.ADMINISTRATION_GROUP
    assert Kind.CONSULTATION_URGENT in describe.CONSULTATION_GROUP
    assert Kind.ROOM_CALL_ENDED in describe.CALL_GROUP and Kind.KNOCK_ADMITTED in describe.CALL_GROUP


@pytest.mark.parametrize(
    ("made", "who"),
    [
        (event(Kind.ROLE_CHANGED, actor_label="cliff@acme.test"), "cliff@acme.test"),
        (event(Kind.CONSULTATION_ENTERED), "Patient"),
        (event(Kind.CONSULTATION_LEFT), "Patient"),
        (event(Kind.CONSULTATION_EXPIRED), "System"),
        (event(Kind.ROOM_CALL_ENDED), "System"),
        (event(Kind.PARTICIPANT_JOINED, data={"role": "guest"}), "Guest"),
        (event(Kind.PARTICIPANT_LEFT, data={"role": "patient"}), "Patient"),
        (event(Kind.MEMBER_REMOVED, data={"role": "member"}), "System"),  # a clinic role is not a call's role
    ],
)
def test_who_is_the_account_or_else_what_acted(made: Event, who: str) -> None:
    assert describe.who(made) == who


SENTENCES = [
    (event(Kind.ROLE_CHANGED, target_label="x@y.test", data={"from": "member", "to": "admin",
                                                              "service_referrer": [False, False]}),
     "Role changed from Team member to Clinic admin for x@y.test"),
    (event(Kind.ROLE_CHANGED, target_label="x@y.test", data={"from": "clerk", "to": "clerk",
                                                              "service_referrer": [False, True]}),
     "Made a service referrer: x@y.test"),
    (event(Kind.MEMBER_REMOVED, target_label="x@y.test", data={"role": "member"}),
     "Removed from the team: x@y.test (Team member)"),
    (event(Kind.ORGANISATION_ROLE_REMOVED, clinic=None, target_label="x@y.test", data={"role": "admin"}),
     "Organisation role taken from x@y.test (Organisation admin)"),
    (event(Kind.INVITATION_SENT, clinic=None, target_label="r@y.test", data={"role": "reporter"}),
     "Invitation to r@y.test as Organisation reporter"),
    (event(Kind.INVITATION_ACCEPTED, target_label="m@y.test", data={"role": "member"}),
     "m@y.test accepted the invitation as Team member"),
    (event(Kind.WAITING_AREA_UPDATED, data={"changed": ["opening_hours", "entry_fields"]}),
     "Waiting area settings changed: opening hours, questions"),
    (event(Kind.CLINIC_UPDATED, data={"changed": ["name", "time_zone"]}), "Clinic settings changed: name, time zone"),
    (event(Kind.MEETING_ROOM_RENAMED, subject="room:3", data={"from": "A", "to": "B"}),
     "Meeting room renamed from “A” to “B”"),
    (event(Kind.GUEST_LINK_CREATED, subject="room:3", data={"link": 7, "expires_at": "2025-06-01T10:00:00+00:00"}),
     "Guest link #7 to meeting room #3, valid until 2025-06-01 12:00"),
    (event(Kind.USER_ROOM_DISABLED, subject="userroom:5", target_label="mia@acme.test"),
     "User room disabled for mia@acme.test"),
    (event(Kind.CONSULTATION_ENDED, subject="consultation:12", seconds=305,
           data={"wait_seconds": 75, "participants": 3}),
     "Consultation #12: waited 1 min 15 s, call 5 min 5 s, up to 3 people"),
    (event(Kind.CONSULTATION_LEFT, subject="consultation:12", seconds=0, data={"wait_seconds": 40}),
     "Consultation #12: waited 40 seconds"),
    (event(Kind.CONSULTATION_TRANSFERRED, subject="consultation:12", other_clinic=BIRCH),
     "Consultation #12 from Alder Clinic to Birch Clinic"),
    (event(Kind.CONSULTATION_ADDED, subject="consultation:12", data={"call": "consultation:10"}),
     "Consultation #12 into the call of consultation #10"),
    (event(Kind.PARTICIPANT_LEFT, subject="userroom:5", seconds=3725, data={"role": "guest"}),
     "Call of user room #5, as a guest, after 1 h 2 min"),
    (event(Kind.ROOM_CALL_ENDED, subject="room:3", seconds=600, data={"participants": 1}),
     "Meeting room #3: 10 min 0 s, up to 1 person"),
    (event(Kind.CONSULTATION_ANSWERED, subject="consultation:12"), "Consultation #12"),
    (event(Kind.CONSULTATION_URGENT, subject="consultation:12", data={"reason": "distress"}),
     "Consultation #12: Patient in distress"),
    (event(Kind.CONSULTATION_NOT_URGENT, subject="consultation:12", data={"previous_reason": "other"}),
     "Consultation #12 (was: Other)"),
]  # fmt: skip


@pytest.mark.parametrize(("made", "sentence"), SENTENCES, ids=lambda value: getattr(value, "kind", "") or None)
def test_each_kind_reads_as_a_sentence(made: Event, sentence: str) -> None:
    with translation.override("en"):
        assert describe.summary(made, ZONE) == sentence


def test_details_missing_from_an_old_event_do_not_break_the_trail() -> None:
    for kind in Kind:
        text = describe.summary(event(kind, data={}), ZONE)
        assert isinstance(text, str)
    assert describe.summary(event(Kind.ROLE_CHANGED, data={"from": "retired-role", "to": "admin"}), ZONE).startswith(
        "Role changed from retired-role to Clinic admin"
    )


def test_an_unknown_kind_is_shown_as_its_code() -> None:
    odd = Event(kind="something.new", data={})
    assert describe.label(odd) == "something.new" and describe.summary(odd, ZONE) == ""
