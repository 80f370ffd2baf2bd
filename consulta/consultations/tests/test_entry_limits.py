"""Floods refused, real people let in: the patient entry's rate limits and the waiting area's cap."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.testing import RateLimitClock, World

pytestmark = pytest.mark.django_db

ALDER = "/wait/alder/"
BIRCH = "/wait/birch/"
ENTRY = {"first_name": "Astrid", "last_name": "Aalto", "phone": "070-123 45 67", "accept_terms": "on"}


def rates(**changes: str) -> override_settings:
    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **changes}, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def enter(url: str = ALDER, address: str = "198.51.100.7", data: dict[str, str] | None = None, **extra: Any):
    """One patient's POST from `address`, in a browser of its own (no session, so no shortcut)."""
    return Client().post(url, data or ENTRY, REMOTE_ADDR=address, **extra)


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_a_flood_from_one_address_is_refused_with_what_was_typed_kept(world: World) -> None:
    with rates(patient_entry_address="3/10minutes"):
        assert [enter().status_code for _ in range(3)] == [302, 302, 302]
        typed = {**ENTRY, "first_name": "Bertil", "last_name": "Berg", "phone": "070-765 43 21"}
        refused = enter(data=typed)
        # Another address is not held up by the flood.
        assert enter(address="198.51.100.8").status_code == 302

    assert refused.status_code == 429
    assert 590 <= int(refused["Retry-After"]) <= 600
    text = page(refused)
    assert "Too many attempts. Please try again in 10 minutes." in text
    assert 'value="Bertil"' in text and 'value="Berg"' in text and 'value="070-765 43 21"' in text
    assert re.search(r'<input[^>]*name="accept_terms"[^>]*checked', text)
    assert Consultation.objects.filter(clinic=world.clinic_a).count() == 4
    assert not Consultation.objects.filter(first_name="Bertil").exists()


def test_every_post_counts_against_the_address_even_an_invalid_one(world: World) -> None:
    with rates(patient_entry_address="2/10minutes"):
        assert enter(data={**ENTRY, "phone": "nonsense"}).status_code == 400
        assert enter(data={**ENTRY, "phone": "nonsense"}).status_code == 400
        refused = enter()
    assert refused.status_code == 429
    assert not Consultation.objects.exists()


def test_a_refused_patient_gets_in_once_the_window_has_moved_on(world: World, rate_limit_clock: RateLimitClock) -> None:
    with rates(patient_entry_address="1/1second"):
        assert enter().status_code == 302
        refused = enter()
        assert refused.status_code == 429
        assert "Please try again in 1 second." in page(refused)
        rate_limit_clock.advance(1.05)
        assert enter().status_code == 302


def test_the_clinic_limit_holds_across_addresses_and_counts_only_complete_entries(world: World) -> None:
    with rates(patient_entry_address="100/10minutes", patient_entry_clinic="2/10minutes"):
        assert enter(address="198.51.100.1", data={**ENTRY, "phone": "x"}).status_code == 400  # not counted
        assert enter(address="198.51.100.2").status_code == 302
        assert enter(address="198.51.100.3").status_code == 302
        refused = enter(address="198.51.100.4")
        other_clinic = enter(BIRCH, address="198.51.100.5")
    assert refused.status_code == 429
    assert 'value="Astrid"' in page(refused)
    assert other_clinic.status_code == 302
    assert Consultation.objects.filter(clinic=world.clinic_a).count() == 2


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_limit(world: World) -> None:
    with rates(patient_entry_address="2/10minutes"), override_settings(TRUSTED_PROXIES=[]):
        statuses = [enter(address="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(5)]
    assert statuses == [302, 302, 429, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_counts_on_its_own(world: World) -> None:
    with rates(patient_entry_address="1/10minutes"), override_settings(TRUSTED_PROXIES=["127.0.0.1"]):
        first = enter(address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
        again = enter(address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
        other = enter(address="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert (first.status_code, again.status_code, other.status_code) == (302, 429, 302)


def test_a_full_waiting_area_says_so_and_keeps_what_was_typed(world: World) -> None:
    for name in ("One", "Two"):
        actions.enter(world.clinic_a, first_name=name, last_name="Waiting", phone="+46701234567", answers=[])
    with override_settings(WAITING_AREA_MAX_CALLERS=2):
        full = enter(data={**ENTRY, "first_name": "Cecilia"})
        other_clinic = enter(BIRCH)
    assert full.status_code == 503
    assert full["Retry-After"] == "60"
    text = page(full)
    assert "The waiting area is full just now. Please try again in a few minutes, or call the clinic." in text
    assert 'value="Cecilia"' in text
    assert Consultation.objects.filter(clinic=world.clinic_a).count() == 2
    assert other_clinic.status_code == 302
    with override_settings(WAITING_AREA_MAX_CALLERS=3):
        assert enter(data={**ENTRY, "first_name": "Cecilia"}).status_code == 302
    with override_settings(WAITING_AREA_MAX_CALLERS=0):  # no cap
        assert enter(address="198.51.100.99").status_code == 302
