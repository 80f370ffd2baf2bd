"""The pre-call pages, the bandwidth endpoints and the entry page's check report."""

from __future__ import annotations

import json
import zlib
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from consulta.eventlog import describe
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.testing import World

pytestmark = pytest.mark.django_db

MAX = 1024 * 1024
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
BLOCKED = {
    "outcome": "blocked",
    "failed": ["bandwidth"],
    "warned": [],
    "down_kbps": 150,
    "up_kbps": 410,
    "rtt_ms": 48,
}


def rates(**changes: str) -> override_settings:
    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **changes}, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def page_data(response: Any) -> dict[str, Any]:
    text = response.content.decode()
    start = text.index('<script id="page-data" type="application/json">') + len(
        '<script id="page-data" type="application/json">'
    )
    return json.loads(text[start : text.index("</script>", start)])


# --- The pages -----------------------------------------------------------------------------


def test_the_public_page_needs_no_login_and_applies_the_default_levels(client: Client, world: World) -> None:
    response = client.get("/precall/")
    assert response.status_code == 200
    data = page_data(response)
    assert data["thresholds"] == {"warnKbps": 330, "blockKbps": 180}
    assert data["downloadUrl"] == "/precall/download/" and data["uploadUrl"] == "/precall/upload/"
    assert data["iceServers"] == []  # none configured in the tests
    assert data["relayOnly"] is False
    assert "Test your device and connection" in response.content.decode()
    assert "csrfmiddlewaretoken" in response.content.decode()  # for the upload's X-CSRFToken


@override_settings(
    TURN_URLS=["turn:relay.example.org:3478", "turn:relay.example.org:443?transport=tcp"],
    TURN_SECRET="s3cret",
    STUN_URLS=["stun:relay.example.org:3478"],
    CALL_ICE_TRANSPORT_POLICY="relay",
)
def test_the_page_gets_short_lived_turn_credentials_in_its_page_data(client: Client, world: World) -> None:
    import time

    data = page_data(client.get("/precall/"))
    stun, turn = data["iceServers"]
    assert stun == {"urls": ["stun:relay.example.org:3478"]}
    assert turn["urls"] == ["turn:relay.example.org:3478", "turn:relay.example.org:443?transport=tcp"]
    expires, peer = turn["username"].split(":", 1)
    assert peer.startswith("precall-") and len(peer) == len("precall-") + 16
    assert 0 < int(expires) - time.time() <= 5 * 60  # minutes, not the calls' two hours
    assert turn["credential"]
    assert data["relayOnly"] is True


def test_the_clinic_page_names_the_clinic_and_applies_its_levels(client: Client, world: World) -> None:
    area = world.clinic_a.waiting_area
    area.bandwidth_warn_kbps, area.bandwidth_block_kbps = 500, 250
    area.save()
    response = client.get(f"/c/{world.clinic_a.slug}/precall/")
    assert response.status_code == 200
    assert world.clinic_a.name in response.content.decode()
    assert page_data(response)["thresholds"] == {"warnKbps": 500, "blockKbps": 250}


def test_the_clinic_page_is_404_for_an_unknown_clinic_or_a_switched_off_waiting_area(
    client: Client, world: World
) -> None:
    assert client.get("/c/no-such-clinic/precall/").status_code == 404
    area = world.clinic_a.waiting_area
    area.is_enabled = False
    area.save()
    assert client.get(f"/c/{world.clinic_a.slug}/precall/").status_code == 404


def test_the_entry_page_carries_the_clinics_levels_and_the_report_url(client: Client, world: World) -> None:
    data = page_data(client.get(f"/wait/{world.clinic_a.slug}/"))
    assert data["thresholds"] == {"warnKbps": 330, "blockKbps": 180}
    assert data["entryCheckUrl"] == f"/c/{world.clinic_a.slug}/entry-check/"
    assert data["budgetMs"] <= 4000
    assert data["iceServers"] == []  # only when a relay is required


def test_the_clinic_home_links_to_its_precall_page(world: World) -> None:
    from consulta.testing import client_for

    response = client_for(world.member).get(f"/c/{world.clinic_a.slug}/")
    assert f'href="/c/{world.clinic_a.slug}/precall/"' in response.content.decode()


