"""What the chat's tests share: websocket clients of the real ASGI application (origin check
and all), a staff member's session cookie."""

from __future__ import annotations

from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from cll.asgi import application

ORIGIN = b"http://127.0.0.1"
TIMEOUT = 5


def socket(path: str = "/ws/chat/", *, origin: bytes = ORIGIN, cookie: str = ""):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(path: str = "/ws/chat/", **options) -> WebsocketCommunicator:
    communicator = socket(path, **options)
    ok, _subprotocol = await communicator.connect(timeout=TIMEOUT)
    assert ok
    return communicator


async def receive(communicator: WebsocketCommunicator, *types: str) -> dict:
    """The next frame, skipping those of other types when ``types`` are given."""
    while True:
        frame = await communicator.receive_json_from(timeout=TIMEOUT)
        if not types or frame["type"] in types:
            return frame


async def started(communicator: WebsocketCommunicator, **start) -> dict:
    await communicator.send_json_to({"type": "start", "language": "en", **start})
    return await receive(communicator, "started", "error")


def session_cookie(login, user) -> str:
    """A session cookie of ``user`` signed in by ``login`` (conftest's staff_login...)."""
    client = Client()
    login(client, user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


async def closed_code(communicator: WebsocketCommunicator) -> int | None:
    """The close code the server sent (skipping other frames)."""
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return output.get("code")
