"""Meeting rooms in real browsers: two of the clinic's team and a guest let in at the door.

The demo clinic Northside's meeting room: its clinic admin and its team member enter;
a guest opens the room's guest link, gives a name and knocks; a host lets them in and
all three decode each other's video. A guest who is declined is told so. In the call,
which covers the page (inert behind it), the knocks and the invitation form are its
"Guests" panel. Every test leaves the room empty again: the live server is shared by the
whole session.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll
from tests.e2e.test_consultation_flow import PEERS, northside

DEADLINE_S = 60


def meeting_room(demo: dict[str, Any]) -> dict[str, Any]:
    rooms = northside(demo)["meeting_rooms"]
    assert rooms, "the demo clinic has no meeting room"
    return dict(rooms[0])


def host(page: Page, demo: dict[str, Any], role: str) -> str:
    """Log in as the Northside user with `role` and open the meeting room; return their name."""
    login(page, demo, role, "northside")
    page.goto(meeting_room(demo)["url"])
    expect(page.get_by_role("button", name="Enter the room")).to_be_visible()
    return page.locator(".who").inner_text().removeprefix("Signed in as ").strip()


def enter(page: Page) -> None:
    page.get_by_role("button", name="Enter the room").click()
    expect(page.locator("#call-view")).to_be_visible()


def knock(page: Page, demo: dict[str, Any], name: str) -> None:
    page.goto(meeting_room(demo)["guest_url"])
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Knock").click()
    expect(page.get_by_role("heading", name="Waiting for someone to let you in")).to_be_visible()


def knock_item(page: Page, name: str) -> Locator:
    return page.locator("#knocks li", has_text=f"{name} is knocking")


def guests_toggle(page: Page) -> Locator:
    controls = page.locator("#call-view").get_by_role("group", name="Call controls")
    return controls.get_by_role("button", name=re.compile(r"^Guests\b"))


def open_guests(page: Page) -> None:
    """In the call, the knocks and the invitation form are its "Guests" panel: open it."""
    toggle = guests_toggle(page)
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#call-view .call-guests #invite-form")).to_be_visible()


def let_in(page: Page, name: str) -> None:
    """Let the knocking guest `name` in: from the call's "Guests" panel while in the call."""
    if guests_toggle(page).count():
        open_guests(page)
    knock_item(page, name).get_by_role("button", name=f"Let {name} in").click()


def notice(page: Page) -> Locator:
    """The call's notice line: what the page says while the call covers it."""
    return page.locator("#call-view .call-notice")


def focusable(locator: Locator) -> bool:
    """Whether the element takes the focus: an inert one does not (Tab passes it by)."""
    script = "(node) => { node.focus(); const taken = document.activeElement === node; node.blur(); return taken; }"
    return bool(locator.evaluate(script))


def leave(page: Page) -> None:
    view = page.locator("#call-view")
    view.get_by_role("group", name="Call controls").get_by_role("button", name="Leave call").click()


def test_two_members_and_an_admitted_guest_see_each_other(new_page, demo) -> None:
    admin, doctor, guest = new_page(), new_page(), new_page()
    admin_name = host(admin, demo, "clinic_admin")
    doctor_name = host(doctor, demo, "team_member")
    log_out = admin.locator(".site-header button", has_text="Log out")
    assert focusable(log_out)
    enter(admin)
    enter(doctor)
    # The call covers the page: what is behind it (the header too) is out of the keyboard's way.
    assert not focusable(log_out)

    knock(guest, demo, "Gita Guest")
    # Every host in the call hears the knock at once: the call's notice, a count on "Guests".
    for page in (admin, doctor):
        expect(notice(page)).to_have_text("Gita Guest is knocking")
        expect(guests_toggle(page)).to_have_accessible_name("Guests 1 knocking")
    # From inside the call: an invitation link, and the knocking guest let in.
    open_guests(admin)
    panel = admin.locator("#call-view .call-guests")
    panel.get_by_role("button", name="Make an invitation link").click()
    expect(panel.get_by_label("Invitation link")).to_have_value(re.compile(r"/g/[\w-]+/$"))
    expect(notice(admin)).to_contain_text("Invitation link ready")
    let_in(admin, "Gita Guest")
    for page in (admin, doctor):
        expect(knock_item(page, "Gita Guest")).to_have_count(0)
        expect(notice(page)).to_have_text("Gita Guest was let in.")
        expect(guests_toggle(page)).to_have_accessible_name("Guests")
    expect(guest.locator("#call-view")).to_be_visible()
    expect(guest.locator("#knock-view")).to_be_hidden()
    guest_language = guest.locator("#language-select")
    assert not focusable(guest_language)

    # A full three-way mesh: every page decodes both others' video.
    for page in (admin, doctor, guest):
        frames = poll(
            partial(decoded_video_frames, page, PEERS),
            lambda counts: len(counts) == 2 and min(counts) >= 3,
            page,
            DEADLINE_S,
            "video from both others",
        )
        assert len(frames) == 2 and min(frames) >= 3
    names = {admin: [doctor_name, "Gita Guest"], doctor: [admin_name, "Gita Guest"], guest: [admin_name, doctor_name]}
    for page, others in names.items():
        for name in others:
            expect(page.locator("#call-view .call-tile .call-name", has_text=name)).to_have_count(1)
    # The guest's call has no manager's tools; the hosts' has them.
    guest.locator("#call-view").get_by_role("button", name="Participants").click()
    expect(guest.locator("#call-view").get_by_role("button", name="Ask to mute")).to_have_count(0)
    admin.locator("#call-view").get_by_role("button", name="Participants").click()
    expect(admin.locator("#call-view").get_by_role("button", name="Ask to mute")).to_have_count(2)

    # Everyone leaves: the room is empty again.
    leave(guest)
    expect(guest.get_by_text("The call has ended. You can close this page.")).to_be_visible()
    assert focusable(guest_language)  # the call is over: the page is live again
    leave(doctor)
    doctor.wait_for_url(re.compile(r"/c/northside/$"))
    expect(admin.locator("#call-view video[data-peer-id]")).to_have_count(0)
    leave(admin)
    admin.wait_for_url(re.compile(r"/c/northside/$"))


