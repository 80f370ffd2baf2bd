"""The appointment system's side of a consultation: a patient link made by API, then signed webhooks.

The test plays the appointment system: it makes an API key (consulta.api.actions.create_key) and
registers a webhook endpoint to its own receiver (consulta/webhooks/tests/receiver.py, on
127.0.0.1, which verifies every delivery with the standardwebhooks library), both in the
server's own database; then it makes a patient link over HTTP with the key. A patient in real
Chromium opens the link and enters, a clinician answers and ends the consultation, and the real
worker (`manage.py worker`, beside the real server) posts each event: the receiver gets them
signed, in order, each with the appointment's external reference, and no patient's name.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from consulta.organisations.management.commands.seed_demo import ORGANISATION
from consulta.testing import wait_until
from consulta.webhooks.tests.receiver import Receiver, running_receiver
from tests.e2e import server as live
from tests.e2e.helpers import assert_no_axe_violations, login
from tests.e2e.test_consultation_flow import caller_card, end_from_call, join_from_dashboard, northside

# The worker may post to the test's own receiver on loopback, over http: these settings only.
WEBHOOK_ENV = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    "WEBHOOK_ALLOW_HTTP": "true",
    "WEBHOOK_POLL_SECONDS": "0.5",
    "WEBHOOK_RETRY_SECONDS": "1",
}
TYPES = [
    "consultation.entered",
    "consultation.answered",
    "call.joined",
    "call.left",
    "consultation.left",
    "consultation.ended",
]
REFERENCE = "APPT-2026-0042"
DELIVERY_TIMEOUT_S = 30


@dataclass
class Appointments:
    """The server with its worker, and what the appointment system holds: its key and its receiver."""

    server: live.LiveServer
    worker_log: Path
    receiver: Receiver
    api_key: str


def _set_up(server: live.LiveServer, receiver_url: str) -> dict[str, str]:
    code = f"""
import json
import re
from consulta.api.actions import create_key
from consulta.organisations.models import Organisation
from consulta.webhooks.actions import create_endpoint
organisation = Organisation.objects.get(slug={ORGANISATION["slug"]!r})
key, secret = create_key(organisation, name="Appointments", access="write", can_see_names=False,
                         clinics=None, created_by=None)
