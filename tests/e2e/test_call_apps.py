"""The call's apps in real browsers: a file shared peer to peer, the whiteboard, and a host
making the apps view-only for a meeting room's guest.

Files and strokes travel over the call's data channel (static/js/call/data-protocol.js),
never through the server: the file test watches every WebSocket frame and HTTP request body
of both pages and finds none of the file's bytes in them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, Request, ViewportSize, WebSocket, expect

from tests.e2e.media import poll
from tests.e2e.test_call_tools import DEADLINE_S, control, start_call, view
from tests.e2e.test_rooms import enter, host, knock, leave, let_in

# Planted in the shared file: it must never appear in anything the server sees.
MARKER = b"CONSULTA-P2P-MARKER-" + secrets.token_hex(8).encode()
FILE_BYTES = 300 * 1024
# The largest frame or body the pages may send or get while a file crosses: signalling
# (an SDP offer is a few KB), never a 16 KiB chunk of the file.
MOST_BYTES = 12_000
# The entry check's bandwidth test uploads up to 256 KiB at a time of random bytes the page makes, before any
# call: too large to count, still searched for the marker (consulta/precall).
BANDWIDTH_TEST = "/precall/upload/"
# Reads the board's pixel at (x, y), normalised: its alpha (0 where nothing is drawn).
PIXEL = """([x, y]) => {
  const canvas = document.querySelector("#call-view .call-board-canvas");
  if (!canvas.width || !canvas.clientWidth) return -1;
  const ctx = canvas.getContext("2d");
  return ctx.getImageData(Math.floor(x * canvas.width), Math.floor(y * canvas.height), 1, 1).data[3];
}"""
# The test's own hold on a page's data channels (not the app's): to send what the app never would.
CAPTURE_CHANNELS = """
window.__testChannels = [];
const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (...args) {
  const channel = createDataChannel.apply(this, args);
  window.__testChannels.push(channel);
  return channel;
};
"""
FORGE = """(message) => {
  let sent = 0;
  for (const channel of window.__testChannels) {
    if (channel.readyState === "open") { channel.send(JSON.stringify(message)); sent += 1; }
  }
  return sent;
}"""


@dataclass
class Traffic:
    """Every WebSocket frame and HTTP request body of the watched pages."""

    seen: list[tuple[str, bytes]] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        def on_socket(ws: WebSocket) -> None:
            ws.on("framesent", lambda payload: self.add(f"sent on {ws.url}", payload))
            ws.on("framereceived", lambda payload: self.add(f"received on {ws.url}", payload))

        def on_request(request: Request) -> None:
            self.add(f"{request.method} {request.url}", request.post_data_buffer or b"")

        page.on("websocket", on_socket)
        page.on("request", on_request)

    def add(self, where: str, payload: str | bytes) -> None:
        self.seen.append((where, payload.encode() if isinstance(payload, str) else payload))


def watched(new_page: Callable[..., Page], traffic: Traffic) -> Callable[..., Page]:
    def open_page(**options: Any) -> Page:
        page = new_page(**options)
        traffic.watch(page)
        return page

    return open_page


def a_pdf(path: Path) -> bytes:
    """~300 KB that look like a PDF: random bytes with the marker planted here and there."""
    body = bytearray(b"%PDF-1.4\n" + secrets.token_bytes(FILE_BYTES - 9))
    for offset in range(1_000, FILE_BYTES - len(MARKER), 40_000):
        body[offset : offset + len(MARKER)] = MARKER
    path.write_bytes(bytes(body))
    return bytes(body)


def panel(page: Page, app: str) -> Locator:
    """The app's panel ("Files" or "Whiteboard"), opened."""
    selector = {"Files": ".call-files", "Whiteboard": ".call-board"}[app]
    found = view(page).locator(selector)
    if not found.is_visible():
        control(page, app).click()
    expect(found).to_be_visible()
    return found


def file_row(page: Page, name: str) -> Locator:
    return view(page).locator(".call-file", has=page.locator(".call-file-name", has_text=name))


PHONE: ViewportSize = {"width": 390, "height": 844}


