"""The rooms' sockets: the team in a meeting room, the owner in their user room, guests knocking at the door."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.accounts.models import User
from consulta.calls.actions import MAX_PARTICIPANTS
from consulta.calls.models import Knock, Participant
from consulta.consultations import actions as consultations
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import (
    Headers,
    Sockets,
    ask,
    collect,
    receive,
    receive_close,
    run,
    staff_headers,
    still_open,
)
from consulta.consultations.tests.sockets import enter as enter_waiting_area
from consulta.organisations.models import ClinicMembership, ClinicRole
from consulta.rooms import actions
from consulta.rooms.models import MeetingRoom
from consulta.rooms.tests.rooms import (
    browser_headers,
    enter,
    guest_path,
    knock,
    let_in,
    named_guest,
    room_path,
    user_room_path,
)
from consulta.testing import World, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def member_headers(world: World) -> Headers:
    return staff_headers(world.member)


@pytest.fixture
def clerk_headers(world: World) -> Headers:
    return staff_headers(world.clerk)


def _peer(peer_id: str, name: str, role: str) -> dict[str, object]:
    client = {"browser": "", "browser_version": "", "os": ""}  # no User-Agent in these tests
    return {"peer_id": peer_id, "name": name, "role": role, "audio": True, "video": True, "client": client}


async def _headers_of(world: World, person: str) -> Headers | None:
    user = world.person(person)
    return await run(staff_headers)(user) if isinstance(user, User) else None


# --- Who may open which socket -------------------------------------------------------------------------


async def test_a_member_enters_the_meeting_rooms_call_and_meets_a_colleague(
    sockets: Sockets, world: World, member_headers: Headers, clerk_headers: Headers
) -> None:
    member, member_welcome = await enter(sockets, room_path(world.meeting_room), member_headers)
    assert member_welcome["peers"] == []

    _clerk, clerk_welcome = await enter(sockets, room_path(world.meeting_room), clerk_headers)

    assert clerk_welcome["peers"] == [_peer(member_welcome["peer_id"], "Mia Memberg", "staff")]
    assert await receive(member) == {
        "type": "peer_joined",
        "peer": _peer(clerk_welcome["peer_id"], "Clem Clerkson", "staff"),
    }
    call_keys = await run(lambda: set(Participant.objects.values_list("call__key", flat=True)))()
    assert call_keys == {f"room:{world.meeting_room.pk}"}


@pytest.mark.parametrize(
    ("person", "code"),
    [
        ("anonymous", 4404),
        ("outsider", 4404),
        # They see the clinic but may not use its meeting rooms: 403, as on the room page.
        ("reporter", 4403),
        ("coordinator", 4403),
    ],
)
async def test_people_who_may_not_use_the_meeting_rooms_are_refused(
    sockets: Sockets, world: World, person: str, code: int
) -> None:
    assert await sockets.refused_with(room_path(world.meeting_room), await _headers_of(world, person)) == code


@pytest.mark.parametrize("person", ["org_admin", "clinic_admin", "clerk", "member"])
async def test_everyone_who_may_use_the_meeting_rooms_connects(sockets: Sockets, world: World, person: str) -> None:
    socket = await sockets.open(room_path(world.meeting_room), await _headers_of(world, person))
    await still_open(socket)


@pytest.mark.parametrize("person", ["org_admin", "coordinator", "reporter", "clinic_admin", "clerk", "outsider"])
async def test_only_the_owner_hosts_a_user_room(sockets: Sockets, world: World, person: str) -> None:
    assert await sockets.refused_with(user_room_path(world.user_room), await _headers_of(world, person)) == 4404


async def test_the_owner_enters_their_user_room(sockets: Sockets, world: World, member_headers: Headers) -> None:
    _owner, welcome = await enter(sockets, user_room_path(world.user_room), member_headers)
    participant = await run(Participant.objects.select_related("call").get)(peer_id=welcome["peer_id"])
    assert (participant.call.key, participant.role) == (f"userroom:{world.user_room.pk}", "staff")


async def test_a_waiting_area_token_opens_no_room(sockets: Sockets, world: World, member_headers: Headers) -> None:
    consultation = await run(enter_waiting_area)(world.clinic_a, "Astrid", "Aalto")
    for path in (f"/ws/rooms/{consultation.token}/", f"/ws/user-rooms/{consultation.token}/"):
        assert await sockets.refused_with(path, member_headers) == 4404
    assert await sockets.refused_with(guest_path(consultation.token)) == 4404
    # A room's own link is no guest link either.
    assert await sockets.refused_with(guest_path(world.meeting_room.token)) == 4404


async def test_an_expired_or_revoked_guest_link_gets_4404(sockets: Sockets, world: World) -> None:
    await run(actions.revoke_guest_link)(world.guest_link)
    assert await sockets.refused_with(guest_path(world.guest_link)) == 4404


# --- Knocking -------------------------------------------------------------------------------------------


async def test_a_guest_knocks_is_let_in_and_joins_the_call(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    member, member_welcome = await enter(sockets, room_path(world.meeting_room), member_headers)

    _guest, guest_welcome = await let_in(sockets, member, world.guest_link, "Gus Guest")

    assert guest_welcome["peers"] == [_peer(member_welcome["peer_id"], "Mia Memberg", "staff")]
    assert await receive(member) == {
        "type": "peer_joined",
        "peer": _peer(guest_welcome["peer_id"], "Gus Guest", "guest"),
    }
    assert await run(Knock.objects.count)() == 0


async def test_a_guest_may_not_join_before_being_let_in(sockets: Sockets, world: World) -> None:
    guest = await sockets.open(guest_path(world.guest_link))
    refused = await ask(guest, {"type": "join_call"})
    assert (refused["type"], refused["code"]) == ("error", "not_admitted")

    await ask(guest, {"type": "knock", "name": "Gus Guest"})
    still_refused = await ask(guest, {"type": "join_call"})
    assert still_refused["code"] == "not_admitted"
    # Nor may a guest answer knocks, its own included.
    knock_id = await run(lambda: Knock.objects.get().knock_id)()
    answer = await ask(guest, {"type": "admit", "knock_id": knock_id})
    assert (answer["type"], answer["code"]) == ("error", "unexpected")
    assert await run(Participant.objects.count)() == 0


async def test_a_declined_guest_is_told_and_closed_with_4403(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    member = await sockets.open(room_path(world.meeting_room), member_headers)
    guest = await knock(sockets, world.guest_link)
    heard = await receive(member)

    await member.send_json_to({"type": "decline", "knock_id": heard["knock_id"]})

    assert await receive(guest) == {"type": "declined"}
    closed = await receive_close(guest)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4403)
    assert await receive(member) == {
        "type": "knock_resolved",
        "knock_id": heard["knock_id"],
        "admitted": False,
        "withdrawn": False,
    }
    assert await run(Knock.objects.count)() == 0


async def test_the_knock_waits_for_an_answer_and_later_hosts_see_it(
    sockets: Sockets, world: World, member_headers: Headers, clerk_headers: Headers
) -> None:
    guest = await knock(sockets, world.guest_link, "Early Bird")  # nobody is in the room yet

    first = await sockets.open(room_path(world.meeting_room), member_headers)
    pending = await receive(first)
    assert pending == {"type": "knock", "knock_id": pending["knock_id"], "name": "Early Bird"}
    await first.disconnect()  # the host goes away without answering: the knock stays

    second = await sockets.open(room_path(world.meeting_room), clerk_headers)
    assert await receive(second) == pending
    await second.send_json_to({"type": "admit", "knock_id": pending["knock_id"]})
    assert await receive(guest) == {"type": "admitted"}

    third = await sockets.open(room_path(world.meeting_room), member_headers)
    assert await third.receive_nothing(timeout=0.3)  # answered: no longer pending


async def test_a_guest_who_goes_away_withdraws_the_knock(
    sockets: Sockets, world: World, member_headers: Headers, clerk_headers: Headers
) -> None:
    member = await sockets.open(room_path(world.meeting_room), member_headers)
    clerk, _ = await enter(sockets, room_path(world.meeting_room), clerk_headers)
    guest = await knock(sockets, world.guest_link)
    heard = await receive(member)
    assert await receive(clerk) == heard  # every host of the room, in the call or not

    await guest.disconnect()

    withdrawn = {"type": "knock_resolved", "knock_id": heard["knock_id"], "admitted": False, "withdrawn": True}
    assert await receive(member) == withdrawn
    assert await receive(clerk) == withdrawn
    assert await run(Knock.objects.count)() == 0
    late = await ask(member, {"type": "admit", "knock_id": heard["knock_id"]})
    assert (late["type"], late["code"]) == ("error", "no_such_knock")


async def test_only_the_first_answer_counts(
    sockets: Sockets, world: World, member_headers: Headers, clerk_headers: Headers
) -> None:
    member = await sockets.open(room_path(world.meeting_room), member_headers)
    clerk = await sockets.open(room_path(world.meeting_room), clerk_headers)
    guest = await knock(sockets, world.guest_link)
    heard = await receive(member)
    await receive(clerk)

    await member.send_json_to({"type": "admit", "knock_id": heard["knock_id"]})
    assert await receive(guest) == {"type": "admitted"}
    assert (await receive(clerk))["admitted"] is True
    too_late = await ask(clerk, {"type": "decline", "knock_id": heard["knock_id"]})

    assert too_late["code"] == "no_such_knock"
    await still_open(guest)  # the late decline did not reach the guest


async def test_knocks_stay_in_their_room(sockets: Sockets, world: World, member_headers: Headers) -> None:
    """The user room's host hears nothing of the meeting room's door, and cannot answer it."""
    owner = await sockets.open(user_room_path(world.user_room), member_headers)
    meeting_guest = await knock(sockets, world.guest_link)
    assert await owner.receive_nothing(timeout=0.3)

    knock_id = await run(lambda: Knock.objects.get().knock_id)()
    refused = await ask(owner, {"type": "admit", "knock_id": knock_id})

    assert refused["code"] == "no_such_knock"
    assert await meeting_guest.receive_nothing(timeout=0.3)

    # The user room's own guest link knocks at the user room.
    await knock(sockets, world.user_room_guest_link, "Mia's guest")
    assert (await receive(owner))["name"] == "Mia's guest"


async def test_a_guest_can_knock_only_once_at_a_time(sockets: Sockets, world: World) -> None:
    guest = await knock(sockets, world.guest_link)
    again = await ask(guest, {"type": "knock", "name": "Gus Guest"})
    assert again["code"] == "already_knocking"
    blank = await ask(await sockets.open(guest_path(world.guest_link)), {"type": "knock", "name": "   "})
    assert blank["code"] == "invalid"
    assert await run(Knock.objects.count)() == 1


async def test_a_guest_let_in_who_reconnects_is_let_in_again_at_once_and_keeps_their_place(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    member, _ = await enter(sockets, room_path(world.meeting_room), member_headers)
    _client, headers = await run(named_guest)(world.guest_link, "Gus Guest")
    guest, welcome = await let_in(sockets, member, world.guest_link, "Gus Guest", headers)
    await collect(member)
    await guest.disconnect()  # a network blip

    again = await sockets.open(guest_path(world.guest_link), headers)
    assert await ask(again, {"type": "knock", "name": "Gus Guest"}) == {"type": "admitted"}
    resumed = await ask(again, {"type": "join_call", "resume": welcome["peer_id"]})

    assert resumed["peer_id"] == welcome["peer_id"]
    assert await member.receive_nothing(timeout=0.3)  # no knock, no second peer_joined


async def test_another_guest_cannot_take_over_a_guests_place(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    """Guests have no account: naming another guest's peer id in `resume` does not hand over their place."""
    member, _ = await enter(sockets, room_path(world.meeting_room), member_headers)
    _gus, gus_welcome = await let_in(sockets, member, world.guest_link, "Gus Guest")
    await collect(member)
    eve = await knock(sockets, world.guest_link, "Eve")
    heard = await receive(member)
    await member.send_json_to({"type": "admit", "knock_id": heard["knock_id"]})
    assert await receive(eve) == {"type": "admitted"}

    eve_welcome = await ask(eve, {"type": "join_call", "resume": gus_welcome["peer_id"]})

    assert eve_welcome["type"] == "welcome"
    assert eve_welcome["peer_id"] != gus_welcome["peer_id"]
    assert [peer["name"] for peer in eve_welcome["peers"]] == ["Mia Memberg", "Gus Guest"]


