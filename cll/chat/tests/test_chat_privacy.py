"""An account's export and erasure include its chats (the generic engines, through the data
map), and nobody else's; the resume secret's hash is never exported."""

from __future__ import annotations

import json

import pytest

from cll.chat import services
from cll.chat.models import Conversation, Message
from cll.erasure.services import erasure_execute
from cll.helpdesk.tests.test_helpdesk_privacy import exported, records

pytestmark = pytest.mark.django_db


def chat(account, text: str) -> Conversation:
    conversation = services.conversation_start(
        account=account, language="fr", email=account.email, name="Someone"
    ).conversation
    services.message_post(
        conversation=conversation,
        author_kind=Message.Author.VISITOR,
        client_id="1",
        text=text,
    )
    return conversation


def test_the_export_holds_the_persons_chats_only(alice, charlie, tmp_path):
    chat(alice, "Alice asks about B2")
    chat(charlie, "Charlie asks about A1")
    data = exported(alice, tmp_path)
    (conversation,) = records(data, "chat.Conversation")
    assert conversation["email"] == alice.email
    assert "token_hash" not in conversation
    assert [row["text"] for row in records(data, "chat.Message")] == ["Alice asks about B2"]
    assert "Charlie" not in json.dumps(data)


def test_erasure_removes_the_persons_chats(alice, charlie):
    chat(alice, "Alice's question")
    theirs = chat(charlie, "Charlie's question")
    erasure_execute(subject=alice, reason="test")
    assert list(Conversation.objects.all()) == [theirs]
    assert not Message.objects.filter(person=alice.public_id).exists()