# --- Download ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 32 * 1024, MAX])
def test_download_answers_that_many_random_bytes_never_cached(client: Client, world: World, size: int) -> None:
    response = client.get(f"/precall/download/?bytes={size}")
    assert response.status_code == 200
    assert len(response.content) == size
    assert response["Content-Type"] == "application/octet-stream"
    assert "no-store" in response["Cache-Control"]
    if size >= 32 * 1024:
        # Incompressible: random bytes do not shrink.
        assert len(zlib.compress(response.content)) > size * 0.99


@pytest.mark.parametrize("bad", ["", "0", "-5", "abc", "1.5", str(MAX + 1), "9" * 30])
def test_download_refuses_a_bad_size_with_400(client: Client, world: World, bad: str) -> None:
    response = client.get(f"/precall/download/?bytes={bad}")
    assert response.status_code == 400
    assert response.json()["message"] == f"Ask for 1 to {MAX} bytes."


def test_download_is_get_only(client: Client, world: World) -> None:
    assert client.post("/precall/download/?bytes=10").status_code == 405


# --- Upload --------------------------------------------------------------------------------


def test_upload_reads_the_body_and_keeps_nothing(client: Client, world: World) -> None:
    before = Event.objects.count()
    response = client.post("/precall/upload/", data=b"\x00" * 65536, content_type="application/octet-stream")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "received": 65536}
    assert "no-store" in response["Cache-Control"]
    assert Event.objects.count() == before


def test_upload_refuses_more_than_the_maximum_with_413(client: Client, world: World) -> None:
    response = client.post("/precall/upload/", data=b"x" * (MAX + 1), content_type="application/octet-stream")
    assert response.status_code == 413
    assert response.json()["message"] == f"At most {MAX} bytes per upload."


def test_upload_wants_octet_stream(client: Client, world: World) -> None:
    response = client.post("/precall/upload/", data={"a": "b"})
    assert response.status_code == 400
    assert "application/octet-stream" in response.json()["message"]


def test_upload_is_csrf_protected(world: World) -> None:
    strict = Client(enforce_csrf_checks=True)
    page = strict.get("/precall/")
    refused = strict.post("/precall/upload/", data=b"x" * 10, content_type="application/octet-stream")
    assert refused.status_code == 403
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    allowed = strict.post(
        "/precall/upload/", data=b"x" * 10, content_type="application/octet-stream", headers={"X-CSRFToken": token}
    )
    assert allowed.status_code == 200


def test_transfers_are_rate_limited_per_address_with_a_clear_429(world: World) -> None:
    with rates(precall_transfer_address="3/10minutes"):
        one = Client(REMOTE_ADDR="198.51.100.20")
        assert one.get("/precall/download/?bytes=10").status_code == 200
        assert one.post("/precall/upload/", data=b"x", content_type="application/octet-stream").status_code == 200
        assert one.get("/precall/download/?bytes=10").status_code == 200
        refused = one.get("/precall/download/?bytes=10")
        refused_upload = one.post("/precall/upload/", data=b"x", content_type="application/octet-stream")
        other = Client(REMOTE_ADDR="198.51.100.21").get("/precall/download/?bytes=10")
    assert refused.status_code == 429 and refused_upload.status_code == 429
    assert refused.json()["message"].startswith("Too many attempts. Please try again in")
    assert int(refused["Retry-After"]) > 0
    assert other.status_code == 200


