"""Invitation e-mails are throttled per client address and per inviting account: team pages,
resends and the rooms' "invite by e-mail". The refused keep what they typed."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from consulta.organisations.models import Invitation
from consulta.rooms.models import GuestLink
from consulta.testing import World, client_for, run_queued_tasks

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def rates(**changes: str) -> override_settings:
    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **changes}, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_the_team_page_refuses_a_flood_of_invitations_and_keeps_the_form(
    world: World, django_capture_on_commit_callbacks
) -> None:
    url = reverse("organisations:clinic_team", args=[world.clinic_a.slug])
    admin = client_for(world.clinic_admin)
    with rates(invitation_email_account="2/hour"), django_capture_on_commit_callbacks(execute=True):
        sent = [admin.post(url, {"email": f"new{n}@example.test", "role": "clerk"}) for n in range(2)]
        refused = admin.post(url, {"email": "third@example.test", "role": "clerk"})
        # Another account of the same clinic is not held up (the address limit is far higher).
        other = client_for(world.clerk).post(url, {"email": "fourth@example.test", "role": "member"})
    assert [response.status_code for response in sent] == [302, 302]
    assert refused.status_code == 429
    text = page(refused)
    assert "Too many attempts. Please try again in 60 minutes." in text
    assert 'value="third@example.test"' in text
    assert '<option value="clerk" selected>' in text
    assert not Invitation.objects.filter(email="third@example.test").exists()
    assert other.status_code == 302
    assert run_queued_tasks() == 3


def test_the_organisation_roles_page_counts_per_client_address(
    world: World, django_capture_on_commit_callbacks
) -> None:
    url = reverse("organisations:roles", args=[world.organisation.slug])
    admin = client_for(world.org_admin)
    with rates(invitation_email_address="2/hour"), django_capture_on_commit_callbacks(execute=True):
        sent = [admin.post(url, {"email": f"o{n}@example.test", "role": "reporter"}) for n in range(2)]
        # The same address, another account: the address limit holds for both.
        refused = client_for(world.clinic_admin).post(
            reverse("organisations:clinic_team", args=[world.clinic_a.slug]),
            {"email": "x@example.test", "role": "member"},
        )
        refused_here = admin.post(url, {"email": "o3@example.test", "role": "reporter"})
        elsewhere = admin.post(url, {"email": "o4@example.test", "role": "reporter"}, REMOTE_ADDR="198.51.100.4")
    assert [response.status_code for response in sent] == [302, 302]
    assert refused.status_code == refused_here.status_code == 429
    assert 'value="o3@example.test"' in page(refused_here)
    assert elsewhere.status_code == 302
    assert run_queued_tasks() == 3


def test_resending_counts_and_is_refused_with_a_message(world: World, django_capture_on_commit_callbacks) -> None:
    invitation = world.organisation_invitation
    url = reverse("organisations:organisation_invitation_resend", args=[world.organisation.slug, invitation.pk])
    admin = client_for(world.org_admin)
    with rates(invitation_email_account="1/hour"), django_capture_on_commit_callbacks(execute=True):
        admin.post(url)
        refused = admin.post(url, follow=True)
    assert run_queued_tasks() == 1
    text = page(refused)
    assert f"The invitation to {invitation.email} was not sent again." in text
    assert "Too many attempts. Please try again in 60 minutes." in text


def test_inviting_into_a_room_by_e_mail_is_throttled_but_a_bare_link_is_not(
    world: World, django_capture_on_commit_callbacks
) -> None:
    url = reverse("rooms:meeting_room_invite", args=[world.meeting_room.token])
    member = client_for(world.member)
    with rates(invitation_email_account="1/hour"), django_capture_on_commit_callbacks(execute=True):
        assert member.post(url, {"email": "gus@example.test"}, headers=JSON).status_code == 200
        refused = member.post(url, {"email": "hal@example.test"}, headers=JSON)
        plain = member.post(url, {"email": "ida@example.test"}, follow=True)
        link_only = member.post(url, headers=JSON)  # no e-mail sent: not counted, not refused
    assert refused.status_code == 429
    assert refused.json() == {"ok": False, "message": "Too many attempts. Please try again in 60 minutes."}
    assert "The invitation to ida@example.test was not sent. Too many attempts." in page(plain)
    assert link_only.status_code == 200 and link_only.json()["ok"] is True
    assert GuestLink.objects.filter(admit_on_arrival=True).count() == 2  # gus's and the bare link
    assert run_queued_tasks() == 1
