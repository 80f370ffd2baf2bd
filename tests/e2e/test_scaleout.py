"""Past one machine: PostgreSQL, Redis, two workers and nginx, with real browsers.

The patient talks to one worker process and the clinician to another, so every
event crosses the Redis channel layer. Then a worker is killed with SIGKILL in
the middle of a consultation: the call's media keeps flowing (it is peer to
peer), the pages reconnect through nginx to the surviving worker, and nothing
of the queue is lost.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from consulta.core.tests.test_worker_process import _recipients
from consulta.testing import wait_until
from tests.e2e import cluster as scale
from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames, poll, wait_for_decoded_video
from tests.e2e.server import ServerError, _manage
from tests.e2e.test_consultation_flow import PEERS, caller_card, end_from_call, enter_waiting_area, join_from_dashboard

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
    expect(caller_card(clinician, "Wanda Workers")).to_be_visible()
    join_from_dashboard(clinician, "Wanda Workers")

    assert min(wait_for_decoded_video(clinician, PEERS, min_frames=5, timeout_s=45)) >= 5
    assert min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45)) >= 5

    end_from_call(clinician)
    expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible()


def test_a_killed_worker_loses_nothing(cluster: scale.Cluster, new_page, browser_problems) -> None:
    demo = cluster.demo  # every link through nginx
    clinic = northside(demo)
    waiting = new_page()
    enter_waiting_area(waiting, clinic, "Kim", "Keepsplace")
    before_carl = cluster.patient_sockets()
    patient = new_page()
    enter_waiting_area(patient, clinic, "Carl", "Crash")
    after_carl = cluster.patient_sockets()
    # The worker holding Carl's socket: the one whose log gained a patient socket as he came in.
    (index,) = [i for i, (was, now) in enumerate(zip(before_carl, after_carl, strict=True)) if now > was]

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    waiting_since = caller_card(clinician, "Kim Keepsplace").locator(".caller-wait").get_attribute("data-since")
    join_from_dashboard(clinician, "Carl Crash")
    before = min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45))

    # Kill the worker holding the patient's socket, so that socket must come back through the other.
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
        end_from_call(clinician)
        expect(patient.get_by_role("heading", name="The consultation has ended")).to_be_visible(timeout=30_000)

        # The other waiting patient kept their place and waiting time, and the dashboard shows it.
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
        " device_check, created_at, bandwidth_warn_kbps, bandwidth_block_kbps)"
        " SELECT clinic_id, 'ZZZZZZ', true, '', false, 'warn', now(), 330, 180"
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


# --- Access that follows the person, across workers (issue 9) --------------------------------------


@contextmanager
def _dashboard_socket(worker_url: str, session_id: str) -> Iterator[ClientConnection]:
    """The clerk's dashboard socket on one worker, subscribed: the snapshot has arrived."""
    with connect(
        worker_url.replace("http://", "ws://") + "/ws/clinic/northside/queue/",
        additional_headers={"Cookie": f"sessionid={session_id}", "Origin": worker_url},
        open_timeout=10,
    ) as socket:
        socket.send(json.dumps({"type": "subscribe"}))
        assert json.loads(socket.recv(timeout=10))["type"] == "snapshot"
        yield socket


def _closed_within(socket: ClientConnection, seconds: float) -> int:
    """The close code the server sent within `seconds`, reading past any frames before it."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            socket.recv(timeout=max(0.01, deadline - time.monotonic()))
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "closed without a close frame from the server"
        return closed.rcvd.code
    except TimeoutError:
        raise AssertionError(f"the socket was still open {seconds} s later") from None


def _session_id(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")


def test_access_that_ends_on_one_worker_closes_sockets_on_the_other(cluster: scale.Cluster, new_page) -> None:
    first, second = (worker.url for worker in cluster.workers)
    clerk = new_page()
    login(clerk, through(cluster.demo, first), "clinic_clerk", "northside")
    with _dashboard_socket(first, _session_id(clerk)) as socket:
        # Logged out on the other worker: the socket on this one closes within a second.
        clerk.goto(second + "/")
        with clerk.expect_navigation():
            clerk.get_by_role("button", name="Log out").click()
        assert _closed_within(socket, 1.0) == 4403

    # Removed from the clinic by the admin, on the other worker: the same.
    login(clerk, through(cluster.demo, first), "clinic_clerk", "northside")
    with _dashboard_socket(first, _session_id(clerk)) as socket:
        admin = new_page()
        login(admin, through(cluster.demo, second), "clinic_admin", "northside")
        admin.goto(second + "/c/northside/team/")
        with admin.expect_navigation():
            admin.get_by_role("button", name="Remove Clara Clerk from the team").click()
        assert _closed_within(socket, 1.0) == 4403
    expect(admin.get_by_text("Clara Clerk has left the clinic's team.")).to_be_visible()
    # And she cannot come back on either worker.
    for worker in (first, second):
        with pytest.raises(ConnectionClosed) as refused, _dashboard_socket(worker, _session_id(clerk)):
            pass
        assert refused.value.rcvd is not None and refused.value.rcvd.code == 4404


# --- Alerts from a pool of background workers (issue 11) -----------------------------------------


def _sql(cluster: scale.Cluster, query: str) -> str:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", cluster.database, "-tA", "-c", query],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _drained(cluster: scale.Cluster) -> bool:
    """Every event handled by a drain, and no e-mail task left to run."""
    cursor = _sql(cluster, "SELECT last_event_id FROM alerts_alertcursor")
    last = _sql(cluster, "SELECT coalesce(max(id), 0) FROM eventlog_event")
    waiting = _sql(cluster, "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status <> 'SUCCESSFUL'")
    return cursor == last and waiting == "0"


SUBSCRIBE_AND_ENTER = """
import json
from consulta.alerts.models import AlertPreference
from consulta.consultations import actions
from consulta.organisations.models import Clinic
clinic = Clinic.objects.get(slug="northside")
team = [membership.user for membership in clinic.memberships.select_related("user")]
for person in team:
    AlertPreference.objects.create(user=person, clinic=clinic, new_caller_email=True)
for number in range({patients}):
    actions.enter(clinic, first_name="Alma", last_name=f"Alerted{{number}}", phone="+46701234567", answers=[])
print(json.dumps([person.email for person in team]))
"""


def test_two_background_workers_send_each_alert_once(cluster: scale.Cluster) -> None:
    """Both machines' workers drain the same event log on PostgreSQL (the cursor row locked
    FOR UPDATE): every subscriber hears of every new caller, once."""
    assert all(worker.poll() is None for worker in cluster.task_workers), cluster.logs()
    wait_until(lambda: _drained(cluster), 20, lambda: f"the earlier tests' events drained\n{cluster.logs()}")
    before = _recipients(cluster.mail_dir)
    patients = 4
    output = _manage(cluster.env, "shell", "-c", SUBSCRIBE_AND_ENTER.format(patients=patients))
    team = json.loads(output.strip().splitlines()[-1])
    try:
        expected = sorted(before + team * patients)
        wait_until(lambda: len(_recipients(cluster.mail_dir)) >= len(expected), 30, cluster.logs)
        wait_until(lambda: _drained(cluster), 20, cluster.logs)
        assert _recipients(cluster.mail_dir) == expected
        for path in cluster.mail_dir.iterdir():
            assert "Alerted" not in path.read_text()  # no patient's name
    finally:
        _sql(cluster, "DELETE FROM alerts_alertpreference")