hook = create_endpoint(organisation, url={receiver_url!r}, event_types={TYPES!r})
print(json.dumps({{"key": secret, "webhook_secret": hook.secret}}))
"""
    made: dict[str, str] = server.python(code, WEBHOOK_ENV)
    return made


@pytest.fixture(scope="module")
def appointments() -> Iterator[Appointments]:
    with running_receiver() as receiver:
        try:
            with live.serving("consulta-e2e-webhooks-", extra_env=WEBHOOK_ENV) as server:
                made = _set_up(server, receiver.url)
                receiver.secret = made["webhook_secret"]
                with server.worker("e2e-webhooks", WEBHOOK_ENV) as worker_log:
                    yield Appointments(server, worker_log, receiver, made["key"])
        except live.ServerError as error:
            pytest.fail(str(error), pytrace=False)


def _patient_link(app: Appointments, clinic: str) -> dict[str, Any]:
    """The appointment system asks for a patient link (contracts.md §5)."""
    body = {
        "first_name": "Wilma",
        "last_name": "Webhook",
        "phone": "+46701234567",
        "external_reference": REFERENCE,
    }
    request = urllib.request.Request(  # noqa: S310 - the test's own server on 127.0.0.1
        f"{app.server.url}/api/v1/clinics/{clinic}/patient-links",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {app.api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - as above
        assert answer.status == 201
        made: dict[str, Any] = json.loads(answer.read())
    assert made["external_reference"] == REFERENCE and made["clinic"] == clinic
    return made


def _received(app: Appointments, wanted: str, count: int = 1) -> list[str]:
    """Wait until the receiver has accepted `count` messages of type `wanted`; all types so far."""

    def arrived() -> bool:
        return app.receiver.types().count(wanted) >= count

    def what() -> str:
        worker = app.worker_log.read_text(errors="replace")[-3000:]
        return f"{count} × {wanted}; received {app.receiver.types()}; worker log:\n{worker}"

    wait_until(arrived, DELIVERY_TIMEOUT_S, what)
    return app.receiver.types()


def _enter_by_link(patient: Page, url: str) -> None:
    """The patient opens the link: the entry form is filled in; they accept the terms and enter."""
    patient.goto(url)
    expect(patient.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)
    expect(patient.get_by_label("First name")).to_have_value("Wilma")
    expect(patient.get_by_label("Last name")).to_have_value("Webhook")
    patient.get_by_label("I have read and accept the terms of use").check()
    patient.get_by_role("button", name="Enter the waiting area").click()
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "waiting")


def test_an_appointment_system_gets_signed_webhooks_as_its_patient_is_seen(
    appointments: Appointments, new_page: Any
) -> None:
    app = appointments
    clinic = northside(app.server.demo)
    link = _patient_link(app, clinic["slug"])

    patient = new_page()
    _enter_by_link(patient, link["url"])
    assert _received(app, "consultation.entered") == ["consultation.entered"]  # while the patient waits

    clinician = new_page()
    login(clinician, app.server.demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    expect(caller_card(clinician, "Wilma Webhook")).to_be_visible()
    join_from_dashboard(clinician, "Wilma Webhook")
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "in_call")
    _received(app, "call.joined", count=2)  # the clinician and the patient

    end_from_call(clinician)
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "ended")
    _received(app, "consultation.ended")
    _received(app, "call.left", count=2)

    accepted = app.receiver.accepted()
    types = [delivery.type for delivery in accepted]
    consultation_types = [kind for kind in types if kind.startswith("consultation.")]
    assert consultation_types == ["consultation.entered", "consultation.answered", "consultation.ended"]
    answered, ended = types.index("consultation.answered"), types.index("consultation.ended")
    joined = [i for i, kind in enumerate(types) if kind == "call.joined"]
    assert answered < min(joined) and max(joined) < ended  # in the order they happened
    assert sorted(accepted[i].payload["data"]["role"] for i in joined) == ["patient", "staff"]

    # Every delivery signed and verified by the receiver, once each, about this consultation.
    assert all(delivery.verified for delivery in app.receiver.deliveries)
    assert len({delivery.msg_id for delivery in accepted}) == len(accepted)
    consultation_ids = {delivery.payload["data"]["consultation_id"] for delivery in accepted}
    assert len(consultation_ids) == 1
    for delivery in accepted:
        data = delivery.payload["data"]
        assert data["external_reference"] == REFERENCE
        assert data["clinic"]["slug"] == "northside"
        body = delivery.body.decode()
        assert "Wilma" not in body and "Webhook" not in body and "70123" not in body  # names not allowed; no phone
        assert delivery.headers["user-agent"] == "Consulta-Webhooks/1"


def test_the_appointment_system_hears_when_its_patient_leaves_before_being_seen(
    appointments: Appointments, new_page: Any
) -> None:
    app = appointments
    link = _patient_link(app, northside(app.server.demo)["slug"])
    patient = new_page()
    _enter_by_link(patient, link["url"])
    before = len(app.receiver.accepted())
    patient.get_by_role("button", name="Leave the waiting area").click()
    _received(app, "consultation.left")

    left = [delivery for delivery in app.receiver.accepted()[before:] if delivery.type == "consultation.left"]
    assert len(left) == 1 and left[0].verified
    assert left[0].payload["data"]["external_reference"] == REFERENCE
    assert left[0].payload["data"]["consultation_id"] == _consultation_of(app, "consultation.entered", -1)


def _consultation_of(app: Appointments, kind: str, index: int) -> int:
    """The consultation id of the `index`th accepted message of `kind`."""
    return int([d for d in app.receiver.accepted() if d.type == kind][index].payload["data"]["consultation_id"])


def test_an_admin_adds_an_endpoint_from_the_keyboard_and_the_pages_pass_axe(
    appointments: Appointments, new_page: Any
) -> None:
    app = appointments
    admin = new_page()
    login(admin, app.server.demo, "organisation_admin")
    admin.goto(f"{app.server.url}/o/{ORGANISATION['slug']}/")
    admin.get_by_role("navigation", name="Organisation").get_by_role("link", name="Webhooks").click()
    expect(admin.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    assert_no_axe_violations(admin)

    # A mistake first: the form says what is wrong and keeps what was typed.
    admin.get_by_label("URL").fill("ftp://bookings.example.org/hooks")
    admin.get_by_label("Description").fill("Bookings")
    admin.get_by_role("button", name="Add the endpoint").click()
    expect(admin.get_by_text("Enter an http or https URL.")).to_be_visible()
    expect(admin.get_by_text("Choose at least one event type.")).to_be_visible()
    expect(admin.get_by_label("Description")).to_have_value("Bookings")
    assert_no_axe_violations(admin)

    admin.get_by_label("URL").fill(app.receiver.url)
    admin.get_by_label("Caller entered the waiting area (consultation.entered)").press("Space")
    admin.get_by_label("Only these:").check()
    admin.get_by_label("Harbour Clinic").check()
    admin.get_by_role("button", name="Add the endpoint").press("Enter")
    expect(admin.get_by_role("heading", name="Webhook endpoint: Bookings")).to_be_visible()
    secret = admin.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    expect(admin.get_by_text("Nothing has been sent to this endpoint yet.")).to_be_visible()
    expect(admin.get_by_role("status")).to_contain_text("added")  # axe with the one-time message shown
    assert_no_axe_violations(admin)

    admin.get_by_role("button", name="Rotate secret").click()
    expect(admin.locator("#webhook-secret")).not_to_have_text(secret)

    # The receiver takes the new secret; a test event from the page arrives signed with it.
    rotated = admin.locator("#webhook-secret").inner_text()
    app.receiver.secret = rotated
    admin.get_by_role("button", name="Send a test event").click()
    _received(app, "webhook.test")
    [test_message] = [delivery for delivery in app.receiver.accepted() if delivery.type == "webhook.test"]
    assert test_message.verified and test_message.msg_id.startswith("msg_test_")
    admin.reload()
    expect(admin.get_by_role("row", name=re.compile(test_message.msg_id))).to_contain_text("Delivered")
