"""The waiting area as patients and clinicians use it, in real browsers against the real server.

Each test follows one person's path: keeping one's place across a reload, hold and
resume, a message from the clinic, a transfer to another clinic, privacy between two
waiting patients (judged by every WebSocket frame their browsers receive), the call's
limit of six, closed hours, the dashboard's live alert, search and sort, and the
one-click link. The live server is shared by the whole session: every patient has a
name of their own and leaves at the end, and every changed setting is put back.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Error, Locator, Page, WebSocket, expect

from tests.e2e.helpers import login
from tests.e2e.media import wait_for_decoded_video
from tests.e2e.test_consultation_flow import (
    PEERS,
    caller_card,
    end_from_call,
    enter_waiting_area,
    in_call_panel,
    join_from_dashboard,
    northside,
)

SPACE_URL = re.compile(r"/consultation/[\w-]+/$")
CLINIC_TIME_ZONE = ZoneInfo("Europe/Stockholm")  # the demo organisation's
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def clinic_named(demo: dict[str, Any], slug: str) -> dict[str, Any]:
    return next(c for c in demo["clinics"] if c["slug"] == slug)


def unique_last_name() -> str:
    """A surname no other test uses: letters only, so no number in it can pass for an id."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8)).capitalize()


@dataclass
class Patient:
    page: Page
    first: str
    last: str
    url: str = ""  # their own space, /consultation/<token>/

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def token(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    @property
    def space(self) -> Locator:
        return self.page.locator("#patient-space")


@dataclass
class WaitingPatients:
    """Patients who entered in this test; each leaves the waiting area when the test ends."""

    new_page: Callable[..., Page]
    clinic: dict[str, Any]
    entered: list[Patient] = field(default_factory=list)

    def enter(self, first: str, clinic: dict[str, Any] | None = None, page: Page | None = None) -> Patient:
        """A new person (their own browser context, unless `page`) enters through the entry form."""
        patient = Patient(page or self.new_page(), first, unique_last_name())
        enter_waiting_area(patient.page, clinic or self.clinic, patient.first, patient.last)
        return self.track(patient)

    def track(self, patient: Patient) -> Patient:
        patient.page.wait_for_url(SPACE_URL)
        patient.url = patient.page.url
        self.entered.append(patient)
        return patient

    def leave_all(self) -> None:
        # Through the leave form's endpoint, with the patient's own cookies: whatever state
        # the page is in (ended, reloaded, closed tab), the consultation ends as "left".
        for patient in self.entered:
            context = patient.page.context
            try:
                csrf = next((c["value"] for c in context.cookies() if c["name"] == "csrftoken"), "")
                response = context.request.post(
                    patient.url + "leave/", form={"csrfmiddlewaretoken": csrf}, headers={"Referer": patient.url}
                )
            except Error:
                continue  # the context is gone already: the server's grace period ends it
            # 200 also when the consultation had ended already; anything else left it waiting.
            assert response.status == 200, f"{patient.name} could not leave: status {response.status}"


@pytest.fixture
def patients(new_page: Callable[..., Page], demo: dict[str, Any]) -> Iterator[WaitingPatients]:
    # Set up after new_page, so torn down before it closes the contexts.
    waiting = WaitingPatients(new_page, northside(demo))
    try:
        yield waiting
    finally:
        waiting.leave_all()


def open_dashboard(page: Page, clinic: dict[str, Any]) -> None:
    page.goto(clinic["dashboard_url"])
    expect(page.locator("#live-state")).to_have_attribute("data-state", "open")


def clinician_dashboard(
    new_page: Callable[..., Page], demo: dict[str, Any], role: str = "team_member", clinic: str | None = "northside"
) -> Page:
    page = new_page()
    login(page, demo, role, clinic)
    open_dashboard(page, northside(demo))
    return page


def waiting_since(card: Locator) -> str:
    since = card.locator(".caller-wait").get_attribute("data-since")
    assert since, "A caller card without its waiting-since"
    return since


def card_before(page: Page, first: Patient, second: Patient) -> Locator:
    """The card of `second`, if it comes after the card of `first` in the list."""
    return page.locator(f'li.caller:has(h2:text-is("{first.name}")) ~ li.caller:has(h2:text-is("{second.name}"))')


def expect_waiting(patient: Patient) -> None:
    expect(patient.space).to_have_attribute("data-state", "waiting")
    expect(patient.page.locator("#status-text")).to_have_text("Your clinician will be with you soon. Please wait here.")


def end_from_call_page(clinician: Page, clinic: dict[str, Any]) -> None:
    end_from_call(clinician)
    assert clinician.url == clinic["dashboard_url"]


# --- 1. Reload keeps the place --------------------------------------------------------------


def test_reload_and_reopened_tab_keep_the_place(new_page, demo, patients) -> None:
    clinic = northside(demo)
    first = patients.enter("Reload")
    later = patients.enter("Later")
    clinician = clinician_dashboard(new_page, demo)

    card = caller_card(clinician, first.name)
    expect(card).to_have_attribute("data-status", "waiting")
    since = waiting_since(card)
    expect(card_before(clinician, first, later)).to_have_count(1)

    def still_in_place() -> None:
        expect_waiting(first)
        expect(card).to_have_count(1)
        expect(card.locator(".caller-wait")).to_have_attribute("data-since", since)
        expect(card_before(clinician, first, later)).to_have_count(1)
        # Connected again: the dashboard does not show them as gone.
        expect(card.locator(".caller-offline")).to_have_count(0)

    first.page.reload()
    still_in_place()

    # The tab closed and the same address opened again, in the same browser.
    context = first.page.context
    first.page.close()
    first.page = context.new_page()
    first.page.goto(first.url)
    still_in_place()

    # The clinic's link, opened again, leads back to the same place rather than a new entry.
    first.page.goto(clinic["waiting_area_url"])
    expect(first.page).to_have_url(first.url)
    still_in_place()


# --- 2. Hold and resume ---------------------------------------------------------------------


def test_hold_then_resume_restarts_the_video(new_page, demo, patients) -> None:
    clinic = northside(demo)
    patient = patients.enter("Holly")
    clinician = clinician_dashboard(new_page, demo)
    join_from_dashboard(clinician, patient.name)
    wait_for_decoded_video(clinician, PEERS, min_frames=5, timeout_s=45)
    wait_for_decoded_video(patient.page, PEERS, min_frames=5, timeout_s=45)

    in_call_panel(clinician).get_by_role("button", name="Put on hold").click()
    clinician.wait_for_url(clinic["dashboard_url"])
    expect(clinician.locator("#call-view")).to_be_hidden()
    card = caller_card(clinician, patient.name)
    expect(card).to_have_attribute("data-status", "on_hold")
    expect(card.locator(".caller-status")).to_have_text("On hold")

    expect(patient.space).to_have_attribute("data-state", "on_hold")
    expect(patient.page.locator("#status-text")).to_have_text(
        "You are on hold. Your clinician will be back with you soon."
    )
    # No call left on the patient's side: no call view, no video, no peer connection.
    expect(patient.page.locator("#call-view")).to_be_hidden()
    expect(patient.page.locator("#call-view video")).to_have_count(0)
    assert patient.page.evaluate(f"({PEERS}).length") == 0

    join_from_dashboard(clinician, patient.name, button="Resume")
    expect(patient.space).to_have_attribute("data-state", "in_call")
    # New connections: their frame counts must start and keep growing on both sides.
    for page in (clinician, patient.page):
        started = wait_for_decoded_video(page, PEERS, min_frames=1, timeout_s=45)
        wait_for_decoded_video(page, PEERS, min_frames=min(started) + 10, timeout_s=30)

    # A message sent during the call reaches the patient's screen too.
    panel = in_call_panel(clinician)
    panel.get_by_label("Message to the patient").fill("Please turn up your volume")
    panel.get_by_role("button", name="Send message").click()
    expect(patient.page.get_by_text("Please turn up your volume")).to_be_visible()

    end_from_call_page(clinician, clinic)
    expect(patient.space).to_have_attribute("data-state", "ended")


# --- 3. A message to one waiting patient ----------------------------------------------------


def test_message_reaches_only_its_patient(new_page, demo, patients) -> None:
    late = patients.enter("Nora")
    other = patients.enter("Otto")
    clinician = clinician_dashboard(new_page, demo)
    expect(caller_card(clinician, other.name)).to_be_visible()

    def send(patient: Patient, text: str) -> None:
        card = caller_card(clinician, patient.name)
        card.get_by_role("button", name="Send message").click()
        card.get_by_label(f"Message to {patient.name}").fill(text)
        card.get_by_role("button", name="Send", exact=True).click()
        expect(clinician.locator("#action-result")).to_have_text(f"Message shown to {patient.name}.")

    send(late, "We are running 5 minutes late")
    expect(late.page.locator("#notices li")).to_have_text(["We are running 5 minutes late"])
    expect(late.page.get_by_text("We are running 5 minutes late")).to_be_visible()
    expect(other.page.locator("#notices li")).to_have_count(0)

    # The other patient's own message, sent after, is the first and only one they get:
    # had the first leaked to them, it would have arrived before this one.
    send(other, "You are next")
    expect(other.page.locator("#notices li")).to_have_text(["You are next"])
    expect(late.page.locator("#notices li")).to_have_text(["We are running 5 minutes late"])


# --- 4. Transfer to another clinic ----------------------------------------------------------


def test_organisation_admin_transfers_a_caller_to_harbour(new_page, demo, patients) -> None:
    harbour = clinic_named(demo, "harbour")
    patient = patients.enter("Tove")
    northside_page = clinician_dashboard(new_page, demo, "organisation_admin", None)
    harbour_page = northside_page.context.new_page()
    open_dashboard(harbour_page, harbour)

    card = caller_card(northside_page, patient.name)
    since = waiting_since(card)
    expect(caller_card(harbour_page, patient.name)).to_have_count(0)
    card.get_by_label(f"Transfer {patient.name} to").select_option(label=harbour["name"])
    card.get_by_role("button", name="Transfer", exact=True).click()
    expect(northside_page.locator("#action-result")).to_have_text(
        f"{patient.name} moved to the waiting area of {harbour['name']}."
    )

    expect(card).to_have_count(0)
    moved = caller_card(harbour_page, patient.name)
    expect(moved).to_have_attribute("data-status", "waiting")
    expect(moved.locator(".caller-wait")).to_have_attribute("data-since", since)

    # The patient, still waiting, now sees that they wait for Harbour Clinic: live, and after a reload.
    expect_waiting(patient)
    heading = patient.page.locator("#waiting-heading")
    expect(heading).to_have_text(f"You are in the waiting area of {harbour['name']}")
    expect(patient.page).to_have_title(re.compile("^" + re.escape(harbour["name"]) + " · "))
    patient.page.reload()
    expect_waiting(patient)
    expect(heading).to_have_text(f"You are in the waiting area of {harbour['name']}")


# --- 5. What reaches each patient's browser -------------------------------------------------


def capture_frames(page: Page) -> list[str]:
    """Every WebSocket frame the page receives from now on, on any of its sockets."""
    frames: list[str] = []

    def on_socket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, str) else repr(payload)))

    page.on("websocket", on_socket)
    return frames


