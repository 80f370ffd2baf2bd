from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "consulta.organisations"
    label = "organisations"

    def ready(self) -> None:
        from consulta.organisations import revocation  # noqa: F401 - connects the receivers
