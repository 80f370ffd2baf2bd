"""The audit trail's page: who finds what, what each scope holds, and how the filters narrow it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.eventlog.tests.trail import STOCKHOLM, clinic_url, local, make_event, org_url, page, shown_ids
from consulta.organisations import actions as organisation_actions
from consulta.rooms import actions as room_actions
from consulta.testing import World, client_for


def test_the_organisation_admin_finds_who_removed_a_team_member_and_when(world: World) -> None:
    membership = world.membership(world.member)
    before = timezone.now()
    removal = client_for(world.clinic_admin).post(
        reverse("organisations:membership_remove", args=[world.clinic_a.slug, membership.pk]),
        REMOTE_ADDR="203.0.113.9",
    )
    assert removal.status_code == 302
    make_event(world, Kind.CLINIC_UPDATED, clinic=world.clinic_a, actor=world.clinic_admin)  # not a removal

    by_kind = page(world.org_admin, org_url(world), kind=Kind.MEMBER_REMOVED.value)
    by_person = page(world.org_admin, org_url(world), person=world.member.pk)
    # The person's events: the removal, and their user room closed with it (newest first).
    assert [row.event.kind for row in by_person.context["rows"]] == [Kind.MEMBER_REMOVED, Kind.USER_ROOM_DISABLED]
    for response in (by_kind, by_person):
        row = next(row for row in response.context["rows"] if row.event.kind == Kind.MEMBER_REMOVED)
        assert len(by_kind.context["rows"]) == 1
        event = row.event
        assert before <= event.at <= timezone.now()
        assert row.who == world.clinic_admin.email
        assert row.summary == f"Removed from the team: {world.member.email} (Team member)"
        when = f"{timezone.localtime(event.at, STOCKHOLM):%Y-%m-%d %H:%M:%S}"
        assert row.at == when
        html = response.content.decode()
        assert f"<td>{world.clinic_admin.email}</td>" in html
        assert f"Removed from the team: {world.member.email} (Team member)" in html
        assert f">{when}</time>" in html
        assert "<td>203.0.113.9</td>" in html
        assert "<td>Alder Clinic</td>" in html


def _spread(world: World) -> dict[str, Event]:
    """Five events, one a day: clinic A, clinic B, the organisation, a patient, a call."""
    return {
        "role": make_event(
            world,
            Kind.ROLE_CHANGED,
            clinic=world.clinic_a,
            actor=world.clinic_admin,
            target=world.member,
            at=local("2025-05-01 10:00"),
            data={"from": "member", "to": "clerk"},
        ),
        "room": make_event(
            world,
            Kind.MEETING_ROOM_CREATED,
            clinic=world.clinic_b,
            actor=world.org_admin,
            at=local("2025-05-02 10:00"),
            data={"name": "Birch room"},
        ),
        "org": make_event(
            world,
            Kind.ORGANISATION_ROLE_REMOVED,
            actor=world.org_admin,
            target=world.reporter,
            at=local("2025-05-03 10:00"),
            data={"role": "reporter"},
        ),
        "entered": make_event(
            world,
            Kind.CONSULTATION_ENTERED,
            clinic=world.clinic_a,
            at=local("2025-05-04 10:00"),
            subject="consultation:7",
        ),
        "joined": make_event(
            world,
            Kind.PARTICIPANT_JOINED,
            clinic=world.clinic_a,
            actor=world.member,
            at=local("2025-05-05 10:00"),
            subject="consultation:7",
            data={"role": "staff"},
        ),
    }


def test_a_clinic_admin_sees_their_clinics_events_and_nothing_else(world: World) -> None:
    events = _spread(world)
    clinic_a = [events["joined"].pk, events["entered"].pk, events["role"].pk]
    assert shown_ids(world.clinic_admin, clinic_url(world.clinic_a)) == clinic_a
    assert shown_ids(world.org_admin, clinic_url(world.clinic_a)) == clinic_a
    assert shown_ids(world.org_admin, clinic_url(world.clinic_b)) == [events["room"].pk]
    html = page(world.clinic_admin, clinic_url(world.clinic_a)).content.decode()
    assert "Birch" not in html and world.reporter.email not in html


def test_a_clinics_filters_cannot_reach_outside_it(world: World) -> None:
    events = _spread(world)
    # The clinic filter exists only for the whole organisation: here it is ignored.
    everything_of_a = shown_ids(world.clinic_admin, clinic_url(world.clinic_a))
    assert shown_ids(world.clinic_admin, clinic_url(world.clinic_a), clinic=world.clinic_b.pk) == everything_of_a
    assert shown_ids(world.clinic_admin, clinic_url(world.clinic_a), clinic="none") == everything_of_a
    # Somebody who appears only in other clinics' or the organisation's events is no choice here.
    response = client_for(world.clinic_admin).get(clinic_url(world.clinic_a), {"person": world.reporter.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    people = set(response.context["form"].fields["person"].queryset)
    assert people == {world.clinic_admin, world.member}
    assert events["org"].pk not in everything_of_a


def test_a_caller_transferred_in_shows_in_both_clinics(world: World) -> None:
    moved = make_event(world, Kind.CONSULTATION_TRANSFERRED, clinic=world.clinic_a, subject="consultation:3")
    Event.objects.filter(pk=moved.pk).update(other_clinic=world.clinic_b)
    assert shown_ids(world.org_admin, clinic_url(world.clinic_b)) == [moved.pk]
    (row,) = page(world.org_admin, clinic_url(world.clinic_b)).context["rows"]
    assert row.summary == "Consultation #3 from Alder Clinic to Birch Clinic"


def test_each_filter_narrows_the_organisations_trail(world: World) -> None:
    e = _spread(world)
    url = org_url(world)
    assert shown_ids(world.org_admin, url) == [e[k].pk for k in ("joined", "entered", "org", "room", "role")]
    assert shown_ids(world.org_admin, url, person=world.member.pk) == [e["joined"].pk, e["role"].pk]
    assert shown_ids(world.org_admin, url, person=world.reporter.pk) == [e["org"].pk]
    assert shown_ids(world.org_admin, url, text="CLIFF@") == [e["role"].pk]
    assert shown_ids(world.org_admin, url, text="rex@acme") == [e["org"].pk]
    assert shown_ids(world.org_admin, url, clinic=world.clinic_b.pk) == [e["room"].pk]
    assert shown_ids(world.org_admin, url, clinic="none") == [e["org"].pk]
    assert shown_ids(world.org_admin, url, clinic=world.clinic_a.pk) == [e[k].pk for k in ("joined", "entered", "role")]
    assert shown_ids(world.org_admin, url, kind="role.changed") == [e["role"].pk]
    assert shown_ids(world.org_admin, url, kind="administration") == [e[k].pk for k in ("org", "room", "role")]
    assert shown_ids(world.org_admin, url, kind="consultations") == [e["entered"].pk]
    assert shown_ids(world.org_admin, url, kind="calls") == [e["joined"].pk]
    assert shown_ids(world.org_admin, url, date_from="2025-05-04") == [e["joined"].pk, e["entered"].pk]
    assert shown_ids(world.org_admin, url, date_to="2025-05-02") == [e["room"].pk, e["role"].pk]
    assert shown_ids(world.org_admin, url, date_from="2025-05-02", date_to="2025-05-03") == [e["org"].pk, e["room"].pk]
    assert shown_ids(world.org_admin, url, person=world.org_admin.pk, clinic=world.clinic_b.pk) == [e["room"].pk]
    assert shown_ids(world.org_admin, url, kind="consultations", clinic=world.clinic_b.pk) == []


def test_the_person_choice_lists_who_appears_in_the_trail(world: World) -> None:
    _spread(world)
    form = page(world.org_admin, org_url(world)).context["form"]
    people = list(form.fields["person"].queryset)
    assert people == sorted([world.clinic_admin, world.member, world.org_admin, world.reporter], key=lambda u: u.email)
    assert world.clerk not in people and world.outsider not in people


def test_dates_are_whole_local_days_across_a_change_to_summer_time(world: World) -> None:
    """Stockholm's clocks went forward on 30 March 2025: that day had 23 hours."""
    moments = ["2025-03-29 23:59:30", "2025-03-30 00:00:30", "2025-03-30 23:59:30", "2025-03-31 00:00:30"]
    made = [make_event(world, Kind.CLINIC_UPDATED, clinic=world.clinic_a, at=local(m)) for m in moments]
    response = page(world.org_admin, org_url(world), date_from="2025-03-30", date_to="2025-03-30")
    assert [row.event.pk for row in response.context["rows"]] == [made[2].pk, made[1].pk]
    assert [row.at for row in response.context["rows"]] == ["2025-03-30 23:59:30", "2025-03-30 00:00:30"]


