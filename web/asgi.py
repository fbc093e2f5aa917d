import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up first)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from channels_app.fastpath import FastIngest  # noqa: E402
from web.routing import websocket_urlpatterns  # noqa: E402
from web.ws_origin import SameOriginWebsockets  # noqa: E402

# Inbound receive webhooks take a lean path on PostgreSQL; everything else is plain Django.
fast_ingest = FastIngest(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": fast_ingest,
        "websocket": SameOriginWebsockets(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

from infra.gc_policy import settle_after_startup  # noqa: E402

settle_after_startup()  # every web process imports this module once, after the app is built
