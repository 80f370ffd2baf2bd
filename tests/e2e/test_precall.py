"""The pre-call test and the entry check's bandwidth levels, in Chromium.

The entry page's bandwidth test is throttled with Chromium's own network emulation (CDP
`Network.emulateNetworkConditions`: HTTP and WebSocket traffic, throughput in BYTES per second),
at the demo clinic's default levels (warn below 330 kbit/s, block below 180):
- 120 kbit/s: blocked, with the message saying what to try; the typed name stays, and
  "Check again" without the throttle lets the patient in;
- 250 kbit/s: warned, entry allowed;
- unthrottled: passed.
Each run's `entry_check.completed` event is read back from the clinic's audit CSV as an org admin.

The public pre-call page runs through (every row gets a result, the summary holds the figures,
axe-core finds nothing), and against real coturn (tests/e2e/coturn.py) on a second server that
hands out its TURN URLs and requires relayed calls, it reports the relay reachable over UDP and TCP.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from playwright.sync_api import CDPSession, Page, expect

from tests.e2e import server as live
from tests.e2e.coturn import running_coturn
from tests.e2e.helpers import assert_no_axe_violations, login

# A slow page load at 120 kbit/s (the page's scripts, then two 4 s transfers) takes 15-20 s here.
CHECK_TIMEOUT_MS = 90_000
ROWS = ["browser", "camera", "microphone", "speaker", "server", "bandwidth", "relay"]


def northside(demo: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in demo["clinics"] if c["slug"] == "northside")


def throttle(page: Page, kbps: int | None, cdp: CDPSession | None = None) -> CDPSession:
    """Chromium's network emulation for this page: `kbps` each way and 40 ms latency, or none.

    Conditions belong to the CDP session that set them: pass the same session to change them."""
    if cdp is None:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
    conditions: dict[str, Any]
    if kbps is None:
        conditions = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    else:
        rate = kbps * 1000 / 8  # bytes per second
        conditions = {"offline": False, "latency": 40, "downloadThroughput": rate, "uploadThroughput": rate}
    cdp.send("Network.emulateNetworkConditions", conditions)
    return cdp


def entry_checks(audit: Page, clinic: dict[str, Any], base_url: str) -> list[str]:
    """The summaries of the clinic's entry-check events, from its audit CSV (an org admin's view)."""
    response = audit.request.get(f"{base_url}/c/{clinic['slug']}/audit/export.csv?kind=entry_check.completed")
    assert response.status == 200, response.text()
    return re.findall(r"Entry check: [^\r\n\"]*", response.text())


def wait_for_run(page: Page, outcome: str) -> None:
    """The check run ended with `outcome` and its report reached the server."""
    form = page.locator("#entry-form")
    expect(form).to_have_attribute("data-reported", outcome, timeout=CHECK_TIMEOUT_MS)
    expect(form).to_have_attribute("data-outcome", outcome)


def test_the_entry_check_blocks_warns_or_passes_by_bandwidth(
    new_page: Callable[..., Page], demo: dict[str, Any]
) -> None:
    clinic = northside(demo)
    audit = new_page()
    login(audit, demo, "organisation_admin")
    before = entry_checks(audit, clinic, demo["base_url"])
    summary_of = lambda page: page.locator("#check-summary")  # noqa: E731 - a short reader of the message

    slow = new_page()
    cdp = throttle(slow, 120)
    slow.goto(clinic["waiting_area_url"])
    wait_for_run(slow, "blocked")
    enter = slow.get_by_role("button", name="Enter the waiting area")
    expect(summary_of(slow)).to_contain_text("Your connection is too slow for a video call just now")
    expect(summary_of(slow)).to_contain_text("the clinic needs at least 180 kbit/s")
    expect(summary_of(slow)).to_contain_text("move closer to the Wi-Fi router")
    expect(slow.locator('[data-check="bandwidth"]')).to_have_attribute("data-result", "failed")
    expect(slow.locator('[data-check="bandwidth"] .check-detail')).to_contain_text(
        re.compile(r"Download \d+ kbit/s, upload \d+ kbit/s")
    )
    expect(slow.locator('[data-check="bandwidth"] .check-result')).to_have_text("Failed")
    expect(slow.locator('[data-check="camera"]')).to_have_attribute("data-result", "ok")
    expect(enter).to_be_disabled()

    # What was typed stays; "Check again" on a better connection lets the patient in.
    slow.get_by_label("First name").fill("Rut")
    throttle(slow, None, cdp)
    slow.get_by_role("button", name="Check again").click()
    wait_for_run(slow, "passed")
    expect(enter).to_be_enabled()
    expect(slow.get_by_label("First name")).to_have_value("Rut")

    middling = new_page()
    throttle(middling, 250)
    middling.goto(clinic["waiting_area_url"])
    wait_for_run(middling, "warned")
    expect(summary_of(middling)).to_contain_text("Your connection is slow")
    expect(summary_of(middling)).to_contain_text("You can enter")
    expect(middling.locator('[data-check="bandwidth"]')).to_have_attribute("data-result", "warning")
    expect(middling.locator('[data-check="bandwidth"] .check-result')).to_have_text("Warning")
    expect(middling.get_by_role("button", name="Enter the waiting area")).to_be_enabled()

    fast = new_page()
    fast.goto(clinic["waiting_area_url"])
    wait_for_run(fast, "passed")
    expect(summary_of(fast)).to_have_text("Everything works.")
    expect(fast.locator('[data-check="bandwidth"]')).to_have_attribute("data-result", "ok")
    expect(fast.locator('[data-check="server"] .check-detail')).to_contain_text(re.compile(r"Round trip \d+ ms"))
    expect(fast.get_by_role("button", name="Enter the waiting area")).to_be_enabled()
    # The link to the pre-call test, for another day.
    expect(fast.get_by_role("link", name=re.compile("Test your device and connection"))).to_have_attribute(
        "href", f"/c/{clinic['slug']}/precall/"
    )

    after = entry_checks(audit, clinic, demo["base_url"])
    outcomes = Counter(outcome_of(line) for line in after) - Counter(outcome_of(line) for line in before)
    # Four runs: blocked, then passed after "Check again"; warned; passed.
    assert outcomes == Counter({"passed": 2, "blocked": 1, "warned": 1}), after
    blocked = [line for line in after if line not in before and outcome_of(line) == "blocked"]
    assert len(blocked) == 1, after
    assert re.search(r"failed: bandwidth; bandwidth \d+ kbit/s; round trip \d+ ms", blocked[0]), blocked
    assert "Rut" not in "".join(after)


def outcome_of(summary: str) -> str:
    found = re.match(r"Entry check: (\w+)", summary)
    assert found, summary
    return found.group(1)


def run_precall(page: Page) -> str:
    """Wait for the measurements, answer the speaker question; return the summary to copy."""
    expect(page.get_by_role("button", name="Run the test again")).to_be_enabled(timeout=CHECK_TIMEOUT_MS)
    page.get_by_role("button", name="Play a test sound").click()
    expect(page.get_by_text("Did you hear it?")).to_be_visible()
    page.get_by_role("button", name="Yes").click()
    for name in ROWS:
        expect(page.locator(f'[data-check="{name}"]')).to_have_attribute(
            "data-result", re.compile("^(ok|warning|failed)$")
        )
    return page.get_by_label(re.compile("Copy this and send it")).input_value()


def test_the_public_precall_page_checks_everything_and_sums_it_up(
    new_page: Callable[..., Page], demo: dict[str, Any]
) -> None:
    page = new_page()
    page.goto(demo["base_url"] + "/precall/")
    expect(page.get_by_role("heading", name="Test your device and connection")).to_be_visible()
    summary = run_precall(page)
    for name in ("browser", "camera", "microphone", "speaker", "server", "bandwidth"):
        expect(page.locator(f'[data-check="{name}"]')).to_have_attribute("data-result", "ok")
    # The level meter follows the fake microphone's beeps (its text is the meter's value).
    expect(page.locator("#mic-level")).to_have_text(re.compile(r"^[1-9]\d*$"), timeout=20_000)
    # No STUN or TURN in the session's server: direct connections only, not a failure.
    expect(page.locator('[data-check="relay"]')).to_have_attribute("data-result", "ok")
    expect(page.locator('[data-check="relay"] .check-detail')).to_contain_text("direct connections only")
    host = demo["base_url"].split("://", 1)[1]
    assert host in summary
    assert re.search(r"Bandwidth: OK \(Download \d+ kbit/s, upload \d+ kbit/s\)", summary), summary
    assert re.search(r"Connection to the service: OK \(Round trip \d+ ms\)", summary), summary
    assert "Speaker: OK" in summary
    assert "HeadlessChrome" in summary  # the browser's own description, for IT
    expect(page.locator("#precall-verdict")).to_have_text("Everything works: you are ready for a video call.")
    assert_no_axe_violations(page)

    # The clinic's page names it and applies its levels.
    clinic_page = new_page()
    clinic_page.goto(demo["base_url"] + f"/c/{northside(demo)['slug']}/precall/")
    expect(clinic_page.get_by_role("heading", name=re.compile("Northside Health Centre"))).to_be_visible()
    expect(clinic_page.locator("#thresholds-note")).to_have_text("Warning below 330 kbit/s, blocked below 180 kbit/s.")


def test_the_precall_page_reaches_a_real_relay_over_udp_and_tcp(new_page: Callable[..., Page]) -> None:
    # coturn from deploy/turnserver.conf on 127.0.0.1 (CoturnError, saying what to install, if missing).
    with (
        running_coturn(["127.0.0.1"]) as turn,
        live.serving("consulta-e2e-precall-", extra_env=turn.server_env(CALL_ICE_TRANSPORT_POLICY="relay")) as server,
    ):
        page = new_page()
        page.goto(server.url + "/precall/")
        run_precall(page)
        row = page.locator('[data-check="relay"]')
        expect(row).to_have_attribute("data-result", "ok")
        detail = row.locator(".check-detail")
        expect(detail).to_contain_text(f"{turn.urls_udp}: UDP reachable")
        expect(detail).to_contain_text(f"{turn.urls_tcp}: TCP reachable")
        expect(detail).to_contain_text("UDP: reachable, TCP: reachable, TLS: not configured")
        expect(detail).to_contain_text("This service allows relayed calls only")
        # What the browser's relay candidates themselves said (RTCIceCandidate.relayProtocol).
        expect(row).to_have_attribute("data-relay-protocols", "tcp,udp")

        # The entry page checks the relay too when calls must be relayed.
        entry = new_page()
        entry.goto(server.demo["clinics"][0]["waiting_area_url"])
        wait_for_run(entry, "passed")
        expect(entry.locator('[data-check="relay"]')).to_be_visible()
        expect(entry.locator('[data-check="relay"]')).to_have_attribute("data-result", "ok")
