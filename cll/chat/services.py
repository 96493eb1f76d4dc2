"""Live chat writes: starting, posting, joining, ending, transcripts, tickets, availability.

Rules
-----
- **Saved before broadcast.** ``message_post`` commits the message (one INSERT, nothing else)
  and returns it with its id; only then do the consumers acknowledge and broadcast it. A
  reconnecting client asks for what came after the last id it saw, so nothing acknowledged is
  ever lost.
- **Idempotent sends.** A message carries the sender's ``client_id``; the database refuses a
  second row with the same one in the conversation, and the re-send gets the first row back.
- **Plain text only.** Messages are stored and sent as the text typed; every place that shows
  one escapes it (the widget and console insert it with ``textContent``, e-mail HTML is made
  from the text by the shared frame, which escapes it).
- **The transcript goes once, at the end.** Ending a conversation locks it, marks it ended and,
  if the visitor gave an address at the start, queues the transcript in the same transaction
  (``transcript_sent_at``): a second end, from another tab, a console or the idle job, finds
  it ended and sends nothing.
- **Staff reads are evidence.** A staff member joining a conversation (reading its messages),
  turning it into a ticket or ending it writes an audit entry (ids only) in the transaction.
- **The person's key.** ``person`` is the account's public id for a signed-in visitor, else the
  conversation's own public id: every sealed field and the transcript e-mail use it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, router, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cll.chat.models import Conversation, Message, StaffAvailability, Status
from cll.chat.selectors import conversation_messages
from cll.core.outbox import email_queue_template
from cll.core.roles import Role, acting_role
from cll.helpdesk.models import Channel, Topic
from cll.helpdesk.services import ticket_open
from cll.lib.tokens import link_token_new
from cll.privacy.services import audit_record

# Conversations nobody wrote in for this long are ended by the idle job (transcript sent).
NAME_MAX_CHARS = 100
EMAIL_MAX_CHARS = 254
STAFF_ROLES = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class Started:
    conversation: Conversation
    token: str  # the resume secret, handed to the visitor once; only its hash is stored


def _clean_language(language: object) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return language if isinstance(language, str) and language in codes else settings.LANGUAGE_CODE


def email_clean(value: object) -> str:
    """An optional e-mail address as typed: "" when none, else a valid address, lower-cased
    domain; raises ``ValidationError`` (code ``bad_email``) otherwise."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value.strip()) > EMAIL_MAX_CHARS:
        raise ValidationError(_("Enter a valid e-mail address."), code="bad_email")
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationError(_("Enter a valid e-mail address."), code="bad_email") from exc
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def name_clean(value: object) -> str:
    """An optional name: plain text on one line, at most ``NAME_MAX_CHARS`` characters."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:NAME_MAX_CHARS]


def conversation_start(
    *, account=None, language: object, email: object = "", name: object = ""
) -> Started:
    """Open a conversation for a visitor (``account``: the signed-in person, else None).

    The e-mail address, optional, is only for the transcript; a malformed one raises
    ``ValidationError`` (``bad_email``) and nothing is saved.
    """
    email = email_clean(email)
    if account is not None and not account.is_authenticated:
        account = None
    token = link_token_new(lifetime=None)
    conversation = Conversation(
        token_hash=token.hash,
        name=name_clean(name),
        email=email,
        language=_clean_language(language),
        account=account,
    )
    conversation.person = account.public_id if account is not None else conversation.public_id
    conversation.save(force_insert=True)
    return Started(conversation=conversation, token=token.token)


def message_post(
    *, conversation: Conversation, author_kind: str, text: str, client_id: str, author=None
) -> tuple[Message, bool]:
    """Save one message and return ``(message, created)``: the fast path of the chat.

    One statement, its own transaction (an INSERT in autocommit: one round trip to the
    database). A ``client_id`` already used in the conversation returns the message saved the
    first time, ``created`` False. Whether the conversation is still open, and the length and
    rate limits, are the consumer's to check before (it is told of every end through the
    channel layer); what reaches this function is saved.
    """
    message = Message(
        conversation_id=conversation.pk,
        person=conversation.person,
        author_kind=author_kind,
        author=author,
        client_id=client_id,
        text=text,
        created_at=timezone.now(),
    )
    using = router.db_for_write(Message)
    try:
        if transaction.get_connection(using).in_atomic_block:
            # Inside a caller's transaction, a savepoint keeps it usable after a duplicate.
            with transaction.atomic(using=using):
                message.save(force_insert=True, using=using)
        else:
            message.save(force_insert=True, using=using)
    except IntegrityError:
        # The same client_id again (a re-send after a reconnect): the first one stands.
        existing = Message.objects.filter(
            conversation_id=conversation.pk, client_id=client_id
        ).first()
        if existing is None:
            raise
        return existing, False
    return message, True


def messages_post(*, items: list[dict]) -> list[tuple[Message, bool]]:
    """Save several messages at once (each ``items`` entry: ``message_post``'s arguments) and
    return ``(message, created)`` for each, in order: the chat's fast path under load.

    One multi-row ``INSERT`` in one transaction instead of one statement and one commit per
    message (the database's commit and the thread hop are most of a message's cost at
    hundreds per second). All or nothing: if any ``client_id`` is already used (a re-send), the
    batch is rolled back and each message goes through ``message_post``, which returns the
    first row of a re-sent one. A single message is ``message_post`` itself.
    """
    if len(items) == 1:
        return [message_post(**items[0])]
    now = timezone.now()
    messages = [
        Message(
            conversation_id=item["conversation"].pk,
            person=item["conversation"].person,
            author_kind=item["author_kind"],
            author=item.get("author"),
            client_id=item["client_id"],
            text=item["text"],
            created_at=now,
        )
        for item in items
    ]
    using = router.db_for_write(Message)
    try:
        with transaction.atomic(using=using):
            Message.objects.using(using).bulk_create(messages)
    except IntegrityError:
        return [message_post(**item) for item in items]
    return [(message, True) for message in messages]


def _staff_audit(*, staff, conversation: Conversation, verb: str, **detail) -> None:
    audit_record(
        actor=staff,
        role=acting_role(staff, *STAFF_ROLES),
        action=f"chat.conversation.{verb}",
        target=conversation,
        route="ws/chat/staff/",
        detail={"conversation": conversation.public_id, **detail},
    )


def queue_read_audit(*, staff, count: int) -> None:
    """A staff console opened: it shows the open conversations (visitors' names, last
    messages). Audited once per console (``chat.queue.read``, a count, no ids)."""
    with transaction.atomic():
        audit_record(
            actor=staff,
            role=acting_role(staff, *STAFF_ROLES),
            action="chat.queue.read",
            route="ws/chat/staff/",
            detail={"conversations": count},
        )


def conversation_join(*, conversation: Conversation, staff) -> Conversation:
    """A staff member opens a conversation in their console (reads its messages): it is
    assigned to them if nobody has it yet. Audited (``chat.conversation.join``)."""
    with transaction.atomic():
        row = Conversation.objects.select_for_update().get(pk=conversation.pk)
        assigned = False
        if row.assigned_to_id is None and row.ended_at is None:
            row.assigned_to = staff
            row.status = Status.ACTIVE
            row.save(update_fields=["assigned_to", "status"])
            assigned = True
        _staff_audit(staff=staff, conversation=row, verb="join", assigned=assigned)
    return row


def transcript_text(*, conversation: Conversation) -> str:
    """The conversation as plain text, in its language: what the transcript e-mail and a
    ticket made from the chat carry."""
    lines = []
    with translation.override(conversation.language):
        for message in conversation_messages(conversation=conversation):
            lines.append(f"[{message['at_local']}] {message['label']}: {message['text']}")
    return "\n".join(lines)


def _transcript_queue(conversation: Conversation) -> None:
    with translation.override(conversation.language):
        messages = conversation_messages(conversation=conversation)
    email_queue_template(
        to=conversation.email,
        template_prefix="emails/chat_transcript",
        context={
            "started_at": timezone.localtime(conversation.started_at),
            "messages": messages,
        },
        language=conversation.language,
        subject_person=conversation.person,
    )


def conversation_end(*, conversation: Conversation, staff=None) -> bool:
    """End a conversation (the visitor, a staff member or the idle job); returns False when it
    had already ended. The transcript is queued now, if the visitor gave an address, and only
    once (``transcript_sent_at``). A staff member's end is audited."""
    with transaction.atomic():
        row = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if row.ended_at is not None:
            return False
        now = timezone.now()
        row.status, row.ended_at = Status.ENDED, now
        fields = ["status", "ended_at"]
        # A chat without a single message has nothing to transcribe.
        if row.email and row.transcript_sent_at is None and row.messages.exists():
            _transcript_queue(row)
            row.transcript_sent_at = now
            fields.append("transcript_sent_at")
        row.save(update_fields=fields)
        if staff is not None:
            _staff_audit(staff=staff, conversation=row, verb="end")
    conversation.status, conversation.ended_at = row.status, row.ended_at
    return True


def conversations_end_idle(*, now: datetime.datetime | None = None) -> list[Conversation]:
    """End every open conversation with no message for ``CHAT_IDLE_MINUTES`` (transcripts sent as
    at any end); returns those it ended."""
    cut = (now or timezone.now()) - datetime.timedelta(minutes=settings.CHAT_IDLE_MINUTES)
    recent = Message.objects.filter(conversation=OuterRef("pk"), created_at__gte=cut)
    ended = []
    for conversation in Conversation.objects.filter(
        ~Exists(recent), ended_at__isnull=True, started_at__lt=cut
    ).only("pk", "public_id"):
        if conversation_end(conversation=conversation):
            ended.append(conversation)
    return ended


def _ticket_contact(conversation: Conversation) -> tuple[str, str]:
    email = conversation.email or (conversation.account.email if conversation.account else "")
    return conversation.name, email


def conversation_to_ticket(*, conversation: Conversation, staff=None) -> str:
    """Turn a conversation into a helpdesk ticket whose first message is the transcript (staff
    "turn into a ticket"); returns its reference. Needs an address to answer: the one given
    for the transcript or the account's, else ``ValidationError`` (``no_email``). Audited."""
    with transaction.atomic():
        row = (
            # Only the conversation's row is locked: PostgreSQL refuses FOR UPDATE on the
            # nullable side of the outer join to the account.
            Conversation.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=conversation.pk)
        )
        if row.ticket_id is not None:
            return row.ticket.reference
        name, email = _ticket_contact(row)
        if not email:
            raise ValidationError(
                _("The visitor gave no e-mail address: the chat cannot become a ticket."),
                code="no_email",
            )
        with translation.override(row.language):
            subject = gettext("Live chat of %(date)s") % {
                "date": timezone.localtime(row.started_at).strftime("%Y-%m-%d %H:%M")
            }
        opened = ticket_open(
            name=name,
            email=email,
            subject=subject,
            body=transcript_text(conversation=row),
            topic=Topic.OTHER,
            language=row.language,
            channel=Channel.CHAT,
            account=row.account,
        )
        row.ticket = opened.ticket
        row.save(update_fields=["ticket"])
        if staff is not None:
            _staff_audit(
                staff=staff, conversation=row, verb="ticket", ticket=opened.ticket.public_id
            )
    conversation.ticket = row.ticket
    return opened.ticket.reference


