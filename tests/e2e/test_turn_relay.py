"""Calls through a real TURN relay: coturn started from deploy/turnserver.conf (tests/e2e/coturn.py).

- Relay only (CALL_ICE_TRANSPORT_POLICY=relay): both sides' selected pair is a relayed one, and
  video decodes both ways.
- A patient whose network lets no UDP out and TCP only to the server and the relay (a network
  namespace, tests/e2e/netns.py) still sees their clinician: through TURN over TCP.
- coturn refuses a forged or expired credential: the HMAC scheme of consulta.calls.actions
  is proven against the real relay, not only against itself.

Each test starts its own Consulta server (it needs TURN settings) and its own coturn. The
namespace test needs root, as CI has; it fails, never skips, where it cannot make one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright, expect
from pytest_django import Settings

from consulta.calls import actions as calls
from tests.e2e import server as live
from tests.e2e.coturn import SHIPPED_CONF, Coturn, coturn_conf, running_coturn
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, BrowserProblems, login
from tests.e2e.media import wait_for_decoded_video
from tests.e2e.netns import network_namespace
from tests.e2e.test_call_tools import control
from tests.e2e.test_consultation_flow import PEERS, enter_waiting_area, join_from_dashboard, northside
from tests.e2e.test_precall import run_precall

CALL_TIMEOUT_S = 45
GATHER_TIMEOUT_MS = 15_000

# Per peer connection, the selected candidate pair: the local candidate's type and, for a relayed
# one, the protocol between the browser and the relay (RTCIceCandidateStats.relayProtocol).
SELECTED_PAIRS = """async () => {
  const pairs = [];
  for (const pc of [].concat(%s)) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((report) => {
      const selected = report.type === "transport" && report.selectedCandidatePairId;
      if (selected) pair = stats.get(selected);
    });
    const local = pair && stats.get(pair.localCandidateId);
    const remote = pair && stats.get(pair.remoteCandidateId);
    pairs.push(local ? {
      local: local.candidateType, relayProtocol: local.relayProtocol || null, protocol: local.protocol,
      address: local.address, remote: remote ? remote.candidateType : null,
    } : null);
  }
  return pairs;
}"""

# The candidate types a lone connection gathers with `servers`, relay only, until gathering ends.
GATHER = """async ([servers, timeoutMs]) => {
  const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: "relay" });
  const types = [];
  pc.onicecandidate = (event) => { if (event.candidate) types.push(event.candidate.type); };
  const done = new Promise((resolve) => {
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve("complete");
    setTimeout(() => resolve("timeout"), timeoutMs);
  });
  pc.createDataChannel("probe");
  await pc.setLocalDescription(await pc.createOffer());
  const state = await done;
  pc.close();
  return { state, types };
}"""


def selected_pairs(page: Page) -> list[dict[str, Any] | None]:
    return list(page.evaluate(SELECTED_PAIRS % PEERS))


@contextmanager
def consulta_with_turn(turn: Coturn, host: str = live.HOST, **settings: str) -> Iterator[live.LiveServer]:
    """A Consulta server of this test's own that hands out `turn` (and `settings`); stopped at the end."""
    with live.serving("consulta-turn-", host=host, extra_env=turn.server_env(**settings)) as server:
        yield server


def see_patient(patient: Page, clinician: Page, demo: dict[str, Any], name: str) -> None:
    """The real pages: the patient enters the waiting area, the clinician joins from the dashboard."""
    clinic = northside(demo)
    first, last = name.split()
    enter_waiting_area(patient, clinic, first, last)
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    join_from_dashboard(clinician, name)


def frames_both_ways(patient: Page, clinician: Page, turn: Coturn, server: live.LiveServer) -> None:
    for page in (patient, clinician):
        try:
            wait_for_decoded_video(page, PEERS, min_frames=5, timeout_s=CALL_TIMEOUT_S)
        except AssertionError as error:
            raise AssertionError(
                f"{error}\nSelected pairs: {selected_pairs(page)}\n--- coturn log (end) ---\n{turn.log_text()[-3000:]}"
                f"\n--- server log (end) ---\n{server.log_text(40)}"
            ) from error


def test_a_relay_only_call_goes_through_coturn(new_page, browser_problems: BrowserProblems) -> None:
    with (
        running_coturn(addresses=["127.0.0.1"]) as turn,
        consulta_with_turn(turn, CALL_ICE_TRANSPORT_POLICY="relay") as server,
    ):
        patient, clinician = new_page(), new_page()
        see_patient(patient, clinician, server.demo, "Rhea Relay")
        frames_both_ways(patient, clinician, turn, server)
        for page in (patient, clinician):
            pairs = selected_pairs(page)
            assert len(pairs) == 1 and pairs[0] is not None, pairs
            assert pairs[0]["local"] == "relay" and pairs[0]["remote"] == "relay", pairs
        # Leave the pages before their server and relay go.
        for page in (patient, clinician):
            page.goto("about:blank")
    browser_problems.allow(r"status of 404")