def test_the_pages_are_rate_limited_per_address_as_each_hands_out_a_turn_credential(world: World) -> None:
    with rates(precall_page_address="2/10minutes"):
        one = Client(REMOTE_ADDR="198.51.100.30")
        assert one.get("/precall/").status_code == 200
        assert one.get(f"/c/{world.clinic_a.slug}/precall/").status_code == 200
        refused = one.get("/precall/")
        other = Client(REMOTE_ADDR="198.51.100.31").get("/precall/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.content.decode().startswith("Too many attempts. Please try again in")
    assert b"credential" not in refused.content
    assert other.status_code == 200


# --- The entry check's report ----------------------------------------------------------------


def report(slug: str, body: Any, client: Client | None = None, **extra: Any) -> Any:
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return (client or Client()).post(
        f"/c/{slug}/entry-check/", data=raw, content_type="application/json", HTTP_USER_AGENT=ANDROID_CHROME, **extra
    )


def test_a_report_is_one_event_with_exactly_that_data(world: World) -> None:
    response = report(world.clinic_a.slug, BLOCKED)
    assert response.status_code == 200 and response.json() == {"ok": True}
    event = Event.objects.get(kind=Kind.ENTRY_CHECK)
    assert event.clinic_id == world.clinic_a.pk
    assert event.actor is None and event.actor_label == ""
    assert event.data == {
        "outcome": "blocked",
        "failed": ["bandwidth"],
        "warned": [],
        "down_kbps": 150,
        "up_kbps": 410,
        "rtt_ms": 48,
        "browser": "Chrome Mobile",
        "os": "Android",
    }
    assert ANDROID_CHROME not in json.dumps(event.data)  # families only, never the raw User-Agent


def test_a_passed_report_without_figures_and_an_unknown_browser(world: World) -> None:
    body: dict[str, Any] = {"outcome": "passed", "failed": [], "warned": [], "down_kbps": None, "up_kbps": None}
    body["rtt_ms"] = None
    response = Client().post(
        f"/c/{world.clinic_a.slug}/entry-check/", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200
    data = Event.objects.get(kind=Kind.ENTRY_CHECK).data
    assert data["browser"] == "" and data["os"] == ""  # as in call.quality: unknown is empty
    assert data["down_kbps"] is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"",
        [],
        {**BLOCKED, "outcome": "maybe"},
        {**BLOCKED, "failed": ["bandwidth", "wifi"]},
        {**BLOCKED, "down_kbps": -1},
        {**BLOCKED, "down_kbps": 1.5},
        {**BLOCKED, "rtt_ms": "fast"},
        {**BLOCKED, "name": "Astrid"},  # nothing else, a name least of all
        {k: v for k, v in BLOCKED.items() if k != "rtt_ms"},
        {**BLOCKED, "failed": []},  # blocked by nothing
        {**BLOCKED, "outcome": "passed"},  # passed with a failure
        {**BLOCKED, "failed": ["bandwidth", "bandwidth"]},
        {**BLOCKED, "warned": ["bandwidth"]},  # failed and warned at once
        {**BLOCKED, "outcome": "warned", "failed": []},
        {**BLOCKED, "down_kbps": 10**12},
    ],
)
def test_a_bad_report_is_400_json_and_no_event(world: World, body: Any) -> None:
    response = report(world.clinic_a.slug, body)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert response.json()["message"].startswith("This is not a check report")
    assert not Event.objects.filter(kind=Kind.ENTRY_CHECK).exists()


def test_an_oversized_report_is_400(world: World) -> None:
    response = report(world.clinic_a.slug, json.dumps(BLOCKED) + " " * 5000)
    assert response.status_code == 400
    assert not Event.objects.filter(kind=Kind.ENTRY_CHECK).exists()


def test_a_report_for_an_unknown_clinic_is_404(world: World) -> None:
    assert report("no-such-clinic", BLOCKED).status_code == 404
    assert not Event.objects.filter(kind=Kind.ENTRY_CHECK).exists()


def test_a_report_is_post_only_and_csrf_protected(world: World) -> None:
    assert Client().get(f"/c/{world.clinic_a.slug}/entry-check/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    assert report(world.clinic_a.slug, BLOCKED, client=strict).status_code == 403
    token = strict.get(f"/wait/{world.clinic_a.slug}/").cookies[settings.CSRF_COOKIE_NAME].value
    assert report(world.clinic_a.slug, BLOCKED, client=strict, headers={"X-CSRFToken": token}).status_code == 200


def test_reports_are_rate_limited_per_address(world: World) -> None:
    with rates(entry_check_address="2/10minutes"):
        codes = [report(world.clinic_a.slug, BLOCKED, REMOTE_ADDR="198.51.100.30").status_code for _ in range(3)]
        other = report(world.clinic_a.slug, BLOCKED, REMOTE_ADDR="198.51.100.31")
    assert codes == [200, 200, 429]
    assert other.status_code == 200
    assert Event.objects.filter(kind=Kind.ENTRY_CHECK).count() == 3


def test_the_audit_trail_describes_an_entry_check(world: World) -> None:
    from datetime import UTC

    report(world.clinic_a.slug, BLOCKED)
    event = Event.objects.get(kind=Kind.ENTRY_CHECK)
    assert describe.summary(event, UTC) == (
        "Entry check: blocked (failed: bandwidth; bandwidth 150 kbit/s; round trip 48 ms; Chrome Mobile / Android)"
    )
    assert describe.who(event) == "Patient"