def leaks(frames: list[str], patient: Patient, consultation_id: int) -> list[str]:
    """The frames that mention `patient`: their name, token, or consultation id."""
    found = []
    words = (patient.name, patient.last, patient.token)
    id_keys = {"id", "consultation_id", "in_call_with"}

    def mentions(value: Any, key: str = "") -> bool:
        if isinstance(value, dict):
            return any(mentions(v, k) for k, v in value.items())
        if isinstance(value, list):
            return any(mentions(v, key) for v in value)
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return key in id_keys and value == consultation_id
        if isinstance(value, str):
            return value == str(consultation_id) or any(word in value for word in words)
        return False

    for frame in frames:
        try:
            message = json.loads(frame)
        except ValueError:
            message = frame
        if any(word in frame for word in words) or mentions(message):
            found.append(frame)
    return found


def test_each_patients_browser_receives_nothing_about_the_other(new_page, demo, patients) -> None:
    clinic = northside(demo)
    pages = {who: new_page() for who in ("a", "b")}
    frames = {who: capture_frames(page) for who, page in pages.items()}
    a = patients.enter("Alva", page=pages["a"])
    b = patients.enter("Bruno", page=pages["b"])

    clinician = clinician_dashboard(new_page, demo)
    card_a, card_b = caller_card(clinician, a.name), caller_card(clinician, b.name)
    ids = {"a": int(card_a.get_attribute("data-id") or 0), "b": int(card_b.get_attribute("data-id") or 0)}
    assert all(ids.values())

    for patient, card, text in ((a, card_a, "Your results are in"), (b, card_b, "The doctor is running late")):
        card.get_by_role("button", name="Send message").click()
        card.get_by_label(f"Message to {patient.name}").fill(text)
        card.get_by_role("button", name="Send", exact=True).click()
        expect(patient.page.locator("#notices li")).to_have_text([text])

    # A is seen by video and the consultation ends; B's ends from the dashboard.
    join_from_dashboard(clinician, a.name)
    wait_for_decoded_video(a.page, PEERS, min_frames=1, timeout_s=45)
    end_from_call_page(clinician, clinic)
    expect(a.space).to_have_attribute("data-state", "ended")
    clinician.once("dialog", lambda dialog: dialog.accept())
    caller_card(clinician, b.name).get_by_role("button", name="End consultation").click()
    expect(b.space).to_have_attribute("data-state", "ended")

    # The capture saw what each was sent (so an empty capture cannot pass for privacy) ...
    received = {who: [json.loads(f) for f in got if f.startswith("{")] for who, got in frames.items()}
    types_a = {m.get("type") for m in received["a"]}
    assert {"status", "notice", "welcome", "signal"} <= types_a, types_a
    assert {"status", "notice"} <= {m.get("type") for m in received["b"]}
    assert any(m.get("state") == "ended" for m in received["b"])
    # ... and nothing about the other patient.
    assert leaks(frames["b"], a, ids["a"]) == [], "B's browser received frames about A"
    assert leaks(frames["a"], b, ids["b"]) == [], "A's browser received frames about B"


