"""The downloads: the page's numbers, one row per call, bounded streaming, nothing of another clinic."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.test import AsyncClient
from django.urls import reverse

from consulta.consultations.models import Outcome
from consulta.reports.exporters import EXPORTERS, CSVExporter, ExcelExporter
from consulta.reports.tests.records import consultation, room_call, staff_left, transfer, utc
from consulta.testing import World

JANUARY = {"date_from": "2026-01-01", "date_to": "2026-01-31", "time_zone": "Europe/Stockholm", "min_call_minutes": "0"}

Sections = dict[str, list[list[Any]]]  # title: header, then rows


def history(world: World) -> None:
    a, b = world.clinic_a, world.clinic_b
    consultation(a, utc(2026, 1, 5, 9), wait=100, call=600, by=world.member, peak=3)
    consultation(a, utc(2026, 1, 5, 10), wait=301, call=60, by=world.clinic_admin)
    consultation(a, utc(2026, 1, 5, 11), wait=20, answered=False, outcome=Outcome.LEFT)
    consultation(a, utc(2026, 1, 6, 23, 30), wait=20, answered=False, outcome=Outcome.EXPIRED)  # 7 Jan, 00:30
    consultation(b, utc(2026, 1, 5, 9), wait=4321, by=world.coordinator)
    transfer(a, b, utc(2026, 1, 5, 12))
    room_call(a, utc(2026, 1, 6, 9), 1200, peak=4)
    room_call(b, utc(2026, 1, 6, 9), 7777)
    staff_left(a, utc(2026, 1, 5, 9, 20), world.member, 700)


def download(world: World, scope: str, fmt: str, person: str = "org_admin", **params: str) -> Any:
    name, slug = ("reports:export_clinic", "alder") if scope == "alder" else ("reports:export_organisation", "acme")
    return world.client_for(person).get(reverse(name, args=[slug, fmt]), {**JANUARY, **params})


def csv_sections(response: Any) -> Sections:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    sections: Sections = {}
    title = None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            title = None
        elif title is None:
            title = row[0]
            sections[title] = []
        else:
            sections[title].append(row)
    return sections


def xlsx_sheets(response: Any) -> dict[str, list[list[Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def summary_from_sheet(rows: list[list[Any]]) -> Sections:
    """The summary sheet's tables: a bold title, a header, rows, an empty row between them."""
    sections: Sections = {}
    title = None
    for row in rows:
        cells = [cell for cell in row if cell is not None]
        if not cells:
            title = None
        elif title is None:
            title = cells[0]
            sections[title] = []
        else:
            sections[title].append(row[: len(sections[title][0])] if sections[title] else cells)
    return sections


def page_figures(world: World) -> dict[str, Any]:
    report = world.client_for("org_admin").get(reverse("reports:clinic", args=["alder"]), JANUARY).context["report"]
    waiting = report.waiting
    return {
        "Entered the waiting area": waiting.entered,
        "Answered": waiting.answered,
        "Left before being answered (abandoned)": waiting.abandoned,
        "Connection lost before being answered (expired)": waiting.expired,
        "Transferred out": waiting.transfers_out,
        "Median wait of answered (seconds)": round(waiting.wait.median),
        "90th percentile wait of answered (seconds)": round(waiting.wait.p90),
        "Total call time (seconds)": waiting.call_total,
        "Mean people in a call": round(waiting.peak_mean, 1),
    }


def test_csv_and_xlsx_hold_the_pages_numbers(world: World) -> None:
    history(world)
    page = page_figures(world)
    assert page["Entered the waiting area"] == 4 and page["90th percentile wait of answered (seconds)"] == 281

    in_csv = {row[0]: row[1] for row in csv_sections(download(world, "alder", "csv"))["Waiting area"][1:]}
    sheets = xlsx_sheets(download(world, "alder", "xlsx"))
    in_xlsx = {row[0]: row[1] for row in summary_from_sheet(sheets["Summary"])["Waiting area"][1:]}

    for label, value in page.items():
        assert in_csv[label] == str(value), label
        assert in_xlsx[label] == value, label


