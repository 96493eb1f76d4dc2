"""The transcript: e-mailed when the chat ends (visitor, staff or the idle job) if an address
was given at the start, and only then, once; every message in it, escaped in the HTML part."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.utils import timezone

from cll.chat import services
from cll.chat.models import Conversation, Message, Status
from cll.chat.tests.helpers import connected, receive, started
from cll.core.models import OutboxEmail
from cll.core.outbox import outbox_deliver_due

PAYLOAD = "<script>alert(1)</script>"


def _body(received, kind: str) -> str:
    return received.message.get_body(preferencelist=(kind,)).get_content()


@pytest.mark.django_db(transaction=True)
def test_it_emails_the_transcript_when_the_visitor_ends_the_chat(smtp_server, cecile):
    outbox = {}

    def staff_answers(public_id):
        services.message_post(
            conversation=Conversation.objects.get(public_id=public_id),
            author_kind=Message.Author.STAFF,
            author=cecile,
            client_id="s",
            text="Bonjour Ann",
        )
        # Nothing is sent while the chat goes on.
        outbox["before_end"] = OutboxEmail.objects.count()

    async def scenario():
        visitor = await connected()
        frame = await started(visitor, email="ann@example.be", name="Ann", language="fr")
        await visitor.send_json_to({"type": "message", "client_id": "1", "text": PAYLOAD})
        await receive(visitor, "message")
        await sync_to_async(staff_answers)(frame["conversation"])
        await visitor.send_json_to({"type": "end"})
        ended = await receive(visitor)
        await visitor.send_json_to({"type": "end"})
        await visitor.disconnect()
        return ended

    assert async_to_sync(scenario)() == {"type": "ended"}
    assert outbox["before_end"] == 0
    conversation = Conversation.objects.get()
    assert conversation.transcript_sent_at is not None
    assert OutboxEmail.objects.count() == 1  # the second end sent nothing

    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ("ann@example.be",)
    assert received.message["Content-Language"] == "fr"
    text = _body(received, "plain")
    assert f"Ann: {PAYLOAD}" in text
    assert "Bonjour Ann" in text
    html = _body(received, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.django_db
def test_it_sends_no_transcript_without_an_address():
    started_ = services.conversation_start(language="en")
    assert services.conversation_end(conversation=started_.conversation)
    assert not OutboxEmail.objects.exists()
    assert Conversation.objects.get().status == Status.ENDED


@pytest.mark.django_db
def test_the_idle_job_ends_quiet_conversations_and_sends_their_transcripts(smtp_server):
    quiet = services.conversation_start(language="nl", email="quiet@example.be").conversation
    services.message_post(
        conversation=quiet, author_kind=Message.Author.VISITOR, client_id="1", text="hallo"
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=settings.CHAT_IDLE_MINUTES - 1)):
        lively = services.conversation_start(language="en", email="lively@example.be")
        services.message_post(
            conversation=lively.conversation,
            author_kind=Message.Author.VISITOR,
            client_id="1",
            text="still here",
        )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=settings.CHAT_IDLE_MINUTES + 1)):
        ended = services.conversations_end_idle()
    assert [row.pk for row in ended] == [quiet.pk]
    quiet.refresh_from_db()
    assert quiet.ended_at is not None
    assert [row.to_address for row in OutboxEmail.objects.all()] == ["quiet@example.be"]
    assert Conversation.objects.get(pk=lively.conversation.pk).ended_at is None


@pytest.mark.django_db(transaction=True)
def test_the_idle_job_tells_the_open_sockets():
    from cll.chat.tasks import conversations_end_idle_due

    async def scenario():
        visitor = await connected()
        await started(visitor)
        later = timezone.now() + dt.timedelta(minutes=settings.CHAT_IDLE_MINUTES + 1)
        with time_machine.travel(later):
            count = await sync_to_async(conversations_end_idle_due.call)()
        ended = await receive(visitor)
        await visitor.disconnect()
        return count, ended

    assert async_to_sync(scenario)() == (1, {"type": "ended"})
    assert Conversation.objects.get().status == Status.ENDED
