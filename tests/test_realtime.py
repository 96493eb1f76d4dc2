"""Websockets go through Channels and its layer (in-memory, or Redis when REDIS_URL is set)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings

from cll.asgi import application


def _connect(origin: bytes) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application, "/ws/health/", headers=[(b"origin", origin), (b"host", b"127.0.0.1")]
    )


async def _echo():
    communicator = _connect(b"http://127.0.0.1")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"ping": 1})
    assert await communicator.receive_json_from(timeout=5) == {"ping": 1}
    await communicator.disconnect()


# Channels closes stale database connections around each websocket event.
@pytest.mark.django_db(transaction=True)
def test_it_echoes_through_the_channel_layer():
    async_to_sync(_echo)()


async def _foreign_origin():
    communicator = _connect(b"https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_websocket_from_another_origin():
    async_to_sync(_foreign_origin)()


def test_it_uses_redis_for_the_channel_layer_when_configured():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    expected = "channels_redis" if settings.REDIS_URL else "channels.layers.InMemory"
    assert backend.startswith(expected)