def test_one_row_per_consultation_and_room_call_in_local_time(world: World) -> None:
    history(world)
    sections = csv_sections(download(world, "alder", "csv"))
    sheets = xlsx_sheets(download(world, "alder", "xlsx"))

    header, *rows = sections["Consultations"]
    assert header[:3] == ["Clinic", "Entered", "Answered"] and len(rows) == 4
    assert rows[0] == ["Alder Clinic", "2026-01-05 10:00:00", "2026-01-05 10:01:40", "2026-01-05 10:11:40",
                       "100", "600", "3", "ended", "mia@acme.test"]  # fmt: skip
    assert rows[3][1] == "2026-01-07 00:30:00" and rows[3][2] == "" and rows[3][7] == "expired"
    assert [row[:5] for row in sections["Room calls"][1:]] == [
        ["Alder Clinic", "Meeting room", "2026-01-06 10:00:00", "2026-01-06 10:20:00", "1200"]
    ]
    xlsx_rows = sheets["Consultations"][1:]
    assert len(xlsx_rows) == 4 and xlsx_rows[0][1] == datetime(2026, 1, 5, 10, 0) and xlsx_rows[0][4] == 100
    assert len(sheets["Room calls"]) == 2
    by_day = {row[0]: row[1:] for row in sections["Entries by day"][1:]}
    assert by_day["2026-01-05"] == ["3", "2"] and by_day["2026-01-07"] == ["1", "0"] and len(by_day) == 31


def test_clinic_bs_rows_never_reach_clinic_as_downloads(world: World) -> None:
    history(world)
    for fmt in EXPORTERS:
        body = b"".join(download(world, "alder", fmt).streaming_content)
        if fmt == "xlsx":
            sheets = xlsx_sheets(download(world, "alder", fmt))
            body = repr(sheets).encode()
        assert b"Birch" not in body and b"cora@acme.test" not in body and b"4321" not in body, fmt
        assert b"7777" not in body, fmt


def test_the_organisations_download_has_every_clinic(world: World) -> None:
    history(world)
    sections = csv_sections(download(world, "acme", "csv"))
    assert {row[0] for row in sections["Consultations"][1:]} == {"Alder Clinic", "Birch Clinic"}
    waiting = {row[0]: row[1] for row in sections["Waiting area"][1:]}
    assert waiting["Entered the waiting area"] == "5"
    assert waiting["Transfers between the organisation's clinics"] == "1"
    people = {row[1]: row for row in sections["Service providers"][1:]}
    assert people["mia@acme.test"][2:] == ["1", "600", "700"]


def test_file_names_and_types(world: World) -> None:
    csv_response = download(world, "alder", "csv")
    xlsx_response = download(world, "acme", "xlsx", clinic="birch")
    assert csv_response["Content-Type"] == CSVExporter.content_type
    assert csv_response["Content-Disposition"] == 'attachment; filename="alder-report-2026-01-01-2026-01-31.csv"'
    assert xlsx_response["Content-Type"] == ExcelExporter.content_type
    assert xlsx_response["Content-Disposition"] == 'attachment; filename="birch-report-2026-01-01-2026-01-31.xlsx"'
    assert b"".join(xlsx_response.streaming_content).startswith(b"PK")  # a zip: an Office Open XML workbook


def test_unknown_format_and_bad_input(world: World) -> None:
    assert download(world, "alder", "pdf").status_code == 404
    refused = download(world, "alder", "csv", date_to="2025-01-01")
    assert refused.status_code == 400 and "The end date is before the start date." in refused.content.decode()


def test_text_that_looks_like_a_formula_is_not_one(world: World) -> None:
    world.clinic_a.name = "=HYPERLINK(1)"
    world.clinic_a.save(update_fields=["name"])
    consultation(world.clinic_a, utc(2026, 1, 5, 9))

    rows = csv_sections(download(world, "alder", "csv"))["Consultations"]
    assert rows[1][0] == "'=HYPERLINK(1)"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(download(world, "alder", "xlsx").streaming_content)))
    cell = workbook["Consultations"]["A2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")  # text, not a formula


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_downloads_stream_asynchronously(world: World) -> None:
    """Django reads a synchronous body whole under ASGI: here it is an asynchronous iterator."""
    from asgiref.sync import sync_to_async

    await sync_to_async(history)(world)
    client = AsyncClient()
    await sync_to_async(client.force_login)(world.org_admin)
    for fmt in EXPORTERS:
        response = await client.get(reverse("reports:export_clinic", args=["alder", fmt]), JANUARY)
        assert isinstance(response, StreamingHttpResponse)
        assert response.status_code == 200 and response.is_async, fmt
        body = b"".join([part async for part in response.streaming_content])
        if fmt == "csv":
            assert "mia@acme.test" in body.decode("utf-8-sig")
        else:
            assert int(response["Content-Length"]) == len(body)
            assert openpyxl.load_workbook(io.BytesIO(body))["Consultations"].max_row == 5
