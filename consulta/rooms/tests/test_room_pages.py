"""The room pages: who is inside, the call screen's page data, the guest's way in, inviting by link."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.calls import actions as calls
from consulta.calls.models import Participant
from consulta.consultations import actions as consultations
from consulta.consultations.models import Consultation
from consulta.rooms.models import GuestLink, MeetingRoom
from consulta.testing import World, client_for, run_queued_tasks

JSON = {"Accept": "application/json"}


def _html(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _page_data(response: Any) -> dict[str, Any]:
    found = re.search(r'<script id="page-data" type="application/json">(.*?)</script>', response.content.decode())
    assert found, "the page has no page data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _in_call(room: MeetingRoom, name: str, role: str = "staff") -> Participant:
    me, _others, _resumed = calls.join(room.call_key, channel_name="", role=role, name=name, principal=name)
    return me


# --- Who is inside, shown as the page loads ------------------------------------------------------------------


def test_the_meeting_room_page_shows_who_is_inside_the_warning_and_the_call_screen(world: World) -> None:
    _in_call(world.meeting_room, "Clem Clerkson")
    _in_call(world.meeting_room, "Cliff Chiefton")
    calls.knock(world.meeting_room.call_key, name="Gus Guest", channel_name="")

    response = client_for(world.member).get(reverse("rooms:meeting_room", args=[world.meeting_room.token]))

    assert response.status_code == 200
    html = _html(response)
    assert "Anyone with access may enter this room while another meeting is going on in it." in html
    assert "2 people inside" in html
    assert "a guest is waiting" in html
    assert "not available in this version" not in html
    assert 'id="enter-room"' in html
    assert f'<div id="call-view" data-call-heading="{world.meeting_room.name}" hidden></div>' in html
    assert 'id="knocks"' in html
    assert "js/pages/room-call" in html
    data = _page_data(response)
    assert data == {
        "socketUrl": f"/ws/rooms/{world.meeting_room.token}/",
        "labels": data["labels"],
        "isHost": True,
        "roomName": "Consulting room",
        "canManage": True,
        "inviteUrl": f"/r/{world.meeting_room.token}/invite/",
        "leaveUrl": "/c/alder/",
    }
    assert data["labels"]["enter_room"] == "Enter the room"
    assert data["labels"]["knocking"] == "%(name)s is knocking"
    assert "call_full" in data["labels"]  # the call screen's own texts come along


def test_an_empty_room_says_nobody_is_inside(world: World) -> None:
    response = client_for(world.member).get(reverse("rooms:meeting_room", args=[world.meeting_room.token]))
    html = _html(response)
    assert "Nobody inside" in html
    assert "a guest is waiting" not in html


def test_people_gone_silent_are_not_counted(world: World) -> None:
    gone = _in_call(world.meeting_room, "Long Gone")
    Participant.objects.filter(pk=gone.pk).update(last_seen_at=timezone.now() - timedelta(minutes=5))
    _in_call(world.meeting_room, "Still Here")

    response = client_for(world.member).get(reverse("rooms:meeting_room", args=[world.meeting_room.token]))

    assert "1 person inside" in _html(response)


@pytest.mark.parametrize("page", ["organisations:clinic_home", "rooms:manage"])
def test_the_clinic_home_and_the_rooms_list_show_each_rooms_count(world: World, page: str) -> None:
    quiet = MeetingRoom.objects.create(clinic=world.clinic_a, name="Quiet room")
    _in_call(world.meeting_room, "Clem Clerkson")
    calls.knock(world.meeting_room.call_key, name="Gus Guest", channel_name="")

    response = client_for(world.clinic_admin).get(reverse(page, args=[world.clinic_a.slug]))

    html = _html(response)
    busy_row = re.search(r"Consulting room.*?</(li|tr)>", html)
    quiet_row = re.search(rf"{quiet.name}.*?</(li|tr)>", html)
    assert busy_row and quiet_row
    assert "1 person inside" in busy_row.group(0)
    assert "a guest is waiting" in busy_row.group(0)
    assert "Nobody inside" in quiet_row.group(0)
    assert "a guest is waiting" not in quiet_row.group(0)


def test_the_user_room_page_keeps_its_guest_links_and_gets_the_call_screen(world: World) -> None:
    response = client_for(world.member).get(reverse("rooms:user_room", args=[world.user_room.token]))

    html = _html(response)
    assert "Guest links" in html
    assert "not available in this version" not in html
    assert 'id="call-view"' in html
    data = _page_data(response)
    assert data["socketUrl"] == f"/ws/user-rooms/{world.user_room.token}/"
    assert data["inviteUrl"] == f"/u/{world.user_room.token}/invite/"
    assert (data["isHost"], data["canManage"], data["roomName"]) == (True, True, "Mia Memberg")


def test_a_waiting_area_token_is_no_room(world: World) -> None:
    consultation = consultations.enter(world.clinic_a, first_name="A", last_name="B", phone="+46701234567", answers=[])
    member = client_for(world.member)
    for name in ("rooms:meeting_room", "rooms:user_room", "rooms:guest"):
        assert member.get(reverse(name, args=[consultation.token])).status_code == 404


# --- The guest's way in ------------------------------------------------------------------------------------


def test_a_guest_gives_a_name_then_sees_the_knock_screen(world: World) -> None:
    client = Client()
    url = reverse("rooms:guest", args=[world.guest_link.token])

    first = client.get(url)
    assert first.status_code == 200
    html = _html(first)
    assert "<bdi>Consulting room</bdi> at <bdi>Alder Clinic</bdi>" in html
    assert 'id="guest-name-form"' in html
    assert "room-guest" not in html  # no script before the name

    assert client.post(url, {"name": "  "}).status_code == 400
    answered = client.post(url, {"name": "Gus Guest"})
    assert answered.status_code == 302
    assert answered["Location"] == url

    knocking = client.get(url)
    html = _html(knocking)
    assert "Waiting for someone to let you in" in html
    assert "Gus Guest" in html
    assert 'id="knock-view"' in html
    assert '<section id="call-view" aria-label="Video call" data-call-heading="Video call" hidden>' in html
    assert "js/pages/room-guest" in html
    data = _page_data(knocking)
    assert data == {
        "socketUrl": f"/ws/guest/{world.guest_link.token}/",
        "labels": data["labels"],
        "isHost": False,
        "roomName": "Consulting room",
        "canManage": False,
        "guestName": "Gus Guest",
    }
    assert data["labels"]["knock_pending"] == "Waiting for someone to let you in"


def test_an_expired_guest_link_is_404(world: World) -> None:
    GuestLink.objects.filter(pk=world.guest_link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(reverse("rooms:guest", args=[world.guest_link.token])).status_code == 404


def test_a_patients_browser_gets_a_page_saying_patients_use_the_waiting_area(world: World) -> None:
    patient = Client()
    entered = patient.post(
        reverse("consultations:entry", args=[world.clinic_a.slug]),
        {"first_name": "Pia", "last_name": "Patient", "phone": "070-123 45 67", "accept_terms": "on"},
    )
    assert entered.status_code == 302
    consultation = Consultation.objects.get(first_name="Pia")

    for link in (world.guest_link, world.user_room_guest_link):
        response = patient.get(reverse("rooms:guest", args=[link.token]))
        assert response.status_code == 403
        html = _html(response)
        assert "Patients use the waiting area" in html
        assert reverse("consultations:space", args=[consultation.token]) in html
        assert "Consulting room" not in html
    assert patient.post(reverse("rooms:guest", args=[world.guest_link.token]), {"name": "Pia"}).status_code == 403

    consultations.end(consultation)
    assert patient.get(reverse("rooms:guest", args=[world.guest_link.token])).status_code == 200


# --- Inviting by link from inside a room ----------------------------------------------------------------------


def _invite_url(world: World) -> str:
    return reverse("rooms:meeting_room_invite", args=[world.meeting_room.token])


def test_a_host_makes_a_one_day_link_that_skips_the_knock(world: World) -> None:
    response = client_for(world.clerk).post(_invite_url(world), headers=JSON)

    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True
    assert answer["message"] == "Invitation link ready: copy it and send it. It works for one day."
    link = GuestLink.objects.get(admit_on_arrival=True)
    assert answer["url"] == f"http://testserver/g/{link.token}/"
    assert (link.meeting_room, link.created_by) == (world.meeting_room, world.clerk)
    assert timedelta(hours=23) < link.expires_at - timezone.now() <= timedelta(days=1)
    assert run_queued_tasks() == 0
    assert mail.outbox == []


def test_with_an_address_the_link_is_emailed_after_the_commit(
    world: World, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(world.member).post(_invite_url(world), {"email": "gus@example.test"}, headers=JSON)
        assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert mail.outbox == []  # queued for the worker, not sent in the request
    assert run_queued_tasks() == 1

    assert response.json()["message"] == "Invitation sent to gus@example.test. The link works for one day."
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["gus@example.test"]
    assert message.subject == "Mia Memberg invites you to a video call"
    link = GuestLink.objects.get(admit_on_arrival=True)
    assert f"/g/{link.token}/" in message.body
    assert "Consulting room" in message.body and "Alder Clinic" in message.body
    assert link.label == "gus@example.test"


def test_a_bad_address_makes_no_link(world: World) -> None:
    response = client_for(world.member).post(_invite_url(world), {"email": "not-an-address"}, headers=JSON)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert not GuestLink.objects.filter(admit_on_arrival=True).exists()


def test_without_a_script_the_invite_form_redirects_back_with_the_link(world: World) -> None:
    client = client_for(world.member)
    response = client.post(_invite_url(world), follow=True)
    link = GuestLink.objects.get(admit_on_arrival=True)
    assert response.redirect_chain[-1][0] == reverse("rooms:meeting_room", args=[world.meeting_room.token])
    assert f"/g/{link.token}/" in _html(response)


def test_the_owner_invites_into_their_user_room_nobody_else_does(world: World) -> None:
    url = reverse("rooms:user_room_invite", args=[world.user_room.token])
    assert client_for(world.clinic_admin).post(url, headers=JSON).status_code == 404
    response = client_for(world.member).post(url, headers=JSON)
    assert response.status_code == 200
    assert GuestLink.objects.get(admit_on_arrival=True).user_room == world.user_room


def test_the_clinic_home_shows_a_guest_waiting_at_the_members_user_room(world: World) -> None:
    calls.knock(world.user_room.call_key, name="Gus Guest", channel_name="")
    html = _html(client_for(world.member).get(reverse("organisations:clinic_home", args=[world.clinic_a.slug])))
    own_room = re.search(r'id="user-room-heading".*?</section>', html)
    assert own_room and "a guest is waiting" in own_room.group(0)
