"""Websocket routes of the live chat (included by cll/routing.py, under the origin check of
cll/asgi.py).

Both go through channels' ``AuthMiddlewareStack`` (session cookie -> ``scope["user"]``): a
signed-in visitor's chat belongs to their account, and the staff console needs the staff
member's session (role and second factor). Neither sets a cookie: a websocket cannot.
"""

from channels.auth import AuthMiddlewareStack
from django.urls import path

from cll.chat.consumers import StaffConsumer, VisitorConsumer

websocket_urlpatterns: list = [
    path("ws/chat/", AuthMiddlewareStack(VisitorConsumer.as_asgi())),
    path("ws/chat/staff/", AuthMiddlewareStack(StaffConsumer.as_asgi())),
]
