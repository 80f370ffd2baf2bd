"""The demo's history: a reporter opens last month's report and it shows what `seed_demo --history` made.

The figures are counted here again, straight from the rows, with Python's own statistics and
the zone's wall clock: a second computation, not the report's queries.
"""

from __future__ import annotations

import csv
import io
import statistics
import zoneinfo
from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from consulta.consultations.models import ConsultationRecord, Outcome
from consulta.organisations.management.commands.seed_demo import DEMO_PASSWORD, DOMAIN
from consulta.reports.period import last_full_month

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")


@pytest.fixture
def demo(db: None) -> Client:
    out = io.StringIO()
    call_command("seed_demo", "--history", "70", stdout=out)
    assert "Report history:" in out.getvalue()
    client = Client()
    answer = client.post(
        reverse("accounts:login"), {"username": f"reporter@{DOMAIN}", "password": DEMO_PASSWORD}
    )  # the reporter logs in through the real form
    assert answer.status_code == 302
    return client


def _last_month_rows() -> list[ConsultationRecord]:
    first, last = last_full_month(STOCKHOLM)
    start = datetime.combine(first, datetime.min.time(), tzinfo=STOCKHOLM)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM)
    return list(ConsultationRecord.objects.filter(entered_at__gte=start, entered_at__lt=end))


def test_last_months_report_shows_the_history_the_demo_made(demo: Client) -> None:
    page = demo.get(reverse("reports:organisation", args=["demo-health"]))  # the default: last full month
    assert page.status_code == 200
    waiting = page.context["report"].waiting
    rows = _last_month_rows()
    assert len(rows) > 500  # a filled month, not a token one

    answered = [row for row in rows if row.answered_at is not None]
    assert waiting.entered == len(rows)
    assert waiting.answered == len(answered)
    assert waiting.abandoned == sum(1 for row in rows if row.answered_at is None and row.outcome == Outcome.LEFT)
    assert waiting.expired == sum(1 for row in rows if row.answered_at is None and row.outcome == Outcome.EXPIRED)
    assert waiting.wait.median == statistics.median(row.wait_seconds for row in answered)
    assert waiting.wait.longest == max(row.wait_seconds for row in answered)
    assert waiting.call_total == sum(row.call_seconds for row in answered)
    by_hour = Counter(row.entered_at.astimezone(STOCKHOLM).hour for row in rows)
    assert waiting.by_hour == tuple(by_hour[hour] for hour in range(24))
    by_weekday = Counter(row.entered_at.astimezone(STOCKHOLM).weekday() for row in rows)
    assert waiting.by_weekday == tuple(by_weekday[day] for day in range(7))
    # Realistic: busy mornings, quiet nights; quieter at weekends.
    assert waiting.by_hour[9] > 5 * waiting.by_hour[3]
    assert min(waiting.by_weekday[:5]) > max(waiting.by_weekday[5:])

    # Each provider's count is what the rows say, and every one is of the demo's staff.
    providers = {p.email: p.answered for p in page.context["report"].providers if p.email}
    assert providers == dict(Counter(row.answered_by.email for row in answered if row.answered_by))
    assert all(email.endswith("@" + DOMAIN) for email in providers)


def test_the_call_quality_section_is_filled_and_plausible(demo: Client) -> None:
    page = demo.get(reverse("reports:organisation", args=["demo-health"]))
    quality = page.context["report"].quality
    calls, entry = quality.calls, quality.entry
    # A sample of the answered consultations left the patient's and the clinician's summaries.
    answered = sum(1 for row in _last_month_rows() if row.answered_at is not None)
    assert 0.1 * answered < calls.participants / 2 < 0.5 * answered
    assert 0.9 * calls.participants < calls.summarised <= calls.participants
    assert calls.median_rtt is not None and 20 < calls.median_rtt < 200
    assert calls.relayed_share is not None and 0 < calls.relayed_share < 0.2
    assert {row.label for row in calls.by_role} == {"Patients", "Clinic team"}
    assert any(row.label == "Mobile Safari" for row in calls.by_browser)
    # Entry checks: most pass, some warn, a few are blocked, for a reason the report names.
    assert entry.checks == entry.passed + entry.warned + entry.blocked
    assert entry.passed > entry.warned > 0 and entry.blocked > 0
    assert sum(reason.blocked for reason in entry.reasons) == entry.blocked
    assert entry.median_kbps is not None and entry.median_kbps > 500
    assert len(quality.clinics) == len(page.context["report"].scope.clinics) and quality.clinics[0].checks > 0


def test_the_spreadsheet_download_carries_the_same_month(demo: Client) -> None:
    download = demo.get(reverse("reports:export_organisation", args=["demo-health", "csv"]))
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = list(csv.reader(io.StringIO(text)))
    header = next(i for i, line in enumerate(lines) if line[:3] == ["Clinic", "Entered", "Answered"])
    end = lines.index([], header)
    consultations = lines[header + 1 : end]  # one line per consultation, up to the blank line
    rows = _last_month_rows()
    assert len(consultations) == len(rows)
    assert Counter(line[0] for line in consultations) == Counter(row.clinic.name for row in rows)


def test_running_it_again_adds_no_second_history(demo: Client) -> None:
    before = ConsultationRecord.objects.count()
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", "--history", "70", stdout=out)
    assert ConsultationRecord.objects.count() == before
    assert "Report history:" not in out.getvalue()
