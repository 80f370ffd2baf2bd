from django.apps import AppConfig


class PrecallConfig(AppConfig):
    name = "consulta.precall"
    label = "precall"
    verbose_name = "Pre-call test"
