"""Every WebSocket route of the project, gathered from the apps."""

from consulta.consultations.routing import websocket_urlpatterns as consultation_patterns
from consulta.core.routing import websocket_urlpatterns as core_patterns
from consulta.rooms.routing import websocket_urlpatterns as room_patterns

websocket_urlpatterns = [*core_patterns, *consultation_patterns, *room_patterns]
