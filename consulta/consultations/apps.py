from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "consulta.consultations"
    label = "consultations"
