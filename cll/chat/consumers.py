"""The live chat's websockets: the visitor's (``ws/chat/``) and the staff console's
(``ws/chat/staff/``). The protocol is a contract with the benchmark (bench/chat.py):
/work/briefs/chat-protocol.md, summed up in each handler below.

Security
--------
- **Origin.** The project wraps every websocket in ``AllowedHostsOriginValidator``
  (cll/asgi.py): a page of another site cannot open one with the visitor's cookies.
- **One conversation per proof.** A visitor socket acts only on the conversation it started or
  whose secret it proved (``resume``); a wrong secret, or a conversation an account started
  resumed by anyone else, is ``not_found`` and the socket is closed (4404).
- **Staff.** The staff socket is open to active staff holding Customer service or Administrator
  whose session was signed in with a second factor, as on the staff pages (the same predicate,
  cll/accounts/staff.py); anyone else is closed (4403). It acts on the conversations it joined.
- **Limits before the database.** A frame too large, a text over ``CHAT_MAX_MESSAGE_CHARS`` or
  messages faster than ``CHAT_MESSAGES_PER_10_SECONDS`` per 10 s (a token bucket per socket,
  with a burst of ``MESSAGE_BURST`` more: ``TokenBucket``) are answered with an error and never
  saved; a socket that keeps flooding with frames of any kind is closed (4429).
- **Plain text.** Texts travel as JSON strings and are inserted with ``textContent``: a script
  typed into the chat stays text everywhere.

Speed (the benchmark's path, bench/chat.py): a message costs one ``INSERT`` in autocommit
(``services.messages_post``, one hop to a database thread shared with the messages of the
worker's other sockets that arrived meanwhile, no health-check ``SELECT 1``: see
``MessageWriter``), then an ack and one ``group_send`` carrying the frame already
encoded as JSON; nothing else touches the database or the channel layer, and no event pays
Channels' per-event ``close_old_connections`` hop (see ``_ChatConsumer.dispatch``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from types import SimpleNamespace

from allauth.mfa.utils import is_mfa_enabled
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connections, router
from django.utils import timezone

from cll.accounts.staff import session_used_mfa
from cll.chat import selectors, services
from cll.chat.models import STAFF_GROUP, Conversation, Message
from cll.core.roles import staff_roles_of
from cll.helpdesk.services import TicketRateLimited
from cll.lib.clientip import request_client_ip

WINDOW_SECONDS = 10
CLIENT_ID_MAX = 64
# A socket sending more frames than this in the window (typing included) is closed.
FRAMES_PER_WINDOW_FACTOR = 5
# Messages a socket may send at once above the steady rate (see TokenBucket).
MESSAGE_BURST = 5
logger = logging.getLogger(__name__)

# How often an open console's queue is read again (the last message of each conversation).
QUEUE_REFRESH_SECONDS = 5
# Typing frames closer together than this are not passed on (a keystroke each is noise).
TYPING_INTERVAL_SECONDS = 1.0

CLOSE_NOT_FOUND = 4404
CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429


# On PostgreSQL, the sockets' database work runs on the event loop's thread pool: each thread
# has a connection of its own (persistent, CONN_MAX_AGE), so transactions of different sockets
# run at once. (Channels' default, "thread sensitive", runs all of a process's database work on
# one thread, one transaction at a time.) SQLite takes one writer at a time anyway: there, one
# thread avoids waiting on its lock from several.
_ONE_THREAD = connections["default"].vendor == "sqlite"


def db(function):
    """``function`` run off the event loop, with channels' clean-up of stale connections
    around it (see ``_ONE_THREAD``)."""
    return database_sync_to_async(function, thread_sensitive=_ONE_THREAD)


def messages_post_checked(items: list[dict]) -> list[tuple[Message, bool]]:
    """``services.messages_post`` with the connection hygiene of ``db()`` minus its per-call
    health check; run off the event loop by ``MessageWriter``.

    ``database_sync_to_async`` calls ``close_old_connections`` around the work, which with
    ``CONN_HEALTH_CHECKS`` makes every call pay a ``SELECT 1`` round trip before its
    ``INSERT`` (Django checks a persistent connection once per "request", and each message is
    one). Here the same clean-up runs (a connection past ``CONN_MAX_AGE``, left in a failed
    state or with autocommit changed is closed), but a connection already in use is trusted
    instead of probed: if it turns out dead (the database restarted), the ``INSERT`` fails with
    an ``OperationalError``/``InterfaceError``, the connection is closed and the messages saved
    once more on a fresh one. That retry is safe even when the first attempt reached the
    database: ``client_id`` is unique in the conversation, so the second attempt returns the
    rows saved by the first instead of duplicates (and broadcasts them: nobody may have heard
    of them).
    """
    connection = connections[router.db_for_write(Message)]
    connection.close_if_unusable_or_obsolete()
    if connection.connection is not None:
        connection.health_check_done = True
    try:
        return services.messages_post(items=items)
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block or connection.is_usable():
            raise
        logger.warning("Chat: the database connection was lost; saving the messages again.")
        connection.close()
        return [(message, True) for message, _created in services.messages_post(items=items)]
    finally:
        connection.close_if_unusable_or_obsolete()


class MessageWriter:
    """Saves the messages of every socket of a worker process, in batches under load.

    A socket's message waits for its row as before (saved before it is acknowledged or
    broadcast), but the sockets of a worker share the database writes: whatever arrived while
    the previous batch was being saved goes in the next one (one ``INSERT``, one commit, one
    thread hop; ``services.messages_post``), at most ``BATCH`` messages and ``WRITERS``
    batches at a time. A lone message is never held back waiting for company: when nothing is
    being saved it goes at once, alone. Each socket handles its frames one after the other, so
    a conversation's messages keep their order.
    """

    BATCH = 200
    WRITERS = 2

    def __init__(self) -> None:
        self.pending: list[tuple[dict, asyncio.Future]] = []
        self.writers = 0

    async def post(self, **item) -> tuple[Message, bool]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((item, future))
        if self.writers < self.WRITERS:
            self.writers += 1
            asyncio.get_running_loop().create_task(self._write())
        return await future

    async def _write(self) -> None:
        try:
            while self.pending:
                batch = self.pending[: self.BATCH]
                del self.pending[: self.BATCH]
                try:
                    results = await sync_to_async(
                        messages_post_checked, thread_sensitive=_ONE_THREAD
                    )([item for item, _future in batch])
                except Exception as exc:
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_item, future), result in zip(batch, results, strict=True):
                    # A socket closed meanwhile stopped waiting; its message is saved anyway.
                    if not future.done():
                        future.set_result(result)
        finally:
            self.writers -= 1


# One writer per event loop (a worker has one; the tests start several, one after the other).
_writers: dict[asyncio.AbstractEventLoop, MessageWriter] = {}


def message_writer() -> MessageWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        for old in [old for old in _writers if old.is_closed()]:
            del _writers[old]
        writer = _writers[loop] = MessageWriter()
    return writer


def _max_frame_chars() -> int:
    # Room for the JSON around the longest text, escapes included (a \uXXXX is 6 characters).
    return settings.CHAT_MAX_MESSAGE_CHARS * 6 + 1024


def _valid_client_id(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= CLIENT_ID_MAX


def _text_error(text: object) -> str | None:
    """What is wrong with a message's text (an error code), or None."""
    if not isinstance(text, str) or not text.strip():
        return "bad_request"
    if len(text) > settings.CHAT_MAX_MESSAGE_CHARS:
        return "too_long"
    return None