def test_times_are_shown_in_the_organisations_zone(world: World) -> None:
    make_event(world, Kind.CLINIC_UPDATED, clinic=world.clinic_a, at=local("2025-07-01 09:15:00"))
    world.organisation.time_zone = "America/New_York"
    world.organisation.save()
    (row,) = page(world.org_admin, org_url(world)).context["rows"]
    assert row.at == "2025-07-01 03:15:00"  # 09:15 in Stockholm (UTC+2) is 03:15 in New York (UTC-4)
    assert "Times are in America/New_York" in page(world.org_admin, org_url(world)).content.decode()


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"date_from": "2025-05-03", "date_to": "2025-05-01"}, "The end date must not be before the start date."),
        ({"date_from": "3 May"}, "Enter a valid date."),
        ({"kind": "no.such.kind"}, "Select a valid choice."),
        ({"clinic": "99999"}, "Select a valid choice."),
        ({"person": "99999"}, "Select a valid choice."),
    ],
)
def test_bad_filters_are_explained_and_kept_as_typed(world: World, filters: dict[str, str], error: str) -> None:
    response = client_for(world.org_admin).get(org_url(world), {**filters, "text": "kept@"})
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html
    assert 'value="kept@"' in html
    for value in filters.values():
        if value != "99999" and value != "no.such.kind":
            assert f'value="{value}"' in html
    assert "Correct the filters above" in html and "<table" not in html
    assert response.context.get("rows") is None


