"""Every WebSocket route of the project, gathered from the apps."""

from consulta.consultations.routing import websocket_urlpatterns as consultation_patterns
from consulta.core.routing import websocket_urlpatterns as core_patterns

websocket_urlpatterns = [*core_patterns, *consultation_patterns]
