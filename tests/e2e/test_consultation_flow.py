"""A patient is seen by video: entry, the live dashboard, the call, and the end.

Real Chromium with the fake camera, the real server (uvicorn, Channels), real
WebRTC between two browser contexts. A call works only when each side decodes
the other's video.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll, remote_video_sizes, wait_for_decoded_video

PEERS = "window.__call ? window.__call.peerConnections : []"


def northside(demo: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in demo["clinics"] if c["slug"] == "northside")


def enter_waiting_area(page: Page, clinic: dict[str, Any], first: str, last: str) -> None:
    page.goto(clinic["waiting_area_url"])
    # The device check runs first: browser, camera, microphone, server.
    expect(page.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)
    expect(page.locator('[data-check="camera"]')).to_have_attribute("data-result", "ok")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Phone number").fill("070-123 45 67")
    page.get_by_label("I have read and accept the terms of use").check()
    page.get_by_role("button", name="Enter the waiting area").click()
    page.wait_for_url(re.compile(r"/consultation/[\w-]+/$"))
    expect(page.locator("#patient-space")).to_have_attribute("data-state", "waiting")


CALL_URL = re.compile(r"/callers/\d+/call/$")
DASHBOARD_URL = re.compile(r"/waiting-area/$")


def caller_card(page: Page, name: str) -> Locator:
    return page.locator("li.caller", has=page.get_by_role("heading", name=name))


def join_from_dashboard(clinician: Page, name: str, button: str = "Join") -> None:
    """Join (or Resume) a caller: the call opens on the dashboard page itself, at the call's address."""
    clinician.evaluate("() => { window.__samePage = true; }")  # gone if the page were loaded anew
    caller_card(clinician, name).get_by_role("button", name=button).click()
    clinician.wait_for_url(CALL_URL)
    expect(clinician.locator("#call-view")).to_be_visible()
    assert clinician.evaluate("() => window.__samePage === true"), "Join loaded a new page"


def in_call_panel(clinician: Page) -> Locator:
    """The consultation panel of the call (caller's details, message, hold, end, invite), opened."""
    panel = clinician.locator("#call-view .call-consultation")
    if not panel.is_visible():
        clinician.locator("#call-view").get_by_role("button", name="Consultation", exact=True).click()
    expect(panel).to_be_visible()
    return panel


def end_from_call(clinician: Page) -> None:
    """The clinician ends the consultation from the call; the page returns to the queue."""
    clinician.once("dialog", lambda dialog: dialog.accept())
    in_call_panel(clinician).get_by_role("button", name="End consultation").click()
    clinician.wait_for_url(DASHBOARD_URL)
    expect(clinician.locator("#call-view")).to_be_hidden()


def test_patient_seen_by_video_then_consultation_ends(new_page, demo, browser_problems) -> None:
    clinic = northside(demo)
    patient = new_page()
    enter_waiting_area(patient, clinic, "Vera", "Video")
    expect(patient.get_by_text("Your clinician will be with you soon")).to_be_visible()
    space_url = patient.url

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    card = caller_card(clinician, "Vera Video")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-status", "waiting")
    expect(card).to_contain_text("+46701234567")

    join_from_dashboard(clinician, "Vera Video")

    # Each side decodes the other's video.
    assert min(wait_for_decoded_video(clinician, PEERS, min_frames=5, timeout_s=45)) >= 5
    assert min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45)) >= 5
    assert min(remote_video_sizes(clinician, "#call-view video[data-peer-id]")) > 0
    assert min(remote_video_sizes(patient, "#call-view video[data-peer-id]")) > 0
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "in_call")

    end_from_call(clinician)
    expect(caller_card(clinician, "Vera Video")).to_have_count(0)
    expect(clinician.locator("#action-result")).to_have_text("The consultation with Vera Video has ended.")

    expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible()
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "ended")
    # The space is gone: the token opens nothing any more.
    response = patient.goto(space_url)
    assert response is not None and response.status == 404
    expect(patient.get_by_role("heading", name="This consultation is over")).to_be_visible()
    browser_problems.allow(r"status of 404")


def test_interpreter_joins_by_link_three_way_call(new_page, demo) -> None:
    clinic = northside(demo)
    patient = new_page()
    enter_waiting_area(patient, clinic, "Tariq", "Threeway")

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    join_from_dashboard(clinician, "Tariq Threeway")
    wait_for_decoded_video(clinician, PEERS, min_frames=1, timeout_s=45)

    panel = in_call_panel(clinician)
    panel.get_by_role("button", name="Make an invitation link").click()
    link = panel.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/join/[\w-]+/$"))
    invite_url = link.input_value()

    interpreter = new_page()
    interpreter.goto(invite_url)
    interpreter.get_by_label("Your name").fill("Ali, interpreter")
    interpreter.get_by_role("button", name="Join the call").click()

    # A full three-way mesh: every page decodes both others.
    def both_others(counts: list[int]) -> bool:
        return len(counts) == 2 and min(counts) >= 3

    for page in (clinician, patient, interpreter):
        frames = poll(
            partial(decoded_video_frames, page, PEERS),
            both_others,
            page,
            60,
            "video from both others",
        )
        assert len(frames) == 2 and min(frames) >= 3
    expect(patient.locator("#call-view")).to_contain_text("Ali, interpreter")

    end_from_call(clinician)
    expect(interpreter.get_by_text("The call has ended")).to_be_visible()
    expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible()
