"""Live chat reads: the visitor's conversation by its secret, messages as frames, the staff
queue, availability.

Who may read what is decided before these are called: a visitor's socket holds only the
conversation whose secret it proved (``conversation_get_by_token``); the staff socket is open to
Customer service and administrators with a second factor only (consumers.py). Message texts are
plain text in every frame (never HTML): the browsers insert them with ``textContent``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from cll.accounts.models import LearnerProfile
from cll.chat.models import Conversation, Message, StaffAvailability, Status
from cll.lib.tokens import link_token_hash


def _parse_uuid(value: object) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def conversation_get_by_token(*, public_id: object, token: object, account=None):
    """The conversation ``token`` opens, or None (unknown id, wrong secret, or a conversation
    started by an account other than the one signed in on this socket: someone else's)."""
    public_id = _parse_uuid(public_id)
    if public_id is None or not isinstance(token, str) or not 20 <= len(token) <= 128:
        return None
    conversation = Conversation.objects.filter(
        public_id=public_id, token_hash=link_token_hash(token)
    ).first()
    if conversation is None:
        return None
    if conversation.account_id is not None:
        signed_in = account is not None and account.is_authenticated
        if not signed_in or account.pk != conversation.account_id:
            return None
    return conversation


def conversation_get_for_staff(*, public_id: object) -> Conversation | None:
    """A conversation by its public id, for a staff socket (already checked for the role)."""
    public_id = _parse_uuid(public_id)
    if public_id is None:
        return None
    return Conversation.objects.select_related("account").filter(public_id=public_id).first()


def staff_first_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Staff members' first names (what visitors see of who answers), by user id."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    rows = LearnerProfile.objects.filter(user_id__in=ids).only("user_id", "first_name")
    return {row.user_id: row.first_name or "" for row in rows}


def staff_first_name(user) -> str:
    return staff_first_names([user.pk]).get(user.pk, "")


def message_event(message: Message, *, name: str = "") -> dict:
    """A message as the protocol's ``<message>`` frame (docs: /work/briefs/chat-protocol.md)."""
    return {
        "type": "message",
        "id": message.pk,
        "client_id": message.client_id or None,
        "author": message.author_kind,
        "name": name if message.author_kind == Message.Author.STAFF else "",
        "text": message.text or "",
        "at": message.created_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
    }


def messages_after(*, conversation: Conversation, after: int = 0) -> list[dict]:
    """The conversation's messages with an id above ``after`` (0: all), as frames, oldest
    first: what a reconnecting socket missed."""
    rows = list(Message.objects.filter(conversation_id=conversation.pk, pk__gt=after))
    names = staff_first_names(row.author_id for row in rows)
    return [message_event(row, name=names.get(row.author_id, "")) for row in rows]


def conversation_messages(*, conversation: Conversation) -> list[dict]:
    """Every message for a transcript, in the active language: who wrote it (``label``), the
    local time (``at_local``) and the text."""
    rows = list(Message.objects.filter(conversation_id=conversation.pk))
    names = staff_first_names(row.author_id for row in rows)
    result = []
    for row in rows:
        if row.author_kind == Message.Author.VISITOR:
            label = conversation.name or gettext("You")
        elif row.author_kind == Message.Author.STAFF:
            label = names.get(row.author_id) or gettext("CLL")
        else:
            label = gettext("CLL")
        result.append(
            {
                "label": label,
                "text": row.text or "",
                "at_local": timezone.localtime(row.created_at).strftime("%H:%M"),
                "author": row.author_kind,
            }
        )
    return result


def queue_list_for(*, user) -> list[dict]:
    """The open conversations for a staff console, oldest first: who, since when, in which
    language, whether somebody answers (``waiting``), whether it is this member's, and the last
    message. Two queries whatever the length of the queue."""
    last_id = Subquery(
        Message.objects.filter(conversation=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    )
    rows = list(
        Conversation.objects.filter(ended_at__isnull=True)
        .annotate(last_id=last_id)
        .only("public_id", "started_at", "name", "language", "status", "assigned_to_id")
        .order_by("started_at", "pk")
    )
    ids = [row.last_id for row in rows if row.last_id is not None]
    texts = dict(Message.objects.filter(pk__in=ids).values_list("pk", "text")) if ids else {}
    return [
        {
            "conversation": str(row.public_id),
            "started_at": row.started_at.isoformat(),
            "name": row.name or "",
            "language": row.language,
            "waiting": row.status == Status.WAITING,
            "assigned_to_me": row.assigned_to_id == user.pk,
            "last_text": texts.get(row.last_id, ""),
        }
        for row in rows
    ]


def staff_available() -> bool:
    """Whether at least one staff member's console says they answer chats right now."""
    return StaffAvailability.objects.filter(until__gt=timezone.now()).exists()
