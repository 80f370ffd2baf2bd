"""A reporter opens the organisation's report in a real browser, chooses a period and clinic, downloads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from consulta.organisations.management.commands.seed_demo import ORGANISATION
from tests.e2e.helpers import assert_no_axe_violations, login


def test_a_reporter_reads_and_downloads_a_report(new_page: Callable[..., Page], demo: dict[str, Any]) -> None:
    organisation = ORGANISATION["slug"]
    clinic = demo["clinics"][0]
    page = new_page(accept_downloads=True)
    login(page, demo, "organisation_reporter")
    page.goto(f"{demo['base_url']}/o/{organisation}/")
    page.get_by_role("navigation", name="Organisation").get_by_role("link", name="Reports", exact=True).click()
    page.wait_for_url(f"{demo['base_url']}/o/{organisation}/reports/")
    expect(page.get_by_role("img", name="Entries by hour of the day")).to_be_visible()

    # Every control by its visible label, the report asked for with the keyboard.
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To (inclusive)").fill("2026-01-31")
    page.get_by_label("Clinic").select_option(label=clinic["name"])
    page.get_by_label("Shortest call counted (minutes)").fill("2")
    page.get_by_label("Shortest call counted (minutes)").press("Enter")
    expect(page.get_by_text("2026-01-01 to 2026-01-31, 31 days")).to_be_visible()
    expect(page.get_by_label("Clinic")).to_have_value(clinic["slug"])  # what was chosen stays chosen
    for chart in ("Outcomes", "Waits of answered consultations", "Entries by day", "Entries by weekday"):
        expect(page.get_by_role("img", name=chart)).to_be_visible()
    page.get_by_text("Numbers of “Entries by day”").click()  # the chart's table opens
    expect(page.get_by_role("table", name="Entries by day")).to_be_visible()
    assert_no_axe_violations(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV file").click()
    assert csv_download.value.suggested_filename == f"{clinic['slug']}-report-2026-01-01-2026-01-31.csv"
    text = Path(csv_download.value.path()).read_bytes().decode("utf-8-sig")
    assert text.startswith("Report\r\n") and "Shortest call counted (minutes),2" in text
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="XLSX file").click()
    assert Path(xlsx_download.value.path()).read_bytes().startswith(b"PK")
