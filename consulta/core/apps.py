from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "consulta.core"
    label = "core"
