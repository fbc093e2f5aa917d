from django.urls import path

from web.consumers import WorkspaceEventsConsumer
from web.consumers_simulator import SimulatorConsumer

websocket_urlpatterns = [
    path("ws/events/", WorkspaceEventsConsumer.as_asgi()),
    path("ws/simulator/", SimulatorConsumer.as_asgi()),
]
