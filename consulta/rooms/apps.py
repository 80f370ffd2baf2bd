from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "consulta.rooms"
    label = "rooms"
