"""Single sign-on in real Chromium, against a real OpenID provider (tests/oidc: the certified
`oidc-provider`, run with Node.js), with Consulta's real server beside it.

The server is one of its own (module scope): its settings allow the provider's http:// issuer
(SSO_ALLOW_HTTP_ISSUERS, never in production). The tests run in file order; the last ones make
single sign-on required, and then two-factor login too (the done-when of issue 13).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import server as live
from tests.e2e.helpers import BrowserProblems, assert_no_axe_violations, login
from tests.e2e.oidc import Account, Client, RunningProvider, oidc_provider

ORG = "demo-health"
DOMAIN = "demo.consulta.test"
PASSWORD = "provider-password-2026"
NURSE_KEY = bytes(range(20))  # the authenticator key of the nurse's device, made beforehand

ACCOUNTS = [
    Account("sub-doctor", f"doctor@{DOMAIN}", PASSWORD, "David", "Berg"),
    Account("sub-newcomer", f"newcomer@{DOMAIN}", PASSWORD, "Nora", "Newcomer"),
    Account("sub-stranger", f"stranger@{DOMAIN}", PASSWORD, "Sam", "Stranger"),
    Account("sub-clerk", f"clerk@{DOMAIN}", PASSWORD, "Clara", "Clerk"),
    Account("sub-nurse", f"nurse@{DOMAIN}", PASSWORD, "Nils", "Ek"),
]


@dataclass
class SsoWorld:
    server: live.LiveServer
    provider: RunningProvider

    @property
    def demo(self) -> dict[str, Any]:
        return self.server.demo

    @property
    def base(self) -> str:
        return self.server.url

    def django(self, code: str) -> Any:
        """Run `code` in the server's own database (manage.py shell); the JSON of its last line."""
        return self.server.python(code, {"SSO_ALLOW_HTTP_ISSUERS": "true"})

    def configure(self, **fields: Any) -> None:
        """The organisation's provider as the settings page saves it (for the tests after the first)."""
        values = {
            "display_name": "Demo ID",
            "issuer": self.provider.issuer,
            "client_id": self.provider.client.client_id,
            "client_secret": self.provider.client.client_secret,
            "allowed_domains": [DOMAIN],
            "enabled": True,
            **fields,
        }
        self.django(
            "from consulta.sso.models import IdentityProvider\n"
            "from consulta.organisations.models import Organisation\n"
            f"IdentityProvider.objects.update_or_create(organisation=Organisation.objects.get(slug={ORG!r}),"
            f" defaults={values!r})\n"
        )


@pytest.fixture(scope="module")
def sso() -> Iterator[SsoWorld]:
    try:
        with live.serving("consulta-e2e-sso-", extra_env={"SSO_ALLOW_HTTP_ISSUERS": "true"}) as server:
            client = Client(
                "consulta-e2e", "e2e-client-secret-0123456789", [f"{server.url}/accounts/sso/{ORG}/callback/"]
            )
            with oidc_provider(client, ACCOUNTS) as provider:
                yield SsoWorld(server, provider)
    except live.ServerError as error:
        pytest.fail(str(error), pytrace=False)


