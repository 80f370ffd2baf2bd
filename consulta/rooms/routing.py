from django.urls import path

from consulta.rooms.consumers import GuestSocket, MeetingRoomSocket, UserRoomSocket

websocket_urlpatterns = [
    path("ws/rooms/<str:token>/", MeetingRoomSocket.as_asgi()),
    path("ws/user-rooms/<str:token>/", UserRoomSocket.as_asgi()),
    path("ws/guest/<str:token>/", GuestSocket.as_asgi()),
]
