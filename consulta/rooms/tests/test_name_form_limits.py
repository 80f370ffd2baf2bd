"""The public name forms (a guest at a room's link, an invitee at a consultation's call) are limited per address.

Each submission makes a browser session: unlimited, one client could fill the session table.
"""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse

from consulta.consultations import actions
from consulta.consultations.tests.sockets import enter
from consulta.testing import World

pytestmark = pytest.mark.django_db


def limited() -> override_settings:
    rates = {**settings.RATE_LIMITS, "name_form_address": "2/10minutes"}
    return override_settings(RATE_LIMITS=rates, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def name_forms(world: World) -> list[str]:
    invite = actions.invite_to_call(enter(world.clinic_a, "Omar", "Okafor"), world.member)
    return [
        reverse("rooms:guest", args=[world.guest_link.token]),
        reverse("consultations:join_by_invite", args=[invite.token]),
    ]


@pytest.mark.parametrize("form", [0, 1], ids=["guest", "invitee"])
def test_a_flood_of_names_is_refused_and_another_address_still_gets_in(world: World, form: int) -> None:
    url = name_forms(world)[form]
    with limited():
        for _ in range(2):
            assert Client().post(url, {"name": "Flood"}, REMOTE_ADDR="198.51.100.9").status_code == 302
        sessions = Session.objects.count()
        refused = Client().post(url, {"name": "Fiona Flood"}, REMOTE_ADDR="198.51.100.9")
        assert refused.status_code == 429
        shown = html.unescape(refused.content.decode())
        assert "Too many attempts. Please try again in 10 minutes." in shown
        assert 'value="Fiona Flood"' in shown  # what was typed stays
        assert Session.objects.count() == sessions  # the refused made no session
        assert Client().post(url, {"name": "Real Guest"}, REMOTE_ADDR="203.0.113.5").status_code == 302
