"""Signing in with a second factor: each branch of `complete_sign_in`, the code page, the
pending sign-in (never a logged-in session), the rate limit, setting up at sign-in."""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World, make_user, run_queued_tasks
from consulta.twofactor import flow
from consulta.twofactor.models import RecoveryCode
from consulta.twofactor.tests.helpers import (
    LOGIN_URL,
    SETUP_URL,
    VERIFY_URL,
    codes_on_page,
    enrolled,
    logged_in_as,
    secret_on_page,
    sign_in,
)
from consulta.twofactor.tests.totp import totp

HOME = reverse("core:home")


def test_without_a_device_and_not_required_the_password_logs_in_at_once(world: World) -> None:
    client = Client()
    response = sign_in(client, world.member)
    assert response.status_code == 302 and response["Location"] == HOME
    assert logged_in_as(client) == str(world.member.pk)
    assert flow.PENDING_KEY not in client.session


def test_with_a_device_the_password_leads_to_the_code_page_and_nothing_is_logged_in(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    clinic = reverse("organisations:clinic_home", args=[world.clinic_a.slug])
    client = Client()
    planted = client.session.session_key  # a session key the browser had before signing in
    response = sign_in(client, world.member, next_url=clinic)
    assert response.status_code == 302 and response["Location"] == VERIFY_URL
    assert SESSION_KEY not in client.session and logged_in_as(client) is None
    assert planted and client.session.session_key != planted  # cycled: a planted key is worth nothing
    # Pending, the browser is anonymous everywhere: a login-required page sends it to log in.
    home = client.get(clinic)
    assert home.status_code == 302 and home["Location"] == f"{LOGIN_URL}?next={clinic}"
    assert client.get(reverse("twofactor:security")).status_code == 302

    page = client.get(VERIFY_URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body
    assert "Six-digit code from your authenticator app" in body
    assert "Use a recovery code instead" in body and "Cancel signing in" in body

    done = client.post(VERIFY_URL, {"code": totp(secret)})
    assert done.status_code == 302 and done["Location"] == clinic  # the `next` of the login form
    assert logged_in_as(client) == str(world.member.pk)
    assert flow.PENDING_KEY not in client.session
    assert client.get(clinic).status_code == 200


def test_a_wrong_code_is_an_error_and_the_same_code_twice_is_refused(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    client = Client()
    sign_in(client, world.member)
    right = totp(secret)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post(VERIFY_URL, {"code": wrong})
    assert refused.status_code == 200
    assert "That code is not right" in refused.content.decode()
    assert f'value="{wrong}"' in refused.content.decode()  # the form keeps what was typed
    assert logged_in_as(client) is None
    assert "Type the six digits" in client.post(VERIFY_URL, {"code": "12ab"}).content.decode()

    assert client.post(VERIFY_URL, {"code": right})["Location"] == HOME
    client.post(reverse("accounts:logout"))

    # The same code again (a code seen over a shoulder, replayed): refused, even within its 30 s.
    again = Client()
    sign_in(again, world.member)
    replayed = again.post(VERIFY_URL, {"code": right})
    assert replayed.status_code == 200 and "That code is not right" in replayed.content.decode()
    assert logged_in_as(again) is None
    # The next time step's code is new, and works.
    assert again.post(VERIFY_URL, {"code": totp(secret, steps_ahead=1)})["Location"] == HOME


def test_a_pending_sign_in_expires_and_goes_back_to_the_login(world: World, settings) -> None:
    _device, secret, _codes = enrolled(world.member)
    client = Client()
    sign_in(client, world.member)
    session = client.session
    held = session[flow.PENDING_KEY]
    held["at"] -= settings.MFA_PENDING_MINUTES * 60 + 1
    session[flow.PENDING_KEY] = held
    session.save()

    response = client.post(VERIFY_URL, {"code": totp(secret)})
    assert response.status_code == 302 and response["Location"] == LOGIN_URL
    assert logged_in_as(client) is None
    assert flow.PENDING_KEY not in client.session
    assert "not finished in time" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    # Nothing pending: the code page and the setup page both send to the login.
    assert client.get(VERIFY_URL)["Location"] == LOGIN_URL
    assert client.get(SETUP_URL)["Location"] == LOGIN_URL


def test_cancel_forgets_the_pending_sign_in(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    client = Client()
    sign_in(client, world.member)
    assert client.post(reverse("twofactor:cancel"))["Location"] == LOGIN_URL
    assert client.post(VERIFY_URL, {"code": totp(secret)})["Location"] == LOGIN_URL
    assert logged_in_as(client) is None


def test_the_eleventh_code_is_refused_with_429_even_when_right(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    client = Client()
    sign_in(client, world.member)
    for attempt in range(10):
        assert client.post(VERIFY_URL, {"code": f"{attempt:06d}"}).status_code == 200, attempt
    refused = client.post(VERIFY_URL, {"code": totp(secret)})
    assert refused.status_code == 429
    assert "Too many attempts. Please try again in" in refused.content.decode()
    assert logged_in_as(client) is None
    # Recovery codes count against the same limit.
    assert client.post(f"{VERIFY_URL}?with=recovery", {"code": "ACDEF-GHJKM"}).status_code == 429


def test_a_recovery_code_signs_in_once_and_is_kept_hashed(world: World) -> None:
    _device, _secret, made = enrolled(world.member)
    assert len(made) == 10 and len(set(made)) == 10
    assert all(re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code) for code in made)
    stored = set(RecoveryCode.objects.filter(user=world.member).values_list("code_hash", flat=True))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in made}
    assert not any(code in stored or code.replace("-", "") in stored for code in made)

    client = Client()
    sign_in(client, world.member)
    page = client.get(f"{VERIFY_URL}?with=recovery")
    assert "Recovery code" in page.content.decode()
    used = made[3].lower().replace("-", " ")  # typed by hand, lower case, a space for the hyphen
    response = client.post(f"{VERIFY_URL}?with=recovery", {"code": used})
    assert response.status_code == 302 and response["Location"] == HOME
    assert logged_in_as(client) == str(world.member.pk)
    assert "9 recovery codes are left" in client.get(HOME).content.decode()
    assert RecoveryCode.objects.filter(user=world.member, used_at__isnull=False).count() == 1
    event = Event.objects.get(kind=Kind.MFA_RECOVERY_CODE_USED)
    assert event.organisation_id == world.organisation.pk and event.actor_id == world.member.pk
    assert event.data == {"remaining": 9} and made[3] not in str(event.data)

    client.post(reverse("accounts:logout"))
    again = Client()
    sign_in(again, world.member)
    reused = again.post(f"{VERIFY_URL}?with=recovery", {"code": made[3]})
    assert reused.status_code == 200 and "not one of your unused recovery codes" in reused.content.decode()
    assert logged_in_as(again) is None


def test_required_without_a_device_the_sign_in_sets_one_up_first(world: World) -> None:
    world.organisation.require_mfa = True
    world.organisation.save()
    client = Client()
    response = sign_in(client, world.member)  # a clinic role in one of the organisation's clinics
    assert response.status_code == 302 and response["Location"] == SETUP_URL
    assert logged_in_as(client) is None
    assert client.get(HOME)["Location"] == f"{LOGIN_URL}?next={HOME}"  # no dashboard before it is done

    page = client.get(SETUP_URL)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Acme Care requires two-factor login" in body and "finish signing in" in body
    assert 'src="data:image/svg+xml;' in body and world.member.email in body
    secret = secret_on_page(body)
    assert client.get(SETUP_URL).content.decode().count(secret) == 1  # the same secret on a reload

    wrong = client.post(SETUP_URL, {"code": f"{(int(totp(secret)) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    done = client.post(SETUP_URL, {"code": totp(secret)})
    assert done.status_code == 200
    shown = codes_on_page(done.content.decode())
    assert len(shown) == 10
    assert "I have saved them — continue" in done.content.decode()
    assert f'href="{HOME}"' in done.content.decode()
    assert logged_in_as(client) == str(world.member.pk)
    enrolment = Event.objects.get(kind=Kind.MFA_ENROLLED)
    assert enrolment.organisation_id == world.organisation.pk and enrolment.actor_id == world.member.pk


def test_required_for_an_organisation_role_too(world: World) -> None:
    world.organisation.require_mfa = True
    world.organisation.save()
    assert sign_in(Client(), world.reporter)["Location"] == SETUP_URL
    # Elsewhere nothing is required: the outsider's organisation does not ask.
    assert sign_in(Client(), world.outsider)["Location"] == HOME


def test_a_password_alone_never_sets_up_a_second_device(world: World) -> None:
    _device, _secret, _codes = enrolled(world.member)
    client = Client()
    sign_in(client, world.member)
    assert client.get(SETUP_URL)["Location"] == VERIFY_URL
    assert client.post(SETUP_URL, {"code": "123456"})["Location"] == VERIFY_URL


def test_after_a_password_reset_the_code_is_still_asked(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": world.member.email})
    run_queued_tasks()
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^/\s]+/[^/\s]+/)", str(mail.outbox[0].body))
    assert link
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new_password = "a new and rather long passphrase"
    assert client.post(form_url, {"new_password1": new_password, "new_password2": new_password}).status_code == 302
    assert logged_in_as(client) is None  # the reset itself logs nobody in

    response = client.post(LOGIN_URL, {"username": world.member.email, "password": new_password})
    assert response["Location"] == VERIFY_URL and logged_in_as(client) is None
    assert client.post(VERIFY_URL, {"code": totp(secret)})["Location"] == HOME


def test_single_sign_on_policy_refusal_is_a_form_error(world: World, monkeypatch) -> None:
    from consulta.sso import policy

    monkeypatch.setattr(policy, "password_login_refused", lambda user: "Acme Care signs in with its own accounts.")
    client = Client()
    response = sign_in(client, world.member)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Care signs in with its own accounts." in body and f'value="{world.member.email}"' in body
    assert logged_in_as(client) is None and flow.PENDING_KEY not in client.session


def test_a_person_with_no_role_leaves_no_event(db) -> None:
    loner = make_user("loner@example.test")
    enrolled(loner)
    assert not Event.objects.exists()
    assert sign_in(Client(), loner)["Location"] == VERIFY_URL


def test_signing_up_from_an_invitation_goes_through_the_same_sign_in(world: World) -> None:
    world.organisation.require_mfa = True
    world.organisation.save()
    client = Client()
    url = reverse("accounts:invitation", args=[world.clinic_invitation.token])
    password = "a new and rather long passphrase"
    response = client.post(
        url, {"first_name": "Ivy", "last_name": "Invited", "password1": password, "password2": password}
    )
    assert response.status_code == 302 and response["Location"] == SETUP_URL
    assert logged_in_as(client) is None  # the new member sets up the app before anything else
