"""HTTPS behind a TLS proxy (redirect, HSTS, secure cookies), Permissions-Policy, and Cache-Control: no-store."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.testing import World, client_for, in_fresh_process

PROBE = """
import json
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in (
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "SECURE_REDIRECT_EXEMPT",
)}))
"""


def _settings_with(**extra: str) -> dict[str, object]:
    answer: dict[str, object] = in_fresh_process(
        PROBE, extra, drop={"BEHIND_TLS_PROXY", "SECURE_COOKIES", "HSTS_SECONDS"}
    )
    return answer


def test_behind_a_tls_proxy_https_is_on_by_default() -> None:
    behind = _settings_with(BEHIND_TLS_PROXY="true")
    assert behind["SECURE_SSL_REDIRECT"] is True
    assert behind["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert behind["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert behind["SECURE_HSTS_PRELOAD"] is False  # a promise to browsers that takes months to undo: opt in
    assert behind["SESSION_COOKIE_SECURE"] is True
    assert behind["CSRF_COOKIE_SECURE"] is True
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert behind["SECURE_REDIRECT_EXEMPT"] == ["^health/$"]


def test_the_tls_settings_can_be_tuned() -> None:
    tuned = _settings_with(
        BEHIND_TLS_PROXY="true", HSTS_SECONDS="600", HSTS_INCLUDE_SUBDOMAINS="false", HSTS_PRELOAD="true"
    )
    assert tuned["SECURE_HSTS_SECONDS"] == 600
    assert tuned["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert tuned["SECURE_HSTS_PRELOAD"] is True
    assert _settings_with(BEHIND_TLS_PROXY="true", SECURE_COOKIES="false")["SESSION_COOKIE_SECURE"] is False


def test_the_plain_http_demo_keeps_plain_http() -> None:
    demo = _settings_with()
    assert demo["SECURE_SSL_REDIRECT"] is False
    assert demo["SECURE_HSTS_SECONDS"] == 0
    assert demo["SESSION_COOKIE_SECURE"] is False
    assert demo["SECURE_PROXY_SSL_HEADER"] is None


BEHIND_PROXY = {
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_REDIRECT_EXEMPT": [r"^health/$"],
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": False,
}


@pytest.mark.django_db
@override_settings(**BEHIND_PROXY)
def test_behind_the_proxy_plain_http_is_sent_to_https_but_health_checks_are_answered() -> None:
    plain = Client().get("/wait/alder/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/wait/alder/"
    health = Client().get("/health/")
    assert health.status_code == 200
    assert "Strict-Transport-Security" not in health  # browsers ignore HSTS over plain HTTP anyway


@pytest.mark.django_db
@override_settings(**BEHIND_PROXY)
def test_behind_the_proxy_https_pages_carry_hsts(world: World) -> None:
    response = Client().get("/wait/alder/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- Permissions-Policy ---------------------------------------------------------------------


def _policy(header: str) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in header.split(","))


@pytest.mark.django_db
def test_camera_microphone_and_screen_capture_are_for_this_site_only(world: World) -> None:
    for url in ("/wait/alder/", reverse("rooms:guest", args=[world.guest_link.token]), "/accounts/login/"):
        policy = _policy(Client().get(url)["Permissions-Policy"])
        for feature in ("camera", "microphone", "display-capture"):
            assert policy[feature] == "(self)", (url, feature)
        for feature in ("geolocation", "payment", "usb", "serial", "hid", "bluetooth", "midi", "browsing-topics"):
            assert policy[feature] == "()", (url, feature)


# --- Cache-Control: no-store ------------------------------------------------------------------


def _not_stored(response: object, label: str) -> None:
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}  # type: ignore[index]
    assert {"no-store", "private"} <= cache_control, label


@pytest.fixture
def caller(world: World) -> Consultation:
    return actions.enter(world.clinic_a, first_name="Astrid", last_name="Lindqvist", phone="+46701234567", answers=[])


@pytest.mark.django_db
def test_the_patients_pages_are_never_stored(world: World, caller: Consultation) -> None:
    patient = Client()
    invite = actions.invite_to_call(caller, world.member)
    pages = {
        "entry": patient.get("/wait/alder/"),
        "entry refused": patient.post("/wait/alder/", {"first_name": "Astrid"}),
        "space": patient.get(reverse("consultations:space", args=[caller.token])),
        "space gone": patient.get(reverse("consultations:space", args=["no-such-token"])),
        "join by invite": Client().get(reverse("consultations:join_by_invite", args=[invite.token])),
        "leave": patient.post(reverse("consultations:leave", args=[caller.token])),
    }
    for label, response in pages.items():
        assert response.status_code in (200, 302, 400, 404), label
        _not_stored(response, label)


@pytest.mark.django_db
def test_the_teams_pages_and_actions_are_never_stored(world: World, caller: Consultation) -> None:
    team = client_for(world.member)
    slug = world.clinic_a.slug
    responses = {
        "dashboard": team.get(reverse("consultations:dashboard", args=[slug])),
        "dashboard as JSON": team.get(
            reverse("consultations:dashboard", args=[slug]), headers={"accept": "application/json"}
        ),
        "join": team.post(reverse("consultations:join", args=[slug, caller.pk])),
        "call": team.get(reverse("consultations:call", args=[slug, caller.pk])),
        "hold": team.post(reverse("consultations:hold", args=[slug, caller.pk])),
        "end": team.post(reverse("consultations:end", args=[slug, caller.pk])),
        "meeting room": team.get(reverse("rooms:meeting_room", args=[world.meeting_room.token])),
        "user room": team.get(reverse("rooms:user_room", args=[world.user_room.token])),
        "home": team.get("/"),
    }
    for label, response in responses.items():
        assert response.status_code in (200, 302, 400, 409), label
        _not_stored(response, label)


@pytest.mark.django_db
def test_guest_invitation_and_login_pages_are_never_stored(world: World) -> None:
    responses = {
        "guest link": Client().get(reverse("rooms:guest", args=[world.guest_link.token])),
        "invitation": Client().get(reverse("accounts:invitation", args=[world.clinic_invitation.token])),
        "login": Client().get("/accounts/login/"),
        "not found": Client().get("/no/such/page/"),
    }
    for label, response in responses.items():
        _not_stored(response, label)
