"""Websocket routes of every app (each app adds its own ``routing.py`` patterns here)."""

from django.urls import path

from cll.chat import routing as chat_routing
from cll.core.consumers import EchoHealthConsumer

websocket_urlpatterns = [
    path("ws/health/", EchoHealthConsumer.as_asgi()),
    *chat_routing.websocket_urlpatterns,
]
