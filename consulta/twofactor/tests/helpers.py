"""What the two-factor tests share: an enrolled person, a password sign-in, the session's state."""

from __future__ import annotations

import re
from base64 import b32encode
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from consulta.accounts.models import User
from consulta.testing import PASSWORD
from consulta.twofactor import actions

LOGIN_URL = reverse("accounts:login")
VERIFY_URL = reverse("twofactor:verify")
SETUP_URL = reverse("twofactor:setup")
SECURITY_URL = reverse("twofactor:security")


def enrolled(user: User) -> tuple[TOTPDevice, str, list[str]]:
    """`user` with a confirmed authenticator: (device, its base32 secret, the recovery codes)."""
    device = actions.unconfirmed_device(user)
    made = actions.enrol(user, device)
    return device, b32encode(device.bin_key).decode(), made


def sign_in(client: Client, user: User, next_url: str = "") -> Any:
    """The login form's POST, with the test accounts' password."""
    data = {"username": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def logged_in_as(client: Client) -> str | None:
    value = client.session.get(SESSION_KEY)
    return str(value) if value is not None else None


def secret_on_page(body: str) -> str:
    """The key the setup page writes out for typing, as a person would read it."""
    match = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', body)
    assert match, "the setup page shows no secret"
    return match.group(1)


def codes_on_page(body: str) -> list[str]:
    return re.findall(r'<code class="copy-field">([A-Z0-9]{5}-[A-Z0-9]{5})</code>', body)
