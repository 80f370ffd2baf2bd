"""The call screen's tools, in real browsers on a waiting-area call.

Chat both ways (and nothing of it left once the consultation ends), the participant
list and the call's duration, connection quality, bitrate adaptation to the number of
people, screen sharing (the far side's picture turns into the 16:9 fake screen and
back), the grid and speaker layouts with pinning, and the call manager: asking
somebody to mute, and disconnecting an invited participant.

Every test starts its own consultation with a patient of its own and ends it.
"""

from __future__ import annotations

import re
import secrets
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll, wait_for_decoded_video
from tests.e2e.test_consultation_flow import (
    PEERS,
    end_from_call,
    enter_waiting_area,
    in_call_panel,
    join_from_dashboard,
    northside,
)

DEADLINE_S = 45
FOUR_BY_THREE = 4 / 3  # the fake camera: 640×480
SIXTEEN_BY_NINE = 16 / 9  # the fake screen of getDisplayMedia: 1280×720
QUALITY = re.compile(r"^(Good|Fair|Poor) connection$")
# The id of the video track one's own tile shows.
PREVIEW_TRACK = "() => document.querySelector('.call-tile-local video').srcObject.getVideoTracks()[0].id"


def surname() -> str:
    """Letters only, unique to this test: no other test's patient has it."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8)).capitalize()


@dataclass
class Call:
    patient: Page
    clinician: Page
    patient_name: str
    clinician_name: str

    def end(self) -> None:
        """The clinician ends the consultation from the call."""
        end_from_call(self.clinician)
        expect(self.patient.locator("#patient-space")).to_have_attribute("data-state", "ended")


def start_call(new_page: Callable[..., Page], demo: dict[str, Any], first: str) -> Call:
    """A patient enters the waiting area, the demo team member joins them; both decode video."""
    clinic = northside(demo)
    name = f"{first} {surname()}"
    patient = new_page()
    enter_waiting_area(patient, clinic, *name.split())
    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    join_from_dashboard(clinician, name)
    for page in (clinician, patient):
        wait_for_decoded_video(page, PEERS, min_frames=3, timeout_s=DEADLINE_S)
    signed_in = clinician.locator(".who").inner_text()  # "Signed in as <name>"
    return Call(patient, clinician, name, signed_in.removeprefix("Signed in as ").strip())


def view(page: Page) -> Locator:
    return page.locator("#call-view")


def control(page: Page, name: str) -> Locator:
    return view(page).get_by_role("group", name="Call controls").get_by_role("button", name=name)


def tile_of(page: Page, name: str) -> Locator:
    return view(page).locator("figure.call-tile", has=page.locator(".call-name", has_text=name))


def roster_row(page: Page, name: str) -> Locator:
    return view(page).locator(".call-roster-row", has=page.locator(".call-roster-name", has_text=name))


def encodings(page: Page) -> list[list[dict[str, Any]]]:
    """Per connection, the encodings of its video sender(s), as window.__call reports them."""
    return [c["video"] for c in page.evaluate("() => window.__call.videoEncodings")]


def wait_for_bitrate(page: Page, connections: int, max_bitrate: int, scale: float = 1) -> None:
    wanted = [[{"maxBitrate": max_bitrate, "scaleResolutionDownBy": scale}]] * connections
    poll(partial(encodings, page), lambda seen: seen == wanted, page, DEADLINE_S, f"video senders at {wanted}")


def sent(page: Page, kind: str) -> dict[str, Any]:
    tracks = page.evaluate("() => window.__call.sentTracks")
    return next(track for track in tracks if track["kind"] == kind)


def remote_shapes(page: Page) -> list[float]:
    """videoWidth / videoHeight of every remote video (0 while no frame has arrived)."""
    sizes = (
        view(page)
        .locator("video[data-peer-id]")
        .evaluate_all("(videos) => videos.map((v) => [v.videoWidth, v.videoHeight])")
    )
    return [width / height if height else 0.0 for width, height in sizes]


def close_to(ratio: float) -> Callable[[list[float]], bool]:
    return lambda shapes: len(shapes) == 1 and abs(shapes[0] - ratio) < 0.03


def send_chat(page: Page, text: str) -> None:
    chat = view(page).locator(".call-chat")
    if not chat.is_visible():
        control(page, "Chat").click()
    chat.get_by_label("Chat message").fill(text)
    chat.get_by_role("button", name="Send", exact=True).click()


def quality_summaries(audit: Page, demo: dict[str, Any]) -> list[str]:
    """The summaries of Northside's call.quality events, from its audit CSV (an org admin's view)."""
    response = audit.request.get(f"{demo['base_url']}/c/northside/audit/export.csv?kind=call.quality")
    assert response.status == 200, response.text()
    return re.findall(r"Call of consultation #\d+, as [^:]+: [^\r\n\"]*", response.text())


def test_chat_participants_quality_then_nothing_left_after_the_end(new_page, demo) -> None:
    audit = new_page()
    login(audit, demo, "organisation_admin")
    before = Counter(quality_summaries(audit, demo))
    call = start_call(new_page, demo, "Chatty")
    patient, clinician = call.patient, call.clinician

    send_chat(clinician, "Hello from the clinic")
    # The patient's panel is closed: the Chat button counts what arrived, and opens it.
    expect(control(patient, "Chat")).to_contain_text("1 new")
    control(patient, "Chat").click()
    expect(control(patient, "Chat")).to_have_attribute("aria-expanded", "true")
    line = view(patient).locator(".call-chat-line").last
    expect(line.locator(".call-chat-name")).to_have_text(call.clinician_name)
    expect(line.locator(".call-chat-text")).to_have_text("Hello from the clinic")
    expect(line.locator("time")).to_have_text(re.compile(r"^\d{1,2}[:.]\d{2}"))
    expect(line.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    # Text, never markup: what people type cannot become page content.
    send_chat(patient, "<b>Thanks, doctor</b>")
    reply = view(clinician).locator(".call-chat-line").last
    expect(reply.locator(".call-chat-name")).to_have_text(call.patient_name)
    expect(reply.locator(".call-chat-text")).to_have_text("<b>Thanks, doctor</b>")
    expect(view(clinician).locator(".call-chat b")).to_have_count(0)
    expect(view(clinician).locator(".call-chat-mine .call-chat-text")).to_have_text("Hello from the clinic")

    # The participant list: oneself and the patient, with roles; the duration counts.
    control(clinician, "Participants").click()
    expect(roster_row(clinician, call.patient_name).locator(".call-roster-role")).to_have_text("Patient")
    expect(view(clinician).locator(".call-roster-row[data-self] .call-roster-name")).to_have_text("You")
    # A patient leaves a call by hold or end, not by the call manager.
    expect(roster_row(clinician, call.patient_name).get_by_role("button", name="Disconnect")).to_have_count(0)
    duration = view(clinician).locator(".call-duration time")
    expect(duration).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(duration).not_to_have_text("00:00", timeout=5_000)

    # Each one's browser and system, from the server (headless Chromium reads as Chrome), and for
    # the other person the connection's figures, as text: bitrates, round trip, loss, direct.
    patient_row = roster_row(clinician, call.patient_name)
    expect(patient_row.locator(".call-roster-client")).to_have_text(re.compile(r"^Chrome \d+ on Linux$"))
    expect(view(clinician).locator(".call-roster-row[data-self] .call-roster-client")).to_have_text(
        re.compile(r"^Chrome \d+ on Linux$")
    )
    figures = r"^Received \d+ kbit/s, sent \d+ kbit/s, round trip \d+ ms, packet loss [\d.]+ percent$"
    expect(patient_row.locator(".call-roster-connection")).to_have_text(re.compile(figures), timeout=15_000)
    expect(patient_row.locator(".call-roster-route")).to_have_text("Direct connection")
    expect(patient_row).to_have_attribute("data-connection", "direct")
    control(patient, "Participants").click()
    clinician_row = roster_row(patient, call.clinician_name)
    expect(clinician_row.locator(".call-roster-client")).to_have_text(re.compile(r"^Chrome \d+ on Linux$"))
    expect(clinician_row.locator(".call-roster-connection")).to_have_text(re.compile(figures), timeout=15_000)
    expect(clinician_row.locator(".call-roster-route")).to_have_text("Direct connection")

    # Connection quality of the patient, in words, with the numbers for whoever asks.
    quality = tile_of(clinician, call.patient_name).locator(".call-quality")
    expect(quality).to_have_text(QUALITY)
    expect(quality).to_have_attribute("title", re.compile(r"^Round trip \d+ ms, packet loss [\d.]+ percent$"))
    # Two people: 1,000 kbit/s per video stream, full resolution (see static/js/call/bitrate.js).
    wait_for_bitrate(clinician, 1, 1_000_000)
    wait_for_bitrate(patient, 1, 1_000_000)

    call.end()
    # Nothing of the call is left on the patient's page: not a tile, not a chat line.
    expect(view(patient).locator("*")).to_have_count(0)
    expect(patient.get_by_text("Hello from the clinic")).to_have_count(0)
    expect(patient.get_by_text("Thanks, doctor")).to_have_count(0)

    # The call left one quality summary for each of them in the clinic's log: their browser
    # (Chrome, not HeadlessChrome), a measured round trip, direct; nobody's name.
    def new_summaries() -> list[str]:
        return list((Counter(quality_summaries(audit, demo)) - before).elements())

    def one_each(found: list[str]) -> bool:
        return sorted(summary.split(", as ")[1].split(":")[0] for summary in found) == ["a team member", "the patient"]

    found = poll(new_summaries, one_each, audit, DEADLINE_S, "a call.quality event for each of the two")
    for summary in found:
        assert re.search(r": Chrome \d+ on Linux, round trip \d+ ms, .*direct$", summary), summary
        assert call.patient_name.split()[1] not in summary and call.clinician_name not in summary


def test_screen_share_replaces_the_camera_for_the_other_side(new_page, demo) -> None:
    call = start_call(new_page, demo, "Screeny")
    patient, clinician = call.patient, call.clinician
    poll(partial(remote_shapes, patient), close_to(FOUR_BY_THREE), patient, DEADLINE_S, "the camera's 4:3 picture")

    share = control(clinician, "Share screen")
    share.click()
    expect(share).to_have_attribute("aria-pressed", "true")
    local = view(clinician).locator(".call-tile-local")
    expect(local).to_have_attribute("data-sharing", "on")
    expect(local.get_by_text("Sharing your screen")).to_be_visible()
    expect(control(clinician, "Camera")).to_be_disabled()
    assert sent(clinician, "video")["label"].startswith("screen:")
    # The same sender, another picture: the patient now decodes the 16:9 screen.
    poll(partial(remote_shapes, patient), close_to(SIXTEEN_BY_NINE), patient, DEADLINE_S, "the screen's 16:9 picture")
    before = decoded_video_frames(patient, PEERS)
    poll(
        partial(decoded_video_frames, patient, PEERS),
        lambda now: now[0] > before[0] + 5,
        patient,
        DEADLINE_S,
        "frames of the shared screen",
    )
    # A screen keeps its resolution; the camera's tile says it is on.
    wait_for_bitrate(clinician, 1, 1_000_000)
    expect(tile_of(patient, call.clinician_name)).to_have_attribute("data-video", "on")

    share.click()
    expect(share).to_have_attribute("aria-pressed", "false")
    expect(local).to_have_attribute("data-sharing", "off")
    expect(control(clinician, "Camera")).to_be_enabled()
    assert not sent(clinician, "video")["label"].startswith("screen:")
    poll(partial(remote_shapes, patient), close_to(FOUR_BY_THREE), patient, DEADLINE_S, "the camera again")
    call.end()


def test_three_way_layout_pin_mute_and_disconnect(new_page, demo, browser_problems) -> None:
    call = start_call(new_page, demo, "Trio")
    patient, clinician = call.patient, call.clinician
    panel = in_call_panel(clinician)
    panel.get_by_role("button", name="Make an invitation link").click()
    link = panel.get_by_label("Invitation link")
    expect(link).to_have_value(re.compile(r"/join/[\w-]+/$"))
    interpreter = new_page()
    interpreter.goto(link.input_value())
    interpreter.get_by_label("Your name").fill("Ines Interpreter")
    interpreter.get_by_role("button", name="Join the call").click()
    for page in (clinician, patient, interpreter):
        poll(
            partial(decoded_video_frames, page, PEERS),
            lambda counts: len(counts) == 2 and min(counts) >= 3,
            page,
            60,
            "video from both others",
        )
    # Three people: 700 kbit/s per stream, on every connection.
    wait_for_bitrate(clinician, 2, 700_000)

    # Layouts: speaker puts one of the others large; pinning chooses who.
    grid = view(clinician).locator(".call-grid")
    expect(grid).to_have_attribute("data-layout", "grid")
    expect(view(clinician).locator("[data-featured]")).to_have_count(0)
    layout = control(clinician, "Speaker view")
    layout.click()
    expect(layout).to_have_attribute("aria-pressed", "true")
    expect(grid).to_have_attribute("data-layout", "speaker")
    expect(view(clinician).locator(".call-tile[data-featured]")).to_have_count(1)
    expect(view(clinician).locator(".call-tile-local[data-featured]")).to_have_count(0)
    pin = tile_of(clinician, "Ines Interpreter").get_by_role("button", name="Pin")
    pin.click()
    expect(pin).to_have_attribute("aria-pressed", "true")
    expect(tile_of(clinician, "Ines Interpreter")).to_have_attribute("data-featured", "")
    expect(tile_of(clinician, call.patient_name)).not_to_have_attribute("data-featured", "")
    control(clinician, "Participants").click()
    row_pin = roster_row(clinician, "Ines Interpreter").get_by_role("button", name="Pin")
    expect(row_pin).to_have_attribute("aria-pressed", "true")
    # Pinning is local: nobody else's screen changed.
    expect(view(patient).locator(".call-grid")).to_have_attribute("data-layout", "grid")
    # Pin the patient from the list instead; then back to the grid.
    roster_row(clinician, call.patient_name).get_by_role("button", name="Pin").click()
    expect(tile_of(clinician, call.patient_name)).to_have_attribute("data-featured", "")
    expect(pin).to_have_attribute("aria-pressed", "false")
    layout.click()
    expect(grid).to_have_attribute("data-layout", "grid")
    expect(view(clinician).locator("[data-featured]")).to_have_count(0)

    # Ask the patient to mute: their microphone goes off, and they may switch it on again.
    roster_row(clinician, call.patient_name).get_by_role("button", name="Ask to mute").click()
    poll(partial(sent, patient, "audio"), lambda track: track["enabled"] is False, patient, DEADLINE_S, "muted")
    expect(control(patient, "Microphone")).to_have_attribute("aria-pressed", "false")
    expect(view(patient).locator(".call-notice")).to_contain_text(f"{call.clinician_name} switched your microphone off")
    expect(tile_of(clinician, call.patient_name)).to_have_attribute("data-audio", "off")
    expect(roster_row(clinician, call.patient_name)).to_have_attribute("data-audio", "off")
    expect(tile_of(interpreter, call.patient_name)).to_have_attribute("data-audio", "off")
    control(patient, "Microphone").click()
    assert sent(patient, "audio")["enabled"] is True
    expect(tile_of(clinician, call.patient_name)).to_have_attribute("data-audio", "on")

    # Disconnect the interpreter (after a confirmation): out of the call for everyone.
    clinician.once("dialog", lambda dialog: dialog.accept())
    roster_row(clinician, "Ines Interpreter").get_by_role("button", name="Disconnect").click()
    expect(view(interpreter)).to_have_attribute("data-state", "removed")
    expect(view(interpreter).get_by_role("status")).to_have_text("You were removed from the call.")
    for page in (clinician, patient):
        expect(tile_of(page, "Ines Interpreter")).to_have_count(0)
        expect(view(page).locator("video[data-peer-id]")).to_have_count(1)
    expect(roster_row(clinician, "Ines Interpreter")).to_have_count(0)
    # Two people again: the bitrate goes back up.
    wait_for_bitrate(clinician, 1, 1_000_000)
    call.end()


def test_switching_microphone_camera_and_speaker_mid_call(new_page, demo) -> None:
    call = start_call(new_page, demo, "Switchy")
    patient, clinician = call.patient, call.clinician
    control(patient, "Devices").click()
    devices = view(patient).locator(".call-devices")
    microphone = devices.get_by_label("Microphone")
    camera = devices.get_by_label("Camera")
    # The fake devices of Chromium: three microphones, one camera, three speakers.
    expect(microphone.locator("option")).to_have_count(4)  # "Default" and the three
    expect(microphone).to_have_value(re.compile(r".+"))  # the one in use is preselected

    # A muted microphone stays muted on the new device.
    control(patient, "Microphone").click()
    microphone.select_option(label="Fake Audio Input 1")
    poll(
        partial(sent, patient, "audio"),
        lambda track: track["label"] == "Fake Audio Input 1",
        patient,
        DEADLINE_S,
        "the new microphone sent",
    )
    assert sent(patient, "audio")["enabled"] is False
    assert sent(patient, "audio")["readyState"] == "live"
    expect(tile_of(clinician, call.patient_name)).to_have_attribute("data-audio", "off")
    control(patient, "Microphone").click()
    assert sent(patient, "audio")["enabled"] is True

    # A fresh camera track: the preview and the clinician's picture keep going.
    before = decoded_video_frames(clinician, PEERS)
    old_camera = patient.evaluate(PREVIEW_TRACK)
    camera.select_option(label="fake_device_0")
    poll(
        lambda: patient.evaluate(PREVIEW_TRACK),
        lambda track_id: track_id != old_camera,
        patient,
        DEADLINE_S,
        "a new camera track in the preview",
    )
    assert sent(patient, "video")["readyState"] == "live"
    poll(
        partial(decoded_video_frames, clinician, PEERS),
        lambda now: now[0] > before[0] + 10,
        clinician,
        DEADLINE_S,
        "the clinician still decoding the patient's video",
    )

    # The speaker: every remote video plays through the chosen output.
    speaker = devices.get_by_label("Speaker")
    speaker.select_option(label="Fake Audio Output 1")
    chosen = speaker.input_value()
    poll(
        lambda: view(patient).locator("video[data-peer-id]").evaluate_all("(videos) => videos.map((v) => v.sinkId)"),
        lambda sinks: sinks == [chosen],
        patient,
        DEADLINE_S,
        "the remote video on the chosen speaker",
    )
    call.end()
