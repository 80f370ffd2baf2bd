"""Every patient in their own language, in a real browser.

A patient whose browser asks for Arabic goes from the clinic's link through the device
check, the wait and the call to the end screen in Arabic, right to left, on a phone-sized
screen; the clinician's dashboard stays English, the card naming the patient's language.
Then the patient pages (and the dashboard) in Arabic and in Finnish, a language of long
words, at phone and desktop sizes: nothing overflows or overlaps, and axe finds nothing.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import polib
import pytest
from playwright.sync_api import Page, expect

from consulta.core import catalogues
from consulta.core.languages import BY_CODE, TRANSLATED
from tests.e2e.helpers import assert_no_axe_violations, login
from tests.e2e.media import wait_for_decoded_video
from tests.e2e.test_consultation_flow import PEERS, caller_card, end_from_call, join_from_dashboard, northside

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WAIT_HERE = "Your clinician will be with you soon. Please wait here."


@functools.cache
def _catalogue(code: str) -> dict[str, str]:
    entries = polib.pofile(str(catalogues.catalogue_path(BY_CODE[code])))
    return {entry.msgid: entry.msgstr for entry in entries if entry.msgstr}


def tr(code: str, english: str) -> str:
    """The catalogue's translation, which the page must show (the test fails on a gap)."""
    return english if code == "en" else _catalogue(code)[english]


def label(code: str, english: str) -> re.Pattern[str]:
    """A field's whole label, with the language's own label suffix (":", " :", "："): "Nom"
    must not also find "Prénom"."""
    return re.compile(r"^\s*" + re.escape(tr(code, english)) + r"\s*[:：]?\s*$")


def assert_direction(page: Page, code: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", code)
    expect(page.locator("html")).to_have_attribute("dir", BY_CODE[code].direction)


# Elements whose boxes must neither spill out of their own box nor cover another's.
LAYOUT_PROBLEMS = """() => {
  const root = document.documentElement;
  const problems = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    problems.push(`page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
  }
  const selector = ["h1", "h2", "p", "label", "button", "a", "select", "input", "li", "dt", "dd", "legend"]
    .map((tag) => `main ${tag}`).join(", ");
  const shown = [...document.querySelectorAll(selector)].filter((node) => {
    if (node.closest("[hidden], [inert], .visually-hidden")) return false;
    // A closed <details>: its content is laid out but not shown.
    if (!node.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) return false;
    const box = node.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  const describe = (node) => {
    const text = (node.textContent || node.value || "").trim().slice(0, 40);
    return `${node.tagName.toLowerCase()}${node.id ? "#" + node.id : ""} "${text}"`;
  };
  for (const node of shown) {
    const spills = node.scrollWidth > node.clientWidth + 2 && node.clientWidth > 0;
    const own = getComputedStyle(node).overflowX === "visible" && !["INPUT", "SELECT"].includes(node.tagName);
    if (spills && own) problems.push(`${describe(node)} overflows its box: ${node.scrollWidth} > ${node.clientWidth}`);
    const box = node.getBoundingClientRect();
    if (box.left < -1 || box.right > root.clientWidth + 1) {
      problems.push(`${describe(node)} is outside the page: ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  // Overlap: two shown elements, neither inside the other, whose boxes cross.
  const leaves = shown.filter((node) => !shown.some((other) => other !== node && node.contains(other)));
  for (let i = 0; i < leaves.length; i += 1) {
    for (let j = i + 1; j < leaves.length; j += 1) {
      const a = leaves[i].getBoundingClientRect();
      const b = leaves[j].getBoundingClientRect();
      const width = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const height = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (width > 2 && height > 2) problems.push(`${describe(leaves[i])} overlaps ${describe(leaves[j])}`);
    }
  }
  return problems;
}"""


def assert_laid_out(page: Page, what: str) -> None:
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert not problems, f"{what} ({page.viewport_size}):\n  " + "\n  ".join(problems[:20])


def enter(patient: Page, clinic: dict[str, Any], code: str, first: str, last: str) -> None:
    """The entry page in `code`, by its translated labels: check, details, terms, enter."""
    patient.goto(clinic["waiting_area_url"])
    assert_direction(patient, code)
    expect(patient.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)
    patient.get_by_label(label(code, "First name")).fill(first)
    patient.get_by_label(label(code, "Last name")).fill(last)
    patient.get_by_label(label(code, "Phone number")).fill("070-123 45 67")
    patient.get_by_label(tr(code, "I have read and accept the terms of use")).check()
    patient.get_by_role("button", name=tr(code, "Enter the waiting area")).click()
    patient.wait_for_url(re.compile(r"/consultation/[\w-]+/$"))
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "waiting")


