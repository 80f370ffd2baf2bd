"""The clinician's call on the dashboard page: from the queue into the call and back, on one page.

Join opens the call over the live queue without loading a page; a reload in the call comes
back into it; a waiting caller is added from the call's own list; a participant who closes
their tab leaves everyone's screen; ending returns the page to the queue.
"""

from __future__ import annotations

from functools import partial

from playwright.sync_api import Page, expect

from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll, wait_for_decoded_video
from tests.e2e.test_call_tools import surname
from tests.e2e.test_consultation_flow import (
    CALL_URL,
    PEERS,
    caller_card,
    end_from_call,
    enter_waiting_area,
    join_from_dashboard,
    northside,
)

DEADLINE_S = 45
# Closing a tab says "leave" as the page unloads; the server's sweep is the backstop (docs/signalling.md).
GONE_S = 15


def remote_tiles(page: Page) -> int:
    return page.locator("#call-view figure.call-tile:not(.call-tile-local)").count()


def frames_from(page: Page, count: int) -> list[int]:
    return poll(
        partial(decoded_video_frames, page, PEERS),
        lambda frames: len(frames) == count and min(frames) >= 3,
        page,
        DEADLINE_S,
        f"video from {count} others",
    )


def test_queue_to_call_and_back_on_one_page(new_page, demo, browser_problems) -> None:
    clinic = northside(demo)
    first, second = f"Una {surname()}", f"Otto {surname()}"
    patient = new_page()
    enter_waiting_area(patient, clinic, *first.split())
    other = new_page()
    enter_waiting_area(other, clinic, *second.split())

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    join_from_dashboard(clinician, first)  # asserts that no page was loaded
    for page in (clinician, patient):
        wait_for_decoded_video(page, PEERS, min_frames=3, timeout_s=DEADLINE_S)
    # The queue stays live behind the call: the other caller's card is still kept up to date.
    expect(caller_card(clinician, second)).to_have_attribute("data-status", "waiting")

    # A reload in the call comes back into it; the patient sees one clinician, not a ghost beside them.
    clinician.reload()
    expect(clinician).to_have_url(CALL_URL)
    expect(clinician.locator("#call-view")).to_be_visible()
    expect(clinician.locator("#call-view")).to_have_attribute("data-state", "in_call", timeout=DEADLINE_S * 1000)
    for page in (clinician, patient):
        frames_from(page, 1)
    poll(partial(remote_tiles, patient), lambda n: n == 1, patient, GONE_S, "one tile for the clinician")
    clinician.evaluate("() => { window.__samePage = true; }")

    # The waiting callers, from inside the call: add the other caller to it.
    view = clinician.locator("#call-view")
    view.get_by_role("button", name="Waiting callers").click()
    view.get_by_role("button", name=f"Add to this call: {second}").click()
    expect(other.locator("#patient-space")).to_have_attribute("data-state", "in_call")
    for page in (clinician, patient, other):
        frames_from(page, 2)

    # The added caller closes the tab without leaving: gone from both other screens, promptly.
    other.close()
    for page in (clinician, patient):
        poll(partial(remote_tiles, page), lambda n: n == 1, page, GONE_S, "the closed tab's tile to go")

    end_from_call(clinician)
    # The callers added to the call end with it.
    for name in (first, second):
        expect(caller_card(clinician, name)).to_have_count(0)
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "ended")
    # Back in the queue without a page load since the reload.
    assert clinician.evaluate("() => window.__samePage === true")
    browser_problems.allow(r"status of 404")
