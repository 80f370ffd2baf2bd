"""Access that ends ends on the open page too (issue 9, finding 1), in a real browser.

The clerk has the dashboard open with a waiting caller on it, and logs out in another tab
of the same browser. The open dashboard's socket is closed by the server, and the page
takes the caller's name and phone off the screen and says why.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import login
from tests.e2e.test_consultation_flow import caller_card, enter_waiting_area, northside


def test_logging_out_elsewhere_empties_the_open_dashboard(new_page, demo) -> None:
    clinic = northside(demo)
    patient = new_page()
    enter_waiting_area(patient, clinic, "Lotta", "Loggedout")

    dashboard = new_page()
    login(dashboard, demo, "clinic_clerk", "northside")
    dashboard.goto(clinic["dashboard_url"])
    card = caller_card(dashboard, "Lotta Loggedout")
    expect(card).to_be_visible()
    expect(dashboard.locator("#live-state")).to_have_attribute("data-state", "open")

    other_tab = dashboard.context.new_page()
    other_tab.goto(demo["base_url"] + "/")
    with other_tab.expect_navigation():
        other_tab.get_by_role("button", name="Log out").click()

    # Within a second: the bar, well above the milliseconds the event takes.
    expect(dashboard.locator("#live-state")).to_have_attribute("data-state", "ended", timeout=1_000)
    expect(dashboard.locator("#live-state")).to_have_text(
        "You no longer have access to this waiting area. Log in again, or ask your clinic admin."
    )
    expect(card).to_have_count(0)
    expect(dashboard.get_by_text("+46")).to_have_count(0)  # no phone number left on the screen
