"""The single sign-on pages: choosing by e-mail, the sign-in settings, the policy, the rate limit."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import Organisation
from consulta.sso.models import IdentityProvider
from consulta.sso.policy import password_login_refused
from consulta.testing import PASSWORD, World, client_for, make_user

pytestmark = pytest.mark.django_db

SECRET = "the-client-secret-0123"


def provider_for(organisation: Organisation, **fields: object) -> IdentityProvider:
    values: dict[str, object] = {
        "display_name": "Acme ID",
        "issuer": "https://id.acme.test",
        "client_id": "consulta",
        "client_secret": SECRET,
        "allowed_domains": ["acme.test"],
    }
    values.update(fields)
    return IdentityProvider.objects.create(organisation=organisation, **values)


# --- Choosing the organisation by e-mail -------------------------------------------------------


def test_a_known_domain_answers_with_a_link_to_the_provider_not_a_redirect(world: World) -> None:
    provider_for(world.organisation)
    response = Client().post(reverse("sso:choose"), {"email": "Mia@ACME.test", "next": "/c/alder/"})
    assert response.status_code == 200 and not response.has_header("Location")  # CSP form-action 'self'
    page = response.content.decode()
    assert "Continue to Acme ID" in page
    assert 'href="/accounts/sso/acme/?next=%2Fc%2Falder%2F"' in page


def test_an_unknown_domain_says_so_and_keeps_the_address(world: World) -> None:
    provider_for(world.organisation, enabled=False)  # a disabled provider is no provider
    response = Client().post(reverse("sso:choose"), {"email": "mia@acme.test"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "No organisation signs in with its own account for addresses at acme.test." in page
    assert 'value="mia@acme.test"' in page


def test_an_unsafe_next_is_dropped(world: World) -> None:
    provider_for(world.organisation)
    response = Client().post(reverse("sso:choose"), {"email": "mia@acme.test", "next": "https://evil.example/"})
    assert 'href="/accounts/sso/acme/"' in response.content.decode()


def test_the_login_page_links_to_single_sign_on(world: World) -> None:
    page = Client().get(reverse("accounts:login"), {"next": "/c/alder/"}).content.decode()
    assert f'href="{reverse("sso:choose")}?next=/c/alder/"' in page
    assert "Sign in with your organisation's account" in page


# --- The rate limit ------------------------------------------------------------------------------


@pytest.fixture
def low_limit(settings: object) -> None:
    from django.conf import settings as django_settings

    setattr(settings, "RATE_LIMITS", {**django_settings.RATE_LIMITS, "sso_address": "2/minute"})  # noqa: B010


@pytest.mark.usefixtures("low_limit")
@pytest.mark.parametrize("name", ["sso:choose", "sso:begin", "sso:callback"])
def test_too_many_tries_from_one_address_are_refused(world: World, name: str) -> None:
    # A provider that does not answer: each allowed try ends on the problem page, quickly.
    provider_for(world.organisation, issuer="http://127.0.0.1:9")
    client = Client()
    url = reverse(name) if name == "sso:choose" else reverse(name, args=["acme"])

    def attempt() -> int:
        response = client.post(url, {"email": "x@nowhere.test"}) if name == "sso:choose" else client.get(url)
        return response.status_code

    assert [attempt(), attempt()] == [400, 400]
    refused = client.post(url, {"email": "x@nowhere.test"}) if name == "sso:choose" else client.get(url)
    assert refused.status_code == 429 and refused.has_header("Retry-After")
    assert "Too many attempts. Please try again in" in refused.content.decode()


# --- The policy: who may not use a password ------------------------------------------------------


def test_nobody_is_refused_without_a_required_enabled_provider(world: World) -> None:
    assert password_login_refused(world.member) is None
    provider = provider_for(world.organisation)
    assert password_login_refused(world.member) is None  # not required
    provider.required, provider.enabled = True, False
    provider.save()
    assert password_login_refused(world.member) is None  # required, but switched off


def test_everyone_with_a_role_there_is_refused_when_required(world: World) -> None:
    provider_for(world.organisation, required=True)
    for person in (world.member, world.clinic_admin, world.org_admin, world.reporter):
        message = password_login_refused(person)
        assert message is not None, person
        assert "Acme Care requires you to sign in with Acme ID, not with a password." in message
        assert f'href="{reverse("sso:begin", args=["acme"])}"' in message
    assert password_login_refused(world.outsider) is None  # no role in Acme Care
    assert password_login_refused(make_user("nobody@acme.test")) is None


def test_the_password_form_refuses_them_with_the_message(world: World) -> None:
    provider_for(world.organisation, required=True)
    response = Client().post(reverse("accounts:login"), {"username": "mia@acme.test", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session
    assert "Acme Care requires you to sign in with Acme ID" in response.content.decode()
    other = Client().post(reverse("accounts:login"), {"username": "otto@other.test", "password": PASSWORD})
    assert other.status_code == 302  # another organisation's admin is not concerned


# --- The sign-in settings -----------------------------------------------------------------------


def settings_url(world: World) -> str:
    return reverse("sso:settings", args=[world.organisation.slug])


def form(**changes: str) -> dict[str, str]:
    values = {
        "form": "provider",
        "display_name": "Acme ID",
        "issuer": "https://id.acme.test",
        "client_id": "consulta",
        "client_secret": SECRET,
        "scopes": "openid email profile",
        "email_claim": "email",
        "given_name_claim": "given_name",
        "family_name_claim": "family_name",
        "allowed_domains": "acme.test, @Care.Acme.test",
        "enabled": "on",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value != ""}


def test_the_settings_page_shows_what_to_register_and_never_the_secret(world: World) -> None:
    provider_for(world.organisation)
    page = client_for(world.org_admin).get(settings_url(world)).content.decode()
    assert 'value="http://127.0.0.1:8000/accounts/sso/acme/callback/"' in page or "/accounts/sso/acme/callback/" in page
    assert "/accounts/sso/acme/" in page  # the direct link
    assert SECRET not in page
    assert "A secret is saved" in page


def test_saving_a_new_provider_logs_the_fields_but_not_the_secret(world: World) -> None:
    response = client_for(world.org_admin).post(settings_url(world), form())
    assert response.status_code == 302
    provider = IdentityProvider.objects.get(organisation=world.organisation)
    assert provider.client_secret == SECRET
    assert provider.allowed_domains == ["acme.test", "care.acme.test"]
    event = Event.objects.get(kind=Kind.SSO_CONFIGURED)
    assert "client_secret" in event.data["changed"] and event.data["created"] is True
    assert SECRET not in str(event.data) and event.actor == world.org_admin


def test_an_empty_secret_keeps_the_saved_one(world: World) -> None:
    provider_for(world.organisation)
    response = client_for(world.org_admin).post(settings_url(world), form(client_secret="", display_name="Acme Login"))
    assert response.status_code == 302
    provider = IdentityProvider.objects.get(organisation=world.organisation)
    assert (provider.client_secret, provider.display_name) == (SECRET, "Acme Login")
    changed = Event.objects.get(kind=Kind.SSO_CONFIGURED).data["changed"]
    assert "display_name" in changed and "client_secret" not in changed


def test_saving_without_a_change_logs_nothing(world: World) -> None:
    provider_for(world.organisation, allowed_domains=["acme.test"])
    client_for(world.org_admin).post(settings_url(world), form(client_secret="", allowed_domains="acme.test"))
    assert not Event.objects.filter(kind=Kind.SSO_CONFIGURED).exists()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"issuer": "http://id.acme.test"}, "The issuer URL must begin with https://."),
        ({"issuer": "not a url"}, "Enter a valid URL."),
        ({"allowed_domains": " , "}, "Give at least one e-mail domain."),
        ({"allowed_domains": "acme.test, not_a_domain"}, "Not an e-mail domain: not_a_domain"),
        ({"allowed_domains": "other.test"}, "Already used by another organisation&#x27;s provider: other.test"),
        ({"scopes": "email profile"}, "The scopes must include openid."),
        ({"client_secret": ""}, "Give the client secret."),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_bad_settings_are_refused_and_the_form_keeps_what_was_typed(
    world: World, changes: dict[str, str], error: str
) -> None:
    provider_for(world.other_organisation, allowed_domains=["other.test"])
    response = client_for(world.org_admin).post(settings_url(world), form(**{"display_name": "Typed ID", **changes}))
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    if changes.get("display_name") != "":
        assert 'value="Typed ID"' in page
    assert SECRET not in page  # the secret is never rendered back, even on an error
    assert not IdentityProvider.objects.filter(organisation=world.organisation).exists()


def test_http_issuers_only_when_the_setting_allows(world: World, settings: object) -> None:
    setattr(settings, "SSO_ALLOW_HTTP_ISSUERS", True)  # noqa: B010
    response = client_for(world.org_admin).post(settings_url(world), form(issuer="http://127.0.0.1:5000"))
    assert response.status_code == 302


def test_require_two_factor_switch_is_saved_and_logged(world: World) -> None:
    client = client_for(world.org_admin)
    assert client.post(settings_url(world), {"form": "policy", "policy-require_mfa": "on"}).status_code == 302
    world.organisation.refresh_from_db()
    assert world.organisation.require_mfa is True
    event = Event.objects.get(kind=Kind.SIGN_IN_POLICY_CHANGED)
    assert event.data == {"changed": ["require_mfa"], "require_mfa": True}
    client.post(settings_url(world), {"form": "policy", "policy-require_mfa": "on"})  # no change: no event
    assert Event.objects.filter(kind=Kind.SIGN_IN_POLICY_CHANGED).count() == 1
    client.post(settings_url(world), {"form": "policy"})
    world.organisation.refresh_from_db()
    assert world.organisation.require_mfa is False


def test_another_organisations_settings_are_not_found(world: World) -> None:
    provider_for(world.other_organisation, allowed_domains=["other.test"])
    other = reverse("sso:settings", args=[world.other_organisation.slug])
    assert client_for(world.org_admin).get(other).status_code == 404
    assert client_for(world.org_admin).post(other, form(allowed_domains="x.test")).status_code == 404
    assert IdentityProvider.objects.get(organisation=world.other_organisation).allowed_domains == ["other.test"]
    assert client_for(world.coordinator).get(settings_url(world)).status_code == 403
