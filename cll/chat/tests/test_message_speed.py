"""What the chat's fast path keeps while doing less per message (bench/chat.py): the flood
limit as a token bucket, the pre-encoded broadcast frame, messages saved in batches (and once
each), saved again on a connection found dead, and no per-event connection clean-up hop."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.db import OperationalError, connection

from cll.chat import consumers, services
from cll.chat.consumers import (
    MessageWriter,
    TokenBucket,
    messages_post_checked,
    with_conversation,
)
from cll.chat.models import Message
from cll.chat.services import conversation_start
from cll.chat.tests.helpers import connected, receive, started


def bucket(limit: int = 10, now: float = 0.0) -> TokenBucket:
    return TokenBucket(capacity=limit + consumers.MESSAGE_BURST, rate=limit / 10, now=now)


def test_it_never_refuses_a_steady_message_a_second_handled_unevenly():
    limits = bucket()
    # One message a second for ten minutes, each handled up to 0.9 s late or early, and a
    # 4-second stall after which four arrive at once: the sliding window tripped on this.
    times = [second + (0.9 if second % 2 else -0.9) for second in range(1, 600)]
    times += [600.0] * 4 + [601.0, 602.0]
    assert all(limits.take(now) for now in sorted(times))


def test_it_refuses_a_sustained_flood_after_the_burst():
    limits = bucket(limit=10)
    # Two a second from a full bucket: the burst (15) and the refill carry it for a while ...
    results = [limits.take(step / 2) for step in range(200)]
    assert results[:15] == [True] * 15
    assert not all(results)
    # ... then no more than the refill rate passes: 10 per 10 s.
    assert sum(results[100:]) == pytest.approx(50, abs=1)


def test_it_refills_the_bucket_with_time():
    limits = bucket(limit=3, now=0.0)
    assert [limits.take(0.0) for _ in range(9)] == [True] * 8 + [False]
    assert limits.take(10 / 3) is True
    assert limits.take(10 / 3) is False


def test_it_reads_the_flood_limit_from_the_settings(settings):
    settings.CHAT_MESSAGES_PER_10_SECONDS = 4
    limits = TokenBucket.for_messages(now=0.0)
    assert (limits.capacity, limits.rate) == (4 + consumers.MESSAGE_BURST, 0.4)


def test_it_adds_the_conversation_to_an_encoded_frame():
    frame = json.dumps({"type": "message", "id": 3, "text": 'a "quoted" }'})
    assert json.loads(with_conversation(frame, "c-1")) == {
        "type": "message",
        "id": 3,
        "text": 'a "quoted" }',
        "conversation": "c-1",
    }


def _item(conversation, client_id: str, text: str = "Hi") -> dict:
    return {
        "conversation": conversation,
        "author_kind": "visitor",
        "text": text,
        "client_id": client_id,
    }


def _lost_once(monkeypatch):
    """The database connection dies as the first INSERT is sent: it reached the database (the
    row is committed) but the answer never came back."""
    real = services.messages_post
    attempts = []

    def flaky(**kwargs):
        attempts.append(1)
        result = real(**kwargs)
        if len(attempts) == 1:
            monkeypatch.setattr(connection, "is_usable", lambda: False)
            raise OperationalError("server closed the connection unexpectedly")
        return result

    monkeypatch.setattr(services, "messages_post", flaky)
    return attempts


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_message_again_on_a_connection_found_dead(monkeypatch):
    conversation = conversation_start(language="en").conversation
    attempts = _lost_once(monkeypatch)
    ((message, created),) = messages_post_checked([_item(conversation, "c-1", "still here")])
    assert len(attempts) == 2
    # Saved once (the client_id is unique), and broadcast: nobody heard of it yet.
    assert created
    assert list(Message.objects.values_list("pk", "text")) == [(message.pk, "still here")]


@pytest.mark.django_db(transaction=True)
def test_it_raises_a_database_error_on_a_working_connection(monkeypatch):
    conversation = conversation_start(language="en").conversation

    def failing(**kwargs):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(services, "messages_post", failing)
    with pytest.raises(OperationalError):
        messages_post_checked([_item(conversation, "c-1")])


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_batch_of_messages_in_order():
    conversation = conversation_start(language="en").conversation
    results = services.messages_post(
        items=[_item(conversation, f"c-{number}", f"text {number}") for number in range(3)]
    )
    assert [created for _message, created in results] == [True] * 3
    rows = list(Message.objects.order_by("pk").values_list("pk", "client_id", "text", "person"))
    assert rows == [
        (message.pk, f"c-{number}", f"text {number}", conversation.person)
        for number, (message, _created) in enumerate(results)
    ]


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_batch_with_a_resent_client_id_once_each():
    conversation = conversation_start(language="en").conversation
    ((first, _created),) = services.messages_post(items=[_item(conversation, "c-1")])
    results = services.messages_post(
        items=[_item(conversation, "c-1"), _item(conversation, "c-2"), _item(conversation, "c-2")]
    )
    (again, created_1), (second, created_2), (second_again, created_3) = results
    assert (again.pk, created_1) == (first.pk, False)
    assert created_2 and (second_again.pk, created_3) == (second.pk, False)
    assert Message.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_it_writes_what_arrives_meanwhile_in_one_batch(monkeypatch):
    conversation = conversation_start(language="en").conversation
    batches = []
    real = consumers.messages_post_checked

    def counted(items):
        batches.append([item["client_id"] for item in items])
        return real(items)

    monkeypatch.setattr(consumers, "messages_post_checked", counted)
    writer = MessageWriter()
    writer.WRITERS = 1

    async def scenario():
        alone = await writer.post(**_item(conversation, "c-0"))
        together = await asyncio.gather(
            *(writer.post(**_item(conversation, f"c-{number}")) for number in range(1, 4))
        )
        return [alone, *together]

    results = async_to_sync(scenario)()
    # A lone message goes at once, alone; those that arrive together share one INSERT.
    assert batches == [["c-0"], ["c-1", "c-2", "c-3"]]
    assert [message.client_id for message, _created in results] == [f"c-{n}" for n in range(4)]
    assert Message.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_it_handles_a_message_without_channels_connection_clean_up_hop(monkeypatch):
    calls = []

    async def counted():
        calls.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", counted)

    async def scenario():
        visitor = await connected()
        await started(visitor)
        await visitor.send_json_to({"type": "message", "client_id": "c-1", "text": "Hi"})
        ack = await receive(visitor, "ack")
        frame = await receive(visitor, "message")
        await visitor.disconnect()
        return ack, frame

    ack, frame = async_to_sync(scenario)()
    assert frame["id"] == ack["id"]
    # Neither the frames received nor the broadcast delivered went through Channels' hop.
    assert calls == []
