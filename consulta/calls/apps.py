from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "consulta.calls"
    label = "calls"
