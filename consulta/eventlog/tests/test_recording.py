"""The event log itself: each action, done through the real views, writes its one event.

Every test checks the kind, the actor (the request's person, or nobody for what the system or
a patient does), the clinic, the subject and the client address. Then: an event exists
exactly when its change committed; an event is never changed or deleted one by one; the
scheduled clean-up deletes events past their retention and keeps the others.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.accounts.models import User
from consulta.calls import actions as calls
from consulta.consultations import actions as consultation_actions
from consulta.consultations.models import Consultation, PrefillLink
from consulta.consultations.tests.sockets import enter
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import AppendOnly, Event
from consulta.organisations import actions as organisation_actions
from consulta.organisations.models import ClinicMembership, ClinicRole, Invitation
from consulta.rooms.models import GuestLink, MeetingRoom
from consulta.testing import World, client_for

ADDRESS = "198.51.100.23"  # the browser's address, as the server sees it


def post(person: User | None, name: str, args: list[Any], data: dict[str, Any] | None = None) -> Any:
    client = client_for(person) if person else Client()
    response = client.post(reverse(name, args=args), data or {}, REMOTE_ADDR=ADDRESS)
    assert response.status_code in (200, 302), response
    return response


def the_event(kind: Kind) -> Event:
    """The one event of this kind: exactly one was written."""
    events = list(Event.objects.filter(kind=kind))
    assert len(events) == 1, f"{len(events)} events of kind {kind}: {events}"
    return events[0]


def assert_event(kind: Kind, *, actor: User | None, clinic: Any, subject: str, address: str | None = ADDRESS) -> Event:
    event = the_event(kind)
    assert event.actor_id == (actor.pk if actor else None), (kind, event.actor_label)
    assert event.actor_label == (actor.email if actor else "")
    assert event.clinic_id == (clinic.pk if clinic else None)
    assert event.subject == subject
    assert event.client_address == address
    return event


# --- A waiting-area consultation -----------------------------------------------------------------


def _caller(world: World, verb: str, consultation: Consultation, who: User, data: dict[str, str] | None = None) -> None:
    post(who, f"consultations:{verb}", [consultation.clinic.slug, consultation.pk], data)


def test_a_consultation_is_logged_step_by_step_by_the_consultation_number(world: World) -> None:
    carl = enter(world.clinic_a, "Carl", "Caller")
    subject = f"consultation:{carl.pk}"
    entered = assert_event(Kind.CONSULTATION_ENTERED, actor=None, clinic=world.clinic_a, subject=subject, address=None)

    _caller(world, "join", carl, world.member)
    assert_event(Kind.CONSULTATION_ANSWERED, actor=world.member, clinic=world.clinic_a, subject=subject)
    _caller(world, "hold", carl, world.member)
    assert_event(Kind.CONSULTATION_HELD, actor=world.member, clinic=world.clinic_a, subject=subject)
    _caller(world, "join", carl, world.clerk)
    assert_event(Kind.CONSULTATION_RESUMED, actor=world.clerk, clinic=world.clinic_a, subject=subject)

    _caller(world, "transfer", carl, world.org_admin, {"clinic": world.clinic_b.slug})
    moved = assert_event(Kind.CONSULTATION_TRANSFERRED, actor=world.org_admin, clinic=world.clinic_a, subject=subject)
    assert moved.other_clinic_id == world.clinic_b.pk  # from clinic A (the event's clinic) to clinic B

    carl.refresh_from_db()
    _caller(world, "end", carl, world.org_admin)
    ended = assert_event(Kind.CONSULTATION_ENDED, actor=world.org_admin, clinic=world.clinic_b, subject=subject)
    assert ended.seconds is not None and ended.data["wait_seconds"] >= 0
    assert entered.at <= moved.at <= ended.at


def test_a_caller_added_to_another_call_is_logged(world: World) -> None:
    carl, hana = enter(world.clinic_a, "Carl", "Caller"), enter(world.clinic_a, "Hana", "Host")
    post(world.member, "consultations:add_to_call", [world.clinic_a.slug, carl.pk, hana.pk])
    event = assert_event(
        Kind.CONSULTATION_ADDED, actor=world.member, clinic=world.clinic_a, subject=f"consultation:{carl.pk}"
    )
    assert event.data == {"call": f"consultation:{hana.pk}"}


def test_a_patient_leaving_is_logged_with_no_account(world: World) -> None:
    carl = enter(world.clinic_a, "Carl", "Caller")
    post(None, "consultations:leave", [carl.token])
    assert_event(Kind.CONSULTATION_LEFT, actor=None, clinic=world.clinic_a, subject=f"consultation:{carl.pk}")


def test_an_expired_connection_is_logged_as_the_system(world: World) -> None:
    carl = enter(world.clinic_a, "Carl", "Caller")
    Consultation.objects.filter(pk=carl.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
    call_command("expire_waiting", stdout=StringIO())
    assert_event(
        Kind.CONSULTATION_EXPIRED, actor=None, clinic=world.clinic_a, subject=f"consultation:{carl.pk}", address=None
    )


# --- The clinic's team and the organisation's roles ----------------------------------------------


def test_a_role_change_names_who_changed_it_and_whose_it_was(world: World) -> None:
    membership = world.membership(world.member)
    post(
        world.clinic_admin,
        "organisations:membership_update",
        [world.clinic_a.slug, membership.pk],
        {f"m{membership.pk}-role": ClinicRole.CLERK, f"m{membership.pk}-is_service_referrer": "on"},
    )
    event = assert_event(
        Kind.ROLE_CHANGED, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"membership:{membership.pk}"
    )
    assert (event.target_id, event.target_label) == (world.member.pk, world.member.email)
    assert event.data == {"from": "member", "to": "clerk", "service_referrer": [False, True]}


def test_a_removal_from_the_team_is_logged(world: World) -> None:
    membership = world.membership(world.member)
    post(world.clinic_admin, "organisations:membership_remove", [world.clinic_a.slug, membership.pk])
    event = assert_event(
        Kind.MEMBER_REMOVED, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"membership:{membership.pk}"
    )
    assert (event.target_id, event.data) == (world.member.pk, {"role": "member"})


def test_an_organisation_role_removed_is_an_organisation_wide_event(world: World) -> None:
    membership = world.organisation_membership(world.reporter)
    post(world.org_admin, "organisations:role_remove", [world.organisation.slug, membership.pk])
    event = assert_event(
        Kind.ORGANISATION_ROLE_REMOVED,
        actor=world.org_admin,
        clinic=None,
        subject=f"organisation_membership:{membership.pk}",
    )
    assert event.organisation_id == world.organisation.pk and event.target_id == world.reporter.pk


def test_an_invitation_is_logged_when_sent_resent_withdrawn_and_accepted(world: World) -> None:
    post(world.clerk, "organisations:clinic_team", [world.clinic_a.slug], {"email": "new@acme.test", "role": "member"})
    invitation = Invitation.objects.get(email="new@acme.test")
    subject = f"invitation:{invitation.pk}"
    sent = assert_event(Kind.INVITATION_SENT, actor=world.clerk, clinic=world.clinic_a, subject=subject)
    assert (sent.target_id, sent.target_label, sent.data) == (None, "new@acme.test", {"role": "member"})

    post(world.clinic_admin, "organisations:clinic_invitation_resend", [world.clinic_a.slug, invitation.pk])
    assert_event(Kind.INVITATION_RESENT, actor=world.clinic_admin, clinic=world.clinic_a, subject=subject)

    pending = world.clinic_invitation  # invited.member@acme.test
    post(world.clinic_admin, "organisations:clinic_invitation_withdraw", [world.clinic_a.slug, pending.pk])
    assert_event(
        Kind.INVITATION_WITHDRAWN, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"invitation:{pending.pk}"
    )

    newcomer = User.objects.create_user(email="new@acme.test", password="a long enough passphrase")
    post(newcomer, "accounts:invitation", [invitation.token])
    accepted = assert_event(Kind.INVITATION_ACCEPTED, actor=newcomer, clinic=world.clinic_a, subject=subject)
    assert accepted.target_id == newcomer.pk


# --- Settings, rooms and links -------------------------------------------------------------------


def test_a_new_clinic_is_logged_in_its_own_name(world: World) -> None:
    post(
        world.coordinator,
        "organisations:clinic_create",
        [world.organisation.slug],
        {"name": "Cedar Clinic", "slug": "cedar", "time_zone": ""},
    )
    cedar = world.organisation.clinics.get(slug="cedar")
    event = assert_event(Kind.CLINIC_CREATED, actor=world.coordinator, clinic=cedar, subject="")
    assert event.data == {"name": "Cedar Clinic"}


def test_a_one_click_link_is_logged_without_the_patients_details(world: World) -> None:
    post(
        world.member,
        "consultations:prefill_link",
        [world.clinic_a.slug],
        {"prefill-first_name": "Pia", "prefill-last_name": "Prefilled", "prefill-phone": "+46701112233"},
    )
    event = assert_event(Kind.PREFILL_LINK_CREATED, actor=world.member, clinic=world.clinic_a, subject="")
    assert event.data == {} and event.target_label == ""


def test_clinic_settings_name_the_fields_changed(world: World) -> None:
    post(
        world.clinic_admin,
        "organisations:clinic_settings",
        [world.clinic_a.slug],
        {"name": "Alder Clinic North", "time_zone": ""},
    )
    event = assert_event(Kind.CLINIC_UPDATED, actor=world.clinic_admin, clinic=world.clinic_a, subject="")
    assert event.data == {"changed": ["name"]}
    post(
        world.clinic_admin,
        "organisations:clinic_settings",
        [world.clinic_a.slug],
        {"name": "Alder Clinic North", "time_zone": ""},
    )
    the_event(Kind.CLINIC_UPDATED)  # saved again unchanged: nothing more to log


def test_waiting_area_settings_name_what_changed_never_the_values(world: World) -> None:
    form = {
        "is_enabled": "on",
        "closed_message": "Back tomorrow",
        "device_check": "warn",
        **{f"hours-{key}": value for key, value in (("TOTAL_FORMS", "1"), ("INITIAL_FORMS", "0"))},
        "hours-0-weekday": "2",
        "hours-0-opens": "08:00",
        "hours-0-closes": "16:30",
        **{f"fields-{key}": value for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    }
    post(world.clinic_admin, "consultations:settings", [world.clinic_a.slug], form)
    event = assert_event(Kind.WAITING_AREA_UPDATED, actor=world.clinic_admin, clinic=world.clinic_a, subject="")
    assert set(event.data["changed"]) == {"closed_message", "opening_hours"}
    assert "Back tomorrow" not in str(event.data)


def test_meeting_rooms_are_logged_when_created_renamed_and_deleted(world: World) -> None:
    post(world.clinic_admin, "rooms:manage", [world.clinic_a.slug], {"name": "Room 2"})
    room = MeetingRoom.objects.get(name="Room 2")
    created = assert_event(
        Kind.MEETING_ROOM_CREATED, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"room:{room.pk}"
    )
    assert created.data == {"name": "Room 2"}
    post(world.coordinator, "rooms:edit", [world.clinic_a.slug, room.pk], {"name": "Room Two"})
    renamed = assert_event(
        Kind.MEETING_ROOM_RENAMED, actor=world.coordinator, clinic=world.clinic_a, subject=f"room:{room.pk}"
    )
    assert renamed.data == {"from": "Room 2", "to": "Room Two"}
    post(world.org_admin, "rooms:delete", [world.clinic_a.slug, room.pk])
    assert_event(Kind.MEETING_ROOM_DELETED, actor=world.org_admin, clinic=world.clinic_a, subject=f"room:{room.pk}")


def test_guest_links_are_logged_without_their_label(world: World) -> None:
    room = world.meeting_room
    post(
        world.clinic_admin,
        "rooms:guest_link_create",
        [world.clinic_a.slug, room.pk],
        {"label": "Grete Guestname", "valid_days": "7"},
    )
    link = GuestLink.objects.get(label="Grete Guestname")
    made = assert_event(
        Kind.GUEST_LINK_CREATED, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"room:{room.pk}"
    )
    assert made.data["link"] == link.pk and "Grete" not in str(made.data)
    post(world.coordinator, "rooms:guest_link_revoke", [world.clinic_a.slug, room.pk, link.pk])
    revoked = assert_event(
        Kind.GUEST_LINK_REVOKED, actor=world.coordinator, clinic=world.clinic_a, subject=f"room:{room.pk}"
    )
    assert revoked.data == {"link": link.pk}


def test_user_rooms_are_logged_when_disabled_and_enabled(world: World) -> None:
    membership = world.membership(world.member)
    old_room = world.user_room
    post(world.clinic_admin, "rooms:user_room_toggle", [world.clinic_a.slug, membership.pk])
    disabled = assert_event(
        Kind.USER_ROOM_DISABLED, actor=world.clinic_admin, clinic=world.clinic_a, subject=f"userroom:{old_room.pk}"
    )
    assert disabled.target_id == world.member.pk
    post(world.org_admin, "rooms:user_room_toggle", [world.clinic_a.slug, membership.pk])
    new_room = world.clinic_a.user_rooms.get(owner=world.member)
    enabled = assert_event(
        Kind.USER_ROOM_ENABLED, actor=world.org_admin, clinic=world.clinic_a, subject=f"userroom:{new_room.pk}"
    )
    assert enabled.target_label == world.member.email


# --- Calls -------------------------------------------------------------------------------------


def test_a_room_call_logs_its_people_by_role_and_its_length(world: World) -> None:
    key = world.meeting_room.call_key
    mia, _others, _resumed = calls.join(
        key,
        channel_name="mia",
        role="staff",
        name="Mia Memberg",
        principal=f"user:{world.member.pk}",
        user_id=world.member.pk,
    )
    guest, _others, _resumed = calls.join(
        key, channel_name="g", role="guest", name="Gunnar Gästsson", principal="session:guest"
    )
    calls.leave(guest.peer_id)
    calls.leave(mia.peer_id)

    assert_event(Kind.ROOM_CALL_STARTED, actor=None, clinic=world.clinic_a, subject=key, address=None)
    joined = list(Event.objects.filter(kind=Kind.PARTICIPANT_JOINED).order_by("id"))
    left = list(Event.objects.filter(kind=Kind.PARTICIPANT_LEFT).order_by("id"))
    assert [(e.actor_id, e.data["role"], e.clinic_id, e.subject) for e in joined] == [
        (world.member.pk, "staff", world.clinic_a.pk, key),
        (None, "guest", world.clinic_a.pk, key),
    ]
    assert [(e.actor_id, e.data["role"]) for e in left] == [(None, "guest"), (world.member.pk, "staff")]
    assert all(e.seconds is not None for e in left)
    ended = assert_event(Kind.ROOM_CALL_ENDED, actor=None, clinic=world.clinic_a, subject=key, address=None)
    assert ended.data == {"participants": 2} and ended.seconds is not None
    everything = " ".join(f"{e.actor_label} {e.target_label} {e.data}" for e in Event.objects.all())
    assert "Gunnar" not in everything and "Mia Memberg" not in everything


# --- The log's own rules ---------------------------------------------------------------------------


def test_an_action_that_fails_after_its_event_leaves_no_event(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The event is written inside the change's transaction: no change, no event."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database said no")

    membership = world.membership(world.member)
    monkeypatch.setattr(ClinicMembership, "delete", refuse)  # fails after `record` has run
    with pytest.raises(RuntimeError):
        organisation_actions.remove_from_clinic(membership)
    assert not Event.objects.filter(kind=Kind.MEMBER_REMOVED).exists()
    assert ClinicMembership.objects.filter(pk=membership.pk).exists()
    assert world.clinic_a.user_rooms.filter(owner=world.member).exists()  # rolled back with it


def test_a_one_click_link_not_saved_leaves_no_event(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(PrefillLink.objects, "create", refuse)  # after `record`, as the action orders them
    with pytest.raises(RuntimeError):
        consultation_actions.make_prefill_link(world.clinic_a, world.member, first_name="Pia", last_name="P")
    assert not Event.objects.filter(kind=Kind.PREFILL_LINK_CREATED).exists()


def test_an_event_is_never_changed_nor_deleted_one_by_one(world: World) -> None:
    post(world.clinic_admin, "rooms:manage", [world.clinic_a.slug], {"name": "Room 2"})
    event = the_event(Kind.MEETING_ROOM_CREATED)
    event.subject = "room:999"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    assert Event.objects.get(pk=event.pk).subject != "room:999"


def test_cleanup_deletes_events_past_their_retention_and_keeps_the_rest(world: World, settings: Any) -> None:
    settings.EVENT_LOG_RETENTION_DAYS = 30
    now = timezone.now()

    def event_at(days_ago: float) -> Event:
        return Event.objects.create(
            kind=Kind.CLINIC_UPDATED,
            organisation=world.organisation,
            clinic=world.clinic_a,
            at=now - timedelta(days=days_ago),
        )

    old, older = event_at(30.01), event_at(400)
    recent, today = event_at(29.99), event_at(0)
    output = StringIO()
    call_command("cleanup", stdout=output)

    kept = set(Event.objects.values_list("pk", flat=True))
    assert {recent.pk, today.pk} <= kept
    assert not {old.pk, older.pk} & kept
    assert "2 event(s) older than 30 day(s) deleted." in output.getvalue()
