from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "consulta.webhooks"

    def ready(self) -> None:
        # The receiver that keeps a consultation's reference when its row is deleted at its end.
        from consulta.webhooks import traces  # noqa: F401