# --- 6. The seventh participant -------------------------------------------------------------

# Join the call over raw sockets, one after the other, until the server refuses one or
# `most` have joined; return every answer (welcome or error). Kept open on window.__raw.
_JOIN_UNTIL_REFUSED = """async ({ url, most }) => {
  window.__raw = window.__raw || [];
  const answers = [];
  for (let i = 0; i < most; i++) {
    const ws = new WebSocket(url);
    window.__raw.push(ws);
    const answer = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer to join_call")), 10000);
      ws.onopen = () => ws.send(JSON.stringify({ type: "join_call" }));
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "welcome" || message.type === "error") {
          clearTimeout(timer);
          ws.onmessage = null;
          resolve(message);
        }
      };
      ws.onclose = (event) => reject(new Error("closed with " + event.code));
    });
    answers.push(answer);
    if (answer.type === "error") break;
  }
  return answers;
}"""

_LEAVE_RAW = """() => {
  for (const ws of window.__raw || []) {
    ws.onclose = null;
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "leave_call" }));
    ws.close(1000);
  }
  window.__raw = [];
}"""


def test_seventh_participant_is_refused(new_page, demo, patients) -> None:
    patient = patients.enter("Sixten")
    clinician = clinician_dashboard(new_page, demo)
    card = caller_card(clinician, patient.name)
    consultation_id = card.get_attribute("data-id")
    join_from_dashboard(clinician, patient.name)
    # Clinician and patient are both in the call (each was welcomed and knows the other).
    for page in (clinician, patient.page):
        expect(page.locator("#call-view")).to_have_attribute("data-state", "in_call")

    # From the clinician's page, more of the team join over raw sockets until the call refuses one.
    url = clinician.evaluate(
        "(path) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`",
        f"/ws/consultations/{consultation_id}/call/",
    )
    answers = clinician.evaluate(_JOIN_UNTIL_REFUSED, {"url": url, "most": 7})
    try:
        already = answers[0].get("peers", [])
        assert sorted(peer["role"] for peer in already) == ["patient", "staff"], answers[0]
        welcomed = [a for a in answers if a["type"] == "welcome"]
        # Two in the call, four more welcomed: six people. The next one, the seventh, is refused.
        assert len(welcomed) == 4, answers
        assert answers[-1]["type"] == "error" and answers[-1]["code"] == "call_full", answers[-1]
        assert len(answers) == 5

        # A clinician opening the call page now is told, in words, that it is full.
        other = new_page()
        login(other, demo, "clinic_admin", "northside")
        other.goto(clinician.url)
        view = other.locator("#call-view")
        expect(view).to_have_attribute("data-state", "full")
        expect(view.locator(".call-status")).to_have_text("This call is full: it already has 6 people.")
        expect(other.locator("#call-view video[data-peer-id]")).to_have_count(0)
    finally:
        clinician.evaluate(_LEAVE_RAW)

    end_from_call_page(clinician, northside(demo))


