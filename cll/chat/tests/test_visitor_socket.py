"""The visitor's websocket (ws/chat/), through the real ASGI application: origin check,
start/resume/message/typing/end per the protocol, save before broadcast, limits."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from cll.chat.consumers import MESSAGE_BURST
from cll.chat.models import Conversation, Message, Status
from cll.chat.tests.helpers import closed_code, connected, receive, socket, started
from cll.core.models import OutboxEmail

# Channels closes stale database connections around each websocket event: the consumers' work
# runs outside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_it_closes_a_socket_from_a_foreign_origin(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "cll.example"]

    async def scenario():
        connected_, _ = await socket(origin=b"https://evil.example").connect()
        assert not connected_

    run(scenario)


def test_it_starts_a_conversation_sealed_for_a_visitor():
    async def scenario():
        visitor = await connected()
        frame = await started(visitor, email="Ann@Example.BE", name="Ann")
        await visitor.disconnect()
        return frame

    frame = run(scenario)
    assert frame["type"] == "started"
    assert frame["available"] is False
    conversation = Conversation.objects.get(public_id=frame["conversation"])
    assert conversation.email == "Ann@example.be"
    assert conversation.name == "Ann"
    assert conversation.status == Status.WAITING
    assert conversation.account is None
    # The secret is the visitor's alone: only its hash is stored.
    assert frame["token"] not in conversation.token_hash
    assert len(frame["token"]) >= 32


def test_it_refuses_a_malformed_email_and_saves_nothing():
    async def scenario():
        visitor = await connected()
        frame = await started(visitor, email="not an address")
        await visitor.disconnect()
        return frame

    assert run(scenario) == {"type": "error", "code": "bad_email"}
    assert not Conversation.objects.exists()


def test_it_saves_a_message_before_acknowledging_and_broadcasting_it():
    seen = {}

    async def scenario():
        visitor = await connected()
        second_tab = await connected()
        frame = await started(visitor)
        await second_tab.send_json_to(
            {"type": "resume", "conversation": frame["conversation"], "token": frame["token"]}
        )
        await receive(second_tab, "resumed")
        await visitor.send_json_to({"type": "message", "client_id": "c-1", "text": "Hello"})
        ack = await receive(visitor)
        # The row exists when the ack arrives.
        seen["row"] = await sync_to_async(Message.objects.filter(pk=ack["id"]).exists)()
        own = await receive(visitor)
        other = await receive(second_tab)
        await visitor.disconnect()
        await second_tab.disconnect()
        return ack, own, other

    ack, own, other = run(scenario)
    assert ack == {"type": "ack", "client_id": "c-1", "id": ack["id"]}
    assert seen["row"]
    assert own == other
    assert own["type"] == "message"
    assert own["id"] == ack["id"]
    assert own["client_id"] == "c-1"
    assert own["author"] == "visitor"
    assert own["name"] == ""
    assert own["text"] == "Hello"
    assert own["at"].endswith("Z")
    message = Message.objects.get()
    assert message.text == "Hello"
    assert message.person == message.conversation.person


def test_it_saves_a_resent_client_id_once():
    async def scenario():
        visitor = await connected()
        await started(visitor)
        acks = []
        for _ in range(2):
            await visitor.send_json_to({"type": "message", "client_id": "same", "text": "Hi"})
            acks.append(await receive(visitor, "ack"))
        await visitor.disconnect()
        return acks

    first, second = run(scenario)
    assert first == second
    assert Message.objects.count() == 1


def test_it_gives_a_reconnecting_visitor_what_it_missed():
    async def scenario():
        visitor = await connected()
        frame = await started(visitor)
        await visitor.send_json_to({"type": "message", "client_id": "a", "text": "one"})
        first = await receive(visitor, "ack")
        await visitor.disconnect()
        # Meanwhile (say, a staff answer), two more messages are saved.
        conversation = await sync_to_async(Conversation.objects.get)()
        for client_id in ("b", "c"):
            await sync_to_async(Message.objects.create)(
                conversation=conversation,
                person=conversation.person,
                author_kind=Message.Author.SYSTEM,
                client_id=client_id,
                text=f"missed {client_id}",
            )
        again = await connected()
        await again.send_json_to(
            {
                "type": "resume",
                "conversation": frame["conversation"],
                "token": frame["token"],
                "after": first["id"],
            }
        )
        resumed = await receive(again)
        await again.disconnect()
        return frame, resumed

    frame, resumed = run(scenario)
    assert resumed["type"] == "resumed"
    assert resumed["conversation"] == frame["conversation"]
    assert resumed["ended"] is False
    assert [m["text"] for m in resumed["messages"]] == ["missed b", "missed c"]


def test_it_closes_a_socket_with_a_wrong_token():
    async def scenario():
        owner = await connected()
        frame = await started(owner)
        await owner.disconnect()
        thief = await connected()
        await thief.send_json_to(
            {"type": "resume", "conversation": frame["conversation"], "token": "x" * 43}
        )
        error = await receive(thief)
        code = await closed_code(thief)
        return error, code

    error, code = run(scenario)
    assert error == {"type": "error", "code": "not_found"}
    assert code == 4404


def test_it_closes_someone_elses_account_conversation(alice, client):
    from cll.chat.tests.helpers import session_cookie

    cookie = session_cookie(lambda c, u: c.force_login(u), alice)

    async def scenario():
        owner = await connected(cookie=cookie)
        frame = await started(owner)
        await owner.disconnect()
        # The secret leaked, but the conversation is alice's account's: without her session
        # it opens nothing.
        stranger = await connected()
        await stranger.send_json_to(
            {"type": "resume", "conversation": frame["conversation"], "token": frame["token"]}
        )
        error = await receive(stranger)
        code = await closed_code(stranger)
        return error, code

    error, code = run(scenario)
    assert (error["code"], code) == ("not_found", 4404)
    conversation = Conversation.objects.get()
    assert conversation.account == alice
    assert conversation.person == alice.public_id


def test_it_drops_oversized_and_flooding_messages(settings):
    settings.CHAT_MESSAGES_PER_10_SECONDS = 3
    settings.CHAT_MAX_MESSAGE_CHARS = 100
    # A burst up to the limit plus MESSAGE_BURST passes, the next one is refused (not saved).
    allowed = 3 + MESSAGE_BURST

    async def scenario():
        visitor = await connected()
        await started(visitor)
        await visitor.send_json_to({"type": "message", "client_id": "big", "text": "x" * 101})
        too_long = await receive(visitor)
        answers = []
        for number in range(allowed + 1):
            await visitor.send_json_to(
                {"type": "message", "client_id": f"m{number}", "text": "spam"}
            )
            answers.append(await receive(visitor, "ack", "error"))
        await visitor.disconnect()
        return too_long, answers

    too_long, answers = run(scenario)
    assert too_long == {"type": "error", "code": "too_long", "client_id": "big"}
    assert [a["type"] for a in answers] == ["ack"] * allowed + ["error"]
    assert answers[-1] == {"type": "error", "code": "flood", "client_id": f"m{allowed}"}
    assert sorted(Message.objects.values_list("client_id", flat=True)) == sorted(
        f"m{number}" for number in range(allowed)
    )


def test_it_answers_malformed_frames_with_bad_request():
    async def scenario():
        visitor = await connected()
        answers = []
        for frame in ("not json", "[1]", '{"type": "nope"}', '{"type": "message"}'):
            await visitor.send_to(text_data=frame)
            answers.append(await receive(visitor))
        # Still open: a start works.
        answers.append((await started(visitor))["type"])
        await visitor.disconnect()
        return answers

    *errors, last = run(scenario)
    assert errors == [{"type": "error", "code": "bad_request"}] * 4
    assert last == "started"


def test_it_keeps_script_payloads_as_plain_text():
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    async def scenario():
        visitor = await connected()
        await started(visitor)
        await visitor.send_json_to({"type": "message", "client_id": "s", "text": payload})
        frame = await receive(visitor, "message")
        await visitor.disconnect()
        return frame

    assert run(scenario)["text"] == payload
    assert Message.objects.get().text == payload


def test_it_ends_a_conversation_and_refuses_messages_after(smtp_server):
    async def scenario():
        visitor = await connected()
        await started(visitor)
        await visitor.send_json_to({"type": "end"})
        ended = await receive(visitor)
        await visitor.send_json_to({"type": "message", "client_id": "late", "text": "hello?"})
        late = await receive(visitor)
        await visitor.disconnect()
        return ended, late

    ended, late = run(scenario)
    assert ended == {"type": "ended"}
    assert late == {"type": "error", "code": "ended", "client_id": "late"}
    conversation = Conversation.objects.get()
    assert conversation.status == Status.ENDED
    # No address given at the start: no transcript.
    assert conversation.transcript_sent_at is None
    assert not OutboxEmail.objects.exists()


def test_it_tells_the_staff_side_the_visitor_is_typing():
    async def scenario():
        visitor = await connected()
        frame = await started(visitor)
        other_tab = await connected()
        await other_tab.send_json_to(
            {"type": "resume", "conversation": frame["conversation"], "token": frame["token"]}
        )
        await receive(other_tab, "resumed")
        await visitor.send_json_to({"type": "typing"})
        # A visitor's own tabs are not "the other side": nothing arrives there.
        nothing = await other_tab.receive_nothing(timeout=0.2)
        await visitor.disconnect()
        await other_tab.disconnect()
        return nothing

    assert run(scenario)


def test_it_turns_a_message_left_when_nobody_is_available_into_a_ticket(smtp_server):
    from cll.helpdesk.models import Channel, Ticket

    async def scenario():
        visitor = await connected()
        frame = await started(visitor, email="ann@example.be")
        await visitor.send_json_to(
            {
                "type": "leave_message",
                "name": "Ann",
                "email": "bad address",
                "text": "Call me back?",
            }
        )
        bad = await receive(visitor)
        await visitor.send_json_to(
            {
                "type": "leave_message",
                "name": "Ann",
                "email": "ann@example.be",
                "text": "<i>Call</i> me back?",
            }
        )
        ticket = await receive(visitor)
        await visitor.disconnect()
        return frame, bad, ticket

    frame, bad, ticket = run(scenario)
    assert frame["available"] is False
    assert bad == {"type": "error", "code": "bad_email"}
    opened = Ticket.objects.get()
    assert ticket == {"type": "ticket", "reference": opened.reference}
    assert opened.channel == Channel.CHAT
    assert opened.email == "ann@example.be"
    assert opened.language == "en"
    assert opened.messages.get().body == "<i>Call</i> me back?"
    conversation = Conversation.objects.get()
    assert conversation.ticket == opened
    assert conversation.status == Status.ENDED
    # The chat had no message: no transcript, only the ticket's acknowledgement.
    assert conversation.transcript_sent_at is None
    addresses = [row.to_address for row in OutboxEmail.objects.all()]
    assert addresses.count("ann@example.be") == 1
