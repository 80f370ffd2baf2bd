"""The browser's call modules (consulta/static/js/call/) with real WebRTC, without Consulta's server.

A plain HTTP server on 127.0.0.1 serves consulta/static and a test page
(tests/e2e/pages/) that puts several people in one page, each with their own fake
camera. They signal through an in-page relay (pages/relay.js) that behaves as
docs/signalling.md says the server does and rejects, as the server would, any frame
that does not fit consulta/calls/messages.py. Media is real: every assertion about a
working call is about video frames decoded on the far side.

`mode=mesh` drives Mesh directly; `mode=call` runs startCall() whole (socket, mesh
and view), its WebSocket replaced by one whose far end is the same relay; the last
test drives CallSocket alone over that fake socket (backoff, retries, queue, close codes).
"""

from __future__ import annotations

import itertools
import posixpath
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e import server as live
from tests.e2e.media import decoded_video_frames, poll, remote_video_sizes, wait_for_decoded_video

ROOT = Path(__file__).resolve().parents[2]
MOUNTS = {
    "/static/": ROOT / "consulta" / "static",
    "/pages/": Path(__file__).resolve().parent / "pages",
}
# Consulta's own policy (settings.CONTENT_SECURITY_POLICY): the modules must run under it.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DEADLINE_S = 30.0
NAMES = ["Ada", "Bo", "Cy"]


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".css": "text/css",
        ".html": "text/html",
    }

    def translate_path(self, path: str) -> str:
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        for prefix, root in MOUNTS.items():
            if path.startswith(prefix):
                relative = posixpath.normpath(path[len(prefix) :]).lstrip("/")
                target = (root / relative).resolve()
                if target.is_relative_to(root):
                    return str(target)
        return str(ROOT / "nonexistent")  # answered 404

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test's output is for failures


@pytest.fixture(scope="module")
def static_url() -> Iterator[str]:
    with live.serving_http(_Handler) as url:
        yield url


@dataclass
class Loopback:
    page: Page
    warnings: list[str] = field(default_factory=list)

    def js(self, source: str, arg: Any = None) -> Any:
        return self.page.evaluate(source, arg)

    def add(self, names: list[str], debug_for: str | None = None) -> None:
        self.js("([names, debugFor]) => window.__loopback.add(names, {debugFor})", [names, debug_for])

    def peer_id(self, name: str) -> str:
        return str(self.js("(name) => window.__loopback.peerId(name)", name))

    def frames(self, expression: str) -> list[int]:
        return decoded_video_frames(self.page, expression)

    def wait_all_decoding(self, connections: int, expression: str = "window.__loopback.allConnections()") -> None:
        """Every one of `connections` peer connections has decoded video (polled every 250 ms at most)."""
        try:
            poll(
                lambda: self.frames(expression),
                lambda counts: len(counts) == connections and all(count > 0 for count in counts),
                self.page,
                DEADLINE_S,
                f"video decoded on all {connections} connections",
            )
        except AssertionError as error:
            raise AssertionError(f"{error}\nThe connections: {self.describe()}") from None

    def describe(self) -> Any:
        """Each person's connections and what the relay carried, for a failure's message."""
        return self.js(
            """() => {
              const lb = window.__loopback;
              const people = [...lb.people.values()].map((p) => ({
                name: p.name,
                peerId: p.mesh.peerId,
                links: [...p.mesh.peers].map(([id, pc]) =>
                  `${id} ${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}`),
              }));
              const frames = lb.relay.frames.map(({name, message}) =>
                `${name}: ${message.type} ${message.to ?? ""} ${message.description?.type ?? ""}` +
                `${message.candidate ? "candidate" : ""}`);
              return {people, glares: lb.relay.glares, frames};
            }"""
        )

    def wait_frames_grow(self, expression: str, before: list[int]) -> None:
        poll(
            lambda: self.frames(expression),
            lambda counts: (
                len(counts) == len(before) and all(now > then for now, then in zip(counts, before, strict=True))
            ),
            self.page,
            DEADLINE_S,
            f"more frames decoded than {before} on `{expression}`",
        )

    def check_clean(self) -> None:
        assert self.js("() => window.__loopback.relay.problems") == [], "frames the server would reject"
        assert self.warnings == [], "the call modules warned"
        self.js("() => window.__loopback.stopAll()")


