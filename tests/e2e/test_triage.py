"""Triage in real browsers: a clinician marks a waiting caller urgent, and the queue follows.

Two patients wait; the second is marked urgent from the dashboard's card (a reason from a
list, by keyboard). Their card moves first with its badge, on this dashboard and live on
another; the first patient's own page says their place changed from 1 to 2, and nothing
more. Clearing it puts everything back. The clinic's "show the place" setting is put back.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from consulta.testing import wait_until
from tests.e2e.helpers import assert_no_axe_violations, login
from tests.e2e.test_consultation_flow import caller_card, northside
from tests.e2e.test_waiting_area import (
    Patient,
    WaitingPatients,
    card_before,
    clinician_dashboard,
    open_dashboard,
    save_settings,
)


@pytest.fixture
def waiting(new_page: Callable[..., Page], demo: dict[str, Any]) -> Iterator[WaitingPatients]:
    # Set up after new_page, so the patients leave before it closes their contexts.
    patients = WaitingPatients(new_page, northside(demo))
    try:
        yield patients
    finally:
        patients.leave_all()


@contextlib.contextmanager
def queue_positions_shown(admin: Page, clinic: dict[str, Any]) -> Iterator[None]:
    """The clinic shows patients their place (the demo's default does not), then as it was."""
    settings_url = clinic["dashboard_url"] + "settings/"
    admin.goto(settings_url)
    shown = admin.get_by_label("Show patients their place in the queue")
    was_shown = shown.is_checked()
    shown.check()
    save_settings(admin)
    try:
        yield
    finally:
        admin.goto(settings_url)
        shown.set_checked(was_shown)
        save_settings(admin)


def expect_place(patient: Patient, number: int) -> None:
    # The estimate, when the clinic has ended calls to go by, follows in the same sentence.
    text = re.compile(rf"^You are number {number} in the queue\.")
    expect(patient.page.locator("#position-text")).to_have_text(text)


def place_of(patient: Patient) -> int | None:
    """The place the patient's page shows now, or None while it shows none."""
    found = re.match(r"You are number (\d+) in the queue\.", patient.page.locator("#position-text").inner_text())
    return int(found.group(1)) if found else None


def place_on_dashboard(dashboard: Page, patient: Patient) -> int:
    """1 + the waiting callers whose cards come before the patient's: their place as the team sees it."""
    return int(
        dashboard.evaluate(
            """(name) => {
                const cards = [...document.querySelectorAll("li.caller")];
                const mine = cards.findIndex((li) => li.querySelector("h2")?.textContent === name);
                return cards.slice(0, mine).filter((li) => li.dataset.status === "waiting").length + 1;
            }""",
            patient.name,
        )
    )


def expect_same_place(dashboard: Page, patient: Patient) -> int:
    """The patient's page and the team's dashboard agree on the patient's place (callers of earlier
    tests may wait ahead, or go while this runs: both screens follow them); that place."""
    wait_until(
        lambda: place_of(patient) == place_on_dashboard(dashboard, patient),
        10,
        lambda: f"{patient.name}: page {place_of(patient)}, dashboard {place_on_dashboard(dashboard, patient)}",
    )
    return place_on_dashboard(dashboard, patient)


def test_the_urgent_caller_goes_first_and_the_other_hears_only_their_new_place(
    new_page: Callable[..., Page], demo: dict[str, Any], waiting: WaitingPatients
) -> None:
    clinic = northside(demo)
    admin = new_page()
    login(admin, demo, "clinic_admin", "northside")
    with queue_positions_shown(admin, clinic):
        first, second = waiting.enter("Ulla"), waiting.enter("Urban")

        clinician = clinician_dashboard(new_page, demo)
        open_dashboard(admin, clinic)  # a second dashboard, left open: it must follow live
        expect(card_before(clinician, first, second)).to_have_count(1)
        assert expect_same_place(clinician, second) == expect_same_place(clinician, first) + 1
        card = caller_card(clinician, second.name)

        # By keyboard: open the form, choose the reason, submit.
        card.get_by_role("button", name="Mark urgent").press("Enter")
        reason = card.get_by_label(f"Why is {second.name} urgent?")
        expect(reason).to_be_focused()
        assert_no_axe_violations(clinician, "#callers")  # the form: labelled, contrasted
        reason.select_option(label="Patient in distress")
        card.get_by_role("button", name="Move to the front of the queue").press("Enter")

        expect(clinician.locator("#action-result")).to_have_text(
            f"{second.name} is marked urgent: Patient in distress."
        )
        for dashboard in (clinician, admin):
            urgent_card = caller_card(dashboard, second.name)
            expect(urgent_card).to_have_attribute("data-urgent", "distress")
            expect(urgent_card.locator(".urgent-badge")).to_have_text("Urgent: Patient in distress")
            expect(dashboard.locator("li.caller").first.locator("h2")).to_have_text(second.name)
            expect(card_before(dashboard, second, first)).to_have_count(1)
        # Not by colour alone: the words above, and an outline around the card.
        assert card.evaluate("li => getComputedStyle(li).outlineStyle") == "solid"
        expect(card.get_by_role("button", name="Not urgent")).to_be_focused()
        assert_no_axe_violations(clinician, "#callers")  # the badge and the outlined card

        # Each patient: only their own new place. Nothing says anyone is urgent.
        expect_place(second, 1)
        assert expect_same_place(clinician, first) >= 2  # behind the urgent caller now
        for patient in (first, second):
            expect(patient.page.locator("#patient-space")).not_to_contain_text(re.compile("urgent|distress", re.I))

        # Cleared: back at their place by arrival, everywhere.
        card.get_by_role("button", name="Not urgent").click()
        expect(card).to_have_attribute("data-urgent", "")
        expect(card.locator(".urgent-badge")).to_have_count(0)
        expect(card_before(admin, first, second)).to_have_count(1)
        assert expect_same_place(clinician, second) == expect_same_place(clinician, first) + 1
