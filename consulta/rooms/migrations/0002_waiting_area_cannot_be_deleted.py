"""The database itself refuses to delete or move a clinic's waiting area.

The unique `clinic_id` column already refuses a second waiting area; these
triggers refuse deleting one while its clinic exists, and re-pointing one at
another clinic. Written for the two engines Consulta supports.
"""

from django.db import migrations

MESSAGE = "a clinic's waiting area cannot be deleted or moved"

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER rooms_waitingarea_no_delete BEFORE DELETE ON rooms_waitingarea
    WHEN EXISTS (SELECT 1 FROM organisations_clinic WHERE id = OLD.clinic_id)
    BEGIN SELECT RAISE(ABORT, "{MESSAGE}"); END;
    """,
    f"""
    CREATE TRIGGER rooms_waitingarea_no_move BEFORE UPDATE OF clinic_id ON rooms_waitingarea
    WHEN NEW.clinic_id <> OLD.clinic_id
    BEGIN SELECT RAISE(ABORT, "{MESSAGE}"); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS rooms_waitingarea_no_delete;",
    "DROP TRIGGER IF EXISTS rooms_waitingarea_no_move;",
]

POSTGRES_FORWARD = [
    f"""
    CREATE FUNCTION rooms_waitingarea_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM organisations_clinic WHERE id = OLD.clinic_id) THEN
          RAISE EXCEPTION '{MESSAGE.replace("'", "''")}' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
      END IF;
      IF NEW.clinic_id <> OLD.clinic_id THEN
        RAISE EXCEPTION '{MESSAGE.replace("'", "''")}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER rooms_waitingarea_guard BEFORE DELETE OR UPDATE OF clinic_id ON rooms_waitingarea
    FOR EACH ROW EXECUTE FUNCTION rooms_waitingarea_guard();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS rooms_waitingarea_guard ON rooms_waitingarea;",
    "DROP FUNCTION IF EXISTS rooms_waitingarea_guard();",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor)
    if statements is None:
        raise RuntimeError(f"Consulta supports SQLite and PostgreSQL, not {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}[vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("rooms", "0001_initial"), ("organisations", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