def test_a_patient_without_udp_is_seen_through_turn_over_tcp(
    playwright: Playwright, browser_problems: BrowserProblems
) -> None:
    with (
        network_namespace() as ns,
        running_coturn(addresses=[ns.host_address]) as turn,
        consulta_with_turn(turn, host=ns.host_address) as server,
    ):
        # The patient's network: no UDP at all; TCP only to the web server and the relay.
        ns.block_udp(allow_tcp=[int(server.url.rsplit(":", 1)[1]), turn.port])
        # http://198.18.x.1 is no secure context (no camera): treat the test's own server as one.
        args = [*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={server.url}"]
        browsers: list[Browser] = []
        try:
            browsers.append(ns.launch_chromium(playwright, args))
            browsers.append(playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args))
            patient, clinician = (browser.new_context(locale="en-US").new_page() for browser in browsers)
            for page in (patient, clinician):
                browser_problems.watch(page)
            see_patient(patient, clinician, server.demo, "Tove Tcp")
            frames_both_ways(patient, clinician, turn, server)
            pairs = selected_pairs(patient)
            assert len(pairs) == 1 and pairs[0] is not None, pairs
            assert (pairs[0]["local"], pairs[0]["relayProtocol"]) == ("relay", "tcp"), pairs
            # And the patient's participant list says so, in words.
            control(patient, "Participants").click()
            other = patient.locator(".call-roster-row[data-peer-id]")
            expect(other.locator(".call-roster-route")).to_have_text("Relayed (TCP)", timeout=15_000)
            expect(other).to_have_attribute("data-connection", "relayed")
            for page in (patient, clinician):
                page.goto("about:blank")
        finally:
            for browser in browsers:
                browser.close()
    browser_problems.allow(r"status of 404")
    assert not browser_problems.messages, browser_problems.messages


def credential(secret: str, username: str) -> str:
    """The TURN REST API password: base64 of HMAC-SHA1(username) under the shared secret."""
    return base64.b64encode(hmac.digest(secret.encode(), username.encode(), hashlib.sha1)).decode()


def test_coturn_refuses_forged_and_expired_credentials(new_page, settings: Settings) -> None:
    with running_coturn(addresses=["127.0.0.1"]) as turn:
        settings.STUN_URLS = []
        settings.TURN_URLS = [turn.urls_udp]
        settings.TURN_SECRET = turn.secret
        (real,) = calls.ice_servers("peer-1")
        # The product's own credential checks out against the relay (and against the scheme).
        assert real["credential"] == credential(turn.secret, real["username"])
        forged = {**real, "credential": credential("not-the-secret", real["username"])}
        expired_name = f"{int(time.time()) - 60}:peer-1"
        expired = {**real, "username": expired_name, "credential": credential(turn.secret, expired_name)}
        page = new_page()
        page.goto("about:blank")
        gathered = {
            name: page.evaluate(GATHER, [[server], GATHER_TIMEOUT_MS])
            for name, server in (("real", real), ("forged", forged), ("expired", expired))
        }
        assert gathered["real"]["types"] and set(gathered["real"]["types"]) == {"relay"}, gathered
        assert gathered["forged"]["types"] == [], gathered
        assert gathered["expired"]["types"] == [], gathered
        assert all(result["state"] == "complete" for result in gathered.values()), gathered


def test_turn_over_tls_and_the_precall_page_saying_so(
    playwright: Playwright, new_page, browser_problems: BrowserProblems
) -> None:
    """coturn's TLS listener (turns:, what gets out of networks that allow only HTTPS) relays, and
    the pre-call test reports each transport. The test's certificate is self-signed: Chromium checks
    a TURN server's certificate, so only a browser told to trust it gathers over TLS."""
    with (
        running_coturn(["127.0.0.1"], tls=True) as turn,
        live.serving("consulta-e2e-tls-", extra_env=turn.server_env()) as server,
    ):
        (real,) = tls_servers(turn)
        untrusting = new_page()
        untrusting.goto("about:blank")
        assert untrusting.evaluate(GATHER, [[real], GATHER_TIMEOUT_MS])["types"] == []  # a real certificate is needed
        trusting = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"]
        )
        try:
            page = trusting.new_context(locale="en-US").new_page()
            browser_problems.watch(page)
            page.goto(server.url + "/precall/")
            run_precall(page)
            detail = page.locator('[data-check="relay"] .check-detail')
            expect(detail).to_contain_text(f"{turn.urls_tls}: TLS reachable")
            expect(detail).to_contain_text("UDP: reachable, TCP: reachable, TLS: reachable")
            page.goto("about:blank")
        finally:
            trusting.close()


def tls_servers(turn: Coturn) -> list[dict[str, Any]]:
    """The relay's TLS URL with a credential of the product's own (calls.ice_servers' scheme)."""
    username = f"{int(time.time()) + 600}:peer-tls"
    return [{"urls": [turn.urls_tls], "username": username, "credential": credential(turn.secret, username)}]


def _options(conf: str) -> list[tuple[str, str]]:
    lines = (line.split("#", 1)[0].strip() for line in conf.splitlines())
    return [(name.strip(), value.strip()) for name, _, value in (line.partition("=") for line in lines if line)]


def test_the_tests_coturn_keeps_every_denial_of_the_shipped_one(tmp_path: Path) -> None:
    """What the relay tests prove holds for deploy/turnserver.conf: only addresses and ports differ."""
    shipped = SHIPPED_CONF.read_text()
    conf = coturn_conf(
        shipped, addresses=["198.18.0.1"], port=3478, min_port=50000, secret="s", realm="r", log_path=tmp_path / "log"
    )
    ours, theirs = _options(conf), _options(shipped)
    assert [o for o in ours if o[0] == "denied-peer-ip"] == [o for o in theirs if o[0] == "denied-peer-ip"]
    assert [value for name, value in ours if name == "allowed-peer-ip"] == ["198.18.0.1"]
    names = {name for name, _value in ours}
    assert {"use-auth-secret", "fingerprint", "no-multicast-peers", "no-cli"} <= names
    assert "allow-loopback-peers" not in names  # only a loopback test's own relay gets it
    assert ("listening-ip", "198.18.0.1") in ours and ("relay-ip", "198.18.0.1") in ours
    assert ("static-auth-secret", "s") in ours and ("realm", "r") in ours
