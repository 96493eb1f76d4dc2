"""The staff console's websocket (ws/chat/staff/): who may open it, the queue, joining
(audited), answering, typing, availability, turning a chat into a ticket, ending it."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from cll.chat.models import Conversation, Message, StaffAvailability, Status
from cll.chat.tests.helpers import closed_code, connected, receive, session_cookie, started
from cll.helpdesk.models import Channel, Ticket
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db(transaction=True)

STAFF = "/ws/chat/staff/"


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def _refused(cookie: str = "") -> int | None:
    async def scenario():
        console = await connected(STAFF, cookie=cookie)
        return await closed_code(console)

    return run(scenario)


def test_it_closes_the_staff_socket_for_a_visitor():
    assert _refused() == 4403


def test_it_closes_the_staff_socket_for_a_learner(alice):
    assert _refused(session_cookie(lambda c, u: c.force_login(u), alice)) == 4403


def test_it_closes_the_staff_socket_for_staff_of_another_role(bill):
    assert _refused(session_cookie(staff_login, bill)) == 4403


def test_it_closes_the_staff_socket_without_a_second_factor(cecile):
    assert _refused(session_cookie(lambda c, u: c.force_login(u), cecile)) == 4403


def test_staff_answer_a_visitor_in_several_conversations(cecile):
    cookie = session_cookie(staff_login, cecile)

    async def scenario():
        console = await connected(STAFF, cookie=cookie)
        first_queue = await receive(console, "queue")
        await console.send_json_to({"type": "available", "value": True})
        ann, ben = await connected(), await connected()
        ann_started = await started(ann, name="Ann")
        ben_started = await started(ben, name="Ben")
        queue = await receive(console, "queue")
        while len(queue["conversations"]) < 2:
            queue = await receive(console, "queue")
        await ann.send_json_to({"type": "message", "client_id": "a1", "text": "Hello?"})
        await receive(ann, "message")
        for visitor in (ann_started, ben_started):
            await console.send_json_to({"type": "join", "conversation": visitor["conversation"]})
        joined = [await receive(console, "joined"), await receive(console, "joined")]
        await ann.send_json_to({"type": "typing"})
        typing = await receive(console, "typing")
        await console.send_json_to(
            {
                "type": "message",
                "conversation": ann_started["conversation"],
                "client_id": "s1",
                "text": "Good morning!",
            }
        )
        ack = await receive(console, "ack")
        answer = await receive(ann, "message")
        await console.send_json_to({"type": "typing", "conversation": ben_started["conversation"]})
        ben_typing = await receive(ben, "typing")
        for socket in (console, ann, ben):
            await socket.disconnect()
        return first_queue, queue, joined, typing, ack, answer, ben_typing, ann_started

    first_queue, queue, joined, typing, ack, answer, ben_typing, ann_started = run(scenario)
    assert first_queue == {"type": "queue", "conversations": []}
    names = [entry["name"] for entry in queue["conversations"]]
    assert names == ["Ann", "Ben"]
    assert all(entry["waiting"] for entry in queue["conversations"])
    assert not any(entry["assigned_to_me"] for entry in queue["conversations"])
    assert [m["text"] for m in joined[0]["messages"]] == ["Hello?"]
    assert joined[1]["messages"] == []
    assert typing == {
        "type": "typing",
        "author": "visitor",
        "conversation": ann_started["conversation"],
    }
    assert ack["client_id"] == "s1"
    assert ack["conversation"] == ann_started["conversation"]
    assert answer["author"] == "staff"
    assert answer["text"] == "Good morning!"
    assert answer["id"] == ack["id"]
    assert ben_typing == {"type": "typing", "author": "staff"}
    # Joining assigned both to cecile and was audited (ids only).
    assert set(Conversation.objects.values_list("status", "assigned_to")) == {
        (Status.ACTIVE, cecile.pk)
    }
    entries = AuditEntry.objects.filter(action="chat.conversation.join")
    assert entries.count() == 2
    assert {entry.actor for entry in entries} == {cecile.public_id}
    assert Message.objects.get(client_id="s1").author == cecile
    (queue_read,) = AuditEntry.objects.filter(action="chat.queue.read")
    assert (queue_read.actor, queue_read.actor_role) == (cecile.public_id, "Customer service")
    # Closing the console ends the availability.
    assert StaffAvailability.objects.get(user=cecile).until <= timezone.now()


def test_a_visitor_is_told_somebody_is_available(cecile):
    cookie = session_cookie(staff_login, cecile)

    async def scenario():
        console = await connected(STAFF, cookie=cookie)
        await receive(console, "queue")
        await console.send_json_to({"type": "available", "value": True})
        # The availability is saved when the next frame is answered.
        await console.send_json_to({"type": "join", "conversation": "nope"})
        await receive(console, "error")
        visitor = await connected()
        answer = await started(visitor)
        await console.disconnect()
        after = await connected()
        later = await started(after)
        await visitor.disconnect()
        await after.disconnect()
        return answer, later

    answer, later = run(scenario)
    assert answer["available"] is True
    assert later["available"] is False


def test_staff_turn_a_chat_into_a_ticket_holding_the_transcript(adam, smtp_server):
    cookie = session_cookie(staff_login, adam)

    async def scenario():
        visitor = await connected()
        frame = await started(visitor, email="ann@example.be", name="Ann")
        await visitor.send_json_to(
            {"type": "message", "client_id": "q", "text": "<b>When</b> does B1 start?"}
        )
        await receive(visitor, "message")
        console = await connected(STAFF, cookie=cookie)
        await console.send_json_to({"type": "join", "conversation": frame["conversation"]})
        await receive(console, "joined")
        await console.send_json_to({"type": "to_ticket", "conversation": frame["conversation"]})
        ticket = await receive(console, "ticket")
        await console.send_json_to({"type": "end", "conversation": frame["conversation"]})
        ended_staff = await receive(console, "ended")
        ended_visitor = await receive(visitor, "ended")
        await console.disconnect()
        await visitor.disconnect()
        return frame, ticket, ended_staff, ended_visitor

    frame, ticket, ended_staff, ended_visitor = run(scenario)
    opened = Ticket.objects.get()
    assert ticket == {
        "type": "ticket",
        "conversation": frame["conversation"],
        "reference": opened.reference,
    }
    assert opened.channel == Channel.CHAT
    assert opened.email == "ann@example.be"
    first = opened.messages.get()
    assert "Ann: <b>When</b> does B1 start?" in first.body
    conversation = Conversation.objects.get()
    assert conversation.ticket == opened
    assert ended_staff == {"type": "ended", "conversation": frame["conversation"]}
    assert ended_visitor == {"type": "ended"}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"chat.conversation.join", "chat.conversation.ticket", "chat.conversation.end"} <= (
        actions
    )


def test_staff_cannot_act_on_a_conversation_they_did_not_join(cecile):
    cookie = session_cookie(staff_login, cecile)

    async def scenario():
        visitor = await connected()
        frame = await started(visitor)
        console = await connected(STAFF, cookie=cookie)
        await receive(console, "queue")
        await console.send_json_to(
            {
                "type": "message",
                "conversation": frame["conversation"],
                "client_id": "x",
                "text": "hi",
            }
        )
        error = await receive(console, "error")
        await console.disconnect()
        await visitor.disconnect()
        return error

    assert run(scenario)["code"] == "bad_request"
    assert not Message.objects.exists()


def test_the_queue_shows_each_conversations_last_message(cecile, monkeypatch):
    from cll.chat import consumers

    # Refreshed every few seconds in production; at once here.
    monkeypatch.setattr(consumers, "QUEUE_REFRESH_SECONDS", 0.05)
    cookie = session_cookie(staff_login, cecile)

    async def scenario():
        console = await connected(STAFF, cookie=cookie)
        visitor = await connected()
        await started(visitor, name="Ann")
        await visitor.send_json_to({"type": "message", "client_id": "1", "text": "A question"})
        await receive(visitor, "message")
        while True:
            queue = await receive(console, "queue")
            if queue["conversations"] and queue["conversations"][0]["last_text"]:
                break
        await visitor.disconnect()
        await console.disconnect()
        return queue

    (entry,) = run(scenario)["conversations"]
    assert (entry["name"], entry["last_text"], entry["waiting"]) == ("Ann", "A question", True)


def test_a_chat_without_an_address_cannot_become_a_ticket(cecile):
    cookie = session_cookie(staff_login, cecile)

    async def scenario():
        visitor = await connected()
        frame = await started(visitor)
        console = await connected(STAFF, cookie=cookie)
        await console.send_json_to({"type": "join", "conversation": frame["conversation"]})
        await receive(console, "joined")
        await console.send_json_to({"type": "to_ticket", "conversation": frame["conversation"]})
        error = await receive(console, "error")
        await console.disconnect()
        await visitor.disconnect()
        return frame, error

    frame, error = run(scenario)
    assert error == {"type": "error", "code": "no_email", "conversation": frame["conversation"]}
    assert not Ticket.objects.exists()
