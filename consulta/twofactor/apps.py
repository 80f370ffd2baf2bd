from django.apps import AppConfig


class TwofactorConfig(AppConfig):
    name = "consulta.twofactor"
