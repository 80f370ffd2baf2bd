"""The API's behaviour: names by scope, the appointment flow, expiry, ending, reports, limits, keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consulta.api import actions
from consulta.api.models import ApiKey
from consulta.api.tests.keys import api_client, enter, make_keys
from consulta.consultations.models import Consultation, PrefillLink
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.reports.tests import records
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db

JSON = "application/json"


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type=JSON)


def test_names_only_for_a_key_that_may_see_them(world: World) -> None:
    keys = make_keys(world)
    caller = enter(world.clinic_a, "Hana", "Hirvi")
    for name, shown in (("read_all", False), ("write_all", False), ("write_names", True)):
        area = keys.client(name).get("/api/v1/clinics/alder/waiting-area").json()
        [listed] = area["callers"]
        assert listed["id"] == caller.pk
        assert (listed["first_name"], listed["last_name"]) == (("Hana", "Hirvi") if shown else (None, None))
        one = keys.client(name).get(f"/api/v1/consultations/{caller.pk}").json()
        assert (one["first_name"], one["phone"]) == (("Hana", "070-111 22 33") if shown else (None, None))
        page = keys.client(name).get("/api/v1/consultations").content.decode()
        assert ("Hirvi" in page) is shown


def test_the_waiting_area_counts_the_waiting_and_the_longest_wait(world: World) -> None:
    keys = make_keys(world)
    first, second = enter(world.clinic_a), enter(world.clinic_a, "Ivo")
    Consultation.objects.filter(pk=first.pk).update(waiting_since=timezone.now() - timedelta(minutes=10))
    Consultation.objects.filter(pk=second.pk).update(status="in_call")  # being seen: not waiting
    area = keys.client("read_all").get("/api/v1/clinics/alder/waiting-area").json()
    assert area["waiting"] == 1
    assert 595 <= area["longest_wait_seconds"] <= 610
    assert area["open"] is True
    assert [c["id"] for c in area["callers"]] == [first.pk, second.pk]
    empty = keys.client("read_all").get("/api/v1/clinics/birch/waiting-area").json()
    assert (empty["waiting"], empty["longest_wait_seconds"], empty["callers"]) == (0, None, [])


def test_a_patient_link_opens_the_filled_in_form_and_its_consultation_carries_the_reference(world: World) -> None:
    keys = make_keys(world)
    body = {"first_name": "Pia", "last_name": "Patient", "phone": "070-123 45 67", "external_reference": "appt-42"}
    made = post(keys.client("write_all"), "/api/v1/clinics/alder/patient-links", body)
    assert made.status_code == 201, made.content
    link = made.json()
    assert (link["clinic"], link["external_reference"]) == ("alder", "appt-42")
    url = urlsplit(link["url"])
    assert url.path == reverse("consultations:entry", args=["alder"])
    # The link itself carries none of the details; the database keeps only the reference's hash.
    for secret in ("Pia", "Patient", "070-123 45 67", "appt-42"):
        assert secret not in link["url"]
    stored = PrefillLink.objects.get()
    assert (stored.external_reference, stored.created_by) == ("appt-42", None)
    expected_expiry = timezone.now() + timedelta(hours=72)
    assert abs((stored.expires_at - expected_expiry).total_seconds()) < 60

    patient = Client()
    page = patient.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert 'value="Pia"' in page.content.decode() and 'value="Patient"' in page.content.decode()
    entered = patient.post(
        f"{url.path}?{url.query}",
        {"first_name": "Pia", "last_name": "Patient", "phone": "070-123 45 67", "accept_terms": "on"},
    )
    assert entered.status_code == 302, entered.content
    consultation = Consultation.objects.get()
    assert consultation.external_reference == "appt-42"
    record = keys.client("read_all").get(f"/api/v1/consultations/{consultation.pk}").json()
    assert (record["external_reference"], record["status"]) == ("appt-42", "waiting")
    # The event of the link names the key, not a person.
    event = Event.objects.get(kind=Kind.PREFILL_LINK_CREATED)
    assert event.actor is None and event.data["api_key"] == ApiKey.objects.get(name="write_all").prefix


def test_an_entry_without_a_link_has_no_reference(world: World) -> None:
    made = Client().post(
        "/wait/alder/", {"first_name": "Ola", "last_name": "Ek", "phone": "070-123 45 67", "accept_terms": "on"}
    )
    assert made.status_code == 302
    assert Consultation.objects.get().external_reference == ""


@pytest.mark.parametrize(
    ("expires_at", "message"),
    [
        ((timezone.now() - timedelta(minutes=1)).isoformat(), "in the future"),
        ((timezone.now() + timedelta(days=31)).isoformat(), "at most 30 days"),
        ("2030-01-01T10:00:00", None),  # no offset: which 10 o'clock?
        ("next tuesday", None),
    ],
)
def test_a_patient_link_expiry_must_be_in_the_future_and_near(world: World, expires_at: str, message: str) -> None:
    keys = make_keys(world)
    body = {"first_name": "Pia", "last_name": "Patient", "expires_at": expires_at}
    refused = post(keys.client("write_all"), "/api/v1/clinics/alder/patient-links", body)
    assert refused.status_code == 422, refused.content
    if message:
        assert message in refused.json()["detail"]
    assert not PrefillLink.objects.exists()


def test_a_chosen_expiry_is_kept(world: World) -> None:
    keys = make_keys(world)
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    body = {"first_name": "Pia", "last_name": "Patient", "expires_at": when.isoformat()}
    made = post(keys.client("write_all"), "/api/v1/clinics/alder/patient-links", body)
    assert made.status_code == 201
    assert PrefillLink.objects.get().expires_at == when
    assert datetime.fromisoformat(made.json()["expires_at"]) == when


def test_bad_input_is_a_clear_422(world: World) -> None:
    keys = make_keys(world)
    client = keys.client("write_all")
    for body in ({"first_name": "", "last_name": "P"}, {"first_name": "A\x00", "last_name": "P"}, {"last_name": "P"}):
        refused = post(client, "/api/v1/clinics/alder/patient-links", body)
        assert refused.status_code == 422, body
        assert refused.json()["errors"], body
    broken = client.post("/api/v1/clinics/alder/patient-links", "{not json", content_type=JSON)
    assert broken.status_code == 400 and "detail" in broken.json()
    assert client.get("/api/v1/consultations/abc").status_code == 422
    assert client.get(f"/api/v1/consultations/{2**70}").status_code == 422
    assert client.get("/api/v1/consultations?limit=201").status_code == 422


def test_ending_twice_is_409_and_the_ended_consultation_reads_from_the_log(world: World) -> None:
    keys = make_keys(world)
    caller = enter(world.clinic_a, external_reference="appt-7")
    client = keys.client("write_all")
    ended = post(client, f"/api/v1/consultations/{caller.pk}/end")
    assert ended.status_code == 200 and ended.json() == {"id": caller.pk, "status": "ended"}
    assert not Consultation.objects.exists()
    again = post(client, f"/api/v1/consultations/{caller.pk}/end")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]
    # Another organisation's key learns nothing of it: not 409, 404.
    assert post(keys.client("other_org"), f"/api/v1/consultations/{caller.pk}/end").status_code == 404
    # A read key: it may see that it ended, not end anything.
    assert post(keys.client("read_all"), f"/api/v1/consultations/{caller.pk}/end").status_code == 403
    record = client.get(f"/api/v1/consultations/{caller.pk}").json()
    assert record["status"] == "ended" and record["ended_at"] is not None
    assert record["answered_at"] is None and record["call_seconds"] == 0 and record["wait_seconds"] >= 0
    assert record["first_name"] is None
    event = Event.objects.get(kind=Kind.CONSULTATION_ENDED)
    assert event.actor is None and event.data["api_key"]
    records_page = client.get("/api/v1/consultation-records").json()
    assert records_page["count"] == 1 and records_page["items"][0]["outcome"] == "ended"


def test_the_consultation_list_filters_and_pages(world: World) -> None:
    keys = make_keys(world)
    made = [enter(world.clinic_a, f"P{n}") for n in range(3)] + [enter(world.clinic_b, "B")]
    client = keys.client("read_all")
    everyone = client.get("/api/v1/consultations").json()
    assert everyone["count"] == 4 and [c["id"] for c in everyone["items"]] == [c.pk for c in made]
    page = client.get("/api/v1/consultations?clinic=alder&limit=2&offset=1").json()
    assert (page["count"], [c["id"] for c in page["items"]]) == (3, [made[1].pk, made[2].pk])
    assert client.get("/api/v1/consultations?status=in_call").json()["count"] == 0
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/consultations", {"since": future}).json()["count"] == 0
    assert client.get("/api/v1/consultations", {"until": future}).json()["count"] == 4
    alder_only = keys.client("read_alder").get("/api/v1/consultations").json()
    assert alder_only["count"] == 3


def test_reports_give_the_reports_page_figures(world: World) -> None:
    keys = make_keys(world)
    day = records.utc(2026, 3, 10, 9)
    records.consultation(world.clinic_a, day, wait=30, call=600, by=world.member)
    records.consultation(world.clinic_a, day + timedelta(hours=2), wait=300, call=60, peak=3)
    records.consultation(world.clinic_b, day + timedelta(days=1), wait=90, answered=False, outcome="left")
    records.room_call(world.clinic_a, day, 1200)
    records.transfer(world.clinic_a, world.clinic_b, day)
    criteria = {"date_from": "2026-03-01", "date_to": "2026-03-31", "time_zone": "Europe/Stockholm"}
    api_query = {"start": "2026-03-01", "end": "2026-03-31", "time_zone": "Europe/Stockholm"}
    for clinic in ("", "alder"):
        page = client_for(world.org_admin).get(
            reverse("reports:organisation", args=["acme"]), {**criteria, "min_call_minutes": "0", "clinic": clinic}
        )
        figures = page.context["report"].waiting
        got = keys.client("read_all").get("/api/v1/reports", {**api_query, **({"clinic": clinic} if clinic else {})})
        assert got.status_code == 200, got.content
        waiting = got.json()["waiting_area"]
        for name in ("entered", "answered", "ended", "abandoned", "expired", "transfers", "transfers_in"):
            assert waiting[name] == getattr(figures, name), (clinic, name)
        assert waiting["wait"]["median_seconds"] == figures.wait.median
        assert waiting["wait"]["p90_seconds"] == figures.wait.p90
        assert waiting["call"]["longest_seconds"] == figures.call.longest
        assert waiting["call_total_seconds"] == figures.call_total
        assert waiting["participants_mean"] == figures.peak_mean
        assert waiting["by_hour"] == list(figures.by_hour)
        rooms = page.context["report"].rooms
        assert [r["count"] for r in got.json()["room_calls"]] == [r.count for r in rooms]
    whole = keys.client("read_all").get("/api/v1/reports", api_query).json()
    assert (whole["whole_organisation"], whole["waiting_area"]["entered"]) == (True, 3)
    # The key for Alder only: Alder's figures, not the organisation's.
    alder = keys.client("read_alder").get("/api/v1/reports", api_query).json()
    assert (alder["whole_organisation"], alder["clinics"], alder["waiting_area"]["entered"]) == (False, ["alder"], 2)


def test_report_criteria_are_checked_as_on_the_page(world: World) -> None:
    keys = make_keys(world)
    client = keys.client("read_all")
    backwards = client.get("/api/v1/reports", {"start": "2026-03-10", "end": "2026-03-01"})
    assert backwards.status_code == 422 and backwards.json()["errors"]
    assert client.get("/api/v1/reports", {"start": "2024-01-01", "end": "2026-01-01"}).status_code == 422
    assert client.get("/api/v1/reports", {"time_zone": "Mars/Olympus"}).status_code == 422
    default = client.get("/api/v1/reports").json()  # last full month, the organisation's zone
    assert default["time_zone"] == world.organisation.time_zone


def test_rooms_and_guest_links(world: World) -> None:
    keys = make_keys(world)
    client = keys.client("write_all")
    made = post(client, "/api/v1/clinics/alder/meeting-rooms", {"name": "Case review"})
    assert made.status_code == 201
    room = made.json()
    assert post(client, "/api/v1/clinics/alder/meeting-rooms", {"name": "Case review"}).status_code == 409
    listed = client.get("/api/v1/clinics/alder/meeting-rooms").json()
    assert [r["name"] for r in listed] == ["Case review", "Consulting room"]
    link = post(client, f"/api/v1/meeting-rooms/{room['id']}/guest-links", {"label": "Dr. Visitor", "valid_days": 7})
    assert link.status_code == 201 and link.json()["valid"] is True
    assert post(client, f"/api/v1/meeting-rooms/{room['id']}/guest-links", {"valid_days": 2}).status_code == 422
    revoked = post(client, f"/api/v1/guest-links/{link.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["valid"] is False and revoked.json()["revoked_at"]
    assert Event.objects.filter(kind=Kind.GUEST_LINK_REVOKED, actor=None, data__api_key__isnull=False).exists()


def test_a_key_is_rate_limited(world: World, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_key": "3/minute"}
    keys = make_keys(world)
    client = keys.client("read_all")
    assert [client.get("/api/v1/clinics").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/clinics")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1 and "try again" in refused.json()["detail"]
    # Another key is counted apart.
    assert keys.client("write_all").get("/api/v1/clinics").status_code == 200


def test_wrong_keys_are_rate_limited_per_address(world: World, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_bad_key_address": "2/10minutes"}
    keys = make_keys(world)
    statuses = [keys.client(name).get("/api/v1/clinics").status_code for name in ("no_key", "malformed", "revoked")]
    assert statuses == [401, 401, 429]
    assert keys.client("read_all").get("/api/v1/clinics").status_code == 200  # a good key is not held up


def test_last_used_is_written_at_most_once_a_minute(world: World) -> None:
    keys = make_keys(world)
    key = ApiKey.objects.get(name="read_all")
    assert key.last_used_at is None
    keys.client("read_all").get("/api/v1/clinics")
    key.refresh_from_db()
    assert key.last_used_at is not None and timezone.now() - key.last_used_at < timedelta(seconds=5)
    half_a_minute_ago = timezone.now() - timedelta(seconds=30)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=half_a_minute_ago)
    keys.client("read_all").get("/api/v1/clinics")
    key.refresh_from_db()
    assert key.last_used_at == half_a_minute_ago
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    keys.client("read_all").get("/api/v1/clinics")
    key.refresh_from_db()
    assert timezone.now() - key.last_used_at < timedelta(seconds=5)


def test_revoking_works_at_once(world: World) -> None:
    key, token = actions.create_key(
        world.organisation, name="Bookings", access="read", can_see_names=False, clinics=None, created_by=None
    )
    client = api_client(token)
    assert client.get("/api/v1/clinics").status_code == 200
    actions.revoke_key(key)
    assert client.get("/api/v1/clinics").status_code == 401
    actions.revoke_key(key)  # twice: nothing more happens
    assert Event.objects.filter(kind=Kind.API_KEY_REVOKED).count() == 1


def test_the_database_and_the_log_never_hold_the_secret(world: World) -> None:
    key, token = actions.create_key(
        world.organisation,
        name="Bookings",
        access="write",
        can_see_names=True,
        clinics=[world.clinic_a],
        created_by=world.org_admin,
    )
    assert token.startswith(f"csk_{key.prefix}_") and len(token) >= 4 + 9 + 43
    secret = token.rsplit("_", 1)[1]
    actions.revoke_key(key)
    with connection.cursor() as cursor:
        for table in ("api_apikey", "eventlog_event"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - our own table names
            dumped = repr(cursor.fetchall())
            assert token not in dumped and secret not in dumped, table
    key.refresh_from_db()
    assert key.secret_hash == ApiKey.hash_token(token)
    created = Event.objects.get(kind=Kind.API_KEY_CREATED)
    assert created.data == {
        "key": "Bookings",
        "prefix": key.prefix,
        "access": "write",
        "names": True,
        "clinics": ["alder"],
    }
    assert created.actor == world.org_admin and created.organisation == world.organisation


def test_a_token_of_the_right_shape_but_wrong_secret_is_refused(world: World) -> None:
    _key, token = actions.create_key(
        world.organisation, name="Bookings", access="read", can_see_names=False, clinics=None, created_by=None
    )
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert api_client(forged).get("/api/v1/clinics").status_code == 401
    assert api_client(token).get("/api/v1/clinics").status_code == 200


def test_a_key_counts_clinics_made_later_when_it_has_every_clinic(world: World) -> None:
    from consulta.organisations.models import Clinic

    keys = make_keys(world)
    Clinic.objects.create(organisation=world.organisation, name="Cedar Clinic", slug="cedar")
    assert keys.client("read_all").get("/api/v1/clinics/cedar").status_code == 200
    assert keys.client("read_alder").get("/api/v1/clinics/cedar").status_code == 404


def test_posts_need_no_csrf_token_with_a_key_and_a_session_is_no_key(world: World) -> None:
    keys = make_keys(world)
    strict = api_client(keys.tokens["write_all"], enforce_csrf_checks=True)
    made = strict.post(
        "/api/v1/clinics/alder/patient-links", json.dumps({"first_name": "A", "last_name": "B"}), content_type=JSON
    )
    assert made.status_code == 201
    session = client_for(world.org_admin)
    assert session.get("/api/v1/clinics").status_code == 401


def test_create_key_refuses_another_organisations_clinic(world: World) -> None:
    with pytest.raises(ValueError):
        actions.create_key(
            world.organisation,
            name="Odd",
            access="read",
            can_see_names=False,
            clinics=[world.other_clinic],
            created_by=None,
        )
    assert not ApiKey.objects.exists()


def test_times_are_utc_with_offsets(world: World) -> None:
    keys = make_keys(world)
    enter(world.clinic_a)
    item = keys.client("read_all").get("/api/v1/consultations").json()["items"][0]
    assert datetime.fromisoformat(item["entered_at"]).utcoffset() == timedelta(0)
    assert datetime.fromisoformat(item["entered_at"]).tzinfo is not None
    assert UTC  # the API's times carry their offset
