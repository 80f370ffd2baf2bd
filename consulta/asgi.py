"""The ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "consulta.settings")
# Django must be set up before anything imports models.
try:
    django_asgi_app = get_asgi_application()
except ImproperlyConfigured as error:
    # A missing secret key, say: one clear line and no start, rather than a traceback.
    raise SystemExit(f"Consulta cannot start: {error}") from None

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter

from consulta.core.origin import SameOriginValidator
from consulta.routing import websocket_urlpatterns

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Scheme, host and port of the page must be this site's (Channels' validator checks the host only).
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
