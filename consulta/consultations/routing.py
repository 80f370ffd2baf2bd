from django.urls import path

from consulta.consultations.consumers import InviteeSocket, PatientSocket, QueueSocket, TeamCallSocket

websocket_urlpatterns = [
    path("ws/patient/<str:token>/", PatientSocket.as_asgi()),
    path("ws/clinic/<slug:slug>/queue/", QueueSocket.as_asgi()),
    path("ws/consultations/<int:consultation_id>/call/", TeamCallSocket.as_asgi()),
    path("ws/invites/<str:token>/", InviteeSocket.as_asgi()),
]
