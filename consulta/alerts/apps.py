from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "consulta.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # The SMS task's receiver that blanks a sent message's number in its stored row.
        from consulta.alerts import sms  # noqa: F401
