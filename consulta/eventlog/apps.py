from django.apps import AppConfig


class EventLogConfig(AppConfig):
    name = "consulta.eventlog"
    label = "eventlog"
    verbose_name = "Event log"
