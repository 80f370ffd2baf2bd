"""The organisation admin's webhook pages: adding, editing, the secret, enabling, deleting, the log.
(Who may open them: consulta/organisations/tests/test_permission_matrix.py.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World
from consulta.webhooks import actions, delivery
from consulta.webhooks.models import WebhookEndpoint
from consulta.webhooks.tests.helpers import cursor_at_now, endpoint, patient_enters, receiver_settings


@pytest.fixture(autouse=True)
def _settings(settings: Any, db: None) -> None:
    receiver_settings(settings)
    settings.WEBHOOK_ALLOW_HTTP = False  # as in production
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    cursor_at_now()


def _events(kind: Kind) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("pk"))


def test_an_admin_adds_an_endpoint_and_sees_its_secret(world: World) -> None:
    client = world.client_for("org_admin")
    page = client.get(reverse("webhooks:endpoints", args=["acme"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Caller entered the waiting area (consultation.entered)" in html  # the kinds' own labels
    assert 'href="/o/acme/webhooks/"' in html  # the organisation's navigation links here

    answer = client.post(
        reverse("webhooks:endpoints", args=["acme"]),
        {
            "url": "https://appointments.example.org/hooks?token=s3cr3t",
            "description": "Bookings",
            "event_types": ["consultation.entered", "consultation.left"],
            "scope": "some",
            "clinics": [str(world.clinic_b.pk)],
            "include_patient_names": "on",
        },
    )
    hook = WebhookEndpoint.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/o/acme/webhooks/{hook.pk}/"
    assert (hook.event_types, hook.all_clinics, hook.include_patient_names) == (
        ["consultation.entered", "consultation.left"],
        False,
        True,
    )
    assert list(hook.clinics.all()) == [world.clinic_b]
    assert hook.created_by == world.org_admin
    assert hook.secret.startswith("whsec_") and len(hook.secret) == len("whsec_") + 32

    detail = client.get(answer["Location"]).content.decode()
    assert hook.secret in detail and "Rotate secret" in detail
    [created] = _events(Kind.WEBHOOK_CREATED)
    assert created.subject == f"webhook:{hook.pk}" and created.organisation_id == world.organisation.pk
    logged = json.dumps(created.data)
    assert "s3cr3t" not in logged and hook.secret not in logged and "appointments" not in logged


def test_a_form_with_errors_keeps_what_was_typed(world: World) -> None:
    client = world.client_for("org_admin")
    answer = client.post(
        reverse("webhooks:endpoints", args=["acme"]),
        {"url": "http://appointments.example.org/hooks", "description": "Bookings typed", "scope": "some"},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "The URL must start with https://." in html
    assert "Choose at least one event type." in html
    assert "Choose at least one clinic, or every clinic." in html
    assert 'value="http://appointments.example.org/hooks"' in html and 'value="Bookings typed"' in html
    assert not WebhookEndpoint.objects.exists()


def test_editing_logs_the_fields_changed_and_rotating_changes_the_secret(world: World) -> None:
    hook = endpoint(world.organisation, "https://hooks.example.org/a")
    client = world.client_for("org_admin")
    page = reverse("webhooks:endpoint", args=["acme", hook.pk])
    answer = client.post(
        page,
        {"url": "https://hooks.example.org/b?key=hidden", "event_types": ["call.joined"], "scope": "all"},
    )
    assert answer.status_code == 302
    hook.refresh_from_db()
    assert (hook.url, hook.event_types) == ("https://hooks.example.org/b?key=hidden", ["call.joined"])
    [updated] = _events(Kind.WEBHOOK_UPDATED)
    assert updated.data == {"changed": ["url", "event_types"]}

    old = hook.secret
    client.post(reverse("webhooks:rotate_secret", args=["acme", hook.pk]))
    hook.refresh_from_db()
    assert hook.secret != old and hook.secret.startswith("whsec_")
    assert _events(Kind.WEBHOOK_UPDATED)[-1].data == {"changed": ["secret"]}
    assert all(old not in json.dumps(e.data) and "hidden" not in json.dumps(e.data) for e in Event.objects.all())


def test_disable_enable_and_delete(world: World) -> None:
    hook = endpoint(world.organisation, "https://hooks.example.org/a")
    client = world.client_for("org_admin")
    client.post(reverse("webhooks:disable", args=["acme", hook.pk]))
    hook.refresh_from_db()
    assert not hook.enabled
    assert "Enable" in client.get(reverse("webhooks:endpoint", args=["acme", hook.pk])).content.decode()
    client.post(reverse("webhooks:enable", args=["acme", hook.pk]))
    hook.refresh_from_db()
    assert hook.enabled and hook.disabled_at is None

    answer = client.post(reverse("webhooks:delete", args=["acme", hook.pk]))
    assert answer["Location"] == "/o/acme/webhooks/"
    assert not WebhookEndpoint.objects.exists()
    assert len(_events(Kind.WEBHOOK_DELETED)) == 1


def test_another_organisations_endpoint_is_not_found_under_this_slug(world: World) -> None:
    theirs = endpoint(world.other_organisation, "https://hooks.example.org/x")
    client = world.client_for("org_admin")
    assert client.get(reverse("webhooks:endpoint", args=["acme", theirs.pk])).status_code == 404
    assert client.post(reverse("webhooks:delete", args=["acme", theirs.pk])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=theirs.pk).exists()


def test_the_delivery_log_shows_each_message_and_its_attempts(world: World) -> None:
    hook = endpoint(world.organisation, "https://127.0.0.1:1/")  # stored past the form: refused at delivery
    patient_enters(world.clinic_a)
    delivery.drain()
    delivery.deliver_due()
    html = world.client_for("org_admin").get(reverse("webhooks:endpoint", args=["acme", hook.pk])).content.decode()
    message = hook.messages.get()
    assert message.msg_id in html and "consultation.entered" in html
    assert "refused: 127.0.0.1 is a loopback address" in html  # the attempt's error
    assert message.attempts == 1


def test_the_event_kinds_of_webhooks_are_described(world: World) -> None:
    hook = endpoint(world.organisation, "https://hooks.example.org/a")
    actions.set_enabled(hook, False)
    html = world.client_for("org_admin").get(reverse("eventlog:organisation_audit", args=["acme"])).content.decode()
    assert "Webhook endpoint added" in html and "Webhook endpoint changed" in html
    assert f"Webhook endpoint #{hook.pk} changed: enabled" in html
    assert "hooks.example.org" not in html  # the trail never shows the URL


def test_only_the_offered_event_types_are_taken(world: World) -> None:
    with pytest.raises(ValueError, match=r"consultation\.marked_urgent"):
        actions.create_endpoint(
            world.organisation, url="https://hooks.example.org/", event_types=["consultation.marked_urgent"]
        )
    hook = actions.create_endpoint(
        world.organisation, url="https://hooks.example.org/", event_types=["call.left", "consultation.entered"]
    )
    assert hook.event_types == ["consultation.entered", "call.left"]  # in the list's order
    answer = world.client_for("org_admin").post(
        reverse("webhooks:endpoint", args=["acme", hook.pk]),
        {"url": "https://hooks.example.org/", "event_types": ["alerts.changed"], "scope": "all"},
    )
    assert answer.status_code == 200
    assert "Select a valid choice." in answer.content.decode()
