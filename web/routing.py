from django.urls import path

from web.consumers import WorkspaceEventsConsumer

websocket_urlpatterns = [path("ws/events/", WorkspaceEventsConsumer.as_asgi())]
