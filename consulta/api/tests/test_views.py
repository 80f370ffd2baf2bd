"""The organisation's API keys page: making a key (its secret shown once), the form's errors, revoking."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from consulta.api import actions
from consulta.api.models import ApiKey
from consulta.api.tests.keys import api_client
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db

KEYS_URL = reverse("api:keys", args=["acme"])


def _token(html: str) -> str:
    found = re.search(r'id="api-key-token"[^>]* value="([^"]+)"', html)
    assert found, "the token field"
    return found.group(1)


def test_making_a_key_for_chosen_clinics_shows_its_secret_once(world: World) -> None:
    admin = client_for(world.org_admin)
    form = {
        "name": "Booking system",
        "access": "read",
        "can_see_names": "on",
        "clinic_scope": "chosen",
        "clinics": [str(world.clinic_a.pk)],
    }
    made = admin.post(KEYS_URL, form)
    assert made.status_code == 200
    html = made.content.decode()
    assert "only time it is shown" in html
    token = _token(html)
    key = ApiKey.objects.get()
    assert (key.name, key.access, key.can_see_names, key.all_clinics) == ("Booking system", "read", True, False)
    assert list(key.clinics.all()) == [world.clinic_a]
    assert key.created_by == world.org_admin
    assert api_client(token).get("/api/v1/clinics").json()[0]["slug"] == "alder"

    listing = admin.get(KEYS_URL).content.decode()
    assert token not in listing and f"csk_{key.prefix}" in listing
    assert "Booking system" in listing and "Alder Clinic" in listing and "Never" not in listing  # it was just used


def test_the_form_keeps_what_was_typed_and_says_what_is_wrong(world: World) -> None:
    admin = client_for(world.org_admin)
    refused = admin.post(KEYS_URL, {"name": "Half done", "access": "write", "clinic_scope": "chosen"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose at least one clinic" in html
    assert 'value="Half done"' in html
    assert re.search(r'<input[^>]*value="write"[^>]*checked', html)
    assert re.search(r'<input[^>]*value="chosen"[^>]*checked', html)
    assert not ApiKey.objects.exists()


def test_another_organisations_clinic_cannot_be_chosen(world: World) -> None:
    form = {"name": "Sneaky", "access": "read", "clinic_scope": "chosen", "clinics": [str(world.other_clinic.pk)]}
    assert client_for(world.org_admin).post(KEYS_URL, form).status_code == 400
    assert not ApiKey.objects.exists()


def test_revoking_asks_first_then_the_key_stops_working(world: World) -> None:
    key, token = actions.create_key(
        world.organisation, name="Bookings", access="read", can_see_names=False, clinics=None, created_by=None
    )
    admin = client_for(world.org_admin)
    url = reverse("api:key_revoke", args=["acme", key.pk])
    asked = admin.get(url)
    assert asked.status_code == 200 and "Revoke the key" in asked.content.decode()
    assert api_client(token).get("/api/v1/clinics").status_code == 200
    done = admin.post(url)
    assert done.status_code == 302 and done["Location"] == KEYS_URL
    assert api_client(token).get("/api/v1/clinics").status_code == 401
    event = Event.objects.get(kind=Kind.API_KEY_REVOKED)
    assert event.actor == world.org_admin and event.data["prefix"] == key.prefix
    assert "Revoked" in admin.get(KEYS_URL).content.decode()


def test_another_organisations_key_is_not_found(world: World) -> None:
    theirs, _token = actions.create_key(
        world.other_organisation, name="Theirs", access="read", can_see_names=False, clinics=None, created_by=None
    )
    assert client_for(world.org_admin).post(reverse("api:key_revoke", args=["acme", theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_audit_trail_names_the_key_and_its_scope(world: World) -> None:
    from consulta.eventlog import describe
    from consulta.eventlog.log import record

    key, _token = actions.create_key(
        world.organisation,
        name="Bookings",
        access="write",
        can_see_names=True,
        clinics=[world.clinic_a],
        created_by=world.org_admin,
    )
    made = Event.objects.get(kind=Kind.API_KEY_CREATED)
    sentence = describe.summary(made, describe.timezone.get_current_timezone())
    assert sentence == f"API key “Bookings” (csk_{key.prefix}) made: read and write, patients' names, clinics alder"
    assert describe.who(made) == world.org_admin.email
    by_key = record(Kind.PREFILL_LINK_CREATED, clinic_id=world.clinic_a.pk, actor=None, data={"api_key": key.prefix})
    assert by_key is not None and describe.who(by_key) == f"API key csk_{key.prefix}"
    audit = client_for(world.org_admin).get(reverse("eventlog:organisation_audit", args=["acme"]))
    assert f"csk_{key.prefix}" in audit.content.decode()
