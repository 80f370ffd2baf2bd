from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0007_call_clinic_call_meeting_started_at_roomcallrecord"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="browser",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="participant",
            name="browser_version",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="participant",
            name="os",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
        migrations.AddField(
            model_name="participant",
            name="quality",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
