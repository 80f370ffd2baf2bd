"""Inviting an interpreter or a relative straight into a consultation's call, by link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.consultations import actions
from consulta.consultations.models import CallInvite, Consultation
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    Sockets,
    ask,
    call_path,
    enter,
    invitee_headers,
    receive,
    run,
    staff_headers,
)
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def caller(world: World) -> Consultation:
    return enter(world.clinic_a, "Omar", "Okafor")


def make_invite(world: World, caller: Consultation) -> CallInvite:
    return actions.invite_to_call(caller, world.member)


def test_team_member_makes_a_link_outsider_cannot(world: World, caller: Consultation) -> None:
    url = reverse("consultations:invite", args=[world.clinic_a.slug, caller.pk])
    answer = client_for(world.member).post(url, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    token = answer.json()["url"].rstrip("/").rsplit("/", 1)[-1]
    assert CallInvite.objects.get(token=token).consultation == caller
    assert client_for(world.outsider).post(url, HTTP_ACCEPT="application/json").status_code == 404
    assert CallInvite.objects.count() == 1


def test_the_page_asks_for_a_name_first_and_keeps_bad_input(world: World, caller: Consultation) -> None:
    invite = make_invite(world, caller)
    url = reverse("consultations:join_by_invite", args=[invite.token])
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "Your name" in page.content.decode()
    refused = client.post(url, {"name": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    client.post(url, {"name": "Ali, interpreter"})
    joined = client.get(url)
    assert "You are joining as <bdi>Ali, interpreter</bdi>" in joined.content.decode()
    assert 'id="call-view"' in joined.content.decode()


def test_expired_or_ended_invites_open_nothing(world: World, caller: Consultation) -> None:
    invite = make_invite(world, caller)
    url = reverse("consultations:join_by_invite", args=[invite.token])
    CallInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(url).status_code == 404
    second = make_invite(world, caller)
    actions.end(caller)
    assert not CallInvite.objects.filter(pk=second.pk).exists()
    assert Client().get(reverse("consultations:join_by_invite", args=[second.token])).status_code == 404


async def test_the_invitee_joins_the_call_as_a_guest(sockets: Sockets, world: World, caller: Consultation) -> None:
    invite = await run(make_invite)(world, caller)
    staff = await sockets.open(call_path(caller), await run(staff_headers)(world.member))
    staff_welcome = await ask(staff, {"type": "join_call"})
    assert staff_welcome["type"] == "welcome"

    guest = await sockets.open(f"/ws/invites/{invite.token}/", await run(invitee_headers)(invite.token, "Ali"))
    welcome = await ask(guest, {"type": "join_call"})
    assert welcome["type"] == "welcome"
    assert [p["role"] for p in welcome["peers"]] == ["staff"]
    joined = await receive(staff)
    assert joined["type"] == "peer_joined"
    assert joined["peer"]["role"] == "guest" and joined["peer"]["name"] == "Ali"

    await run(actions.end)(caller)
    assert (await receive(guest))["type"] == "call_ended"


async def test_without_a_name_or_after_the_end_the_socket_is_refused(
    sockets: Sockets, world: World, caller: Consultation
) -> None:
    invite = await run(make_invite)(world, caller)
    assert await sockets.refused_with(f"/ws/invites/{invite.token}/", SAME_ORIGIN) == 4404
    headers = await run(invitee_headers)(invite.token, "Ali")
    await run(actions.end)(caller)
    assert await sockets.refused_with(f"/ws/invites/{invite.token}/", headers) == 4404
