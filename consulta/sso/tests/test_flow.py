"""Signing in through a real OpenID provider (tests/oidc), Consulta's side in Django's test client."""

from __future__ import annotations

import socket
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from consulta.accounts.models import User
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import ClinicMembership, ClinicRole, OrganisationMembership, OrganisationRole
from consulta.sso.models import ExternalIdentity, IdentityProvider
from consulta.sso.tests.provider import configure, sign_in
from consulta.testing import World, make_user
from tests.e2e.oidc import RunningProvider
from tests.e2e.server import serving_http

pytestmark = pytest.mark.django_db


def logged_in_as(client: Client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_a_team_member_signs_in_and_is_linked(world: World, running_provider: RunningProvider) -> None:
    provider = configure(world.organisation, running_provider)
    client = Client()
    response = sign_in(client, "acme", "mia@acme.test")
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    assert logged_in_as(client) == world.member.pk
    identity = ExternalIdentity.objects.get(provider=provider)
    assert (identity.user, identity.subject) == (world.member, "sub-member")
    event = Event.objects.get(kind=Kind.SSO_LINKED)
    assert event.organisation_id == world.organisation.pk and event.target == world.member
    assert "sub-member" not in str(event.data)


def test_a_later_sign_in_matches_by_subject_first(world: World, running_provider: RunningProvider) -> None:
    provider = configure(world.organisation, running_provider)
    # The account's address has changed since it was linked: the subject still finds it.
    renamed = make_user("mia.renamed@acme.test")
    ExternalIdentity.objects.create(provider=provider, user=renamed, subject="sub-member")
    client = Client()
    assert sign_in(client, "acme", "mia@acme.test").status_code == 302
    assert logged_in_as(client) == renamed.pk
    assert not Event.objects.filter(kind=Kind.SSO_LINKED).exists()


def test_an_invited_person_gets_an_account_and_the_role(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    client = Client()
    response = sign_in(client, "acme", "invited.member@acme.test")
    assert response.status_code == 302
    user = User.objects.get(email="invited.member@acme.test")
    assert logged_in_as(client) == user.pk
    assert (user.first_name, user.last_name) == ("Ivy", "Invited")
    assert not user.has_usable_password()
    assert ClinicMembership.objects.get(clinic=world.clinic_a, user=user).role == ClinicRole.MEMBER
    world.clinic_invitation.refresh_from_db()
    assert world.clinic_invitation.accepted_at is not None
    assert Event.objects.filter(kind=Kind.INVITATION_ACCEPTED, target=user).exists()
    assert Event.objects.get(kind=Kind.SSO_LINKED).data["created_account"] is True


def test_somebody_without_a_role_or_invitation_is_refused(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    client = Client()
    response = sign_in(client, "acme", "stranger@acme.test")
    assert response.status_code == 403
    assert "You have no role in Acme Care. Ask its administrator to invite you." in response.content.decode()
    assert logged_in_as(client) is None
    assert not User.objects.filter(email="stranger@acme.test").exists()
    assert not ExternalIdentity.objects.exists()


def test_an_account_of_another_organisation_is_never_linked(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    olga = make_user("olga@acme.test")
    OrganisationMembership.objects.create(organisation=world.other_organisation, user=olga, role=OrganisationRole.ADMIN)
    client = Client()
    assert sign_in(client, "acme", "olga@acme.test").status_code == 403
    assert logged_in_as(client) is None and not ExternalIdentity.objects.exists()


def test_an_unverified_address_is_refused(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    make_user("unverified@acme.test")
    ClinicMembership.objects.create(
        clinic=world.clinic_a, user=User.objects.get(email="unverified@acme.test"), role=ClinicRole.MEMBER
    )
    client = Client()
    response = sign_in(client, "acme", "unverified@acme.test")
    assert response.status_code == 403 and "has not verified your e-mail address" in response.content.decode()
    assert logged_in_as(client) is None


def test_the_way_back_carries_a_safe_next(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    for asked, landed in (("/c/alder/", "/c/alder/"), ("https://evil.example/", reverse("core:home"))):
        client = Client()
        response = sign_in(client, "acme", "mia@acme.test", next_url=asked)
        assert response["Location"] == landed, asked


def test_cancelling_at_the_provider_is_a_clear_page(
    world: World, running_provider: RunningProvider, caplog: pytest.LogCaptureFixture
) -> None:
    configure(world.organisation, running_provider)
    client = Client()
    response = sign_in(client, "acme", "", cancel=True)
    assert response.status_code == 400
    assert "You cancelled signing in at Test ID" in response.content.decode()
    assert logged_in_as(client) is None
    assert "access_denied" in caplog.text


def test_a_wrong_state_is_refused(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    client = Client()
    client.get(reverse("sso:begin", args=["acme"]))
    response = client.get(reverse("sso:callback", args=["acme"]), {"code": "made-up", "state": "made-up"})
    assert response.status_code == 400 and "did not work" in response.content.decode()
    assert logged_in_as(client) is None


def test_a_provider_that_does_not_answer_is_a_clear_page(world: World, settings: object) -> None:
    from tests.e2e.server import free_port

    configure_closed = {
        "display_name": "Test ID",
        "issuer": f"http://127.0.0.1:{free_port()}",
        "client_id": "x",
        "client_secret": "y",
        "allowed_domains": ["acme.test"],
    }
    IdentityProvider.objects.create(organisation=world.organisation, **configure_closed)
    client = Client()
    for name in ("sso:begin", "sso:callback"):
        response = client.get(reverse(name, args=["acme"]), {"code": "c", "state": "s"})
        assert response.status_code == 400, name
        assert "did not work" in response.content.decode()


def test_a_discovery_document_of_another_issuer_is_refused(world: World, running_provider: RunningProvider) -> None:
    # The document is found (the trailing slash is dropped to find it) but names another issuer.
    configure(world.organisation, running_provider, issuer=running_provider.issuer + "/")
    client = Client()
    response = client.get(reverse("sso:begin", args=["acme"]))
    assert response.status_code == 400


def test_a_disabled_provider_is_not_there(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider, enabled=False)
    assert Client().get(reverse("sso:begin", args=["acme"])).status_code == 404
    assert Client().get(reverse("sso:callback", args=["acme"])).status_code == 404


def test_the_start_asks_for_a_code_with_pkce_state_and_nonce(world: World, running_provider: RunningProvider) -> None:
    configure(world.organisation, running_provider)
    location = Client().get(reverse("sso:begin", args=["acme"]))["Location"]
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{running_provider.issuer}/auth?")
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/accounts/sso/acme/callback/"]
    assert query["scope"] == ["openid email profile"]
    assert all(query.get(name) for name in ("state", "nonce", "code_challenge"))


def test_a_provider_that_never_answers_times_out(world: World, settings: object) -> None:
    setattr(settings, "SSO_HTTP_TIMEOUT", 1)  # noqa: B010
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        IdentityProvider.objects.create(
            organisation=world.organisation,
            display_name="Test ID",
            issuer=f"http://127.0.0.1:{silent.getsockname()[1]}",
            client_id="x",
            client_secret="y",
            allowed_domains=["acme.test"],
        )
        started = time.monotonic()
        response = Client().get(reverse("sso:begin", args=["acme"]))
    assert response.status_code == 400 and time.monotonic() - started < 5


def test_claims_in_the_id_token_itself_are_read_there(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from authlib.integrations.django_client import DjangoOAuth2App

    from consulta.sso.tests.provider import ACCOUNTS, CLIENT_SECRET, callback_uri
    from tests.e2e.oidc import Client as OidcClient
    from tests.e2e.oidc import oidc_provider

    def not_needed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the userinfo endpoint was asked, though the ID token has the e-mail")

    monkeypatch.setattr(DjangoOAuth2App, "userinfo", not_needed)
    client = OidcClient("consulta-tests", CLIENT_SECRET, [callback_uri("acme")])
    with oidc_provider(client, ACCOUNTS, claims_in_id_token=True) as running:
        configure(world.organisation, running)
        browser = Client()
        assert sign_in(browser, "acme", "mia@acme.test").status_code == 302
    assert logged_in_as(browser) == world.member.pk


class _OddProvider(BaseHTTPRequestHandler):
    """A "provider" whose discovery document is JSON of the wrong shape."""

    def do_GET(self) -> None:
        body = b'["not", "a", "discovery", "document"]'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_discovery_document_of_the_wrong_shape_is_a_clear_page(world: World) -> None:
    with serving_http(_OddProvider) as odd:
        IdentityProvider.objects.create(
            organisation=world.organisation,
            display_name="Test ID",
            issuer=odd,
            client_id="x",
            client_secret="y",
            allowed_domains=["acme.test"],
        )
        response = Client().get(reverse("sso:begin", args=["acme"]))
    assert response.status_code == 400 and "did not work" in response.content.decode()
