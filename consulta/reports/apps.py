from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "consulta.reports"
    label = "reports"
    verbose_name = "Reports"