# --- 7. Closed hours ------------------------------------------------------------------------


def save_settings(page: Page) -> None:
    page.get_by_role("button", name="Save waiting-area settings").click()
    expect(page.get_by_text("Waiting-area settings saved.")).to_be_visible()


def test_closed_waiting_area_and_opening_hours(new_page, demo) -> None:
    clinic = northside(demo)
    admin = new_page()
    login(admin, demo, "clinic_admin", "northside")
    admin.goto(clinic["dashboard_url"])
    admin.get_by_role("navigation", name="Clinic").get_by_role("link", name="Waiting-area settings").click()
    expect(admin.get_by_role("heading", name="Waiting-area settings", exact=True)).to_be_visible()
    settings_url = admin.url
    is_open = admin.get_by_label("Open for patients")
    message = admin.get_by_label("Message when closed")
    was_open, old_message = is_open.is_checked(), message.input_value()
    patient = new_page()
    closed_heading = patient.get_by_role("heading", name=f"{clinic['name']} is closed")

    # Switched off, with a message of the clinic's own.
    closed_text = f"Closed today for staff training ({unique_last_name()}). Call 112 in an emergency."
    try:
        is_open.uncheck()
        message.fill(closed_text)
        save_settings(admin)
        patient.goto(clinic["waiting_area_url"])
        expect(closed_heading).to_be_visible()
        expect(patient.get_by_text(closed_text)).to_be_visible()
        expect(patient.locator("#entry-form")).to_have_count(0)
        expect(patient.get_by_label("First name")).to_have_count(0)
    finally:
        admin.goto(settings_url)
        is_open.set_checked(was_open)
        message.fill(old_message)
        save_settings(admin)

    # Switched on, but open only on another day than today.
    today = datetime.now(CLINIC_TIME_ZONE).weekday()
    other_day = WEEKDAYS[(today + 3) % 7]
    hours = admin.locator("table").filter(has=admin.get_by_role("columnheader", name="Opens"))
    # No hours yet, only the empty row for a new interval: removing every interval restores it.
    expect(hours.locator("tbody tr")).to_have_count(1)
    try:
        row = hours.locator("tbody tr").last
        row.get_by_label("Day").select_option(label=other_day)
        row.get_by_label("Opens").fill("09:00")
        row.get_by_label("Closes").fill("10:00")
        save_settings(admin)

        patient.goto(clinic["waiting_area_url"])
        expect(closed_heading).to_be_visible()
        expect(patient.get_by_role("heading", name="Opening hours")).to_be_visible()
        expect(patient.get_by_role("listitem").filter(has_text=other_day)).to_have_text(f"{other_day} 09:00–10:00")
        expect(patient.get_by_text("Times in Europe/Stockholm.")).to_be_visible()
        expect(patient.locator("#entry-form")).to_have_count(0)
    finally:
        admin.goto(settings_url)
        for remove in admin.get_by_role("checkbox", name="Remove").all():
            remove.check()
        save_settings(admin)

    # Open again, for everyone after this test.
    expect(hours.locator("tbody tr")).to_have_count(1)
    patient.goto(clinic["waiting_area_url"])
    expect(patient.locator("#entry-form")).to_be_visible()
    expect(patient.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)