def test_an_arabic_patient_is_seen_in_arabic_right_to_left_on_a_phone(new_page, demo, browser_problems) -> None:
    clinic = northside(demo)
    patient = new_page(locale="ar", viewport=PHONE, is_mobile=True, has_touch=True)
    enter(patient, clinic, "ar", "Layla", "Haddad")
    assert_direction(patient, "ar")
    expect(patient.locator("#status-text")).to_have_text(tr("ar", WAIT_HERE))
    expect(patient.locator(".language-picker.prominent select")).to_have_value("ar")
    assert_laid_out(patient, "the Arabic waiting screen")
    assert_no_axe_violations(patient)

    # A reload keeps the place and the language, even with the browser now asking for English.
    patient.context.set_extra_http_headers({"Accept-Language": "en"})
    patient.reload()
    assert_direction(patient, "ar")
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "waiting")

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    assert_direction(clinician, "en")
    card = caller_card(clinician, "Layla Haddad")
    expect(card.locator(".caller-language")).to_have_text("العربية (Arabic)")
    expect(card.locator(".caller-language bdi")).to_have_attribute("lang", "ar")

    join_from_dashboard(clinician, "Layla Haddad")
    assert min(wait_for_decoded_video(patient, PEERS, min_frames=5, timeout_s=45)) >= 5
    assert min(wait_for_decoded_video(clinician, PEERS, min_frames=5, timeout_s=45)) >= 5
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "in_call")
    assert_direction(patient, "ar")
    expect(patient.locator("#call-view").get_by_role("button", name=tr("ar", "Leave call"))).to_be_visible()
    # The leave icon points the way out: mirrored in right-to-left.
    leave_icon = patient.locator('#call-view [data-icon="leave"]').first
    transform = leave_icon.evaluate("(node) => getComputedStyle(node).transform")
    assert transform.startswith("matrix(-1"), transform

    end_from_call(clinician)
    expect(patient.get_by_role("heading", name=tr("ar", "The consultation has ended"))).to_be_visible()
    assert_direction(patient, "ar")
    assert_laid_out(patient, "the Arabic end screen")
    assert_no_axe_violations(patient)
    browser_problems.allow(r"status of 404")


def test_what_was_typed_survives_a_change_of_language(new_page, demo) -> None:
    clinic = northside(demo)
    patient = new_page(viewport=PHONE)
    patient.goto(clinic["waiting_area_url"])
    patient.get_by_label("First name").fill("Tesfay")
    patient.get_by_label("Phone number").fill("070-123 45 67")
    picker = patient.locator(".language-picker.prominent")
    picker.locator("select").select_option("ti")
    picker.get_by_role("button", name="Change language").click()
    assert_direction(patient, "ti")
    expect(patient.get_by_label(label("ti", "First name"))).to_have_value("Tesfay")
    expect(patient.get_by_label(label("ti", "Phone number"))).to_have_value("070-123 45 67")
    expect(patient.get_by_label(label("ti", "Last name"))).to_have_value("")
    patient.reload()  # once only: a later load starts empty
    expect(patient.get_by_label(label("ti", "First name"))).to_have_value("")