async def test_an_invitation_from_inside_the_call_skips_the_knock_while_the_team_is_in_it(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    link = await run(actions.invite_into_call)(world.meeting_room, invited_by=world.member)
    # Nobody of the team in the call: the invited guest knocks like anyone.
    host = await sockets.open(room_path(world.meeting_room), member_headers)
    early = await knock(sockets, link, "Early")
    assert (await receive(host))["type"] == "knock"
    await early.disconnect()
    await collect(host)

    await ask(host, {"type": "join_call"})
    invited = await sockets.open(guest_path(link))

    assert await ask(invited, {"type": "knock", "name": "Ines Invited"}) == {"type": "admitted"}
    welcome = await ask(invited, {"type": "join_call"})
    assert welcome["type"] == "welcome"
    assert (await receive(host))["type"] == "peer_joined"  # no knock first
    # An ordinary guest link still knocks.
    await knock(sockets, world.guest_link)
    assert (await receive(host))["type"] == "knock"


async def test_a_deleted_room_ends_its_call_and_turns_knocking_guests_away(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    member, _ = await enter(sockets, room_path(world.meeting_room), member_headers)
    other_link = await run(actions.create_guest_link)(
        world.meeting_room, label="", expires_at=world.guest_link.expires_at, created_by=world.member
    )
    guest = await knock(sockets, other_link)
    await collect(member)

    await run(actions.delete_meeting_room)(world.meeting_room)

    assert await receive(member) == {"type": "call_ended"}
    assert await receive(guest) == {"type": "declined"}
    assert (await receive_close(guest))["code"] == 4403
    assert await run(Knock.objects.count)() == 0


# --- Patients never enter rooms ---------------------------------------------------------------------------


def _patient_browser(world: World) -> tuple[Client, Consultation]:
    """A patient entered the waiting area through the entry page: their browser's session holds the token."""
    client = Client()
    response = client.post(
        reverse("consultations:entry", args=[world.clinic_a.slug]),
        {"first_name": "Pia", "last_name": "Patient", "phone": "070-123 45 67", "accept_terms": "on"},
    )
    assert response.status_code == 302, response
    return client, Consultation.objects.get(first_name="Pia")


async def test_a_patients_browser_is_refused_at_a_guest_link(sockets: Sockets, world: World) -> None:
    client, consultation = await run(_patient_browser)(world)

    assert await sockets.refused_with(guest_path(world.guest_link), browser_headers(client)) == 4403
    assert await sockets.refused_with(guest_path(world.user_room_guest_link), browser_headers(client)) == 4403

    # Once the consultation is over, the same browser is nobody's patient any more.
    await run(consultations.end)(consultation)
    guest = await sockets.open(guest_path(world.guest_link), browser_headers(client))
    await still_open(guest)


# --- The cap ---------------------------------------------------------------------------------------------


async def test_a_seventh_person_in_a_room_gets_call_full(sockets: Sockets, world: World) -> None:
    in_call = []
    for number in range(MAX_PARTICIPANTS):
        user = await run(make_user)(f"m{number}@acme.test", "Member", str(number))
        await run(ClinicMembership.objects.create)(clinic=world.clinic_a, user=user, role=ClinicRole.MEMBER)
        socket, _ = await enter(sockets, room_path(world.meeting_room), await run(staff_headers)(user))
        in_call.append(socket)
    for socket in in_call:
        await collect(socket)

    seventh = await sockets.open(room_path(world.meeting_room), await run(staff_headers)(world.member))
    refused = await ask(seventh, {"type": "join_call"})

    assert (refused["type"], refused["code"]) == ("error", "call_full")
    # A guest let in is refused the same way, at join_call.
    guest = await knock(sockets, world.guest_link)
    heard = await receive(seventh)
    await seventh.send_json_to({"type": "admit", "knock_id": heard["knock_id"]})
    assert await receive(guest) == {"type": "admitted"}
    assert (await ask(guest, {"type": "join_call"}))["code"] == "call_full"
    assert await run(Participant.objects.count)() == MAX_PARTICIPANTS


async def test_rooms_have_separate_calls(sockets: Sockets, world: World, member_headers: Headers) -> None:
    other_room = await run(MeetingRoom.objects.create)(clinic=world.clinic_a, name="Other room")
    first, _ = await enter(sockets, room_path(world.meeting_room), member_headers)
    _second, welcome = await enter(sockets, room_path(other_room), await run(staff_headers)(world.clerk))
    assert welcome["peers"] == []
    assert await first.receive_nothing(timeout=0.3)


async def test_a_knock_gone_silent_is_withdrawn_at_a_hosts_heartbeat(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    """A guest's worker that died never ran its disconnect: the knock goes once the guest is silent too long."""
    member = await sockets.open(room_path(world.meeting_room), member_headers)
    await knock(sockets, world.guest_link)
    heard = await receive(member)
    await run(Knock.objects.update)(last_seen_at=timezone.now() - timedelta(minutes=5))

    assert await ask(member, {"type": "heartbeat"}) == {"type": "heartbeat_ack"}
    assert await receive(member) == {
        "type": "knock_resolved",
        "knock_id": heard["knock_id"],
        "admitted": False,
        "withdrawn": True,
    }
    assert await run(Knock.objects.count)() == 0


async def test_a_guest_whose_page_reloads_comes_straight_back_but_one_who_left_knocks_again(
    sockets: Sockets, world: World, member_headers: Headers
) -> None:
    """A page says `leave_call` as it unloads: the others lose the tile at once, and a reload
    (`unloading`) is let in again without a knock; the Leave button forgets the admission."""
    member, _ = await enter(sockets, room_path(world.meeting_room), member_headers)
    _client, headers = await run(named_guest)(world.guest_link, "Gus Guest")
    guest, welcome = await let_in(sockets, member, world.guest_link, "Gus Guest", headers)
    await collect(member)

    await guest.send_json_to({"type": "leave_call", "unloading": True})
    await guest.disconnect(code=1001)
    assert await receive(member) == {"type": "peer_left", "peer_id": welcome["peer_id"]}
    reloaded = await sockets.open(guest_path(world.guest_link), headers)
    assert await ask(reloaded, {"type": "knock", "name": "Gus Guest"}) == {"type": "admitted"}
    again = await ask(reloaded, {"type": "join_call"})
    assert again["type"] == "welcome"
    assert (await receive(member))["type"] == "peer_joined"

    await reloaded.send_json_to({"type": "leave_call"})
    await reloaded.disconnect(code=1001)
    assert await receive(member) == {"type": "peer_left", "peer_id": again["peer_id"]}
    back = await sockets.open(guest_path(world.guest_link), headers)
    assert await ask(back, {"type": "knock", "name": "Gus Guest"}) == {"type": "knock_pending"}
