"""The report's "Call quality" section from crafted call.quality and entry_check events: exact
figures, the clinic filter and the period, one row per clinic in the organisation's report, and
the same numbers in the page and both downloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.urls import reverse

from consulta.eventlog.describe import call_quality_summary
from consulta.eventlog.kinds import Kind
from consulta.organisations.models import Clinic
from consulta.reports.quality import ClinicQuality, EntryReason, QualityRow
from consulta.reports.tests.records import event, utc
from consulta.reports.tests.test_exports import JANUARY, csv_sections, download, summary_from_sheet, xlsx_sheets
from consulta.testing import World

pytestmark = pytest.mark.django_db


def left(
    clinic: Clinic,
    at: datetime,
    role: str,
    browser: str,
    rtt: int | None,
    loss: float | None = None,
    *,
    relayed: bool = False,
    reconnects: int = 0,
    freezes: int = 0,
    freeze_seconds: float = 0.0,
) -> None:
    data = {
        "role": role, "browser": browser, "browser_version": "156", "os": "Linux", "rtt_ms": rtt, "loss_pct": loss,
        "kbps_in": 900 if rtt is not None else None, "kbps_out": 800 if rtt is not None else None,
        "freezes": freezes, "freeze_seconds": freeze_seconds, "reconnects": reconnects, "relayed": relayed,
        "seconds": 600,
    }  # fmt: skip
    event(Kind.CALL_QUALITY, clinic, at, subject="consultation:1", seconds=600, data=data)


def checked(
    clinic: Clinic,
    at: datetime,
    outcome: str,
    failed: list[str],
    warned: list[str],
    down: int | None,
    up: int | None,
) -> None:
    data = {"outcome": outcome, "failed": failed, "warned": warned, "down_kbps": down, "up_kbps": up,
            "rtt_ms": 30, "browser": "Chrome", "os": "Android"}  # fmt: skip
    event(Kind.ENTRY_CHECK, clinic, at, data=data)


def history(world: World) -> None:
    a, b, day = world.clinic_a, world.clinic_b, utc(2026, 1, 12, 10)
    left(a, day, "patient", "Chrome", 40, 0.5)
    left(a, day, "patient", "Chrome", 100, 1.5, relayed=True, reconnects=2, freezes=1, freeze_seconds=2.5)
    left(a, day, "staff", "Firefox", 60, 0.0, reconnects=1)
    left(a, day, "guest", "Mobile Safari", None)  # its browser never sent a summary
    left(a, day, "patient", "Mobile Safari", 300, 4.25, relayed=True, freezes=3, freeze_seconds=4.0)
    left(b, day, "patient", "Chrome", 500, 10.0, relayed=True, reconnects=5)
    left(a, utc(2026, 2, 2, 10), "patient", "Chrome", 999, 50.0, reconnects=9)  # after the period
    checked(a, day, "passed", [], [], 5000, 1200)
    checked(a, day, "warned", [], ["bandwidth"], 800, 300)
    checked(a, day, "blocked", ["camera", "microphone"], ["bandwidth"], None, None)
    checked(a, day, "blocked", ["server"], [], 400, None)
    checked(a, day, "warned", ["relay"], [], 2000, 2500)  # a clinic that lets a failed relay in, warned
    checked(b, day, "blocked", ["browser"], [], 100, 90)


def report(world: World, scope: str) -> Any:
    name, slug = ("reports:clinic", "alder") if scope == "alder" else ("reports:organisation", "acme")
    response = world.client_for("org_admin").get(reverse(name, args=[slug]), JANUARY)
    assert response.status_code == 200
    return response


def test_the_clinics_call_quality_in_exact_figures(world: World) -> None:
    history(world)
    quality = report(world, "alder").context["report"].quality
    calls = quality.calls
    assert (calls.participants, calls.summarised) == (5, 4)
    assert calls.median_rtt == 80  # of 40, 60, 100, 300: the guest measured nothing
    assert calls.median_loss == 1.0  # of 0, 0.5, 1.5, 4.25
    assert calls.relayed_share == 0.5
    assert (calls.reconnects, calls.reconnects_per_100) == (3, 75.0)
    assert (calls.frozen_share, calls.freeze_seconds) == (0.5, 6.5)
    assert calls.by_role == (
        QualityRow("Patients", 3, 100, 2 / 3, 2),
        QualityRow("Clinic team", 1, 60, 0.0, 1),
        QualityRow("Guests", 0, None, None, 0),
    )
    assert calls.by_browser == (
        QualityRow("Chrome", 2, 70, 0.5, 2),
        QualityRow("Firefox", 1, 60, 0.0, 1),
        QualityRow("Mobile Safari", 1, 300, 1.0, 0),
    )
    assert quality.clinics == ()  # one clinic's report: no table of clinics


def test_the_clinics_entry_checks_in_exact_figures(world: World) -> None:
    history(world)
    entry = report(world, "alder").context["report"].quality.entry
    assert (entry.checks, entry.passed, entry.warned, entry.blocked) == (5, 1, 2, 2)
    assert entry.reasons == (
        EntryReason("browser", "Browser", 0, 0),  # Birch's blocked browser is not Alder's
        EntryReason("camera", "Camera", 1, 0),
        EntryReason("microphone", "Microphone", 1, 0),
        EntryReason("server", "Connection to the server", 1, 0),
        EntryReason("bandwidth", "Bandwidth", 0, 1),  # a blocked check's mere warning is not why it was blocked
        EntryReason("relay", "Relay server (TURN)", 0, 1),
    )
    assert entry.median_kbps == 800  # of the lower of each: 1200, 300, 400 (down only), 2000


def test_the_organisations_report_has_a_row_per_clinic(world: World) -> None:
    history(world)
    quality = report(world, "acme").context["report"].quality
    assert quality.calls.participants == 6 and quality.entry.blocked == 3
    assert quality.clinics == (
        ClinicQuality("Alder Clinic", 5, 2, 2, 3, 2, 2 / 3, 100),
        ClinicQuality("Birch Clinic", 1, 1, 0, 1, 5, 1.0, 500),
    )
    # The clinic filter narrows it to one clinic, as every other section.
    response = world.client_for("org_admin").get(
        reverse("reports:organisation", args=["acme"]), {**JANUARY, "clinic": "birch"}
    )
    narrowed = response.context["report"].quality
    assert narrowed.calls.participants == 1 and narrowed.calls.median_rtt == 500 and narrowed.clinics == ()


def test_nothing_recorded_shows_empty_figures_not_errors(world: World) -> None:
    response = report(world, "acme")
    quality = response.context["report"].quality
    assert quality.calls.participants == 0 and quality.calls.median_rtt is None
    assert quality.entry.checks == 0 and quality.entry.median_kbps is None
    assert "Where patients struggle, by clinic" in response.content.decode()


def page_quality_figures(world: World, scope: str) -> dict[str, dict[str, list[Any]]]:
    """The page's quality tables, as the page got them: title → first cell → the other cells."""
    sections = report(world, scope).context["quality_sections"]
    return {s.title: {str(row[0]): list(row[1:]) for row in s.rows} for s in sections}


