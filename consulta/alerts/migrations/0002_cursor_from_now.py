"""The alerts' cursor starts at the event log as it is when the app arrives: earlier entries
are history, not callers to alert anyone of."""

from django.db import migrations
from django.db.models import Max


def start_cursor(apps, schema_editor):
    Event = apps.get_model("eventlog", "Event")
    AlertCursor = apps.get_model("alerts", "AlertCursor")
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    AlertCursor.objects.get_or_create(pk=1, defaults={"last_event_id": last})


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("eventlog", "0001_initial"),
    ]

    operations = [migrations.RunPython(start_cursor, migrations.RunPython.noop)]
