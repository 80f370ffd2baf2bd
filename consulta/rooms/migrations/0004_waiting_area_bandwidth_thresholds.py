"""The entry check's bandwidth levels on the waiting area (warn below 330, block below 180 kbit/s).

SQLite adds a NOT NULL column by rebuilding the table, which drops its triggers: the guards of
0002 (a waiting area cannot be deleted or moved) are made again after the new columns, and,
migrating back, after the columns are gone. PostgreSQL keeps its triggers: nothing to do there.
"""

import importlib

from django.db import migrations, models

GUARDS = importlib.import_module("consulta.rooms.migrations.0002_waiting_area_cannot_be_deleted")


def restore_sqlite_guards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for sql in [*GUARDS.SQLITE_BACKWARD, *GUARDS.SQLITE_FORWARD]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0003_guestlink_admit_on_arrival"),
    ]

    operations = [
        # Backward, this runs last: after the columns' removal rebuilt the table.
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_guards),
        migrations.AddField(
            model_name="waitingarea",
            name="bandwidth_block_kbps",
            field=models.PositiveIntegerField(
                default=180,
                help_text="A patient whose connection is slower than this cannot enter until it is better. At most the warning level. 0: never block for speed.",
                verbose_name="block entry when the connection is below (kbit/s)",
            ),
        ),
        migrations.AddField(
            model_name="waitingarea",
            name="bandwidth_warn_kbps",
            field=models.PositiveIntegerField(
                default=330,
                help_text="A patient whose connection (the lower of upload and download) is slower than this is warned but may enter. 0: no warning.",
                verbose_name="warn patients whose connection is below (kbit/s)",
            ),
        ),
        migrations.RunPython(restore_sqlite_guards, migrations.RunPython.noop),
    ]
