"""The webhooks' cursor starts at the event log as it is when the app arrives: no endpoint
existed before, so earlier events are nobody's messages."""

from django.db import migrations
from django.db.models import Max


def start_cursor(apps, schema_editor):
    Event = apps.get_model("eventlog", "Event")
    WebhookCursor = apps.get_model("webhooks", "WebhookCursor")
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    WebhookCursor.objects.get_or_create(pk=1, defaults={"last_event_id": last})


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("eventlog", "0001_initial"),
    ]

    operations = [migrations.RunPython(start_cursor, migrations.RunPython.noop)]