def totp(key: bytes, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 of the 30-second step, dynamically truncated (RFC 4226), 6 digits."""
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def at_the_provider(page: Page, sso: SsoWorld, email: str) -> None:
    """The provider's own login page: sign in there, and come back."""
    page.wait_for_url(f"{sso.provider.issuer}/interaction/**")
    expect(page.get_by_role("heading", name="Test ID")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at Test ID").click()


def choose_and_continue(page: Page, sso: SsoWorld, email: str, *, check_axe: bool = False) -> None:
    """The login page's link, the work e-mail, and on to the provider."""
    page.goto(sso.demo["login_url"])
    page.get_by_role("link", name="Sign in with your organisation's account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with your organisation's account")
    if check_axe:
        assert_no_axe_violations(page)
    page.get_by_label("Your work e-mail address").fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with Demo ID")
    if check_axe:
        assert_no_axe_violations(page)
    page.get_by_role("link", name="Continue to Demo ID").click()
    at_the_provider(page, sso, email)


def test_an_admin_sets_up_sign_on_and_a_team_member_signs_in(new_page: Callable[..., Page], sso: SsoWorld) -> None:
    admin = new_page()
    login(admin, sso.demo, "organisation_admin")
    admin.goto(f"{sso.base}/o/{ORG}/")
    admin.get_by_role("navigation", name="Organisation").get_by_role("link", name="Sign-in settings").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Sign-in settings")
    expect(admin.get_by_label("Redirect URI to register at your provider")).to_have_value(
        f"{sso.base}/accounts/sso/{ORG}/callback/"
    )
    assert_no_axe_violations(admin)
    admin.get_by_label("Provider name").fill("Demo ID")
    admin.get_by_label("Issuer URL").fill(sso.provider.issuer)
    admin.get_by_label("Client ID").fill(sso.provider.client.client_id)
    admin.get_by_label("Client secret").fill(sso.provider.client.client_secret)
    admin.get_by_label("Allowed e-mail domains").fill(DOMAIN)
    admin.get_by_role("button", name="Save single sign-on settings").click()
    expect(admin.get_by_role("status")).to_contain_text("Single sign-on settings saved.")
    expect(admin.get_by_label("Direct sign-in link for your staff")).to_have_value(f"{sso.base}/accounts/sso/{ORG}/")
    expect(admin.get_by_label("Client secret")).to_have_value("")  # write-only: never shown back

    doctor = new_page()
    choose_and_continue(doctor, sso, f"doctor@{DOMAIN}", check_axe=True)
    doctor.wait_for_url(f"{sso.base}/")
    expect(doctor.get_by_text("Signed in as David Berg")).to_be_visible()
    expect(doctor.get_by_role("link", name="Northside Health Centre", exact=True)).to_be_visible()


def test_an_invited_person_signs_in_and_takes_the_role(new_page: Callable[..., Page], sso: SsoWorld) -> None:
    sso.configure()
    sso.django(
        "from consulta.organisations.models import Clinic, Invitation\n"
        "clinic = Clinic.objects.get(slug='harbour')\n"
        f"Invitation.objects.create(organisation=clinic.organisation, clinic=clinic, email='newcomer@{DOMAIN}',"
        " clinic_role='member')\n"
    )
    page = new_page()
    page.goto(f"{sso.base}/accounts/sso/{ORG}/")  # the organisation's direct link
    at_the_provider(page, sso, f"newcomer@{DOMAIN}")
    page.wait_for_url(f"{sso.base}/")
    expect(page.get_by_text("Signed in as Nora Newcomer")).to_be_visible()
    expect(page.get_by_role("link", name="Harbour Clinic", exact=True)).to_be_visible()
    held = sso.django(
        "import json\nfrom consulta.organisations.models import ClinicMembership\n"
        f"m = ClinicMembership.objects.get(user__email='newcomer@{DOMAIN}', clinic__slug='harbour')\n"
        "print(json.dumps([m.role, m.user.has_usable_password()]))\n"
    )
    assert held == ["member", False]


def test_somebody_without_a_role_is_refused_and_not_signed_in(
    new_page: Callable[..., Page], sso: SsoWorld, browser_problems: BrowserProblems
) -> None:
    sso.configure()
    page = new_page()
    page.goto(f"{sso.base}/accounts/sso/{ORG}/")
    at_the_provider(page, sso, f"stranger@{DOMAIN}")
    page.wait_for_url(f"{sso.base}/accounts/sso/{ORG}/callback/**")
    expect(page.get_by_role("alert")).to_have_text(
        "You have no role in Demo Health. Ask its administrator to invite you."
    )
    assert_no_axe_violations(page)
    assert browser_problems.allow(r"status of 403"), browser_problems.messages
    page.goto(f"{sso.base}/")
    page.wait_for_url(f"{sso.base}/accounts/login/**")  # nobody is logged in
    made = sso.django(
        "import json\nfrom consulta.accounts.models import User\n"
        f"print(json.dumps(User.objects.filter(email='stranger@{DOMAIN}').exists()))"
    )
    assert made is False


def test_when_required_the_password_form_refuses_with_the_way_to_sign_on(
    new_page: Callable[..., Page], sso: SsoWorld
) -> None:
    sso.configure(required=True)
    page = new_page()
    page.goto(sso.demo["login_url"])
    page.get_by_label("E-mail address").fill(f"doctor@{DOMAIN}")
    page.get_by_label("Password").fill(sso.demo["users"][0]["password"])
    page.get_by_role("button", name="Log in").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Demo Health requires you to sign in with Demo ID, not with a password.")
    expect(page.get_by_text("Signed in as")).to_have_count(0)
    refusal.get_by_role("link", name="Sign in with Demo ID").click()
    at_the_provider(page, sso, f"doctor@{DOMAIN}")
    page.wait_for_url(f"{sso.base}/")
    expect(page.get_by_text("Signed in as David Berg")).to_be_visible()


def test_required_sign_on_with_two_factor_login(new_page: Callable[..., Page], sso: SsoWorld) -> None:
    """The done-when: staff of an organisation that requires it sign in through its OIDC provider
    with a second factor. The clerk sets one up on the way; the nurse has one already."""
    sso.configure(required=True)
    sso.django(
        "from consulta.organisations.models import Organisation\n"
        "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
        "from consulta.accounts.models import User\n"
        f"Organisation.objects.filter(slug={ORG!r}).update(require_mfa=True)\n"
        f"TOTPDevice.objects.create(user=User.objects.get(email='nurse@{DOMAIN}'), name='Phone', confirmed=True,"
        f" key={NURSE_KEY.hex()!r})\n"
    )
    clerk = new_page()
    choose_and_continue(clerk, sso, f"clerk@{DOMAIN}")
    clerk.wait_for_url(f"{sso.base}/accounts/two-factor/setup/")
    expect(clerk.get_by_text("Signed in as")).to_have_count(0)  # not yet
    secret = clerk.locator("#totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    clerk.get_by_label("Six-digit code from your authenticator app").fill(totp(key))
    clerk.get_by_role("button", name="Turn on two-factor login").click()
    expect(clerk.get_by_text("Signed in as Clara Clerk")).to_be_visible()

    nurse = new_page()
    choose_and_continue(nurse, sso, f"nurse@{DOMAIN}")
    nurse.wait_for_url(f"{sso.base}/accounts/two-factor/")
    expect(nurse.get_by_text("Signed in as")).to_have_count(0)
    nurse.get_by_label("Six-digit code from your authenticator app").fill(totp(NURSE_KEY))
    nurse.get_by_role("button", name="Sign in").click()
    nurse.wait_for_url(f"{sso.base}/")
    expect(nurse.get_by_text("Signed in as Nils Ek")).to_be_visible()
