"""The patient's whole path in every language: each page carries the language's `lang` and
`dir`, and no English sentence of the English page is left in it (names and the product's
name aside). The choice lasts: a reload, the patient's socket and the dashboard card follow
the consultation's language."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from consulta.consultations import actions
from consulta.consultations.models import CallInvite, Consultation
from consulta.consultations.queries import card
from consulta.core.languages import BY_CODE, LANGUAGES, TRANSLATED, Language
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db

PATIENT = {"first_name": "Astrid", "last_name": "Aalto", "phone": "070-123 45 67", "accept_terms": "on"}
NAMES = ("Astrid", "Aalto", "Alder Clinic", "Consulting room", "Consulta", "Ingrid")
WORD = re.compile(r"[^\W\d_]{2,}")


class PageText(HTMLParser):
    """What a reader sees or hears of a page: its text, the labels its scripts show (the
    page-data JSON), and the accessible names in attributes. The picker's language names
    are names, not English."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.stack: list[str] = []
        self.lang = self.dir = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang, self.dir = values.get("lang") or "", values.get("dir") or ""
        if tag not in ("br", "input", "img", "meta", "link", "source"):
            self.stack.append(tag)
        for name in ("aria-label", "title", "placeholder", "alt", "data-call-heading"):
            if values.get(name):
                self.texts.append(str(values[name]))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        inside = self.stack[-1] if self.stack else ""
        if inside == "script":
            self.texts += _json_strings(data)
        elif inside not in ("style", "option") and data.strip():
            self.texts.append(data)


def _json_strings(data: str) -> list[str]:
    try:
        loaded = json.loads(data)
    except ValueError:
        return []
    found: list[str] = []
    stack = [loaded]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str) and " " in item and not item.startswith(("/", "http", "ws")):
            found.append(item)
    return found


def read(html: str) -> PageText:
    page = PageText()
    page.feed(html)
    return page


def sentences(page: PageText) -> set[str]:
    """The English page's texts of three words or more, with names and placeholders taken out."""
    found = set()
    for text in page.texts:
        for name in NAMES:
            text = text.replace(name, " ")
        text = re.sub(r"%\(\w+\)\w|\s+", " ", text).strip()
        if len(WORD.findall(text)) >= 3:
            found.add(text)
    return found


def walk(client: Client, world: World, accept: str) -> dict[str, str]:
    """Every page of the patient's path, and the guest's and invitee's, as `accept` asks."""
    entry_url = reverse("consultations:entry", args=["alder"])
    pages = {"entry": client.get(entry_url, HTTP_ACCEPT_LANGUAGE=accept)}
    pages["entry_refused"] = client.post(entry_url, {"first_name": ""}, HTTP_ACCEPT_LANGUAGE=accept)
    pages["precall"] = client.get(reverse("precall:clinic_page", args=["alder"]), HTTP_ACCEPT_LANGUAGE=accept)
    entered = client.post(entry_url, PATIENT, HTTP_ACCEPT_LANGUAGE=accept)
    assert entered.status_code == 302, entered.content.decode()[:500]
    space_url = entered.headers["Location"]
    pages["space"] = client.get(space_url, HTTP_ACCEPT_LANGUAGE=accept)
    consultation = Consultation.objects.get(first_name="Astrid")
    invite = actions.invite_to_call(consultation, world.member, interpreter=True)
    pages["invitee"] = client.get(
        reverse("consultations:join_by_invite", args=[invite.token]), HTTP_ACCEPT_LANGUAGE=accept
    )
    pages["left"] = client.post(space_url.rstrip("/") + "/leave/", HTTP_ACCEPT_LANGUAGE=accept)
    pages["space_gone"] = client.get(space_url, HTTP_ACCEPT_LANGUAGE=accept)
    guest_url = reverse("rooms:guest", args=[world.guest_link.token])
    pages["guest"] = client.get(guest_url, HTTP_ACCEPT_LANGUAGE=accept)
    area = world.clinic_a.waiting_area
    area.is_enabled = False
    area.save(update_fields=["is_enabled"])
    pages["closed"] = client.get(entry_url, HTTP_ACCEPT_LANGUAGE=accept)
    area.is_enabled = True
    area.save(update_fields=["is_enabled"])
    CallInvite.objects.all().delete()
    return {name: response.content.decode() for name, response in pages.items()}


_english: dict[str, set[str]] = {}


def english(world: World) -> dict[str, set[str]]:
    if not _english:
        for name, html in walk(Client(), world, "en").items():
            _english[name] = sentences(read(html))
        assert all(_english.values()), {name: len(texts) for name, texts in _english.items()}
    return _english


