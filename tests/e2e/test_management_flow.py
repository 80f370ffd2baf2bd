"""A newcomer's first walk through Consulta's management pages, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.helpers import BrowserProblems, login


def test_clinic_admin_creates_a_room_and_a_guest_opens_its_link(
    new_page: Callable[..., Page], demo: dict[str, Any]
) -> None:
    clinic = demo["clinics"][0]
    admin = new_page(permissions=["clipboard-read", "clipboard-write"])
    login(admin, demo, "clinic_admin", clinic["slug"])

    # The home page lists the clinic; the admin opens it.
    admin.get_by_role("link", name=clinic["name"], exact=True).click()
    admin.wait_for_url(f"{demo['base_url']}/c/{clinic['slug']}/")
    expect(admin.get_by_role("heading", level=1)).to_have_text(clinic["name"])

    # Meeting rooms: create "Ward round".
    admin.get_by_role("navigation", name="Clinic").get_by_role("link", name="Meeting rooms", exact=True).click()
    admin.wait_for_url(f"{demo['base_url']}/c/{clinic['slug']}/rooms/")
    admin.get_by_label("Room name").fill("Ward round")
    admin.get_by_role("button", name="Create room").click()
    expect(admin.get_by_role("status")).to_contain_text("Ward round")
    expect(admin.get_by_role("cell", name="Ward round", exact=True)).to_be_visible()

    # Its edit page: create a guest link and copy it from its read-only field.
    admin.get_by_role("link", name="Edit Ward round and guest links").click()
    expect(admin.get_by_role("heading", name="Ward round", level=1)).to_be_visible()
    admin.get_by_label("For whom (optional)").fill("Visiting specialist")
    admin.get_by_role("button", name="Create guest link").click()
    expect(admin.get_by_role("status")).to_contain_text("Guest link created")
    expect(admin.get_by_role("cell", name="Visiting specialist", exact=True)).to_be_visible()
    link_field = admin.get_by_label("Guest link", exact=True)
    expect(link_field).not_to_be_editable()
    link_field.click()  # copy-fields.js selects the whole link, ready for Ctrl+C
    admin.keyboard.press("Control+C")
    guest_url = admin.evaluate("() => navigator.clipboard.readText()")
    assert guest_url == link_field.input_value()
    assert re.fullmatch(re.escape(demo["base_url"]) + r"/g/[^/]+/", guest_url), guest_url

    # Somebody without an account opens the link in a browser of their own.
    guest = new_page()
    guest.goto(guest_url)
    expect(guest.get_by_role("heading", level=1)).to_have_text(f"Ward round at {clinic['name']}")

    # The admin switches to Swedish with the header's switcher, and the page still works.
    admin.get_by_label("Language", exact=True).select_option("sv")
    admin.get_by_role("button", name="Change language").click()
    expect(admin.locator("html")).to_have_attribute("lang", "sv")
    expect(admin.get_by_role("heading", name="Ward round", level=1)).to_be_visible()
    expect(admin.get_by_role("banner").get_by_role("combobox")).to_have_value("sv")  # its label is Swedish now
    admin.goto(demo["base_url"] + "/")
    expect(admin.locator("html")).to_have_attribute("lang", "sv")
    expect(admin.get_by_role("link", name=clinic["name"], exact=True)).to_be_visible()

    # The choice belongs to the admin (it is kept on their account), nobody else.
    guest.reload()
    expect(guest.locator("html")).to_have_attribute("lang", "en")
    admin.locator(".site-nav .language-picker select").select_option("en")
    admin.locator(".site-nav .language-picker button").click()
    expect(admin.locator("html")).to_have_attribute("lang", "en")


def test_organisation_reporter_sees_clinic_names_but_may_not_open_a_clinic(
    new_page: Callable[..., Page], demo: dict[str, Any], browser_problems: BrowserProblems
) -> None:
    page = new_page()
    login(page, demo, "organisation_reporter")
    for clinic in demo["clinics"]:
        expect(page.get_by_text(clinic["name"], exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=clinic["name"])).to_have_count(0)

    clinic = demo["clinics"][0]
    response = page.goto(f"{demo['base_url']}/c/{clinic['slug']}/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not do this")
    # Chromium logs every error status as "Failed to load resource": expected here.
    assert browser_problems.allow(r"status of 403"), browser_problems.messages


def test_an_existing_account_is_invited_not_added(
    new_page: Callable[..., Page], demo: dict[str, Any], browser_problems: BrowserProblems
) -> None:
    """Nobody joins a team without their consent: an account holder gets an invitation to accept."""
    clinic = demo["clinics"][0]
    other = next(c for c in demo["clinics"] if c["slug"] != clinic["slug"])
    colleague = new_page()
    colleague_user = login(colleague, demo, "team_member", other["slug"])  # has an account, elsewhere
    expect(colleague.get_by_role("link", name=clinic["name"], exact=True)).to_have_count(0)

    admin = new_page()
    login(admin, demo, "clinic_admin", clinic["slug"])
    admin.goto(f"{demo['base_url']}/c/{clinic['slug']}/team/")
    admin.get_by_label("E-mail address").fill(colleague_user["email"])
    admin.get_by_role("button", name="Invite to the team").click()
    expect(admin.get_by_role("status")).to_contain_text(f"Invitation sent to {colleague_user['email']}.")
    pending = admin.get_by_role("row").filter(has_text=colleague_user["email"])
    expect(pending).to_contain_text("Team member")
    expect(admin.get_by_role("button", name=f"Withdraw the invitation to {colleague_user['email']}")).to_be_visible()

    # Not in the team until they accept: the clinic still does not open for them.
    colleague.reload()
    expect(colleague.get_by_role("link", name=clinic["name"], exact=True)).to_have_count(0)
    response = colleague.goto(f"{demo['base_url']}/c/{clinic['slug']}/")
    assert response is not None
    assert response.status == 404
    assert browser_problems.allow(r"status of 404"), browser_problems.messages

    # Put the shared demo back as it was.
    admin.get_by_role("button", name=f"Withdraw the invitation to {colleague_user['email']}").click()
    expect(admin.get_by_role("status")).to_contain_text("withdrawn")