def test_a_patient_changes_language_with_the_picker_and_keeps_it(new_page, demo) -> None:
    clinic = northside(demo)
    patient = new_page(viewport=PHONE)
    enter(patient, clinic, "en", "Tesfay", "Gebre")
    picker = patient.locator(".language-picker.prominent")
    picker.locator("select").select_option("ti")
    picker.get_by_role("button", name="Change language").click()
    assert_direction(patient, "ti")
    expect(patient.locator("#patient-space")).to_have_attribute("data-state", "waiting")
    expect(patient.locator("#status-text")).to_have_text(tr("ti", WAIT_HERE))

    clinician = new_page()
    login(clinician, demo, "team_member", "northside")
    clinician.goto(clinic["dashboard_url"])
    card = caller_card(clinician, "Tesfay Gebre")
    expect(card.locator(".caller-language")).to_have_text("ትግርኛ (Tigrinya)")
    card.get_by_role("button", name="Invite an interpreter").click()
    expect(clinician.locator("#action-result")).to_contain_text("Interpreter invitation for ትግርኛ (Tigrinya) ready")
    link = clinician.get_by_label("Interpreter invitation link")
    expect(link).to_have_value(re.compile(r"/join/[\w-]+/$"))
    interpreter = new_page()
    interpreter.goto(link.input_value())
    expect(interpreter.locator(".interpreter-language")).to_contain_text("ትግርኛ (Tigrinya)")
    assert_no_axe_violations(clinician)


@pytest.mark.parametrize("code", ["ar", "fi"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_pages_lay_out_in_arabic_and_finnish(
    new_page, demo, browser_problems, code: str, viewport: dict[str, int]
) -> None:
    clinic = northside(demo)
    patient = new_page(locale=code, viewport=viewport)
    patient.goto(clinic["waiting_area_url"])
    expect(patient.locator("#entry-form")).to_have_attribute("data-checks", "passed", timeout=20_000)
    # A refused form: the errors are in the language and in their place.
    patient.get_by_role("button", name=tr(code, "Enter the waiting area")).click()
    expect(patient.locator(".errors").first).to_be_visible()
    browser_problems.allow(r"status of 400")  # the refused form's answer
    assert_direction(patient, code)
    assert_laid_out(patient, f"the entry page in {code}, refused")
    assert_no_axe_violations(patient)
    enter(patient, clinic, code, "Aino", "Äijälä-Hyvärinen")
    assert_laid_out(patient, f"the waiting screen in {code}")
    assert_no_axe_violations(patient)
    patient.get_by_role("button", name=tr(code, "Leave the waiting area")).click()
    expect(patient.locator("main h1")).to_be_visible()
    assert_laid_out(patient, f"the page after leaving in {code}")
    assert_no_axe_violations(patient)

    if viewport is DESKTOP:
        staff = new_page(locale=code, viewport=viewport)  # the browser's language, not the account's
        login(staff, demo, "team_member", "northside")
        staff.goto(clinic["dashboard_url"])
        assert_direction(staff, code)
        expect(staff.locator("#callers")).to_be_attached()
        assert_laid_out(staff, f"the dashboard in {code}")
        assert_no_axe_violations(staff)


@pytest.mark.parametrize("code", [language.code for language in TRANSLATED])
def test_every_language_on_a_phone(new_page, demo, code: str) -> None:
    """From the link to the page after leaving, by the translated labels, on a phone: the
    language's direction throughout, and nothing spilling out or covering anything."""
    clinic = northside(demo)
    patient = new_page(locale=code, viewport=PHONE, is_mobile=True, has_touch=True)
    enter(patient, clinic, code, "Aino", "Äijälä-Hyvärinen")
    expect(patient.locator("#status-text")).to_have_text(tr(code, WAIT_HERE))
    assert_laid_out(patient, f"the waiting screen in {code}")
    patient.get_by_role("button", name=tr(code, "Leave the waiting area")).click()
    expect(patient.get_by_text(tr(code, "You have left the waiting area."))).to_be_visible()
    assert_direction(patient, code)
    assert_laid_out(patient, f"the page after leaving in {code}")