@pytest.mark.parametrize("language", TRANSLATED, ids=[language.code for language in TRANSLATED])
def test_the_patient_path_is_wholly_in_the_language(world: World, language: Language) -> None:
    expected = english(world)
    left_in_english = {}
    for name, html in walk(Client(), world, language.code).items():
        page = read(html)
        assert (page.lang, page.dir) == (language.code, language.direction), f"{name} of {language.code}"
        shown = " ".join(re.sub(r"\s+", " ", text) for text in page.texts)
        english_left = sorted(sentence for sentence in expected[name] if sentence in shown)
        if english_left:
            left_in_english[name] = english_left[:5]
    assert not left_in_english, f"English left in {language.code}: {left_in_english}"


def test_the_english_baseline_catches_english(world: World) -> None:
    """The check can fail: an English sentence put into the Arabic page is found."""
    page = walk(Client(), world, "ar")["entry"]
    shown = " ".join(read(page.replace("</main>", "<p>Please wait here for your clinician.</p></main>")).texts)
    assert "Please wait here for your clinician." in shown
    english_page = " ".join(read(walk(Client(), world, "en")["entry"]).texts)
    assert any(sentence in english_page for sentence in english(world)["entry"])


def test_the_consultation_keeps_the_patients_language(world: World) -> None:
    """Entered in Arabic, the space stays Arabic whatever the browser asks next; the picker
    changes it for the consultation, and the card says so."""
    client = Client()
    entry_url = reverse("consultations:entry", args=["alder"])
    space_url = client.post(entry_url, PATIENT, HTTP_ACCEPT_LANGUAGE="ar").headers["Location"]
    consultation = Consultation.objects.get(first_name="Astrid")
    assert consultation.language == "ar"
    assert card(consultation).language == "ar"
    again = read(client.get(space_url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert (again.lang, again.dir) == ("ar", "rtl")
    client.post(reverse("set_language"), {"language": "ti", "next": space_url})
    consultation.refresh_from_db()
    assert consultation.language == "ti"
    assert read(client.get(space_url).content.decode()).lang == "ti"


def test_a_staff_members_language_is_kept_on_their_account(world: World) -> None:
    client = client_for(world.member)
    home = reverse("core:home")
    client.post(reverse("set_language"), {"language": "fi", "next": home})
    world.member.refresh_from_db()
    assert world.member.language == "fi"
    other_browser = client_for(world.member)  # no cookie: the account decides
    assert read(other_browser.get(home, HTTP_ACCEPT_LANGUAGE="de").content.decode()).lang == "fi"


def test_an_unknown_language_changes_nothing(world: World) -> None:
    client = client_for(world.member)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert world.member.language == ""


def test_the_picker_is_on_every_patient_page_in_every_name(world: World) -> None:
    for name, html in walk(Client(), world, "ar").items():
        assert 'class="language-picker prominent"' in html, name
        for language in LANGUAGES:
            direction = ' dir="rtl"' if language.direction == "rtl" else ""
            assert f'<option value="{language.code}" lang="{language.code}"{direction}' in html, (
                name,
                language.code,
            )
        assert 'class="site-nav"' in html and "language-picker prominent" in html.split("<main", 1)[1], name


def test_an_interpreter_invitation_notes_the_patients_language(world: World) -> None:
    client = Client()
    client.post(reverse("consultations:entry", args=["alder"]), PATIENT, HTTP_ACCEPT_LANGUAGE="ar")
    consultation = Consultation.objects.get(first_name="Astrid")
    team = client_for(world.member)
    url = reverse("consultations:invite", args=["alder", consultation.pk])
    answer = team.post(url, {"interpreter": "1"}, HTTP_ACCEPT="application/json").json()
    assert answer["ok"] and "Arabic" in answer["message"] and "العربية" in answer["message"]
    invite = CallInvite.objects.get()
    assert invite.interpreter_language == "ar"
    page = Client().get(answer["url"].replace("http://testserver", ""), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are asked to interpret: the patient speaks <bdi>العربية (Arabic)</bdi>." in page
    plain = team.post(url, {}, HTTP_ACCEPT="application/json").json()
    assert CallInvite.objects.exclude(interpreter_language="").count() == 1, plain


def test_the_dashboard_names_every_language_for_its_reader(world: World) -> None:
    page = client_for(world.member).get(reverse("consultations:dashboard", args=["alder"]), HTTP_ACCEPT_LANGUAGE="sv")
    data = page.context["page_data"]
    assert set(data["languages"]) == {code for code, _name in settings.LANGUAGES}
    assert data["languages"]["ar"][0] == "العربية"
    assert BY_CODE["ar"].english == "Arabic"


def test_a_flood_of_language_choices_is_refused_with_when_to_try_again(world: World) -> None:
    client = Client()
    url = reverse("set_language")
    for _ in range(60):
        assert client.post(url, {"language": "en", "next": "/"}).status_code == 302
    refused = client.post(url, {"language": "en", "next": "/"})
    assert refused.status_code == 429
    assert "try again" in refused.content.decode()