def _scope_client_ip(scope) -> str:
    # request_client_ip reads META only: the websocket's peer and X-Forwarded-For, as a
    # request's, so the proxy rules (CLL_TRUSTED_PROXIES) are the same as for pages.
    headers = dict(scope.get("headers") or [])
    client = scope.get("client") or ("", 0)
    meta = {
        "REMOTE_ADDR": client[0] or "",
        "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
    }
    return request_client_ip(SimpleNamespace(META=meta))


def staff_may_chat(user, session) -> bool:
    """Whether ``user`` may open the staff console's socket: Customer service or Administrator,
    with a second factor used in this session (what staff pages require, see
    cll/accounts/staff.py)."""
    if not staff_roles_of(user) & set(services.STAFF_ROLES):
        return False
    if not is_mfa_enabled(user):
        return False
    return session_used_mfa(SimpleNamespace(session=session, user=user))


class TokenBucket:
    """The message flood limit of one socket: a token bucket refilled at
    ``CHAT_MESSAGES_PER_10_SECONDS`` per 10 s and holding that many plus ``MESSAGE_BURST``.

    Why a bucket and not a sliding window: a person typing one message a second sits exactly
    at the limit of "10 in any 10 s", and any unevenness in when the server handles the frames
    (a stall, then two at once) tripped it. The bucket lets a steady rate up to the limit
    through forever, absorbs a stall of up to ``MESSAGE_BURST`` + limit messages, and still
    refuses a sustained flood: over a long run nothing passes faster than the refill rate.
    """

    __slots__ = ("at", "capacity", "rate", "tokens")

    def __init__(self, *, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate  # tokens per second
        self.tokens = capacity
        self.at = now

    @classmethod
    def for_messages(cls, now: float | None = None) -> TokenBucket:
        limit = settings.CHAT_MESSAGES_PER_10_SECONDS
        return cls(
            capacity=limit + MESSAGE_BURST,
            rate=limit / WINDOW_SECONDS,
            now=time.monotonic() if now is None else now,
        )

    def take(self, now: float) -> bool:
        """One token if there is one (True), else False (the message is refused)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class _ChatConsumer(AsyncJsonWebsocketConsumer):
    """What both sockets share: frame parsing, limits, error frames."""

    handlers: dict[str, str] = {}

    async def dispatch(self, message):
        """Channels' ``AsyncConsumer.dispatch`` without its ``aclose_old_connections()``.

        Channels 4.3 runs ``close_old_connections`` through ``sync_to_async`` (thread
        sensitive: one thread per process, shared by every socket) before every event: twice
        per chat message (the frame received, the broadcast delivered), the largest cost of a
        message on the event loop. It is not needed here: no handler of these consumers
        touches the database on the event loop's thread; every database access goes through
        ``db()`` (``database_sync_to_async``), which runs ``close_old_connections`` in the very
        thread that uses the connection, before and after the work, so stale and broken
        connections are still dropped (CONN_MAX_AGE, CONN_HEALTH_CHECKS) where they live.
        The thread Channels would clean is one these consumers never use on PostgreSQL (see
        ``_ONE_THREAD``), and on SQLite ``db()`` cleans it itself. The connect and disconnect
        events keep Channels' own handling otherwise (``websocket_disconnect`` still cleans
        up once at the end).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.frames: deque[float] = deque()
        self.posts = TokenBucket.for_messages()
        self.last_typing = 0.0
        self.groups_joined: set[str] = set()
        await self.setup()

    async def setup(self):
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join_group(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def error(self, code: str, **extra) -> None:
        await self.send_json({"type": "error", "code": code, **extra})

    @staticmethod
    def _hit(window: deque[float], limit: int) -> bool:
        """Count one event in a sliding window; False when it makes more than ``limit``."""
        now = time.monotonic()
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        limit = settings.CHAT_MESSAGES_PER_10_SECONDS * FRAMES_PER_WINDOW_FACTOR
        if not self._hit(self.frames, max(limit, 50)):
            await self.close(code=CLOSE_FLOOD)
            return
        if text_data is None:
            await self.error("bad_request")
            return
        if len(text_data) > _max_frame_chars():
            await self.error("too_long")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("bad_request")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("bad_request")
            return
        handler = self.handlers.get(content["type"])
        if handler is None:
            await self.error("bad_request")
            return
        await getattr(self, handler)(content)

    def post_allowed(self) -> bool:
        return self.posts.take(time.monotonic())

    def typing_allowed(self) -> bool:
        now = time.monotonic()
        if now - self.last_typing < TYPING_INTERVAL_SECONDS:
            return False
        self.last_typing = now
        return True

    @staticmethod
    def about(public_id: str) -> dict:
        """What a frame about a conversation adds to say which one (the staff console has
        several; a visitor's socket has one, so its frames say nothing more)."""
        return {}

    async def queue_changed(self) -> None:
        await self.channel_layer.group_send(STAFF_GROUP, {"type": "chat.queue"})


class VisitorConsumer(_ChatConsumer):
    """A visitor's socket: one conversation, started or resumed by its secret."""

    handlers = {
        "start": "on_start",
        "resume": "on_resume",
        "message": "on_message",
        "typing": "on_typing",
        "leave_message": "on_leave_message",
        "end": "on_end",
    }

    async def setup(self):
        self.conversation: Conversation | None = None
        self.ended = False
        self.left_messages = 0
        await self.accept()

    def account(self):
        user = self.scope.get("user")
        return user if user is not None and user.is_authenticated else None

    async def _attach(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.ended = conversation.ended_at is not None
        await self.join_group(conversation.group)

    @db
    def _start(self, content) -> tuple[services.Started, bool]:
        started = services.conversation_start(
            account=self.account(),
            language=content.get("language"),
            email=content.get("email"),
            name=content.get("name"),
        )
        return started, selectors.staff_available()

    async def on_start(self, content):
        """``start`` -> ``started`` with the conversation's id and secret, and whether someone
        is available (``bad_email`` for a malformed address, nothing saved)."""
        if self.conversation is not None:
            await self.error("bad_request")
            return
        try:
            started, available = await self._start(content)
        except ValidationError:
            await self.error("bad_email")
            return
        await self._attach(started.conversation)
        await self.send_json(
            {
                "type": "started",
                "conversation": str(started.conversation.public_id),
                "token": started.token,
                "available": available,
            }
        )
        await self.queue_changed()

    @db
    def _find(self, content) -> Conversation | None:
        return selectors.conversation_get_by_token(
            public_id=content.get("conversation"),
            token=content.get("token"),
            account=self.account(),
        )

    @staticmethod
    @db
    def _missed(conversation: Conversation, after: object) -> tuple[list[dict], bool]:
        after = after if isinstance(after, int) and not isinstance(after, bool) else 0
        messages = selectors.messages_after(conversation=conversation, after=max(after, 0))
        return messages, selectors.staff_available()

    async def on_resume(self, content):
        """``resume`` -> ``resumed`` with what came after ``after``; a wrong secret or someone
        else's conversation -> ``not_found`` and the socket is closed (4404)."""
        if self.conversation is not None and str(self.conversation.public_id) != content.get(
            "conversation"
        ):
            await self.error("bad_request")
            return
        conversation = await self._find(content)
        if conversation is None:
            await self.error("not_found")
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # In the group before reading what was missed: a message saved in between comes twice
        # (the widget shows each id once) rather than never.
        await self._attach(conversation)
        messages, available = await self._missed(conversation, content.get("after", 0))
        await self.send_json(
            {
                "type": "resumed",
                "conversation": str(conversation.public_id),
                "available": available,
                "ended": self.ended,
                "messages": messages,
            }
        )

    async def on_message(self, content):
        """``message`` -> saved, then ``ack`` with its id, then the ``<message>`` to every socket
        of the conversation. The same ``client_id`` again acks the first id and saves nothing."""
        client_id = content.get("client_id")
        if not _valid_client_id(client_id):
            await self.error("bad_request")
            return
        problem = _text_error(content.get("text"))
        if problem is None and self.conversation is None:
            problem = "bad_request"
        if problem is not None:
            await self.error(problem, client_id=client_id)
            return
        if self.ended:
            await self.error("ended", client_id=client_id)
            return
        if not self.post_allowed():
            await self.error("flood", client_id=client_id)
            return
        await post_and_broadcast(
            self,
            conversation=self.conversation,
            author_kind=Message.Author.VISITOR,
            text=content["text"],
            client_id=client_id,
        )

    async def on_typing(self, content):
        if self.conversation is None or self.ended or not self.typing_allowed():
            return
        await self.channel_layer.group_send(
            self.conversation.group,
            {
                "type": "chat.typing",
                "author": "visitor",
                "conversation": str(self.conversation.public_id),
            },
        )

    async def on_leave_message(self, content):
        """Nobody available: ``leave_message`` -> a helpdesk ticket -> ``ticket`` with its
        reference."""
        problem = _text_error(content.get("text"))
        if problem is not None:
            await self.error(problem)
            return
        # A socket leaves a message or two, not a stream of tickets.
        if self.left_messages >= 3:
            await self.error("flood")
            return
        try:
            reference = await db(services.message_leave)(
                account=self.account(),
                language=content.get("language") or getattr(self.conversation, "language", ""),
                name=content.get("name"),
                email=content.get("email"),
                text=content["text"],
                conversation=self.conversation,
                client_ip=_scope_client_ip(self.scope),
            )
        except TicketRateLimited:
            await self.error("flood")
            return
        except ValidationError:
            await self.error("bad_email")
            return
        self.left_messages += 1
        await self.send_json({"type": "ticket", "reference": reference})
        if self.conversation is not None:
            self.ended = True
            await self.queue_changed()

    async def on_end(self, content):
        """``end`` -> the conversation ends (transcript queued if an address was given) and
        every socket of it gets ``ended``."""
        if self.conversation is None:
            await self.error("bad_request")
            return
        await end_and_broadcast(self, conversation=self.conversation, staff=None)

    # -- Events from the channel layer -------------------------------------------------------

    async def chat_message(self, event):
        await self.send(text_data=event["frame"])

    async def chat_typing(self, event):
        if event["author"] != "visitor":
            await self.send_json({"type": "typing", "author": event["author"]})

    async def chat_ended(self, event):
        self.ended = True
        await self.send_json({"type": "ended"})


async def post_and_broadcast(
    consumer: _ChatConsumer,
    *,
    conversation: Conversation,
    author_kind: str,
    text: str,
    client_id: str,
    author=None,
    name: str = "",
) -> None:
    """Save, ack, broadcast: the order the protocol promises (the row exists before anyone
    hears of it). A re-sent ``client_id`` is acked with the first id and its frame goes to the
    sender alone (the others had it the first time)."""
    public_id = str(conversation.public_id)
    message, created = await message_writer().post(
        conversation=conversation,
        author_kind=author_kind,
        text=text,
        client_id=client_id,
        author=author,
    )
    await consumer.send_json(
        {"type": "ack", "client_id": client_id, "id": message.pk, **consumer.about(public_id)}
    )
    frame = selectors.message_event(message, name=name)
    if not created:
        await consumer.send_json({**frame, **consumer.about(public_id)})
        return
    # Encoded once here rather than by every receiving socket: the event carries the visitor's
    # frame as JSON text, which the visitor sockets send as is (a staff console adds the
    # conversation, see ``with_conversation``).
    await consumer.channel_layer.group_send(
        conversation.group,
        {"type": "chat.message", "frame": json.dumps(frame), "conversation": public_id},
    )


def with_conversation(frame: str, public_id: str) -> str:
    """A JSON object's text with ``"conversation": public_id`` added, without decoding it (a
    staff console's copy of a broadcast frame)."""
    return f'{frame[:-1]}, "conversation": {json.dumps(public_id)}}}'


async def end_and_broadcast(consumer: _ChatConsumer, *, conversation: Conversation, staff) -> None:
    public_id = str(conversation.public_id)
    if not await db(services.conversation_end)(conversation=conversation, staff=staff):
        # Ended already (another tab, a console, the idle job): everyone was told then.
        await consumer.send_json({"type": "ended", **consumer.about(public_id)})
        return
    await consumer.channel_layer.group_send(
        conversation.group, {"type": "chat.ended", "conversation": public_id}
    )
    await consumer.queue_changed()


class StaffConsumer(_ChatConsumer):
    """A staff console: the queue, availability, several conversations at once."""

    handlers = {
        "available": "on_available",
        "join": "on_join",
        "message": "on_message",
        "typing": "on_typing",
        "to_ticket": "on_to_ticket",
        "end": "on_end",
    }

    @staticmethod
    def about(public_id: str) -> dict:
        return {"conversation": public_id}

    async def setup(self):
        self.user = self.scope.get("user")
        self.joined: dict[str, Conversation] = {}
        self.available = False
        self.queue: list[dict] = []
        await self.accept()
        if self.user is None or not await self._open():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        # In the group before the queue is read: a change in between is not missed.
        await self.join_group(STAFF_GROUP)
        await self._queue_first()
        await self.send_queue(reload=False)
        self.refresher = asyncio.create_task(self._refresh())

    async def _refresh(self) -> None:
        # New, joined and ended conversations are pushed at once (chat.queue); the last
        # message of each is refreshed every few seconds instead of on every message, which
        # would cost every message of every visitor a broadcast to every console.
        while True:
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
            try:
                queue = await db(selectors.queue_list_for)(user=self.user)
            except Exception:
                # A database hiccup skips one refresh; the console stays open.
                logger.exception("Chat: the staff queue could not be read.")
                continue
            if queue != self.queue:
                self.queue = queue
                await self.send_queue(reload=False)

    @db
    def _open(self) -> bool:
        if not staff_may_chat(self.user, self.scope.get("session")):
            return False
        self.name = selectors.staff_first_name(self.user)
        return True

    @db
    def _queue_first(self) -> None:
        self.queue = selectors.queue_list_for(user=self.user)
        services.queue_read_audit(staff=self.user, count=len(self.queue))

    async def disconnect(self, code):
        refresher = getattr(self, "refresher", None)
        if refresher is not None:
            refresher.cancel()
        if getattr(self, "available", False):
            await db(services.availability_set)(user=self.user, available=False)
        await super().disconnect(code)

    async def send_queue(self, *, reload: bool) -> None:
        if reload:
            self.queue = await db(selectors.queue_list_for)(user=self.user)
        await self.send_json({"type": "queue", "conversations": self.queue})

    def _joined(self, content) -> Conversation | None:
        return self.joined.get(content.get("conversation"))

    async def on_available(self, content):
        """``available`` (the toggle, then the heartbeat while it is on)."""
        value = content.get("value")
        if not isinstance(value, bool):
            await self.error("bad_request")
            return
        self.available = value
        await db(services.availability_set)(user=self.user, available=value)

    @db
    def _join(self, public_id) -> Conversation | None:
        conversation = selectors.conversation_get_for_staff(public_id=public_id)
        if conversation is None:
            return None
        return services.conversation_join(conversation=conversation, staff=self.user)

    async def on_join(self, content):
        """``join`` -> ``joined`` with every message (audited), then its events."""
        conversation = await self._join(content.get("conversation"))
        if conversation is None:
            await self.error("not_found", conversation=content.get("conversation"))
            return
        public_id = str(conversation.public_id)
        self.joined[public_id] = conversation
        # In the group before reading the messages (see VisitorConsumer.on_resume).
        await self.join_group(conversation.group)
        messages = await db(selectors.messages_after)(conversation=conversation)
        await self.send_json(
            {
                "type": "joined",
                "conversation": public_id,
                "ended": conversation.ended_at is not None,
                "messages": messages,
            }
        )
        await self.queue_changed()

    async def on_message(self, content):
        conversation = self._joined(content)
        client_id = content.get("client_id")
        if conversation is None or not _valid_client_id(client_id):
            await self.error("bad_request", conversation=content.get("conversation"))
            return
        problem = _text_error(content.get("text"))
        if problem is None and conversation.ended_at is not None:
            problem = "ended"
        if problem is not None:
            await self.error(problem, client_id=client_id, conversation=content["conversation"])
            return
        if not self.post_allowed():
            await self.error("flood", client_id=client_id, conversation=content["conversation"])
            return
        await post_and_broadcast(
            self,
            conversation=conversation,
            author_kind=Message.Author.STAFF,
            text=content["text"],
            client_id=client_id,
            author=self.user,
            name=self.name,
        )

    async def on_typing(self, content):
        conversation = self._joined(content)
        if conversation is None or not self.typing_allowed():
            return
        await self.channel_layer.group_send(
            conversation.group,
            {"type": "chat.typing", "author": "staff", "conversation": content["conversation"]},
        )

    async def on_to_ticket(self, content):
        """``to_ticket`` -> a ticket whose first message is the transcript -> ``ticket``."""
        conversation = self._joined(content)
        if conversation is None:
            await self.error("not_found", conversation=content.get("conversation"))
            return
        try:
            reference = await db(services.conversation_to_ticket)(
                conversation=conversation, staff=self.user
            )
        except ValidationError as exc:
            await self.error(exc.code or "bad_request", conversation=content["conversation"])
            return
        await self.send_json(
            {"type": "ticket", "conversation": content["conversation"], "reference": reference}
        )

    async def on_end(self, content):
        conversation = self._joined(content)
        if conversation is None:
            await self.error("not_found", conversation=content.get("conversation"))
            return
        await end_and_broadcast(self, conversation=conversation, staff=self.user)

    # -- Events from the channel layer -------------------------------------------------------

    async def chat_message(self, event):
        await self.send(text_data=with_conversation(event["frame"], event["conversation"]))

    async def chat_typing(self, event):
        if event["author"] != "staff":
            await self.send_json(
                {"type": "typing", "author": event["author"], "conversation": event["conversation"]}
            )

    async def chat_ended(self, event):
        conversation = self.joined.get(event["conversation"])
        if conversation is not None and conversation.ended_at is None:
            # Told by the layer: this console's later messages to it are refused here.
            conversation.ended_at = timezone.now()
        await self.send_json({"type": "ended", "conversation": event["conversation"]})

    async def chat_queue(self, event):
        await self.send_queue(reload=True)
