"""The real OpenID provider (tests/oidc) for the Django-side tests, and walking a browser's way
through it with `requests`: the Django test client is Consulta's side, requests the person's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse

from consulta.organisations.models import Organisation
from consulta.sso.models import IdentityProvider
from tests.e2e.oidc import Account, RunningProvider, oidc_provider
from tests.e2e.oidc import Client as OidcClient

CLIENT_SECRET = "test-client-secret-0123456789"
PASSWORD = "provider-password"
DOMAIN = "acme.test"

ACCOUNTS = [
    # The world's member (mia@acme.test, see consulta/testing.py) at Acme's provider.
    Account("sub-member", "mia@acme.test", PASSWORD, "Mia", "Memberg"),
    # An account of another organisation only, with an address of Acme's domain (made by the test).
    Account("sub-olga", "olga@acme.test", PASSWORD, "Olga", "Other"),
    Account("sub-invited", "invited.member@acme.test", PASSWORD, "Ivy", "Invited"),
    Account("sub-stranger", "stranger@acme.test", PASSWORD, "Sam", "Stranger"),
    Account("sub-unverified", "unverified@acme.test", PASSWORD, "Una", "Unverified", email_verified=False),
]


def callback_uri(slug: str) -> str:
    return settings.BASE_URL + reverse("sso:callback", args=[slug])


@pytest.fixture(scope="module")
def running_provider() -> Iterator[RunningProvider]:
    client = OidcClient("consulta-tests", CLIENT_SECRET, [callback_uri("acme")])
    with oidc_provider(client, ACCOUNTS) as provider:
        yield provider


def configure(organisation: Organisation, provider: RunningProvider, **fields: object) -> IdentityProvider:
    values: dict[str, object] = {
        "display_name": "Test ID",
        "issuer": provider.issuer,
        "client_id": provider.client.client_id,
        "client_secret": provider.client.client_secret,
        "allowed_domains": [DOMAIN],
    }
    values.update(fields)
    found, _created = IdentityProvider.objects.update_or_create(organisation=organisation, defaults=values)
    return found


def _follow(browser: requests.Session, response: requests.Response) -> requests.Response | str:
    """Follow the provider's redirects; stop at a page of its own, or return our callback URL."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(settings.BASE_URL):
            return location
        response = browser.get(location, allow_redirects=False, timeout=10)
    raise AssertionError("the provider kept redirecting")


def at_callback(client: Client, url: str) -> Any:
    """The provider's redirect to us, taken by Consulta's side (the test client): its answer."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(
    client: Client, slug: str, email: str, password: str = PASSWORD, *, cancel: bool = False, next_url: str = ""
) -> Any:
    """From `sso:begin` through the provider's login page and back to `sso:callback`: its answer."""
    begin = client.get(reverse("sso:begin", args=[slug]), {"next": next_url} if next_url else {})
    assert begin.status_code == 302, begin
    browser = requests.Session()
    page = _follow(browser, browser.get(begin["Location"], allow_redirects=False, timeout=10))
    assert isinstance(page, requests.Response) and page.status_code == 200, page
    action = re.search(r'action="([^"]+)"', page.text)
    assert action, page.text
    if cancel:
        abort = re.search(r'href="(/interaction/[^"]+/abort)"', page.text)
        assert abort
        done = _follow(browser, browser.get(urljoin(page.url, abort.group(1)), allow_redirects=False, timeout=10))
    else:
        answer = browser.post(
            urljoin(page.url, action.group(1)), data={"email": email, "password": password}, allow_redirects=False
        )
        done = _follow(browser, answer)
    assert isinstance(done, str), getattr(done, "text", done)
    return at_callback(client, done)