def draw_line(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Mouse down at `start`, through ten steps, up at `end` (normalised to the board)."""
    canvas = panel(page, "Whiteboard").get_by_role("img", name="Shared whiteboard")
    box = canvas.bounding_box()
    assert box, "the board is not on screen"
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=10)
    page.mouse.up()


def strokes(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.__callApps.board.strokes")


def pixel(page: Page, x: float, y: float) -> int:
    return page.evaluate(PIXEL, [x, y])


def channels_open(page: Page, count: int) -> None:
    poll(
        lambda: [c["readyState"] for c in page.evaluate("() => window.__call.dataChannels")],
        lambda states: states.count("open") == count,
        page,
        DEADLINE_S,
        f"{count} open data channel(s)",
    )


def test_a_file_goes_peer_to_peer_intact_and_never_through_the_server(new_page, demo, tmp_path) -> None:
    traffic = Traffic()
    call = start_call(watched(new_page, traffic), demo, "Filed")
    patient, clinician = call.patient, call.clinician
    patient.set_viewport_size(PHONE)  # the patient on a phone, the clinician on a laptop
    path = tmp_path / "scan-results.pdf"
    sent = a_pdf(path)
    channels_open(clinician, 1)

    files = panel(clinician, "Files")
    files.get_by_label("File to send").set_input_files(path)
    files.get_by_label("Send to").select_option(label=call.patient_name)
    files.get_by_role("button", name="Send file").click()
    outgoing = file_row(clinician, "scan-results.pdf")
    expect(outgoing).to_contain_text(f"Waiting for {call.patient_name} to accept.")

    # The patient's Files button says something came; the offer says what, and from whom.
    expect(control(patient, "Files")).to_contain_text("1 new")
    panel(patient, "Files")
    offer = file_row(patient, "scan-results.pdf")
    expect(offer).to_contain_text("300 kB, application/pdf")
    expect(offer).to_contain_text(f"from {call.clinician_name}")
    expect(offer.get_by_role("link", name="Save")).to_have_count(0)  # nothing before accepting
    offer.get_by_role("button", name="Accept").click()
    expect(offer).to_have_attribute("data-state", "ready", timeout=DEADLINE_S * 1000)
    expect(offer.locator("progress")).to_have_attribute("value", str(FILE_BYTES))
    expect(outgoing).to_contain_text(f"{call.patient_name} received it intact.")

    with patient.expect_download() as downloading:
        offer.get_by_role("link", name="Save").click()
    download = downloading.value
    assert download.suggested_filename == "scan-results.pdf"
    saved = Path(download.path()).read_bytes()
    assert hashlib.sha256(saved).hexdigest() == hashlib.sha256(sent).hexdigest()

    # Not a byte of it through the server: no frame or body large enough for a chunk, none with the marker.
    assert traffic.seen, "the pages' traffic was not watched"
    counted = [item for item in traffic.seen if BANDWIDTH_TEST not in item[0]]
    largest = max(counted, key=lambda item: len(item[1]))
    assert len(largest[1]) < MOST_BYTES, f"{len(largest[1])} bytes {largest[0]}"
    assert not [where for where, payload in traffic.seen if MARKER in payload]
    call.end()


def test_a_stroke_reaches_the_other_and_a_latecomer_gets_the_board(new_page, demo) -> None:
    call = start_call(new_page, demo, "Sketchy")
    patient, clinician = call.patient, call.clinician
    patient.set_viewport_size(PHONE)  # the patient draws on a phone's screen
    channels_open(patient, 1)
    panel(clinician, "Whiteboard")

    # The patient draws a line across the middle; the clinician's board shows it, live.
    draw_line(patient, (0.2, 0.5), (0.8, 0.5))
    patient_id = patient.evaluate("() => window.__call.peerId")
    poll(partial(strokes, clinician), lambda seen: len(seen) == 1, clinician, DEADLINE_S, "the patient's stroke")
    stroke = strokes(clinician)[0]
    assert stroke["by"] == patient_id and stroke["tool"] == "pen" and stroke["points"] >= 2
    poll(partial(pixel, clinician, 0.5, 0.5), lambda alpha: alpha > 0, clinician, DEADLINE_S, "the line drawn")
    assert pixel(clinician, 0.5, 0.2) == 0, "only where the line is"

    # The clinician reloads: back in the call, a newcomer to the board, which the patient sends.
    clinician.reload()
    expect(view(clinician)).to_have_attribute("data-state", "in_call", timeout=DEADLINE_S * 1000)
    poll(partial(strokes, clinician), lambda seen: len(seen) == 1, clinician, DEADLINE_S, "the board as it stands")
    assert strokes(clinician)[0]["id"] == stroke["id"]
    panel(clinician, "Whiteboard")
    poll(partial(pixel, clinician, 0.5, 0.5), lambda alpha: alpha > 0, clinician, DEADLINE_S, "the line again")

    # Undo takes the patient's own stroke back, on both boards.
    panel(patient, "Whiteboard").get_by_role("button", name="Undo my last stroke").click()
    poll(partial(strokes, clinician), lambda seen: seen == [], clinician, DEADLINE_S, "the stroke undone")
    poll(partial(pixel, clinician, 0.5, 0.5), lambda alpha: alpha == 0, clinician, DEADLINE_S, "an empty board")
    call.end()


def test_apps_view_only_for_a_guest_and_their_forged_stroke_ignored(new_page, demo) -> None:
    admin, guest = new_page(), new_page()
    guest.add_init_script(CAPTURE_CHANNELS)
    host(admin, demo, "clinic_admin")
    enter(admin)
    knock(guest, demo, "Vic Viewer")
    let_in(admin, "Vic Viewer")
    expect(guest.locator("#call-view")).to_be_visible()
    channels_open(admin, 1)
    poll(lambda: guest.evaluate(FORGE, {"app": "board", "t": "nothing"}), lambda n: n == 1, guest, DEADLINE_S, "open")

    def forged(stroke_id: str) -> dict[str, Any]:
        return {
            "app": "board",
            "t": "stroke",
            "id": stroke_id,
            "tool": "pen",
            "color": "red",
            "width": 24,
            "p": [0.5, 0.5, 0.6, 0.6],
        }

    # While the apps are open to all, a stroke from the guest counts (even one sent by hand).
    board = panel(admin, "Whiteboard")
    guest.evaluate(FORGE, forged("before-view-only"))
    poll(partial(strokes, admin), lambda seen: [s["id"] for s in seen] == ["before-view-only"], admin, DEADLINE_S, "it")

    # The host makes the apps view-only; the guest is told, and their tools are off.
    board.get_by_label("Apps view-only for guests and patients").check()
    guest_board = panel(guest, "Whiteboard")
    expect(guest_board.locator(".call-apps-note")).to_contain_text("you can see the whiteboard and receive files")
    for name in ("Eraser", "Undo my last stroke", "Clear the board"):
        expect(guest_board.get_by_role("button", name=name)).to_be_disabled()
    expect(guest_board.get_by_label("Colour")).to_be_disabled()
    expect(guest_board.get_by_role("button", name="Save as image")).to_be_enabled()
    expect(panel(guest, "Files").get_by_role("button", name="Send file")).to_be_disabled()
    expect(guest_board.get_by_label("Apps view-only for guests and patients")).to_have_count(0)

    # A stroke forced from the guest's page anyway: the host's browser ignores it.
    ignored = admin.evaluate("() => window.__callApps.board.ignored")
    assert guest.evaluate(FORGE, forged("after-view-only")) == 1
    poll(
        lambda: admin.evaluate("() => window.__callApps.board.ignored"),
        lambda n: n > ignored,
        admin,
        DEADLINE_S,
        "the forged stroke refused",
    )
    assert [s["id"] for s in strokes(admin)] == ["before-view-only"]

    leave(guest)
    expect(guest.get_by_text("The call has ended. You can close this page.")).to_be_visible()
    leave(admin)
    admin.wait_for_url(re.compile(r"/c/northside/$"))
