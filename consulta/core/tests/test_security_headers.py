"""Security headers, cookies, CSRF, and templates that a strict CSP can serve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import reverse

from consulta.organisations.models import Clinic
from consulta.testing import PASSWORD, World, client_for


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def _pages(world: World) -> list[tuple[str, Client, str]]:
    return [
        ("login page", client_for(None), reverse("accounts:login")),
        ("patient entry", client_for(None), reverse("consultations:entry", args=[world.clinic_a.slug])),
        ("guest link", client_for(None), reverse("rooms:guest", args=[world.guest_link.token])),
        ("clinic team", client_for(world.clinic_admin), reverse("organisations:clinic_team", args=["alder"])),
        ("not found", client_for(world.member), "/no/such/page/"),
        ("forbidden", client_for(world.member), reverse("organisations:clinic_settings", args=["alder"])),
    ]


def test_every_kind_of_response_carries_the_security_headers(world: World) -> None:
    for label, client, url in _pages(world):
        response = client.get(url)
        assert response.status_code in (200, 403, 404), label
        csp = _csp(response)
        assert csp["script-src"] == ["'self'"], label
        assert csp["style-src"] == ["'self'"], label
        assert csp["default-src"] == ["'self'"], label
        assert csp["object-src"] == ["'none'"], label
        assert csp["frame-ancestors"] == ["'none'"], label
        assert "unsafe-inline" not in response["Content-Security-Policy"], label
        assert "unsafe-eval" not in response["Content-Security-Policy"], label
        assert response["X-Frame-Options"] == "DENY", label
        assert response["Referrer-Policy"] == "same-origin", label
        assert response["X-Content-Type-Options"] == "nosniff", label


def test_session_cookie_is_httponly_and_samesite_lax_after_login(world: World) -> None:
    response = Client().post(reverse("accounts:login"), {"username": world.member.email, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    csrf_cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["samesite"] == "Lax"


def test_login_post_without_csrf_token_is_refused(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": world.member.email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.session.get("_auth_user_id") is None


def test_management_post_without_csrf_token_is_refused_and_changes_nothing(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clinic_admin)
    url = reverse("organisations:clinic_settings", args=[world.clinic_a.slug])

    refused = client.post(url, {"name": "Renamed by a forged form", "time_zone": ""})
    assert refused.status_code == 403
    assert Clinic.objects.get(pk=world.clinic_a.pk).name == "Alder Clinic"

    # The same request with the page's token goes through: it was the token that was missing.
    client.get(url)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post(url, {"name": "Renamed properly", "time_zone": "", "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Clinic.objects.get(pk=world.clinic_a.pk).name == "Renamed properly"


# --- Templates a strict policy can serve ------------------------------------------------------


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in cast(list[str | Path], engine.get("DIRS", []))]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs() if app.name.startswith("consulta.")]
    return [d for d in dirs if d.is_dir()]


def _templates() -> list[Path]:
    return sorted({path for d in _template_dirs() for path in d.rglob("*") if path.is_file()})


INLINE_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_the_template_scan_finds_the_templates() -> None:
    names = {path.name for path in _templates()}
    assert {"base.html", "login.html", "clinic_team.html", "room_edit.html"} <= names


def test_the_template_scan_catches_what_it_looks_for() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>").group("body").strip()  # type: ignore[union-attr]
    assert not INLINE_SCRIPT.search('<script type="module" src="x.js"></script>').group("body").strip()  # type: ignore[union-attr]
    assert STYLE_ATTRIBUTE.search('<p class="a"\n   style="color: red">')
    assert EVENT_HANDLER.search('<button type="submit" onclick="go()">')
    assert not EVENT_HANDLER.search('<a href="/x" data-once="1">')


@pytest.mark.parametrize("path", _templates(), ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_template_has_nothing_inline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for match in INLINE_SCRIPT.finditer(text):
        assert not match.group("body").strip(), f"inline script body in {path.name}"
        assert "src=" in match.group("attrs"), f"a script without src in {path.name}"
    assert not STYLE_ELEMENT.search(text), f"<style> element in {path.name}"
    assert not STYLE_ATTRIBUTE.search(text), f"style= attribute in {path.name}"
    assert not EVENT_HANDLER.search(text), f"on*= event handler in {path.name}"
    assert not JAVASCRIPT_URL.search(text), f"javascript: URL in {path.name}"