def _as_csv(cell: Any) -> str:
    return "" if cell is None else str(cell)


@pytest.mark.parametrize("scope", ["alder", "acme"])
def test_the_downloads_hold_the_pages_quality_figures(world: World, scope: str) -> None:
    history(world)
    page = page_quality_figures(world, scope)
    assert page["Call quality"]["Median round trip (ms)"] == [80 if scope == "alder" else 100]
    assert page["Call quality by role"]["Patients"] == ([3, 100, 66.7, 2] if scope == "alder" else [4, 200, 75.0, 7])
    assert page["Entry checks by reason"]["Bandwidth"] == [0, 1]
    if scope == "acme":
        assert page["Where patients struggle, by clinic"]["Birch Clinic"] == [1, 1, 0, 1, 5, 100.0, 500]
    else:
        assert "Where patients struggle, by clinic" not in page

    in_csv = csv_sections(download(world, scope, "csv"))
    in_xlsx = summary_from_sheet(xlsx_sheets(download(world, scope, "xlsx"))["Summary"])
    for title, rows in page.items():
        csv_rows = {row[0]: row[1:] for row in in_csv[title][1:]}
        xlsx_rows = {row[0]: row[1:] for row in in_xlsx[title][1:]}
        assert set(csv_rows) == set(rows) == set(xlsx_rows), title
        for label, cells in rows.items():
            assert csv_rows[label] == [_as_csv(cell) for cell in cells], (title, label)
            assert xlsx_rows[label] == cells, (title, label)


def test_the_audit_trail_reads_a_summary() -> None:
    data = {"role": "patient", "browser": "Chrome", "browser_version": "156", "os": "Android", "rtt_ms": 48,
            "loss_pct": 0.25, "kbps_in": 910, "kbps_out": 880, "freezes": 2, "freeze_seconds": 1.5,
            "reconnects": 1, "relayed": True, "seconds": 600}  # fmt: skip
    assert call_quality_summary(data) == (
        "Chrome 156 on Android, round trip 48 ms, packet loss 0.2 %, received 910 kbit/s, sent 880 kbit/s, "
        "2 video freezes (1.5 s), 1 reconnect, relayed"
    )
    nothing = {**data, "rtt_ms": None, "loss_pct": None, "kbps_in": None, "kbps_out": None, "freezes": 0,
               "reconnects": 0, "relayed": False, "browser": "", "browser_version": ""}  # fmt: skip
    assert call_quality_summary(nothing) == "nothing measured"
