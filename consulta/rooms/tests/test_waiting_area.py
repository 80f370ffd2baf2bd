"""A clinic has exactly one waiting area, and the database itself keeps it so.

The unique clinic column refuses a second waiting area; the triggers of
migration rooms/0002 refuse deleting one while its clinic exists and moving
one to another clinic, whatever the code (or a raw SQL statement) asks.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from consulta.organisations import actions
from consulta.organisations.models import Clinic, Organisation
from consulta.rooms.models import WaitingArea
from consulta.testing import World

TRIGGER_MESSAGE = "a clinic's waiting area cannot be deleted or moved"

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    organisation = Organisation.objects.create(name="Solo Care", slug="solo")
    return actions.create_clinic(organisation, name="Solo Clinic", slug="solo-clinic")


def test_every_new_clinic_has_exactly_one_waiting_area(clinic: Clinic) -> None:
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1
    assert clinic.waiting_area.clinic_id == clinic.pk

    other = Clinic.objects.create(organisation=clinic.organisation, name="Second Clinic", slug="second")
    assert WaitingArea.objects.filter(clinic=other).count() == 1
    assert WaitingArea.objects.count() == 2


def test_saving_a_clinic_again_does_not_add_a_waiting_area(clinic: Clinic) -> None:
    clinic.name = "Solo Clinic renamed"
    clinic.save()
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1


def test_database_refuses_a_second_waiting_area(clinic: Clinic) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitingArea.objects.create(clinic=clinic)
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1


def test_database_refuses_deleting_a_waiting_area_through_the_orm(clinic: Clinic) -> None:
    waiting_area = clinic.waiting_area
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        waiting_area.delete()
    assert WaitingArea.objects.filter(pk=waiting_area.pk).exists()


def test_database_refuses_a_raw_queryset_delete(clinic: Clinic) -> None:
    queryset = WaitingArea.objects.filter(clinic=clinic)
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        queryset._raw_delete(queryset.db)  # no signals, no Python checks: only the database
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1


def test_database_refuses_a_raw_sql_delete(world: World) -> None:
    before = WaitingArea.objects.count()
    assert before == 3  # Alder, Birch and Oak clinics of the test world
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM rooms_waitingarea")
    assert WaitingArea.objects.count() == before


def test_database_refuses_moving_a_waiting_area_to_another_clinic(world: World) -> None:
    waiting_area = world.clinic_a.waiting_area
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE rooms_waitingarea SET clinic_id = %s WHERE id = %s", [world.clinic_b.pk, waiting_area.pk]
        )
    waiting_area.refresh_from_db()
    assert waiting_area.clinic_id == world.clinic_a.pk


def test_database_refuses_moving_a_waiting_area_even_to_a_clinic_id_without_one(clinic: Clinic) -> None:
    # No unique or foreign-key check fires at once for an unused id (SQLite and
    # PostgreSQL defer Django's foreign keys): only the trigger can refuse this.
    unused_id = Clinic.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    with pytest.raises(IntegrityError, match=TRIGGER_MESSAGE), transaction.atomic():
        WaitingArea.objects.filter(clinic=clinic).update(clinic_id=unused_id)
    assert WaitingArea.objects.get(clinic=clinic)


def test_saving_a_waiting_area_in_place_is_allowed(clinic: Clinic) -> None:
    """The move trigger must only fire on a real move: a plain save rewrites clinic_id unchanged."""
    waiting_area = clinic.waiting_area
    waiting_area.save()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rooms_waitingarea SET clinic_id = clinic_id WHERE id = %s", [waiting_area.pk])
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1


def test_a_clinic_with_its_waiting_area_cannot_be_deleted(clinic: Clinic) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        clinic.delete()
    assert Clinic.objects.filter(pk=clinic.pk).exists()
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1