# --- 8. The dashboard's live alert, search and sort -----------------------------------------


def test_dashboard_counts_new_callers_and_filters_and_sorts(new_page, demo, patients) -> None:
    first = patients.enter("Frida")
    clinician = clinician_dashboard(new_page, demo)
    expect(caller_card(clinician, first.name)).to_be_visible()
    expect(clinician).to_have_title(re.compile(r"^\(\d+\) Waiting area"))
    match = re.match(r"^\((\d+)\)", clinician.title())
    assert match is not None
    waiting_before = int(match.group(1))

    newest = patients.enter("Nils")  # while the dashboard stays open, never reloaded
    expect(caller_card(clinician, newest.name)).to_be_visible()
    expect(clinician).to_have_title(re.compile(rf"^\({waiting_before + 1}\) Waiting area"))
    expect(clinician.locator("li.caller[data-status=waiting]")).to_have_count(waiting_before + 1)

    search = clinician.get_by_label("Search by name")
    cards = clinician.locator("li.caller")
    search.fill(newest.last.lower())
    expect(cards.locator("h2")).to_have_text([newest.name])
    search.fill(first.last.upper())
    expect(cards.locator("h2")).to_have_text([first.name])
    search.fill("")
    expect(cards).to_have_count(waiting_before + 1)

    # Longest wait first by default: the newest caller is last; "Newest first" puts them first.
    expect(cards.last.locator("h2")).to_have_text(newest.name)
    expect(card_before(clinician, first, newest)).to_have_count(1)
    clinician.get_by_label("Sort").select_option(label="Newest first")
    expect(cards.first.locator("h2")).to_have_text(newest.name)
    expect(card_before(clinician, newest, first)).to_have_count(1)


