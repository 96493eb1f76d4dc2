"""Retention of the live chat: the pruner of its rule (declared in privacy.py; the engine is
cll/privacy/retention.py, which runs it daily).

- ``chat-transcript``: an ended conversation goes ``CHAT_TRANSCRIPT_DAYS`` after ``ended_at``,
  with its messages. A conversation that became a ticket stays while the ticket exists (the
  ticket holds the transcript and follows the helpdesk's rule); once retention deletes the
  ticket, the link is cleared and the conversation goes at the next run.

A visitor's conversation is its own data subject (``person`` is its own ``public_id``): its data
key is destroyed with it, so the transcript e-mail kept in the outbox and copies in backups
become unreadable too. An account's key is the account's and stays (also once the account is
gone and ``account`` is empty: erasing an account is the erasure engine's business).
"""

from __future__ import annotations

from django.db import transaction

from cll.chat.models import Conversation
from cll.chat.privacy import TRANSCRIPTS
from cll.core.encryption import data_key_destroy
from cll.privacy.retention import cutoff, pruner


@pruner(TRANSCRIPTS)
def prune_chat_transcripts(*, dry_run: bool) -> int:
    """Delete ended conversations older than the period that did not become a ticket still
    kept, with their messages (and a visitor's data key)."""
    rows = Conversation.objects.filter(ended_at__lt=cutoff(TRANSCRIPTS), ticket__isnull=True).only(
        "pk", "public_id", "person"
    )
    if dry_run:
        return rows.count()
    count = 0
    for conversation in list(rows):
        with transaction.atomic():
            person, own = conversation.person, conversation.person == conversation.public_id
            conversation.delete()
            if own:
                data_key_destroy(subject=person)
        count += 1
    return count
