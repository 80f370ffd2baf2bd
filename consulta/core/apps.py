from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "consulta.core"
    label = "core"

    def ready(self) -> None:
        # Tokens out of uvicorn's and Django's request logs (see consulta/core/logging.py).
        from consulta.core import logging as token_logging

        token_logging.install()