@pytest.fixture
def open_loopback(new_page: Callable[..., Page], static_url: str) -> Callable[..., Loopback]:
    def open_page(**query: Any) -> Loopback:
        page = new_page()
        loopback = Loopback(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "warning":
                loopback.warnings.append(message.text)

        page.on("console", on_console)
        page.goto(f"{static_url}/pages/loopback.html?{urllib.parse.urlencode(query)}")
        expect(page.locator("html")).to_have_attribute("data-ready", "true", timeout=10_000)
        return loopback

    return open_page


def peer_map(loopback: Loopback) -> dict[str, list[str]]:
    """Each person's peers, by name."""
    return dict(
        loopback.js(
            """() => {
              const lb = window.__loopback;
              const names = new Map([...lb.people.keys()].map((name) => [lb.peerId(name), name]));
              return [...lb.people.keys()].map((name) =>
                [name, [...lb.people.get(name).mesh.peers.keys()].map((id) => names.get(id)).sort()]);
            }"""
        )
    )


def everyone_else() -> dict[str, list[str]]:
    return {name: sorted(other for other in NAMES if other != name) for name in NAMES}


# --- Mesh alone ---------------------------------------------------------------------------


def test_three_meshes_joining_one_by_one_decode_video_from_each_other(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="mesh")
    loopback.add(NAMES, debug_for="Ada")
    for name in NAMES:  # each join is answered before the next one starts
        loopback.js("(name) => window.__loopback.join(name)", name)

    loopback.wait_all_decoding(6)
    assert peer_map(loopback) == everyone_else()
    states = loopback.js("() => [...window.__loopback.people.values()].map((p) => Object.values(p.peerStates))")
    assert states == [["connected", "connected"]] * 3

    # The debug hook shows Ada's mesh, and cannot be used to change it.
    counts = wait_for_decoded_video(loopback.page, "window.__call.peerConnections", timeout_s=DEADLINE_S)
    assert len(counts) == 2
    hook = loopback.js(
        """() => {
          const before = window.__call;
          try { window.__call.peerId = "tampered"; } catch {}
          try { window.__call = null; } catch {}
          const connection = window.__call.peerConnections[0];
          return {
            same: window.__call === before,
            peerId: window.__call.peerId,
            frozen: Object.isFrozen(window.__call) && Object.isFrozen(connection),
            exposed: Object.keys(connection).sort(),
          };
        }"""
    )
    assert hook == {
        "same": True,
        "peerId": loopback.peer_id("Ada"),
        "frozen": True,
        "exposed": ["connectionState", "getStats", "peerId", "serial", "signalingState"],
    }
    loopback.check_clean()


def test_three_meshes_joining_at_once_connect(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="mesh")
    loopback.add(NAMES)
    loopback.js("(names) => window.__loopback.join(...names)", NAMES)  # one task: nobody waits for anybody

    loopback.wait_all_decoding(6)
    assert peer_map(loopback) == everyone_else()
    loopback.check_clean()


def test_offers_crossing_on_a_slow_network_still_connect(open_loopback: Callable[..., Loopback]) -> None:
    """Glare at join: with 2 s of latency the polite side's head start runs out, both ends offer."""
    loopback = open_loopback(mode="mesh", latency=2000, stuck=10_000)
    loopback.add(NAMES)
    loopback.js("(names) => window.__loopback.join(...names)", NAMES)

    loopback.wait_all_decoding(6)
    assert peer_map(loopback) == everyone_else()
    # Both ends of a pair offered at once; perfect negotiation settled it.
    assert loopback.js("() => window.__loopback.relay.glares") >= 1
    loopback.check_clean()


ICE_UFRAGS = """() => window.__loopback.allConnections().map((pc) =>
  pc.signalingState + " " + /a=ice-ufrag:(\\S+)/.exec(pc.remoteDescription.sdp)[1])"""


def test_both_ends_restarting_ice_at_once_still_renegotiate(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="mesh")
    loopback.add(["Ada", "Bo"])
    loopback.js("() => window.__loopback.join('Ada', 'Bo')")
    loopback.wait_all_decoding(2)
    everyone = "window.__loopback.allConnections()"
    before = loopback.frames(everyone)
    ufrags = loopback.js(ICE_UFRAGS)
    glares = loopback.js("() => window.__loopback.relay.glares")

    # As after a network change on both sides: two ICE restarts, two offers crossing.
    loopback.js("() => { for (const person of window.__loopback.people.values()) person.mesh.restartIce(); }")
    poll(
        lambda: loopback.js(ICE_UFRAGS),
        lambda now: all(new.startswith("stable ") and new != old for new, old in zip(now, ufrags, strict=True)),
        loopback.page,
        DEADLINE_S,
        "new ICE credentials on both sides",
    )
    assert loopback.js("() => window.__loopback.relay.glares") > glares
    loopback.wait_frames_grow(everyone, before)
    loopback.check_clean()


def test_a_connection_that_never_starts_is_replaced(open_loopback: Callable[..., Loopback]) -> None:
    """No ICE candidate gets through (as when Chromium stops gathering): both ends start over."""
    loopback = open_loopback(mode="mesh", stuck=3000)
    loopback.add(["Ada", "Bo"])
    loopback.js("() => window.__loopback.relay.blockCandidates('Ada', 'Bo')")
    loopback.js("() => window.__loopback.join('Ada', 'Bo')")
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.keep(name)", name) == 1

    loopback.wait_all_decoding(2)
    assert loopback.js("() => window.__loopback.relay.candidatesDropped") > 0
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.stillKept(name)", name) == [False], name
    assert peer_map(loopback) == {"Ada": ["Bo"], "Bo": ["Ada"]}
    loopback.check_clean()


def test_a_lost_offer_is_made_again(open_loopback: Callable[..., Loopback]) -> None:
    """The first offer (and its candidates) never arrive: it is withdrawn and made again."""
    loopback = open_loopback(mode="mesh", stuck=6000)  # an offer is made again after 3 s
    loopback.add(["Ada", "Bo"])
    loopback.js("() => window.__loopback.relay.dropFirstOffer('Ada', 'Bo')")
    loopback.js("() => window.__loopback.join('Ada', 'Bo')")
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.keep(name)", name) == 1

    loopback.wait_all_decoding(2)
    assert loopback.js("() => window.__loopback.relay.offersDropped") == 1
    # Made again on the same connections: they did not have to be replaced.
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.stillKept(name)", name) == [True], name
    loopback.check_clean()


def test_a_resumed_welcome_keeps_connections_and_drops_unlisted_peers(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="mesh")
    loopback.add(NAMES)
    loopback.js("(names) => window.__loopback.join(...names)", NAMES)
    loopback.wait_all_decoding(6)
    for name in NAMES:
        assert loopback.js("(name) => window.__loopback.keep(name)", name) == 2
    bo = "window.__loopback.connections('Bo')"
    before = loopback.frames(bo)

    # Bo resumes (as after a reconnect): the server re-sends a welcome with the same peers.
    loopback.js(
        """async () => {
          const lb = window.__loopback;
          lb.people.get("Bo").send({type: "join_call", resume: lb.peerId("Bo")});
          await lb.relay.settled();
        }"""
    )
    for name in NAMES:
        assert loopback.js("(name) => window.__loopback.stillKept(name)", name) == [True, True], name
    loopback.wait_frames_grow(bo, before)

    # A welcome that no longer lists Cy closes Ada's connection to Cy, and only that one.
    cy = loopback.peer_id("Cy")
    ada = "window.__loopback.connections('Ada')"
    loopback.js(
        """async (cy) => {
          const lb = window.__loopback;
          lb.people.get("Cy").mesh.close();
          lb.relay.welcome(lb.relay.byName("Ada"), {without: [cy]});
          await lb.relay.settled();
        }""",
        cy,
    )
    assert loopback.js("() => window.__loopback.people.get('Ada').peersLeft") == [cy]
    assert loopback.js("() => window.__loopback.stillKept('Ada')") == [True, False]
    assert peer_map(loopback)["Ada"] == ["Bo"]
    loopback.wait_frames_grow(ada, loopback.frames(ada))

    # Cy leaves: Bo lets go of Cy; Ada, who already had, is not told twice.
    loopback.js(
        """async () => {
          const lb = window.__loopback;
          lb.people.get("Cy").send({type: "leave_call"});
          await lb.relay.settled();
        }"""
    )
    assert loopback.js("() => window.__loopback.people.get('Bo').peersLeft") == [cy]
    assert loopback.js("() => window.__loopback.people.get('Ada').peersLeft") == [cy]
    assert peer_map(loopback)["Bo"] == ["Ada"]
    loopback.check_clean()


# --- startCall(): socket, mesh and view together ------------------------------------------


def section(page: Page, name: str) -> Any:
    return page.locator(f"section[data-person='{name}']")


def wait_videos_playing(page: Page, selector: str, count: int) -> None:
    poll(
        lambda: remote_video_sizes(page, selector),
        lambda widths: len(widths) == count and all(width > 0 for width in widths),
        page,
        DEADLINE_S,
        f"{count} videos playing: {selector}",
    )


def test_start_call_shows_everyone_and_passes_on_muting(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="call")
    page = loopback.page
    loopback.add(NAMES)
    loopback.wait_all_decoding(6)
    labels = loopback.js("() => window.__loopback.labels")
    ids = {name: loopback.peer_id(name) for name in NAMES}

    for name in NAMES:
        view = section(page, name)
        expect(view).to_have_attribute("data-state", "in_call")
        wait_videos_playing(page, f"section[data-person='{name}'] video[data-peer-id]", 2)
        for other in NAMES:
            if other != name:
                tile = view.locator(f"figure[data-peer-id='{ids[other]}']")
                expect(tile.locator(".call-name")).to_have_text(other)
                expect(tile.locator(".call-badge")).to_have_text(labels["connected"])

    # Ada switches her microphone off with the keyboard; the others see it.
    microphone = section(page, "Ada").get_by_role("button", name=labels["microphone"])
    expect(microphone).to_have_attribute("aria-pressed", "true")
    microphone.focus()
    page.keyboard.press("Space")
    expect(microphone).to_have_attribute("aria-pressed", "false")
    assert loopback.js("() => window.__loopback.people.get('Ada').stream.getAudioTracks()[0].enabled") is False
    for other in ["Bo", "Cy"]:
        tile = section(page, other).locator(f"figure[data-peer-id='{ids['Ada']}']")
        expect(tile).to_have_attribute("data-audio", "off")
        expect(tile.get_by_text(labels["microphone_off"])).to_be_visible()
        expect(tile.get_by_text(labels["camera_off"])).to_be_hidden()

    camera = section(page, "Bo").get_by_role("button", name=labels["camera"])
    camera.focus()
    page.keyboard.press("Enter")
    expect(camera).to_have_attribute("aria-pressed", "false")
    tile = section(page, "Ada").locator(f"figure[data-peer-id='{ids['Bo']}']")
    expect(tile).to_have_attribute("data-video", "off")
    expect(tile.get_by_text(labels["camera_off"])).to_be_visible()

    # Every text on screen is a label the page passed in, or a person's name.
    texts = page.locator("section[data-person] :is(p, span, button)").all_text_contents()
    assert set(texts) <= {*labels.values(), *NAMES, ""}, set(texts) - {*labels.values(), *NAMES, ""}

    devices = loopback.js("() => window.__loopback.devices()")
    assert devices["cameras"] and devices["microphones"]

    # Cy leaves: the others drop Cy's tile and connection.
    section(page, "Cy").get_by_role("button", name=labels["leave"]).click()
    expect(section(page, "Cy")).to_have_attribute("data-state", "left")
    expect(section(page, "Cy").get_by_role("button", name=labels["microphone"])).to_be_disabled()
    assert loopback.js("() => window.__loopback.people.get('Cy').ended") == [{"reason": "left"}]
    for name in ["Ada", "Bo"]:
        expect(section(page, name).locator("video[data-peer-id]")).to_have_count(1)
    assert peer_map(loopback)["Ada"] == ["Bo"]
    loopback.check_clean()


def test_start_call_resumes_after_its_socket_drops(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="call")
    page = loopback.page
    loopback.add(["Ada", "Bo"])
    loopback.wait_all_decoding(2)
    bo_id = loopback.peer_id("Bo")
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.keep(name)", name) == 1
    everyone = "window.__loopback.allConnections()"
    before = loopback.frames(everyone)

    # The network drops Bo's socket (1006): Bo shows it, reconnects and resumes.
    states = loopback.js(
        """async () => {
          const lb = window.__loopback;
          lb.dropSocket("Bo", 1006);
          await new Promise((resolve) => setTimeout(resolve, 0));  // the close event's turn
          return [lb.people.get("Bo").handle.socket.state, document.querySelector("[data-person=Bo]").dataset.state];
        }"""
    )
    assert states == ["reconnecting", "reconnecting"]
    expect(section(page, "Bo")).to_have_attribute("data-state", "in_call")
    joins = loopback.js("() => window.__loopback.joinFramesOf('Bo')")
    assert joins == [{"type": "join_call"}, {"type": "join_call", "resume": bo_id}]
    assert loopback.js("() => window.__loopback.socketsOf('Bo').length") == 2
    assert loopback.peer_id("Bo") == bo_id
    for name in ["Ada", "Bo"]:
        assert loopback.js("(name) => window.__loopback.stillKept(name)", name) == [True], name
    loopback.wait_frames_grow(everyone, before)
    expect(section(page, "Ada").locator("video[data-peer-id]")).to_have_count(1)
    loopback.check_clean()


def test_start_call_joins_afresh_when_the_server_took_it_out(open_loopback: Callable[..., Loopback]) -> None:
    """Silent too long (a sleeping laptop): the server drops the peer, which joins again as a new one."""
    loopback = open_loopback(mode="call")
    page = loopback.page
    loopback.add(["Ada", "Bo"])
    loopback.wait_all_decoding(2)
    old_id = loopback.peer_id("Bo")

    loopback.js("() => window.__loopback.relay.remove('Bo')")
    poll(
        lambda: loopback.js("() => window.__loopback.joinFramesOf('Bo')"),
        lambda joins: len(joins) == 2,
        page,
        DEADLINE_S,
        "Bo joining again",
    )
    assert loopback.js("() => window.__loopback.joinFramesOf('Bo')")[1] == {"type": "join_call"}  # not a resume
    loopback.wait_all_decoding(2)
    new_id = loopback.peer_id("Bo")
    assert new_id != old_id
    expect(section(page, "Ada").locator("video[data-peer-id]")).to_have_count(1)
    expect(section(page, "Ada").locator(f"video[data-peer-id='{new_id}']")).to_have_count(1)
    expect(section(page, "Bo")).to_have_attribute("data-state", "in_call")
    wait_videos_playing(page, "section[data-person] video[data-peer-id]", 2)
    loopback.check_clean()


def test_start_call_refused_when_full_and_ended_by_the_server(open_loopback: Callable[..., Loopback]) -> None:
    loopback = open_loopback(mode="call", capacity=2)
    page = loopback.page
    labels = loopback.js("() => window.__loopback.labels")
    loopback.add(["Ada", "Bo"])
    loopback.wait_all_decoding(2)

    loopback.add(["Cy"])
    expect(section(page, "Cy")).to_have_attribute("data-state", "full")
    expect(section(page, "Cy").get_by_role("status")).to_have_text(labels["call_full"])
    cy = loopback.js("() => { const cy = window.__loopback.people.get('Cy'); return [cy.errors, cy.ended]; }")
    assert cy == [
        [{"code": "call_full", "message": "This call is full.", "fatal": True}],
        [{"reason": "call_full"}],
    ]
    assert loopback.js("() => window.__loopback.people.get('Cy').handle.socket.state") == "closed"

    # A final close code (4404: the consultation is gone) ends Bo's call without retrying.
    loopback.js("() => window.__loopback.dropSocket('Bo', 4404)")
    expect(section(page, "Bo")).to_have_attribute("data-state", "error")
    bo = loopback.js(
        "() => { const bo = window.__loopback.people.get('Bo'); return [bo.handle.socket.state, bo.ended]; }"
    )
    assert bo == ["closed", [{"reason": "closed", "code": 4404}]]

    # The consultation ends: Ada's call stops and her controls go inert.
    loopback.js("() => window.__loopback.relay.endCall()")
    expect(section(page, "Ada")).to_have_attribute("data-state", "ended")
    expect(section(page, "Ada").get_by_role("button", name=labels["leave"])).to_be_disabled()
    ada = loopback.js(
        "() => { const ada = window.__loopback.people.get('Ada'); return [ada.ended, ada.mesh.peers.size]; }"
    )
    assert ada == [[{"reason": "call_ended"}], 0]
    assert loopback.js("() => window.__loopback.socketsOf('Bo').length") == 1
    loopback.check_clean()


# --- CallSocket alone ---------------------------------------------------------------------


def test_call_socket_backs_off_retries_at_once_when_it_may_and_stops_when_told(
    open_loopback: Callable[..., Loopback],
) -> None:
    loopback = open_loopback(mode="call")
    page = loopback.page
    lb = "window.__loopback"
    loopback.js(f"() => {{ {lb}.openSocket('Sam'); {lb}.openSocket('Tess'); }}")

    def bare(name: str) -> dict[str, Any]:
        return dict(loopback.js("(name) => window.__loopback.bare(name)", name))

    def wait_open(name: str, opens: int) -> dict[str, Any]:
        return poll(
            lambda: bare(name),
            lambda seen: seen["state"] == "open" and len(seen["opens"]) == opens and seen["peerId"] is not None,
            page,
            DEADLINE_S,
            f"{name}'s socket open for the {opens}. time",
        )

    def wait_attempts(name: str, count: int) -> list[float]:
        return [
            float(at)
            for at in poll(
                lambda: bare(name)["attempts"],
                lambda attempts: len(attempts) >= count,
                page,
                DEADLINE_S,
                f"{count} sockets opened by {name}",
            )
        ]

    wait_open("Sam", 1)
    tess = wait_open("Tess", 1)["peerId"]

    # Refused twice, then let in: the waits double (0.25–0.5 s, 0.5–1 s, 1–2 s), then the call resumes.
    dropped = loopback.js(f"() => {{ {lb}.relay.refuse('Sam', 2); return {lb}.dropSocket('Sam', 1006); }}")
    assert bare("Sam")["state"] == "reconnecting"
    sam = wait_open("Sam", 2)
    assert len(sam["attempts"]) == 4
    times = [dropped, *sam["attempts"][1:]]
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    for wait, (shortest, longest) in zip(waits, [(250, 500), (500, 1000), (1000, 2000)], strict=True):
        assert shortest - 5 <= wait <= longest + 750, waits  # timers may run late, never early
    assert sam["opens"] == [{"reconnected": False}, {"reconnected": True}]
    assert loopback.js("() => window.__loopback.joinFramesOf('Sam').at(-1)") == {
        "type": "join_call",
        "resume": sam["peerId"],
    }

    # Down again: the backoff starts over, and "online" (or the page shown again) retries at once.
    for event, opens in [("online", 3), ("shown", 4)]:
        before = len(bare("Sam")["attempts"])
        dropped = loopback.js(f"() => {{ {lb}.relay.refuse('Sam', 1000); return {lb}.dropSocket('Sam', 1006); }}")
        first = wait_attempts("Sam", before + 2)[before]
        assert 250 - 5 <= first - dropped <= 500 + 750, "the first wait after a success is short again"
        at = loopback.js(f"() => {{ {lb}.relay.refuse('Sam', 0); return {lb}.{event}(); }}")
        sam = wait_open("Sam", opens)
        assert sam["attempts"][-1] - at < 50, f"{event}: no immediate retry"

    # While down, messages wait; signals older than 10 s are dropped, as stale negotiation.
    loopback.js(f"() => {{ {lb}.relay.refuse('Sam', 1000); {lb}.dropSocket('Sam', 1006); }}")
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    signal = {"type": "signal", "to": tess}
    loopback.js(
        """([lb, signal, candidate]) => {
          const page = window.__loopback;
          page.sendFrom("Sam", {...signal, candidate: {...candidate, candidate: candidate.candidate + " stale"}});
          page.advanceClock(11_000);
          page.sendFrom("Sam", {...signal, candidate});
          page.sendFrom("Sam", {type: "media_state", audio: false, video: true});
          page.relay.refuse("Sam", 0);
          page.online();
        }""",
        [lb, signal, candidate],
    )
    wait_open("Sam", 5)
    poll(
        lambda: [m for m in bare("Tess")["messages"] if m["type"] in ("signal", "media_state")],
        lambda got: len(got) >= 2,
        page,
        DEADLINE_S,
        "Sam's queued messages at Tess",
    )
    got = [m for m in bare("Tess")["messages"] if m["type"] in ("signal", "media_state")]
    sam_id = bare("Sam")["peerId"]
    assert got == [
        {"type": "signal", "from": sam_id, "description": None, "candidate": candidate},
        {"type": "media_state", "peer_id": sam_id, "audio": False, "video": True},
    ]

    # A final close code (4403: not allowed) is reported once and never retried; close() is quiet.
    attempts = len(bare("Sam")["attempts"])
    loopback.js(f"() => {lb}.dropSocket('Sam', 4403)")
    sam = poll(lambda: bare("Sam"), lambda seen: seen["state"] == "closed", page, DEADLINE_S, "Sam closed")
    assert sam["closes"][-1] == {"code": 4403, "final": True}
    assert len(sam["attempts"]) == attempts
    assert loopback.js(f"() => {{ {lb}.online(); return {lb}.bare('Sam').attempts.length; }}") == attempts
    loopback.js(f"() => {lb}.closeSocket('Tess')")
    tess_seen = bare("Tess")
    assert tess_seen["state"] == "closed"
    assert tess_seen["closes"] == []
    loopback.check_clean()
