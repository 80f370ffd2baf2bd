"""The report pages: the form, its defaults and errors, the figures, charts, links and scope."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from consulta.consultations.models import Outcome
from consulta.reports.period import last_full_month
from consulta.reports.tests.records import consultation, room_call, transfer, utc
from consulta.testing import World

JANUARY = {"date_from": "2026-01-01", "date_to": "2026-01-31", "time_zone": "Europe/Stockholm", "min_call_minutes": "0"}


def org_page(world: World, person: str = "org_admin", **params: str) -> Any:
    url = reverse("reports:organisation", args=[world.organisation.slug])
    return world.client_for(person).get(url, params)


def clinic_page(world: World, person: str = "clinic_admin", slug: str = "alder", **params: str) -> Any:
    return world.client_for(person).get(reverse("reports:clinic", args=[slug]), params)


def figure(body: str, name: str) -> str:
    found = re.search(rf'id="figure-{name}">([^<]*)<', body)
    assert found, name
    return found.group(1)


def test_defaults_are_last_full_month_in_the_organisations_zone(world: World) -> None:
    response = org_page(world)

    form = response.context["form"]
    first, last = last_full_month(ZoneInfo("Europe/Stockholm"))
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (first, last)
    assert form.cleaned_data["time_zone"] == "Europe/Stockholm"
    assert response.context["report"].scope.whole_organisation
    body = response.content.decode()
    assert f'value="{first.isoformat()}"' in body and f'value="{last.isoformat()}"' in body
    assert "Call quality by browser" in body and "Entry checks by reason" in body


def test_last_full_month_is_the_previous_calendar_month() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    assert last_full_month(zone, utc(2026, 3, 1, 0, 30)) == (date(2026, 2, 1), date(2026, 2, 28))  # 01:30 local
    assert last_full_month(zone, utc(2026, 2, 28, 22, 59)) == (date(2026, 1, 1), date(2026, 1, 31))
    assert last_full_month(zone, utc(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_the_page_shows_the_figures(world: World) -> None:
    a = world.clinic_a
    consultation(a, utc(2026, 1, 5, 9), wait=100, call=600, by=world.member)
    consultation(a, utc(2026, 1, 5, 10), wait=300, call=60, by=world.member)
    consultation(a, utc(2026, 1, 5, 11), wait=20, answered=False, outcome=Outcome.LEFT)
    consultation(a, utc(2026, 1, 5, 12), wait=20, answered=False, outcome=Outcome.EXPIRED)
    transfer(a, world.clinic_b, utc(2026, 1, 5, 12))
    room_call(a, utc(2026, 1, 6, 9), 1200)

    body = clinic_page(world, **JANUARY).content.decode()

    assert (figure(body, "entered"), figure(body, "answered"), figure(body, "ended")) == ("4", "2", "2")
    assert (figure(body, "abandoned"), figure(body, "expired")) == ("1", "1")
    assert (figure(body, "wait-median"), figure(body, "wait-p90")) == ("3 min 20 s", "4 min 40 s")  # 200 s, 280 s
    assert "Transferred out" in body and "Mia Memberg" in body and "mia@acme.test" in body
    assert "Meeting room" in body and "20 min 0 s" in body


def test_charts_are_labelled_images_with_their_numbers_in_tables(world: World) -> None:
    consultation(world.clinic_a, utc(2026, 1, 5, 9), wait=400)
    body = clinic_page(world, **JANUARY).content.decode()

    charts = re.findall(r'<svg class="chart-svg" role="img" aria-labelledby="([^"]+)"', body)
    assert charts == ["chart-outcomes-title", "chart-waits-title", "chart-volumes-title", "chart-hours-title",
                      "chart-weekdays-title"]  # fmt: skip
    for title in charts:
        assert f'id="{title}"' in body
    assert body.count('<details class="numbers">') == 5 and body.count("<caption>") >= 5
    assert '<th scope="row">5–10 min</th><td class="number">1</td>' in body  # the 400 s wait
    assert '<th scope="row">2026-01-05</th><td class="number">1</td>' in body
    assert "<script" not in body.split("<main", 1)[1].split("</main>", 1)[0]  # no inline script


def test_a_long_range_is_drawn_by_week(world: World) -> None:
    params = {**JANUARY, "date_from": "2025-01-01", "date_to": "2025-12-31"}
    response = org_page(world, **params)
    chart = response.context["charts"]["volumes"]
    assert chart.title == "Entries by week" and len(chart.bars) == 53 and chart.upright_values


def test_bad_input_is_explained_and_kept(world: World) -> None:
    cases = [
        ({"date_from": "2026-13-01"}, "date_from", "Enter a valid date."),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to", "The end date is before the start date."),
        ({"date_from": "2025-01-01", "date_to": "2026-01-02"}, "date_to", "A report covers at most 366 days"),
        ({"min_call_minutes": "-1"}, "min_call_minutes", "greater than or equal to 0"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice."),
        ({"clinic": "oak"}, "clinic", "Select a valid choice."),  # another organisation's clinic
    ]
    for given, field, message in cases:
        response = org_page(world, **{**JANUARY, **given})
        assert response.status_code == 200
        assert response.context["report"] is None, given
        assert message in " ".join(response.context["form"].errors[field]), given
        body = response.content.decode()
        assert "Download these figures" not in body
        if field not in ("time_zone", "clinic"):  # a select cannot show a choice it does not offer
            assert all(f'value="{value}"' in body for value in given.values()), (given, "what was typed is kept")


def test_leap_year_allows_366_days(world: World) -> None:
    response = org_page(world, **{**JANUARY, "date_from": "2024-01-01", "date_to": "2024-12-31"})
    assert response.context["report"] is not None
    assert len(response.context["report"].criteria.days) == 366


def test_choosing_a_clinic_in_the_organisation_report(world: World) -> None:
    consultation(world.clinic_a, utc(2026, 1, 5, 9))
    consultation(world.clinic_b, utc(2026, 1, 5, 9))
    consultation(world.clinic_b, utc(2026, 1, 6, 9))
    transfer(world.clinic_a, world.clinic_b, utc(2026, 1, 5, 12))

    everything = org_page(world, "reporter", **JANUARY)
    birch = org_page(world, "reporter", **JANUARY, clinic="birch")

    assert figure(everything.content.decode(), "entered") == "3"
    assert "Transfers between the organisation" in everything.content.decode()
    assert figure(birch.content.decode(), "entered") == "2"
    assert "Transferred in" in birch.content.decode()
    options = re.findall(r'<option value="([^"]*)"', birch.content.decode().split('name="clinic"', 1)[1])[:3]
    assert options == ["", "alder", "birch"]
    assert birch.context["report"].scope.clinics == (world.clinic_b,)


def test_clinic_b_never_appears_in_clinic_as_report(world: World) -> None:
    consultation(world.clinic_a, utc(2026, 1, 5, 9), wait=11, by=world.member)
    consultation(world.clinic_b, utc(2026, 1, 5, 9), wait=4321, by=world.coordinator)
    room_call(world.clinic_b, utc(2026, 1, 5, 9), 7777)

    response = clinic_page(world, "org_admin", **JANUARY)

    body = response.content.decode()
    report = response.context["report"]
    assert report.scope.clinics == (world.clinic_a,) and report.waiting.entered == 1
    assert "cora@acme.test" not in body and "Coordinova" not in body and "Birch Clinic" not in body
    assert report.rooms[0].count == 0 and "2 h 9 min" not in body
    assert 'name="clinic"' not in body  # one clinic's report offers no other


def test_the_clinics_own_zone_is_its_default(world: World) -> None:
    world.clinic_a.time_zone = "America/New_York"
    world.clinic_a.save(update_fields=["time_zone"])
    assert clinic_page(world).context["form"].cleaned_data["time_zone"] == "America/New_York"


def test_reports_links_in_the_navigation(world: World) -> None:
    report_link = f'href="{reverse("reports:clinic", args=["alder"])}"'
    home = reverse("organisations:clinic_home", args=["alder"])
    assert report_link in world.client_for("clinic_admin").get(home).content.decode()
    assert report_link not in world.client_for("member").get(home).content.decode()  # a team member: no reports
    assert report_link not in world.client_for("clerk").get(home).content.decode()
    org_link = f'href="{reverse("reports:organisation", args=["acme"])}"'
    assert (
        org_link
        in world.client_for("reporter").get(reverse("organisations:organisation_home", args=["acme"])).content.decode()
    )


def test_download_links_carry_the_reports_parameters(world: World) -> None:
    response = org_page(world, **{**JANUARY, "clinic": "birch", "min_call_minutes": "5"})
    downloads = dict(response.context["downloads"])
    query = "date_from=2026-01-01&date_to=2026-01-31&time_zone=Europe%2FStockholm&min_call_minutes=5&clinic=birch"
    assert downloads == {
        "CSV": f"/o/acme/reports/export.csv?{query}",
        "XLSX": f"/o/acme/reports/export.xlsx?{query}",
    }
    assert downloads["CSV"].replace("&", "&amp;") in response.content.decode()
