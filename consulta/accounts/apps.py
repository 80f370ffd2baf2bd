from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "consulta.accounts"
    label = "accounts"
