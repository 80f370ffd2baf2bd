"""One-click links: the clinic keeps a known patient's details; the link carries only an opaque reference."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import re
import zlib
from datetime import timedelta
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from consulta.consultations import actions
from consulta.consultations.models import Consultation, PrefillLink
from consulta.organisations.models import Clinic
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}
DETAILS = {"prefill-first_name": "Astrid", "prefill-last_name": "Aalto", "prefill-phone": "070-123 45 67"}
SECRETS = ("Astrid", "Aalto", "070-123 45 67", "0701234567", "123 45 67")


def _link_url(client: Client, slug: str = "alder") -> str:
    response = client.post(f"/c/{slug}/waiting-area/prefill-link/", DETAILS, headers=JSON)
    assert response.status_code == 200, response.content
    url: str = response.json()["url"]
    return url


def _reference(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    assert list(query) == ["p"]
    [token] = query["p"]
    return token


def _decodings(token: str) -> list[bytes]:
    """Everything base64 (and zlib, as Django's signing compresses) could make of the reference's pieces."""
    found = []
    for piece in re.split(r"[.:]", token):
        for decode in (base64.urlsafe_b64decode, base64.standard_b64decode):
            try:
                raw = decode(piece + "=" * (-len(piece) % 4))
            except (binascii.Error, ValueError):
                continue
            found.append(raw)
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(raw))
    return found


def _values(html: str) -> dict[str, str | None]:
    """The value attribute of the name and phone inputs (None when empty)."""
    values: dict[str, str | None] = {}
    for name in ("first_name", "last_name", "phone"):
        tag = re.search(rf'<input[^>]* name="{name}"[^>]*>', html)
        assert tag, f"no input {name}"
        value = re.search(r'value="([^"]*)"', tag.group(0))
        values[name] = value.group(1) if value else None
    return values


EMPTY = {"first_name": None, "last_name": None, "phone": None}
FILLED = {"first_name": "Astrid", "last_name": "Aalto", "phone": "070-123 45 67"}


def _make(clinic: Clinic, world: World) -> str:
    return actions.make_prefill_link(
        clinic, world.member, first_name="Astrid", last_name="Aalto", phone="070-123 45 67"
    )


def test_the_link_carries_no_name_or_phone_and_opens_the_filled_in_form(world: World) -> None:
    url = _link_url(client_for(world.member))

    token = _reference(url)
    for text in (url, unquote(url)):
        for secret in SECRETS:
            assert secret not in text
    for raw in _decodings(token):
        for secret in SECRETS:
            assert secret.encode() not in raw, raw
    # An opaque, random reference of at least 256 bits (43 base64 characters), kept only as its SHA-256.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
    link = PrefillLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {link.token_hash, link.first_name, link.last_name, link.phone}
    assert (link.clinic, link.created_by) == (world.clinic_a, world.member)
    assert abs((link.expires_at - (timezone.now() + timedelta(hours=72))).total_seconds()) < 60

    page = client_for(None).get(url)
    assert page.status_code == 200
    assert _values(page.content.decode()) == FILLED


def test_two_links_for_the_same_patient_have_different_references(world: World) -> None:
    assert _make(world.clinic_a, world) != _make(world.clinic_a, world)


def test_an_expired_link_gives_the_empty_form(world: World, settings: Any) -> None:
    settings.PREFILL_LINK_HOURS = 72
    token = _make(world.clinic_a, world)
    now = timezone.now()

    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=71, minutes=59)):
        assert _values(client_for(None).get(f"/wait/alder/?p={token}").content.decode()) == FILLED
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=72, minutes=1)):
        page = client_for(None).get(f"/wait/alder/?p={token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert _values(html) == EMPTY
    assert "Astrid" not in html


def test_another_clinics_link_gives_the_empty_form(world: World) -> None:
    token = _make(world.clinic_b, world)

    page = client_for(None).get(f"/wait/alder/?p={token}")
    assert page.status_code == 200
    assert _values(page.content.decode()) == EMPTY
    assert "Astrid" not in page.content.decode()
    # In its own clinic it works.
    assert _values(client_for(None).get(f"/wait/birch/?p={token}").content.decode()) == FILLED


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "x" * 10_000,
        signing.dumps({"f": "Astrid", "l": "Aalto", "p": "1"}, salt="consulta.prefill", compress=True),
    ],
    ids=["unknown", "huge", "the-old-signed-kind"],
)
def test_an_unknown_reference_gives_the_empty_form(world: World, token: str) -> None:
    _make(world.clinic_a, world)
    page = client_for(None).get("/wait/alder/", {"p": token})
    assert page.status_code == 200
    assert _values(page.content.decode()) == EMPTY
    assert "Astrid" not in page.content.decode()


def test_a_changed_reference_gives_the_empty_form(world: World) -> None:
    token = _make(world.clinic_a, world)
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert _values(client_for(None).get(f"/wait/alder/?p={changed}").content.decode()) == EMPTY


def test_the_link_still_works_after_the_patient_entered_until_it_expires(world: World) -> None:
    """Kept, not used up: a patient who lost their place (a phone gone dark) reopens it from the message."""
    token = _make(world.clinic_a, world)
    patient = client_for(None)
    url = f"/wait/alder/?p={token}"
    entered = patient.post(url, {**FILLED, "accept_terms": "on"})
    assert entered.status_code == 302
    assert Consultation.objects.get().name == "Astrid Aalto"

    # Another browser (the message opened in another app) still finds the details.
    assert _values(client_for(None).get(url).content.decode()) == FILLED


def test_only_the_clinics_team_makes_links(world: World) -> None:
    response = client_for(world.outsider).post("/c/alder/waiting-area/prefill-link/", DETAILS, headers=JSON)
    assert response.status_code == 404
    assert client_for(None).post("/c/alder/waiting-area/prefill-link/", DETAILS, headers=JSON).status_code == 302
    assert not PrefillLink.objects.exists()


def test_a_link_without_a_name_is_refused(world: World) -> None:
    response = client_for(world.member).post(
        "/c/alder/waiting-area/prefill-link/", {"prefill-first_name": "Astrid"}, headers=JSON
    )
    assert response.status_code == 400
    assert not PrefillLink.objects.exists()
