"""The call screen's shape, in real browsers: meeting-room calls of the clinic's team, and a
waiting-area call as the patient and the clinician see it.

The call fills the viewport: in a call of two the other person fills the stage and one's
own picture floats small in a corner (movable by pointer and keyboard); from three on, a
grid. At every size people use (phones and tablets, upright and sideways, a laptop) the
controls bar, the tiles and the picture stay inside the viewport without covering each
other, every control can be reached, and axe-core finds nothing. Keyboard shortcuts (M)
and full screen work. Sizes change on the same pages: no new call per size.

Every test leaves the room empty again: the live server is shared by the whole session.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import assert_no_axe_violations
from tests.e2e.media import decoded_video_frames, poll
from tests.e2e.test_call_tools import start_call
from tests.e2e.test_consultation_flow import PEERS
from tests.e2e.test_rooms import host

DEADLINE_S = 45
SIZES = [(1280, 800), (390, 844), (844, 390), (768, 1024), (1024, 768)]

# Every box the checks need, in one round trip. Each control is scrolled into view first
# (the tools scroll sideways on a phone): reachable is what counts.
_MEASURE = """() => {
  const view = document.querySelector("#call-view");
  const box = (node) => {
    const r = node.getBoundingClientRect();
    return { x: r.left, y: r.top, w: r.width, h: r.height };
  };
  const buttons = [...view.querySelectorAll(".call-controls button")].filter((b) => b.checkVisibility()).map((b) => {
    b.scrollIntoView({ block: "nearest", inline: "nearest" });
    return { name: b.textContent.trim(), ...box(b) };
  });
  return {
    viewport: { w: innerWidth, h: innerHeight },
    scene: box(view.querySelector(".call-scene")),
    bar: box(view.querySelector(".call-controls")),
    tiles: [...view.querySelectorAll(".call-tile")].map((t) => ({
      local: t.classList.contains("call-tile-local"), pip: t.hasAttribute("data-pip"), ...box(t),
    })),
    buttons,
  };
}"""


def area(b: dict[str, float]) -> float:
    return b["w"] * b["h"]


def overlap(a: dict[str, float], b: dict[str, float]) -> float:
    """The area two boxes share (0 when they only touch)."""
    w = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
    h = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
    return max(0.0, w) * max(0.0, h)


def inside(b: dict[str, float], outer: dict[str, float], slack: float = 1.0) -> bool:
    ox, oy = outer.get("x", 0.0), outer.get("y", 0.0)
    return (
        b["x"] >= ox - slack
        and b["y"] >= oy - slack
        and b["x"] + b["w"] <= ox + outer["w"] + slack
        and b["y"] + b["h"] <= oy + outer["h"] + slack
    )


def view(page: Page) -> Locator:
    return page.locator("#call-view")


def control(page: Page, name: str) -> Locator:
    return view(page).get_by_role("group", name="Call controls").get_by_role("button", name=name)


def enter_and_see(pages: list[Page]) -> None:
    for page in pages:
        page.get_by_role("button", name="Enter the room").click()
        expect(view(page)).to_have_attribute("data-state", re.compile(r"^(waiting|in_call)$"))
    others = len(pages) - 1
    for page in pages:
        poll(
            partial(decoded_video_frames, page, PEERS),
            lambda counts: len(counts) == others and min(counts) >= 3,
            page,
            DEADLINE_S,
            f"video from the {others} others",
        )


def leave_all(pages: list[Page]) -> None:
    for page in pages:
        control(page, "Leave call").click()
        page.wait_for_url(re.compile(r"/c/northside/$"))


def screen_at(page: Page, width: int, height: int, check: Any, what: str) -> dict[str, Any]:
    """Resize the page and measure until `check(boxes)` returns no complaint (a layout settles)."""
    page.set_viewport_size({"width": width, "height": height})
    complaints: list[str] = []

    def settled(boxes: dict[str, Any]) -> bool:
        complaints[:] = check(boxes)
        return not complaints

    try:
        return poll(lambda: page.evaluate(_MEASURE), settled, page, 5, what)
    except AssertionError as error:
        raise AssertionError(f"{what} at {width}×{height}: {complaints}") from error


def common_complaints(boxes: dict[str, Any]) -> list[str]:
    """What must hold in every layout: bar and tiles inside the viewport, never over each other."""
    viewport, bar = boxes["viewport"], boxes["bar"]
    complaints = []
    if not inside(bar, viewport):
        complaints.append(f"controls bar {bar} outside the viewport")
    for tile in boxes["tiles"]:
        if not inside(tile, viewport):
            complaints.append(f"tile {tile} outside the viewport")
        if overlap(tile, bar) > 1:
            complaints.append(f"tile {tile} under the controls bar {bar}")
    for button in boxes["buttons"]:
        if not inside(button, viewport) or not inside(button, bar):
            complaints.append(f"control {button['name']!r} {button} out of reach")
    return complaints


def two_person_complaints(boxes: dict[str, Any]) -> list[str]:
    complaints = common_complaints(boxes)
    viewport = boxes["viewport"]
    screen = area(viewport)
    remote = [t for t in boxes["tiles"] if not t["local"]]
    local = next(t for t in boxes["tiles"] if t["local"])
    if len(remote) != 1 or area(remote[0]) < 0.6 * screen:
        complaints.append(f"the other person's tile {remote} is not most of the screen {viewport}")
    if not local["pip"] or area(local) >= 0.25 * screen or not inside(local, boxes["scene"]):
        complaints.append(f"one's own picture {local} is not a small picture in the stage {boxes['scene']}")
    return complaints


def grid_complaints(boxes: dict[str, Any]) -> list[str]:
    complaints = common_complaints(boxes)
    tiles, scene = boxes["tiles"], boxes["scene"]
    for i, a in enumerate(tiles):
        if not inside(a, scene):
            complaints.append(f"tile {a} outside the stage {scene}")
        for b in tiles[i + 1 :]:
            if overlap(a, b) > 1:
                complaints.append(f"tiles {a} and {b} overlap")
    # No big empty gap: the tiles cover most of the stage.
    if sum(area(t) for t in tiles) < 0.6 * area(scene):
        complaints.append(f"the tiles {tiles} leave most of the stage {scene} empty")
    return complaints


def pip_corner(page: Page) -> str | None:
    return view(page).locator(".call-tile-local").get_attribute("data-corner")


def test_a_call_of_two_fills_the_screen_at_every_size(new_page, demo) -> None:
    admin, doctor = new_page(), new_page()
    host(admin, demo, "clinic_admin")
    host(doctor, demo, "team_member")
    enter_and_see([admin, doctor])
    screen = view(admin)
    expect(screen.locator(".call-grid")).to_have_attribute("data-layout", "speaker")
    expect(control(admin, "Speaker view")).to_have_attribute("aria-pressed", "true")

    for width, height in SIZES:
        screen_at(admin, width, height, two_person_complaints, "a call of two")
        assert_no_axe_violations(admin)

    # One's own picture moves by keyboard: its button goes round the corners, arrows go sideways.
    admin.set_viewport_size({"width": 1280, "height": 800})
    local = screen.locator(".call-tile-local")
    assert pip_corner(admin) == "bottom-end"
    move = local.get_by_role("button", name="Move my picture")
    move.focus()
    admin.keyboard.press("Enter")
    expect(local).to_have_attribute("data-corner", "bottom-start")
    box = local.bounding_box()
    assert box and box["x"] < 640 and box["y"] > 400, box
    admin.keyboard.press("ArrowUp")
    expect(local).to_have_attribute("data-corner", "top-start")
    # ... and by pointer: dropped nearer the other corner, it snaps there.
    box = local.bounding_box()
    assert box
    admin.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    admin.mouse.down()
    admin.mouse.move(1000, 600, steps=5)
    admin.mouse.up()
    expect(local).to_have_attribute("data-corner", "bottom-end")

    # The keyboard shortcut M switches the microphone, but not while typing in the chat.
    microphone = control(admin, "Microphone")
    expect(microphone).to_have_attribute("aria-keyshortcuts", "M")
    admin.keyboard.press("m")
    expect(microphone).to_have_attribute("aria-pressed", "false")
    admin.keyboard.press("m")
    expect(microphone).to_have_attribute("aria-pressed", "true")
    control(admin, "Chat").click()
    chat_input = screen.get_by_label("Chat message")
    expect(chat_input).to_be_focused()
    admin.keyboard.type("mm")
    expect(chat_input).to_have_value("mm")
    expect(microphone).to_have_attribute("aria-pressed", "true")
    # One panel at a time, beside the stage; axe with a panel open.
    control(admin, "Devices").click()
    expect(control(admin, "Chat")).to_have_attribute("aria-expanded", "false")
    expect(screen.locator(".call-chat")).to_be_hidden()
    shortcuts = screen.get_by_label("Keyboard shortcuts (M, V, Shift+L)")
    expect(shortcuts).to_be_checked()
    assert_no_axe_violations(admin)
    for width, height in [(390, 844), (844, 390)]:
        screen_at(admin, width, height, common_complaints, "a call of two with a panel open")
    admin.set_viewport_size({"width": 1280, "height": 800})
    # Switched off, the shortcuts do nothing (and the buttons no longer announce them).
    shortcuts.uncheck()
    expect(microphone).not_to_have_attribute("aria-keyshortcuts", "M")
    screen.locator(".call-grid").click(position={"x": 5, "y": 5})
    admin.keyboard.press("m")
    expect(microphone).to_have_attribute("aria-pressed", "true")
    shortcuts.check()
    control(admin, "Devices").click()

    # Side by side, if chosen.
    control(admin, "Speaker view").click()
    expect(screen.locator(".call-grid")).to_have_attribute("data-layout", "grid")
    screen_at(admin, 1280, 800, grid_complaints, "a call of two side by side")
    assert_no_axe_violations(admin)

    # Full screen, and back.
    full = control(admin, "Full screen")
    full.click()
    expect(full).to_have_attribute("aria-pressed", "true")
    assert admin.evaluate("() => document.fullscreenElement?.id") == "call-view"
    full.click()
    expect(full).to_have_attribute("aria-pressed", "false")

    # Connecting and reconnecting look different (not only in their words).
    colours = admin.evaluate(
        """() => {
          const tile = document.querySelector("#call-view figure[data-peer-id]");
          const badge = tile.querySelector(".call-badge");
          const seen = {};
          for (const state of ["connecting", "reconnecting"]) {
            tile.dataset.state = state;
            seen[state] = getComputedStyle(badge).backgroundColor + " " + getComputedStyle(tile).outlineStyle;
          }
          tile.dataset.state = "connected";
          return seen;
        }"""
    )
    assert colours["connecting"] != colours["reconnecting"], colours
    leave_all([admin, doctor])


def test_three_people_share_the_stage_in_a_grid_on_a_phone(new_page, demo) -> None:
    admin, doctor, clerk = new_page(), new_page(), new_page()
    for page, role in [(admin, "clinic_admin"), (doctor, "team_member"), (clerk, "clinic_clerk")]:
        host(page, demo, role)
    enter_and_see([admin, doctor, clerk])
    grid = view(admin).locator(".call-grid")
    expect(grid).to_have_attribute("data-layout", "grid")
    expect(view(admin).locator(".call-tile")).to_have_count(3)
    for width, height in [(1280, 800), (844, 390), (390, 844)]:
        screen_at(admin, width, height, grid_complaints, "a grid of three")
    assert_no_axe_violations(admin)
    # The speaker layout: one large, the others in a strip; nothing under the controls either.
    control(admin, "Speaker view").click()
    expect(grid).to_have_attribute("data-strip", "")
    screen_at(admin, 390, 844, grid_complaints, "the speaker layout of three")
    assert_no_axe_violations(admin)
    leave_all([admin, doctor, clerk])


def test_the_patient_and_the_clinician_get_the_whole_screen(new_page, demo) -> None:
    """A waiting-area call: the patient's space (often a phone) and the dashboard's call."""
    call = start_call(new_page, demo, "Screen")
    patient, clinician = call.patient, call.clinician
    # The patient's own heading is hidden with the waiting screen: the call brings one.
    expect(patient.get_by_role("heading", level=1, name="Video call")).to_have_count(1)
    for width, height in [(390, 844), (844, 390)]:
        screen_at(patient, width, height, two_person_complaints, "the patient's call")
        assert_no_axe_violations(patient)
    screen_at(clinician, 1280, 800, two_person_complaints, "the clinician's call")
    assert_no_axe_violations(clinician)
    # Every panel of the clinician's call, open over or beside the video (one at a time).
    for name in ("Consultation", "Waiting callers", "Files", "Whiteboard", "Chat", "Participants", "Devices"):
        control(clinician, name).click()
        expect(control(clinician, name)).to_have_attribute("aria-expanded", "true")
        assert_no_axe_violations(clinician)
    call.end()
