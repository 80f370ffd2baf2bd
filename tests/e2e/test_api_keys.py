"""An organisation admin makes an API key for one clinic in a real browser, uses it, and revokes it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from consulta.organisations.management.commands.seed_demo import ORGANISATION
from tests.e2e.helpers import assert_no_axe_violations, login


def _get(url: str, token: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310 - 127.0.0.1
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the live server on 127.0.0.1
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_an_admin_makes_a_read_key_for_one_clinic_uses_it_and_revokes_it(
    new_page: Callable[..., Page], demo: dict[str, Any]
) -> None:
    organisation = ORGANISATION["slug"]
    clinic, other = demo["clinics"][0], demo["clinics"][1]
    page = new_page()
    login(page, demo, "organisation_admin")
    page.goto(f"{demo['base_url']}/o/{organisation}/")
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="API keys", exact=True).click()
    page.wait_for_url(f"{demo['base_url']}/o/{organisation}/api-keys/")
    expect(page.get_by_role("heading", name="API keys", exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    # Every control by its visible label.
    page.get_by_label("Key name").fill("E2E booking system")
    page.get_by_label("Read only").check()
    page.get_by_label("Only the clinics chosen below").check()
    page.get_by_label(clinic["name"]).check()
    page.get_by_role("button", name="Make the key").click()

    expect(page.get_by_role("heading", name="API key “E2E booking system” made")).to_be_visible()
    expect(page.get_by_text("this is the only time it is shown")).to_be_visible()
    field = page.get_by_label("The API key")
    expect(field).to_have_attribute("readonly", "")
    token = field.input_value()
    assert token.startswith("csk_")
    assert_no_axe_violations(page)

    api = f"{demo['base_url']}/api/v1"
    status, clinics = _get(f"{api}/clinics", token)
    assert status == 200 and [c["slug"] for c in clinics] == [clinic["slug"]]
    assert _get(f"{api}/clinics/{clinic['slug']}/waiting-area", token)[0] == 200
    assert _get(f"{api}/clinics/{other['slug']}", token)[0] == 404  # outside the key's clinics

    page.get_by_role("link", name="Back to the API keys").click()
    row = page.get_by_role("row").filter(has_text="E2E booking system")
    expect(row).to_contain_text(clinic["name"])
    expect(row).to_contain_text("Read only")
    assert token not in page.content()  # shown once: never again
    row.get_by_role("link", name="Revoke E2E booking system").click()
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.get_by_text("API key “E2E booking system” revoked")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="E2E booking system")).to_contain_text("Revoked")

    status, body = _get(f"{api}/clinics", token)
    assert status == 401 and body["detail"]