def test_fifty_a_page_newest_first_and_the_page_links_keep_the_filters(world: World) -> None:
    start = local("2025-06-01 08:00")
    Event.objects.bulk_create(
        Event(
            kind=Kind.CLINIC_UPDATED,
            organisation=world.organisation,
            clinic=world.clinic_a,
            at=start + timedelta(minutes=n),
            data={"changed": ["name"]},
        )
        for n in range(51)
    )
    make_event(world, Kind.MEETING_ROOM_CREATED, clinic=world.clinic_a, at=start + timedelta(days=1))
    first = page(world.org_admin, org_url(world), kind="clinic.updated")
    rows = first.context["rows"]
    assert len(rows) == 50 and rows[0].at == "2025-06-01 08:50:00" and rows[-1].at == "2025-06-01 08:01:00"
    html = first.content.decode()
    assert 'href="?kind=clinic.updated&amp;page=2"' in html and "Page 1 of 2" in html
    second = page(world.org_admin, org_url(world), kind="clinic.updated", page=2)
    assert [row.at for row in second.context["rows"]] == ["2025-06-01 08:00:00"]
    assert 'href="?kind=clinic.updated&amp;page=1"' in second.content.decode()
    assert len(page(world.org_admin, org_url(world), kind="clinic.updated", page="999").context["rows"]) == 1
    assert len(page(world.org_admin, org_url(world), page="nonsense").context["rows"]) == 50


def test_the_audit_trail_is_linked_for_those_who_may_read_it(world: World) -> None:
    org_audit, clinic_audit = org_url(world), clinic_url(world.clinic_a)
    home = reverse("organisations:organisation_home", args=[world.organisation.slug])
    clinic_home = reverse("organisations:clinic_home", args=[world.clinic_a.slug])
    assert f'href="{org_audit}"' in client_for(world.org_admin).get(home).content.decode()
    assert f'href="{org_audit}"' not in client_for(world.coordinator).get(home).content.decode()
    assert f'href="{clinic_audit}"' in client_for(world.clinic_admin).get(clinic_home).content.decode()
    assert f'href="{clinic_audit}"' in client_for(world.org_admin).get(clinic_home).content.decode()
    assert f'href="{clinic_audit}"' not in client_for(world.clerk).get(clinic_home).content.decode()


def test_real_actions_read_as_sentences(world: World) -> None:
    membership = world.membership(world.member)
    organisation_actions.change_clinic_role(membership, role="admin", is_service_referrer=False)
    room_actions.create_meeting_room(world.clinic_a, name="Room 2", created_by=world.clinic_admin)
    summaries = [row.summary for row in page(world.org_admin, clinic_url(world.clinic_a)).context["rows"]]
    assert summaries == [
        "Meeting room created: Room 2",
        f"Role changed from Team member to Clinic admin for {world.member.email}",
    ]


def test_no_match_is_said_plainly(world: World) -> None:
    make_event(world, Kind.CLINIC_UPDATED, clinic=world.clinic_a)
    response = page(world.org_admin, org_url(world), kind="calls")
    html = response.content.decode()
    assert response.context["rows"] == []
    assert "No events match these filters." in html and "0 events" in html
    assert "Correct the filters above" not in html
