"""Retention of chats (rule ``chat-transcript``): ended chats go after CHAT_TRANSCRIPT_DAYS
with their messages and a visitor's key; chats that became a ticket follow the ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from cll.chat import services
from cll.chat.models import Conversation, Message
from cll.chat.retention import prune_chat_transcripts
from cll.core.encryption import DataKey
from cll.helpdesk.models import Channel, Topic
from cll.helpdesk.services import ticket_open

pytestmark = pytest.mark.django_db


def _ended(days_ago: float, **start) -> Conversation:
    conversation = services.conversation_start(language="en", **start).conversation
    services.message_post(
        conversation=conversation,
        author_kind=Message.Author.VISITOR,
        client_id="1",
        text="hello",
    )
    services.conversation_end(conversation=conversation)
    Conversation.objects.filter(pk=conversation.pk).update(
        ended_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return conversation


def _live_key(person) -> bool:
    return DataKey.objects.filter(subject=person, destroyed_at__isnull=True).exists()


def test_it_deletes_ended_chats_after_the_period_with_a_visitors_key():
    days = settings.CHAT_TRANSCRIPT_DAYS
    young = _ended(days - 1)
    old = _ended(days + 1)
    assert prune_chat_transcripts(dry_run=True) == 1
    assert Conversation.objects.count() == 2

    assert prune_chat_transcripts(dry_run=False) == 1
    assert list(Conversation.objects.values_list("pk", flat=True)) == [young.pk]
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert not _live_key(old.person)
    assert _live_key(young.person)


def test_it_keeps_an_accounts_key(alice):
    old = _ended(settings.CHAT_TRANSCRIPT_DAYS + 1, account=alice)
    assert old.person == alice.public_id
    # Even once unlinked from the account, the key it was sealed with is the account's.
    Conversation.objects.update(account=None)
    assert prune_chat_transcripts(dry_run=False) == 1
    assert _live_key(alice.public_id)


def test_a_chat_turned_into_a_ticket_follows_the_ticket():
    old = _ended(settings.CHAT_TRANSCRIPT_DAYS + 1)
    opened = ticket_open(
        name="Ann",
        email="ann@example.be",
        subject="Chat",
        body="hello",
        topic=Topic.OTHER,
        language="en",
        channel=Channel.CHAT,
    )
    Conversation.objects.filter(pk=old.pk).update(ticket=opened.ticket)
    assert prune_chat_transcripts(dry_run=False) == 0
    # The helpdesk's retention deletes the ticket: the chat goes at the next run.
    opened.ticket.delete()
    assert prune_chat_transcripts(dry_run=False) == 1
    assert not Conversation.objects.exists()
