"""Past one machine: PostgreSQL, Redis, two workers and nginx, with real browsers.

The patient talks to one worker process and the clinician to another, so every
event crosses the Redis channel layer. Then a worker is killed with SIGKILL in
the middle of a consultation: the call's media keeps flowing (it is peer to
peer), the pages reconnect through nginx to the surviving worker, and nothing
of the queue is lost.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import cluster as scale
from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll, wait_for_decoded_video
from tests.e2e.server import ServerError
from tests.e2e.test_consultation_flow import PEERS, caller_card, enter_waiting_area

pytestmark = pytest.mark.scaleout


@pytest.fixture(scope="module")
def cluster() -> Iterator[scale.Cluster]:
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-scale-"))
    try:
        try:
            running = scale.start(tmp_dir, workers=2)
        except ServerError as error:
            pytest.fail(str(error), pytrace=False)
        try:
            yield running
        finally:
            running.stop()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def through(demo: dict[str, Any], base: str) -> dict[str, Any]:
    """The demo data with every link pointing at `base` instead of nginx."""
    return json.loads(json.dumps(demo).replace(demo["base_url"], base))


def northside(demo: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in demo["clinics"] if c["slug"] == "northside")


def test_patient_on_one_worker_clinician_on_another(cluster: scale.Cluster, new_page) -> None:
    patient_side = through(cluster.demo, cluster.workers[0].url)
    clinician_side = through(cluster.demo, cluster.workers[1].url)

    patient = new_page()
    enter_waiting_area(patient, northside(patient_side), "Wanda", "Workers")

    clinician = new_page()
    login(clinician, clinician_side, "team_member", "northside")
    clinician.goto(northside(clinician_side)["dashboard_url"])
    card = caller_card(clinician, "Wanda Workers")
    expect(card).to_be_visible()
    card.get_by_role("button", name="Join").click()
    clinician.wait_for_url(re.compile(r"/callers/\d+/call/$"))

    assert min(wait_for_decoded_video(clinician, PEERS, min_frames=5, timeout_s=45)) >= 5
    assert min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45)) >= 5

    clinician.once("dialog", lambda dialog: dialog.accept())
    clinician.get_by_role("button", name="End consultation").click()
    expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible()


def test_a_killed_worker_loses_nothing(cluster: scale.Cluster, new_page, browser_problems) -> None:
    demo = cluster.demo  # every link through nginx
    clinic = northside(demo)
    waiting = new_page()
    enter_waiting_area(waiting, clinic, "Kim", "Keepsplace")
    patient = new_page()
    enter_waiting_area(patient, clinic, "Carl", "Crash")

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    waiting_since = caller_card(clinician, "Kim Keepsplace").locator(".caller-wait").get_attribute("data-since")
    caller_card(clinician, "Carl Crash").get_by_role("button", name="Join").click()
    clinician.wait_for_url(re.compile(r"/callers/\d+/call/$"))
    before = min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45))

    # Kill the worker holding the patient's socket, so that socket must come back through the other.
    token = patient.url.rstrip("/").rsplit("/", 1)[-1]
    index = next(i for i, w in enumerate(cluster.workers) if f"/ws/patient/{token}/" in w.log_path.read_text())
    cluster.workers[index].kill()
    # Media is peer to peer: it keeps flowing while the signalling sockets find the other worker.
    poll(
        lambda: decoded_video_frames(patient, PEERS),
        lambda counts: bool(counts) and min(counts) >= before + 20,
        patient,
        30,
        "video to keep flowing after the worker died",
    )
    try:
        # Signalling resumes: the clinic's actions still reach the patient, through the survivor.
        clinician.once("dialog", lambda dialog: dialog.accept())
        clinician.get_by_role("button", name="End consultation").click()
        expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible(timeout=30_000)

        # The other waiting patient kept their place and waiting time, and the dashboard shows it.
        clinician.wait_for_url(re.compile(r"/waiting-area/$"))
        card = caller_card(clinician, "Kim Keepsplace")
        expect(card).to_be_visible()
        assert card.locator(".caller-wait").get_attribute("data-since") == waiting_since
        expect(waiting.locator("#patient-space")).to_have_attribute("data-state", "waiting")
    finally:
        cluster.workers[index] = scale.start_worker(cluster)
        # Sockets cut by the kill may log a failed connection while they reconnect.
        browser_problems.allow(r"WebSocket|ERR_CONNECTION|502|net::")


def test_postgres_refuses_a_second_or_deleted_waiting_area(cluster: scale.Cluster) -> None:
    database = cluster.database
    refused = [
        "INSERT INTO rooms_waitingarea (clinic_id, short_code, is_enabled, closed_message, show_queue_position,"
        " device_check, created_at) SELECT clinic_id, 'ZZZZZZ', true, '', false, 'warn', now()"
        " FROM rooms_waitingarea LIMIT 1",
        "DELETE FROM rooms_waitingarea",
        "UPDATE rooms_waitingarea SET clinic_id = clinic_id + 1000",
    ]
    for sql in refused:
        result = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0, f"PostgreSQL accepted: {sql}"
        assert "waiting area" in result.stderr or "duplicate key" in result.stderr, result.stderr
