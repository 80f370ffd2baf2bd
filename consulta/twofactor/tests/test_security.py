"""The person's security page (set up, new recovery codes, removal) and an organisation admin's
reset from the People page: who may, what is deleted, and what the event log says."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World, client_for
from consulta.twofactor.models import RecoveryCode
from consulta.twofactor.tests.helpers import (
    SECURITY_URL,
    SETUP_URL,
    VERIFY_URL,
    codes_on_page,
    enrolled,
    secret_on_page,
    sign_in,
)
from consulta.twofactor.tests.totp import totp

REMOVE_URL = reverse("twofactor:remove")
CODES_URL = reverse("twofactor:recovery_codes")


def _reset_url(world: World, person_id: int) -> str:
    return reverse("twofactor:admin_reset", args=[world.organisation.slug, person_id])


def test_a_logged_in_person_sets_up_from_the_security_page(world: World) -> None:
    client = client_for(world.clerk)
    page = client.get(SECURITY_URL).content.decode()
    assert "Off." in page and f'href="{SETUP_URL}"' in page
    assert 'href="/account/security/"' in client.get(reverse("core:home")).content.decode()  # the user menu

    secret = secret_on_page(client.get(SETUP_URL).content.decode())
    done = client.post(SETUP_URL, {"code": totp(secret)})
    assert done.status_code == 200 and len(codes_on_page(done.content.decode())) == 10
    assert f'href="{SECURITY_URL}"' in done.content.decode()
    assert TOTPDevice.objects.filter(user=world.clerk, confirmed=True).count() == 1
    assert "On." in client.get(SECURITY_URL).content.decode()
    assert "10 unused recovery codes" in client.get(SECURITY_URL).content.decode()
    assert list(Event.objects.values_list("kind", "organisation_id", "actor_id")) == [
        (Kind.MFA_ENROLLED, world.organisation.pk, world.clerk.pk)
    ]
    # Set up once: the setup page now moves it to a new phone instead.
    assert "Move two-factor login to a new phone" in client.get(SETUP_URL).content.decode()


def test_moving_to_a_new_phone_needs_the_current_code_and_ends_the_old_app(world: World) -> None:
    old_device, old_secret, old_codes = enrolled(world.member)
    client = client_for(world.member)
    page = client.get(SETUP_URL).content.decode()
    new_secret = secret_on_page(page)
    assert new_secret.replace(" ", "") != old_secret

    # Without a right code of the current app, the new phone is not taken.
    wrong = f"{(int(totp(old_secret)) + 1) % 1_000_000:06d}"
    refused = client.post(SETUP_URL, {"current": wrong, "code": totp(new_secret)})
    assert refused.status_code == 200 and "That code is not right" in refused.content.decode()
    assert TOTPDevice.objects.get(user=world.member, confirmed=True).pk == old_device.pk

    moved = client.post(SETUP_URL, {"current": totp(old_secret), "code": totp(new_secret)})
    assert moved.status_code == 200 and len(codes_on_page(moved.content.decode())) == 10
    assert list(TOTPDevice.objects.filter(user=world.member).values_list("confirmed", flat=True)) == [True]
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert Event.objects.filter(kind=Kind.MFA_ENROLLED, actor=world.member).count() == 2

    signing_in = Client()
    sign_in(signing_in, world.member)
    assert signing_in.post(VERIFY_URL, {"code": totp(old_secret, steps_ahead=1)}).status_code == 200  # old app
    assert signing_in.post(f"{VERIFY_URL}?with=recovery", {"code": old_codes[0]}).status_code == 200
    assert signing_in.post(VERIFY_URL, {"code": totp(new_secret, steps_ahead=1)})["Location"] == "/"  # the new one


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(world: World) -> None:
    _device, secret, old = enrolled(world.member)
    client = client_for(world.member)
    wrong = client.post(CODES_URL, {"codes-code": "000000" if totp(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    assert set(RecoveryCode.objects.filter(user=world.member).values_list("pk", flat=True))  # the old ones kept

    made = client.post(CODES_URL, {"codes-code": totp(secret)})
    fresh = codes_on_page(made.content.decode())
    assert made.status_code == 200 and len(fresh) == 10 and not set(fresh) & set(old)
    assert "Your old recovery codes no longer work." in made.content.decode()
    assert RecoveryCode.objects.filter(user=world.member).count() == 10
    assert Event.objects.filter(kind=Kind.MFA_RECOVERY_CODES_MADE, actor=world.member).count() == 1

    signing_in = Client()
    sign_in(signing_in, world.member)
    assert signing_in.post(f"{VERIFY_URL}?with=recovery", {"code": old[0]}).status_code == 200
    assert signing_in.post(f"{VERIFY_URL}?with=recovery", {"code": fresh[0]}).status_code == 302


def test_removal_needs_a_current_code_and_is_logged(world: World) -> None:
    _device, secret, made = enrolled(world.member)
    client = client_for(world.member)
    refused = client.post(REMOVE_URL, {"remove-code": "12345"})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=world.member).exists()

    # A recovery code confirms it too (the app is lost, the codes are not).
    response = client.post(REMOVE_URL, {"remove-code": made[0]})
    assert response.status_code == 302 and response["Location"] == SECURITY_URL
    assert not TOTPDevice.objects.filter(user=world.member).exists()
    assert not RecoveryCode.objects.filter(user=world.member).exists()
    assert Event.objects.filter(kind=Kind.MFA_REMOVED, actor=world.member).count() == 1
    assert sign_in(Client(), world.member)["Location"] == reverse("core:home")
    # Nothing left to remove: said so, nothing logged.
    assert client.post(REMOVE_URL, {"remove-code": totp(secret)})["Location"] == SECURITY_URL
    assert Event.objects.filter(kind=Kind.MFA_REMOVED).count() == 1


def test_removal_is_refused_when_an_organisation_requires_it(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    world.organisation.require_mfa = True
    world.organisation.save()
    client = client_for(world.member)
    page = client.get(SECURITY_URL).content.decode()
    assert "Acme Care requires two-factor login" in page and "Required by Acme Care." in page
    assert f'action="{REMOVE_URL}"' not in page

    response = client.post(REMOVE_URL, {"remove-code": totp(secret)})
    assert response.status_code == 403
    assert "cannot be removed: Acme Care requires two-factor login" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.member, confirmed=True).exists()
    assert not Event.objects.filter(kind=Kind.MFA_REMOVED).exists()


def test_an_organisation_admin_resets_a_person_who_lost_their_device(world: World) -> None:
    enrolled(world.member)
    world.organisation.require_mfa = True
    world.organisation.save()
    admin = client_for(world.org_admin)
    people = admin.get(reverse("organisations:people", args=[world.organisation.slug])).content.decode()
    assert f'href="{_reset_url(world, world.member.pk)}"' in people

    confirm = admin.get(_reset_url(world, world.member.pk))
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "mia@acme.test has an authenticator app and 10 unused recovery codes." in body
    assert "sure it is them asking" in body

    done = admin.post(_reset_url(world, world.member.pk))
    assert done.status_code == 302 and done["Location"] == reverse("organisations:people", args=["acme"])
    assert "Two-factor login of Mia Memberg reset" in admin.get(done["Location"]).content.decode()
    assert not TOTPDevice.objects.filter(user=world.member).exists()
    assert not RecoveryCode.objects.filter(user=world.member).exists()
    event = Event.objects.get(kind=Kind.MFA_RESET)
    assert (event.organisation_id, event.actor_id, event.target_id) == (
        world.organisation.pk,
        world.org_admin.pk,
        world.member.pk,
    )
    assert event.target_label == world.member.email

    # At the next sign-in the organisation's requirement asks for a new authenticator.
    assert sign_in(Client(), world.member)["Location"] == SETUP_URL


def test_a_reset_is_for_organisation_admins_and_their_own_people_only(world: World) -> None:
    enrolled(world.outsider)
    enrolled(world.member)
    admin = client_for(world.org_admin)
    # Someone with no role in this organisation: 404, however the id was found.
    assert admin.get(_reset_url(world, world.outsider.pk)).status_code == 404
    assert admin.post(_reset_url(world, world.outsider.pk)).status_code == 404
    assert TOTPDevice.objects.filter(user=world.outsider).exists()
    for name in ("coordinator", "clinic_admin", "member"):
        assert world.client_for(name).post(_reset_url(world, world.member.pk)).status_code == 403, name
    assert world.client_for("outsider").post(_reset_url(world, world.member.pk)).status_code == 404
    assert TOTPDevice.objects.filter(user=world.member).exists()
    assert not Event.objects.filter(kind=Kind.MFA_RESET).exists()


def test_the_audit_trail_describes_the_events(world: World) -> None:
    _device, secret, _codes = enrolled(world.member)
    client_for(world.org_admin).post(_reset_url(world, world.member.pk))
    trail = client_for(world.org_admin).get(reverse("eventlog:organisation_audit", args=["acme"]))
    body = trail.content.decode()
    assert "Two-factor login set up" in body and "Two-factor login reset by an admin" in body
    assert "Two-factor login of mia@acme.test reset" in body
    assert secret not in body
