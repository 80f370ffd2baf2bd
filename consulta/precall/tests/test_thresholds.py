"""The waiting area's bandwidth levels on its settings form, and their place in the audit trail."""

from __future__ import annotations

import pytest

from consulta.consultations.forms import WaitingAreaForm
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.rooms.models import WaitingArea
from consulta.testing import World, client_for

pytestmark = pytest.mark.django_db


def form_data(**changes: str) -> dict[str, str]:
    return {
        "is_enabled": "on",
        "closed_message": "",
        "device_check": "warn",
        "bandwidth_warn_kbps": "330",
        "bandwidth_block_kbps": "180",
        **changes,
    }


def settings_post(**changes: str) -> dict[str, str]:
    return {
        **form_data(**changes),
        **{f"hours-{key}": value for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
        **{f"fields-{key}": value for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))},
    }


def area(world: World) -> WaitingArea:
    return WaitingArea.objects.get(clinic=world.clinic_a)  # as saved, not a cached copy


def test_the_defaults_are_healthdirects_levels(world: World) -> None:
    assert (area(world).bandwidth_warn_kbps, area(world).bandwidth_block_kbps) == (330, 180)


@pytest.mark.parametrize(
    ("warn", "block"),
    [("330", "180"), ("500", "500"), ("0", "180"), ("330", "0"), ("0", "0"), ("2000", "1")],
)
def test_valid_levels(world: World, warn: str, block: str) -> None:
    form = WaitingAreaForm(form_data(bandwidth_warn_kbps=warn, bandwidth_block_kbps=block), instance=area(world))
    assert form.is_valid(), form.errors


def test_a_block_level_above_the_warning_level_is_refused(world: World) -> None:
    form = WaitingAreaForm(form_data(bandwidth_warn_kbps="200", bandwidth_block_kbps="300"), instance=area(world))
    assert not form.is_valid()
    assert form.errors["bandwidth_block_kbps"] == ["The block level must not be above the warning level (200 kbit/s)."]


@pytest.mark.parametrize("bad", ["-1", "fast", "1.5"])
def test_a_level_must_be_a_whole_number_of_at_least_zero(world: World, bad: str) -> None:
    form = WaitingAreaForm(form_data(bandwidth_warn_kbps=bad), instance=area(world))
    assert not form.is_valid()
    assert "bandwidth_warn_kbps" in form.errors


def test_the_form_labels_and_explains_the_levels(world: World) -> None:
    form = WaitingAreaForm(instance=area(world))
    assert form.fields["bandwidth_warn_kbps"].label == "Warn patients whose connection is below (kbit/s)"
    assert form.fields["bandwidth_block_kbps"].label == "Block entry when the connection is below (kbit/s)"
    assert "0: no warning" in str(form.fields["bandwidth_warn_kbps"].help_text)
    assert "At most the warning level" in str(form.fields["bandwidth_block_kbps"].help_text)


def test_a_form_posted_without_the_levels_keeps_them(world: World) -> None:
    waiting_area = area(world)
    waiting_area.bandwidth_warn_kbps = 600
    waiting_area.save()
    data = {key: value for key, value in form_data().items() if not key.startswith("bandwidth_")}
    form = WaitingAreaForm(data, instance=waiting_area)
    assert form.is_valid(), form.errors
    assert "bandwidth_warn_kbps" not in form.changed_data
    assert form.save().bandwidth_warn_kbps == 600


def test_saving_new_levels_is_logged_by_field_name_only(world: World) -> None:
    url = f"/c/{world.clinic_a.slug}/waiting-area/settings/"
    response = client_for(world.clinic_admin).post(url, settings_post(bandwidth_warn_kbps="400"))
    assert response.status_code == 302
    assert area(world).bandwidth_warn_kbps == 400
    event = Event.objects.get(kind=Kind.WAITING_AREA_UPDATED)
    assert event.data == {"changed": ["bandwidth_warn_kbps"]}
    from datetime import UTC

    from consulta.eventlog import describe

    assert describe.summary(event, UTC) == "Waiting area settings changed: bandwidth warning level"


def test_a_refused_level_is_shown_on_the_settings_page(world: World) -> None:
    url = f"/c/{world.clinic_a.slug}/waiting-area/settings/"
    response = client_for(world.clinic_admin).post(url, settings_post(bandwidth_block_kbps="900"))
    assert response.status_code == 400
    assert "The block level must not be above the warning level (330 kbit/s)." in response.content.decode()
    assert area(world).bandwidth_block_kbps == 180
