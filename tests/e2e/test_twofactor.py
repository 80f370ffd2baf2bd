"""Two-factor login in real Chromium, against a server of its own (its people enrol and its
organisation requires a second factor, which the shared server's other tests must not meet).

The test reads the secret off the setup page and computes every code itself (RFC 6238 with hmac
and hashlib: consulta/twofactor/tests/totp.py), as an authenticator app would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from consulta.organisations.management.commands.seed_demo import ORGANISATION
from consulta.twofactor.tests.totp import STEP, step_of, totp
from tests.e2e import server as live
from tests.e2e.helpers import assert_no_axe_violations, demo_user, login

CODE_LABEL = "Six-digit code from your authenticator app"


@pytest.fixture(scope="module")
def mfa_server() -> Iterator[live.LiveServer]:
    try:
        with live.serving("consulta-e2e-2fa-") as server:
            yield server
    except live.ServerError as error:
        pytest.fail(str(error), pytrace=False)


def _require_mfa(server: live.LiveServer, required: bool) -> None:
    """The organisation's "require two-factor login" switch, set in the server's own database."""
    code = (
        "from consulta.organisations.models import Organisation; "
        f"assert Organisation.objects.filter(slug={ORGANISATION['slug']!r}).update(require_mfa={required!r}) == 1"
    )
    server.python(code)


def _fresh_code(secret: str, last_step: int | None) -> tuple[str, int]:
    """The app's code now; when the last code used was of this same 30-s step (the server takes
    each step once), the next step's code, which the server's one step of tolerance accepts: no
    wait for the clock."""
    step = step_of() if last_step is None else max(step_of(), last_step + 1)
    return totp(secret, step * STEP), step


def _password(page: Page, base_url: str, user: dict[str, Any], lands_on: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail address").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + lands_on)


def _log_out(page: Page, base_url: str) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{base_url}/accounts/login/")


def _enrol_from_security(page: Page, base: str, email: str) -> tuple[str, int, list[str]]:
    """Logged in without an app: set it up from Sign-in and security. Returns the secret read off
    the page, the time step of the code used, and the ten recovery codes shown."""
    page.get_by_role("link", name="Sign-in and security").click()
    page.wait_for_url(f"{base}/account/security/")
    expect(page.get_by_text("You sign in with your password only.")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor login").click()
    expect(page.get_by_role("img", name=re.compile("QR code that adds Consulta"))).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    assert_no_axe_violations(page)
    secret = page.locator("#totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", secret), secret

    code, used = _fresh_code(secret, None)
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("heading", name="Two-factor login is on")).to_be_visible()
    recovery = page.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(recovery) == 10 and all(re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", c) for c in recovery)
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url(f"{base}/account/security/")
    expect(page.locator("#two-factor-status")).to_contain_text("On.")
    expect(page.locator("#recovery-codes-left")).to_have_text("10 unused recovery codes.")
    assert_no_axe_violations(page)
    return secret, used, recovery


def _reset_from_people(admin: Page, base: str, name: str, status: str) -> None:
    """An organisation admin resets `name`'s second factor from People, after the confirmation."""
    admin.goto(f"{base}/o/{ORGANISATION['slug']}/people/")
    admin.get_by_role("link", name=f"Reset two-factor login of {name}").click()
    expect(admin.get_by_text(status)).to_be_visible()
    assert_no_axe_violations(admin)
    admin.get_by_role("button", name=f"Reset two-factor login of {name}").click()
    admin.wait_for_url(f"{base}/o/{ORGANISATION['slug']}/people/")
    expect(admin.get_by_text(f"Two-factor login of {name} reset")).to_be_visible()


def test_a_team_member_enrols_and_signs_in_with_a_code_and_a_recovery_code(
    new_page: Callable[..., Page], mfa_server: live.LiveServer
) -> None:
    base, demo = mfa_server.url, mfa_server.demo
    doctor = demo_user(demo, "team_member", "northside")
    page = new_page()
    _password(page, base, doctor, "/")  # no authenticator yet: the password alone signs in
    secret, used, recovery = _enrol_from_security(page, base, doctor["email"])
    _log_out(page, base)

    # Password, then the app's code: the one just used is refused, the next time step's works.
    _password(page, base, doctor, "/accounts/two-factor/")
    expect(page.get_by_label(CODE_LABEL)).to_have_attribute("autocomplete", "one-time-code")
    expect(page.get_by_label(CODE_LABEL)).to_have_attribute("inputmode", "numeric")
    assert_no_axe_violations(page)
    page.get_by_label(CODE_LABEL).fill(totp(secret, used * STEP))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right, or it was used already.")).to_be_visible()
    code, used = _fresh_code(secret, used)
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_label(CODE_LABEL).press("Enter")
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("Signed in as David Berg")).to_be_visible()
    _log_out(page, base)

    # Once more, with a recovery code instead (the phone left at home).
    _password(page, base, doctor, "/accounts/two-factor/")
    page.get_by_role("link", name="Use a recovery code instead").click()
    page.get_by_label("Recovery code").fill(recovery[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    expect(page.get_by_text("9 recovery codes are left")).to_be_visible()
    expect(page.get_by_text("Signed in as David Berg")).to_be_visible()
    _log_out(page, base)

    # Phone and codes lost: an organisation admin resets it. Not required in this organisation:
    # the password alone signs in again.
    admin = new_page()
    login(admin, demo, "organisation_admin")
    _reset_from_people(admin, base, "David Berg", f"{doctor['email']} has an authenticator app and 9 unused")
    _password(page, base, doctor, "/")
    page.goto(f"{base}/account/security/")
    expect(page.locator("#two-factor-status")).to_contain_text("Off.")


def test_a_required_second_factor_is_set_up_before_the_dashboard(
    new_page: Callable[..., Page], mfa_server: live.LiveServer
) -> None:
    base, demo = mfa_server.url, mfa_server.demo
    nurse = demo_user(demo, "team_member", "harbour")
    dashboard = f"{base}/c/harbour/waiting-area/"
    _require_mfa(mfa_server, True)
    try:
        page = new_page()
        _password(page, base, nurse, "/accounts/two-factor/setup/")
        expect(page.get_by_text("Demo Health requires two-factor login")).to_be_visible()
        # Not signed in until it is done: the dashboard sends to the login page.
        page.goto(dashboard)
        page.wait_for_url(re.compile(re.escape(f"{base}/accounts/login/")))
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()

        page.goto(f"{base}/accounts/two-factor/setup/")  # the sign-in still waits for its second factor
        secret = page.locator("#totp-secret").inner_text()
        code, _used = _fresh_code(secret, None)
        page.get_by_label(CODE_LABEL).fill(code)
        page.get_by_role("button", name="Turn on two-factor login").click()
        expect(page.get_by_role("heading", name="Two-factor login is on")).to_be_visible()
        page.get_by_role("link", name="I have saved them — continue").click()
        page.wait_for_url(f"{base}/")
        page.goto(dashboard)
        expect(page).to_have_url(dashboard)
        expect(page.get_by_role("heading", name=re.compile("Harbour Clinic"))).to_be_visible()
    finally:
        _require_mfa(mfa_server, False)
