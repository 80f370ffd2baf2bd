from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "consulta.organisations"
    label = "organisations"