# --- 9. The one-click link ------------------------------------------------------------------


def test_one_click_link_fills_in_the_entry_form(new_page, demo, patients) -> None:
    clinic = northside(demo)
    clinician = clinician_dashboard(new_page, demo)
    first, last, phone = "Petra", unique_last_name(), "070-765 43 21"
    clinician.get_by_text("Make a one-click link for a patient").click()
    form = clinician.locator("#prefill-form")
    form.get_by_label("First name").fill(first)
    form.get_by_label("Last name").fill(last)
    form.get_by_label("Phone number").fill(phone)
    form.get_by_role("button", name="Make link").click()
    link_field = clinician.get_by_label("Link for the patient")
    expect(link_field).to_have_value(re.compile("^" + re.escape(clinic["waiting_area_url"]) + r"\?p=\S+$"))
    link = link_field.input_value()
    # An opaque reference: the details stay on the server, not in the link (nor base64 of them).
    assert re.fullmatch(re.escape(clinic["waiting_area_url"]) + r"\?p=[A-Za-z0-9_-]{43}", link), link
    reference = base64.urlsafe_b64decode(link.split("?p=", 1)[1] + "=")
    for secret in (first, last, "765 43 21", "7654321"):
        assert secret not in link
        assert secret.encode() not in reference

    page = new_page()
    page.goto(link)
    expect(page.get_by_label("First name")).to_have_value(first)
    expect(page.get_by_label("Last name")).to_have_value(last)
    expect(page.get_by_label("Phone number")).to_have_value(phone)

    # One click more (the terms) and they are in, under the name the clinic gave.
    expect(page.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)
    page.get_by_label("I have read and accept the terms of use").check()
    page.get_by_role("button", name="Enter the waiting area").click()
    patient = patients.track(Patient(page, first, last))
    expect_waiting(patient)
    card = caller_card(clinician, patient.name)
    expect(card).to_contain_text("+46707654321")
