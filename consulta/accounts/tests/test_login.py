"""Logging in and out, login throttling (django-axes), password reset, password hashing."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse

from consulta.accounts.models import User
from consulta.testing import PASSWORD, World, client_for, run_queued_tasks

LOGIN_URL = reverse("accounts:login")
NEW_PASSWORD = "a fresh spring morning"  # 22 characters


def _login(client: Client, email: str, password: str):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def _logged_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def test_passwords_are_hashed_with_argon2(world: World) -> None:
    assert world.org_admin.password.startswith("argon2")
    user = User.objects.create_user(email="hash@example.test", password=NEW_PASSWORD)
    assert user.password.startswith("argon2$")
    assert NEW_PASSWORD not in user.password
    assert user.check_password(NEW_PASSWORD)


def test_login_by_email_case_insensitive(world: World) -> None:
    client = Client()
    response = _login(client, "  ADA@Acme.TEST ", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert _logged_in_as(client) == str(world.org_admin.pk)
    assert "Signed in as Ada Adminson" in client.get(reverse("core:home")).content.decode()


def test_login_follows_next_to_the_page_asked_for(world: World) -> None:
    clinic_url = reverse("organisations:clinic_home", args=[world.clinic_a.slug])
    client = Client()
    asked = client.get(clinic_url)
    assert asked["Location"] == f"{LOGIN_URL}?next={clinic_url}"
    response = client.post(LOGIN_URL, {"username": world.member.email, "password": PASSWORD, "next": clinic_url})
    assert response["Location"] == clinic_url


def test_wrong_password_shows_an_error_and_keeps_the_typed_email(world: World) -> None:
    client = Client()
    response = _login(client, "ada@acme.test", "not the password at all")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Please enter a correct e-mail address and password." in body
    assert 'value="ada@acme.test"' in body
    assert "not the password at all" not in body
    assert _logged_in_as(client) is None


def test_inactive_account_cannot_log_in(world: World) -> None:
    world.member.is_active = False
    world.member.save()
    client = Client()
    assert _login(client, world.member.email, PASSWORD).status_code == 200
    assert _logged_in_as(client) is None


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(world: World) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    # Changing the case of the address does not buy more guesses.
    spellings = [world.clerk.email, world.clerk.email.upper(), " Clem@Acme.test", world.clerk.email, "CLEM@acme.test"]
    statuses = [_login(client, email, f"wrong guess number {i}").status_code for i, email in enumerate(spellings)]
    # Four ordinary failures; the fifth reaches the limit and is itself answered with the lock-out.
    assert statuses == [200, 200, 200, 200, 429]

    locked = _login(client, world.clerk.email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert _logged_in_as(client) is None

    # Somebody else, from the same address, is not locked out.
    other = Client()
    assert _login(other, world.member.email, PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(world: World) -> None:
    client = Client()
    for i in range(4):
        assert _login(client, world.clerk.email, f"wrong guess number {i}").status_code == 200
    assert _login(client, world.clerk.email, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for i in range(4):
        assert _login(client, world.clerk.email, f"another wrong guess {i}").status_code == 200
    assert _login(client, world.clerk.email, PASSWORD).status_code == 302


def test_logout_is_post_only(world: World) -> None:
    client = client_for(world.member)
    home = reverse("core:home")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(home).status_code == 200  # still logged in

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert _logged_in_as(client) is None
    assert client.get(home)["Location"].startswith(LOGIN_URL)


def test_logged_in_person_opening_login_goes_home(world: World) -> None:
    response = client_for(world.member).get(LOGIN_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


# --- Password reset ----------------------------------------------------------------------------


def _reset_link() -> str:
    assert len(mail.outbox) == 1
    body = str(mail.outbox[0].body)
    match = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_password_reset_sends_a_working_link(world: World) -> None:
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "MIA@acme.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []  # not sent inside the request: the worker sends it
    assert run_queued_tasks() == 1
    assert mail.outbox[0].to == [world.member.email]
    link = _reset_link()

    # The link swaps its token for a session and redirects to the form.
    opened = client.get(link, follow=True)
    assert opened.status_code == 200
    assert opened.context["validlink"] is True
    form_url = opened.redirect_chain[-1][0]

    too_short = client.post(form_url, {"new_password1": "twelve-chars", "new_password2": "twelve-chars"})
    assert too_short.status_code == 200
    assert "at least 13 characters" in too_short.content.decode()

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")

    world.member.refresh_from_db()
    assert world.member.password.startswith("argon2")
    assert world.member.check_password(NEW_PASSWORD)
    assert not world.member.check_password(PASSWORD)
    fresh = Client()
    assert _login(fresh, world.member.email, NEW_PASSWORD).status_code == 302
    assert _logged_in_as(fresh) == str(world.member.pk)

    # The link works once.
    reused = Client().get(link, follow=True)
    assert reused.context["validlink"] is False


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(db) -> None:
    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert run_queued_tasks() == 0
    assert mail.outbox == []