def test_declined_guest_is_told_so(new_page, demo) -> None:
    admin = new_page()
    host(admin, demo, "clinic_admin")  # outside the call: hosts hear knocks from the room's page
    guest = new_page()
    knock(guest, demo, "Dora Declined")
    item = knock_item(admin, "Dora Declined")
    expect(item).to_be_visible()
    expect(admin.locator("#no-knocks")).to_be_hidden()
    item.get_by_role("button", name="Decline Dora Declined").click()
    expect(guest.get_by_text("You were not let in. You can close this page.")).to_be_visible()
    expect(guest.locator("#knock-view")).to_be_hidden()
    expect(item).to_have_count(0)
    expect(admin.locator("#call-status")).to_have_text("Dora Declined was declined.")
    expect(admin.locator("#no-knocks")).to_be_visible()

    # Invite by link: the page shows the new guest link and what the server said.
    admin.locator("#invite-form").get_by_role("button", name="Make an invitation link").click()
    expect(admin.get_by_label("Invitation link")).to_have_value(re.compile(r"/g/[\w-]+/$"))
    expect(admin.locator("#call-status")).to_contain_text("Invitation link ready")


def test_a_guest_put_on_hold_is_back_at_the_door_until_let_in_again(new_page, demo) -> None:
    admin, guest = new_page(), new_page()
    host(admin, demo, "clinic_admin")
    enter(admin)
    knock(guest, demo, "Hedda Held")
    let_in(admin, "Hedda Held")
    expect(guest.locator("#call-view")).to_be_visible()

    def video_from_the_host() -> None:
        poll(
            partial(decoded_video_frames, guest, PEERS),
            lambda counts: len(counts) == 1 and min(counts) >= 3,
            guest,
            DEADLINE_S,
            "video from the host",
        )

    video_from_the_host()

    # The host puts the guest on hold from the participant list: the guest is back at the door.
    view = admin.locator("#call-view")
    view.get_by_role("button", name="Participants").click()
    hold = view.locator(".call-roster-row", has_text="Hedda Held").get_by_role("button", name="Put on hold")
    expect(hold).to_have_accessible_description("Hedda Held")
    hold.click()
    expect(guest.locator("#knock-status")).to_have_text("You are on hold. Someone will let you back in.")
    expect(guest.locator("#call-view")).to_be_hidden()
    expect(guest.locator("#call-view video[data-peer-id]")).to_have_count(0)
    expect(admin.locator("#call-view video[data-peer-id]")).to_have_count(0)

    # The guest knocks again by itself; a host lets them in again and the video flows again.
    let_in(admin, "Hedda Held")  # the Guests panel again: the participant list took its place
    expect(guest.locator("#call-view")).to_be_visible()
    expect(guest.locator("#knock-view")).to_be_hidden()
    video_from_the_host()

    leave(guest)
    expect(guest.get_by_text("The call has ended. You can close this page.")).to_be_visible()
    leave(admin)
    admin.wait_for_url(re.compile(r"/c/northside/$"))
