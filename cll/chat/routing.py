"""Websocket routes of the live chat."""

websocket_urlpatterns: list = []
