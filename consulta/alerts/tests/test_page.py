"""The alerts page: each person sets their own alerts; who configures the clinic sets its escalation."""

from __future__ import annotations

import re

from django.urls import reverse

from consulta.alerts.models import AlertPreference, EscalationPolicy
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World, client_for

PHONE_TYPED, PHONE_STORED = "070-123 45 67", "+46701234567"


def _page(world: World) -> str:
    return reverse("alerts:settings", args=[world.clinic_a.slug])


def _escalation(world: World) -> str:
    return reverse("alerts:escalation", args=[world.clinic_a.slug])


def test_a_member_sets_their_own_alerts_and_the_change_is_logged_without_the_number(world: World) -> None:
    client = client_for(world.member)
    page = client.get(_page(world)).content.decode()
    assert world.member.email in page  # where the e-mail goes
    clinic_home = client.get(reverse("organisations:clinic_home", args=["alder"])).content.decode()
    assert 'href="/c/alder/alerts/"' in clinic_home  # the clinic's navigation links the page

    answer = client.post(_page(world), {"new_caller_email": "on", "new_caller_sms": "on", "phone": PHONE_TYPED})
    assert answer.status_code == 302
    preference = AlertPreference.objects.get(user=world.member, clinic=world.clinic_a)
    assert (preference.new_caller_email, preference.new_caller_sms, preference.phone) == (True, True, PHONE_STORED)

    [event] = Event.objects.filter(kind=Kind.ALERTS_CHANGED)
    assert event.actor == world.member and event.clinic_id == world.clinic_a.pk
    assert event.data == {"changed": ["new_caller_email", "new_caller_sms", "phone"], "email": True, "sms": True}
    assert "7012345" not in str(event.data) + event.subject

    # Saving the same again changes nothing and logs nothing.
    client.post(_page(world), {"new_caller_email": "on", "new_caller_sms": "on", "phone": PHONE_STORED})
    assert Event.objects.filter(kind=Kind.ALERTS_CHANGED).count() == 1


def test_nobody_sees_or_changes_another_persons_alerts(world: World) -> None:
    AlertPreference.objects.create(user=world.clerk, clinic=world.clinic_a, new_caller_sms=True, phone="+46709876543")
    client = client_for(world.member)
    page = client.get(_page(world)).content.decode()
    assert "+46709876543" not in page and world.clerk.email not in page

    # A form that names someone else changes the sender's own row only.
    client.post(_page(world), {"user": world.clerk.pk, "clinic": world.clinic_b.pk, "phone": ""})
    clerk = AlertPreference.objects.get(user=world.clerk)
    assert (clerk.new_caller_sms, clerk.phone) == (True, "+46709876543")
    assert AlertPreference.objects.get(user=world.member).clinic == world.clinic_a


def test_a_text_message_needs_a_number_we_can_text(world: World) -> None:
    client = client_for(world.member)
    answer = client.post(_page(world), {"new_caller_sms": "on", "phone": ""})
    assert answer.status_code == 200
    assert "Give the mobile number the text messages should go to." in answer.content.decode()

    answer = client.post(_page(world), {"new_caller_sms": "on", "new_caller_email": "on", "phone": "12"})
    body = answer.content.decode()
    assert "This is not a phone number we can text" in body
    assert 'name="phone" value="12"' in body  # the form keeps what was typed
    assert re.search(r'<input type="checkbox" name="new_caller_email"[^>]* checked>', body)
    assert not AlertPreference.objects.exists()


def test_a_member_cannot_set_the_escalation(world: World) -> None:
    client = client_for(world.member)
    page = client.get(_page(world)).content.decode()
    assert "escalation-team_after_minutes" not in page  # no fields
    assert "The team is not alerted when a caller waits long." in page
    answer = client.post(_escalation(world), {"escalation-team_after_minutes": "5"})
    assert answer.status_code == 403
    assert not EscalationPolicy.objects.exists()


def test_the_clinic_admin_sets_the_escalation_admins_after_the_team(world: World) -> None:
    client = client_for(world.clinic_admin)
    assert "escalation-team_after_minutes" in client.get(_page(world)).content.decode()

    answer = client.post(
        _escalation(world), {"escalation-team_after_minutes": "15", "escalation-admin_after_minutes": "10"}
    )
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "The admins are alerted after the team: give more than 15 minutes" in body
    assert 'value="15"' in body and 'value="10"' in body  # the form keeps what was typed
    assert not EscalationPolicy.objects.exists()

    answer = client.post(_escalation(world), {"escalation-team_after_minutes": "0"})
    assert "greater than or equal to 1" in answer.content.decode()

    answer = client.post(
        _escalation(world), {"escalation-team_after_minutes": "10", "escalation-admin_after_minutes": "25"}
    )
    assert answer.status_code == 302
    policy = EscalationPolicy.objects.get(clinic=world.clinic_a)
    assert (policy.team_after_minutes, policy.admin_after_minutes) == (10, 25)
    [event] = Event.objects.filter(kind=Kind.ALERTS_CHANGED)
    assert event.actor == world.clinic_admin
    assert event.data == {
        "changed": ["team_after_minutes", "admin_after_minutes"],
        "team_after_minutes": 10,
        "admin_after_minutes": 25,
    }
    member_page = client_for(world.member).get(_page(world)).content.decode()
    assert "The team is alerted when a caller has waited more than 10 minutes." in member_page
    assert "The clinic's admins are alerted after 25 minutes." in member_page


def test_admins_only_escalation_and_switching_it_off(world: World) -> None:
    client = client_for(world.coordinator)  # configures every clinic of the organisation
    client.post(_escalation(world), {"escalation-admin_after_minutes": "30"})
    assert EscalationPolicy.objects.get().team_after_minutes is None
    client.post(_escalation(world), {})
    policy = EscalationPolicy.objects.get()
    assert (policy.team_after_minutes, policy.admin_after_minutes) == (None, None)


def test_leaving_the_team_takes_the_persons_alert_settings_and_number_with_it(world: World) -> None:
    from consulta.organisations import actions as organisations

    AlertPreference.objects.create(user=world.member, clinic=world.clinic_a, new_caller_sms=True, phone=PHONE_STORED)
    AlertPreference.objects.create(user=world.clerk, clinic=world.clinic_a, new_caller_email=True)

    organisations.remove_from_clinic(world.membership(world.member))

    assert list(AlertPreference.objects.values_list("user", flat=True)) == [world.clerk.pk]
