"""The check before entering: when it fails, the clinic's setting decides between warning and blocking.

The connection check is made to fail for real by answering the page's ping socket
with nothing (Playwright's WebSocket routing): no pong comes back.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, WebSocketRoute, expect

from tests.e2e.helpers import login


def harbour(demo: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in demo["clinics"] if c["slug"] == "harbour")


def set_policy(admin: Page, settings_url: str, policy: str) -> None:
    admin.goto(settings_url)
    admin.get_by_label("When the camera, microphone or connection check fails").select_option(policy)
    admin.get_by_role("button", name="Save waiting-area settings").click()
    expect(admin.get_by_text("Waiting-area settings saved.")).to_be_visible()


def silent_server(route: WebSocketRoute) -> None:
    """Accept the socket and never answer: the page's ping gets no pong."""


def test_a_failed_connection_check_blocks_or_warns(new_page, demo) -> None:
    clinic = harbour(demo)
    settings_url = clinic["dashboard_url"].replace("/waiting-area/", "/waiting-area/settings/")
    admin = new_page()
    login(admin, demo, "clinic_admin", "harbour")
    patient = new_page()
    patient.route_web_socket(re.compile(r"/ws/ping/$"), silent_server)
    enter = patient.get_by_role("button", name="Enter the waiting area")
    try:
        set_policy(admin, settings_url, "block")
        patient.goto(clinic["waiting_area_url"])
        expect(patient.locator('[data-check="server"]')).to_have_attribute("data-result", "failed", timeout=20_000)
        expect(patient.locator('[data-check="camera"]')).to_have_attribute("data-result", "ok")
        expect(patient.locator("#check-summary")).to_contain_text("We cannot reach the clinic's server")
        expect(patient.locator("#check-summary")).to_contain_text("Fix what did not work")
        expect(enter).to_be_disabled()

        set_policy(admin, settings_url, "warn")
        patient.reload()
        expect(patient.locator('[data-check="server"]')).to_have_attribute("data-result", "failed", timeout=20_000)
        expect(patient.locator("#check-summary")).to_contain_text("You can still enter")
        expect(enter).to_be_enabled()
    finally:
        set_policy(admin, settings_url, "warn")