def message_leave(
    *,
    account=None,
    language: object,
    name: object,
    email: object,
    text: str,
    conversation: Conversation | None = None,
    client_ip: str | None = None,
) -> str:
    """Nobody is available: the visitor's message becomes a helpdesk ticket (channel CHAT);
    returns its reference. The address is required (the answer goes there); a malformed one
    raises ``ValidationError`` (``bad_email``). The contact form's flood limits apply per
    client IP and address (``TicketRateLimited``). The visitor's conversation, if any, is
    linked to the ticket and ended."""
    email = email_clean(email) or (
        account.email if account is not None and account.is_authenticated else ""
    )
    if not email:
        raise ValidationError(_("Enter a valid e-mail address."), code="bad_email")
    language = _clean_language(language)
    with translation.override(language):
        subject = gettext("Message left in the live chat")
    with transaction.atomic():
        opened = ticket_open(
            name=name_clean(name),
            email=email,
            subject=subject,
            body=text,
            topic=Topic.OTHER,
            language=language,
            channel=Channel.CHAT,
            account=account,
            client_ip=client_ip,
        )
        if conversation is not None:
            # The chat that found nobody is over: it lives on as the ticket (no transcript).
            Conversation.objects.filter(pk=conversation.pk, ticket__isnull=True).update(
                ticket=opened.ticket
            )
            Conversation.objects.filter(pk=conversation.pk, ended_at__isnull=True).update(
                status=Status.ENDED, ended_at=timezone.now()
            )
    return opened.ticket.reference


def availability_set(*, user, available: bool) -> None:
    """Say a staff member answers chats for the next ``CHAT_AVAILABILITY_SECONDS`` (renewed by
    the console's heartbeat), or no longer does."""
    until = timezone.now()
    if available:
        until += datetime.timedelta(seconds=settings.CHAT_AVAILABILITY_SECONDS)
    StaffAvailability.objects.update_or_create(user=user, defaults={"until": until})
