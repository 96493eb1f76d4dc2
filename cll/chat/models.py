"""The live chat: conversations between a visitor and Customer service, and their messages.

A conversation belongs to a person: ``person`` is the account's public id when the visitor was
signed in when it started, else the conversation's own ``public_id``. Every personal field of a
conversation and of its messages is sealed with that person's data key, so an account's export
and erasure find its chats (``id:person`` in the data map) and pruning a visitor's chat destroys
its key, backups included.

The visitor proves a conversation is theirs with a secret (``token``) handed out once, at the
start, and kept by their browser's tab (sessionStorage); only its SHA-256 (``token_hash``) is
stored. URLs and frames carry ``public_id``, never a primary key.

Life of a conversation (services.py)::

    WAITING --a staff member joins--> ACTIVE --visitor, staff or the idle job ends it--> ENDED

A message's ``client_id`` is chosen by the sender's browser: a message re-sent after a reconnect
carries the same one and is saved once (unique per conversation).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import EncryptedCharField, EncryptedTextField
from cll.helpdesk.models import Ticket


class Status(models.TextChoices):
    WAITING = "waiting", _("Waiting for an answer")
    ACTIVE = "active", _("In progress")
    ENDED = "ended", _("Ended")


class Conversation(models.Model):
    """One chat of one visitor (possibly signed in) with Customer service."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The account's public id, or the conversation's own public id (see above): so a
    # visitor's conversation is its own data subject, whatever becomes of an account later.
    person = models.UUIDField(_("person"), editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_conversations",
        verbose_name=_("account"),
    )
    # SHA-256 of the visitor's resume secret (cll.lib.tokens); the secret is never stored.
    token_hash = models.CharField(max_length=64, editable=False)
    name = EncryptedCharField(_("name"), max_length=100, blank=True)
    # Given (optionally) at the start to receive the transcript, and only for that.
    email = EncryptedCharField(_("e-mail address for the transcript"), max_length=254, blank=True)
    # The visitor's language: the transcript is written in it.
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.WAITING)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The ticket the chat became (nobody available, or turned into one by staff).
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    transcript_sent_at = models.DateTimeField(_("transcript sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        ordering = ["started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False),
                name="chat_conversation_ended_has_ended_at",
            ),
        ]
        indexes = [
            # The staff queue and the idle job: open conversations, oldest first.
            models.Index(fields=["ended_at", "started_at"], name="chat_open_idx"),
            # Export, erasure and retention find a person's conversations.
            models.Index(fields=["person"], name="chat_conversation_person_idx"),
        ]

    def __str__(self) -> str:
        # No name or address: __str__ ends up in logs.
        return str(self.public_id)

    @property
    def group(self) -> str:
        """The channel-layer group of every socket of this conversation."""
        return conversation_group(self.public_id)


def conversation_group(public_id: uuid.UUID) -> str:
    """The channel-layer group of every socket (visitor tabs, staff consoles) of a
    conversation."""
    return f"chat-c-{public_id.hex}"


# The channel-layer group of every open staff console (queue changes).
STAFF_GROUP = "chat-staff"


class Message(models.Model):
    """One message of a conversation, from the visitor, a staff member or the system."""

    class Author(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("Automatic message")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # The conversation's person, copied so that each message is sealed with (and found by) it.
    person = models.UUIDField(editable=False)
    author_kind = models.CharField(_("from"), max_length=16, choices=Author)
    # The staff member who wrote it; null for the visitor and the system.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    # Chosen by the sender's browser; the same one re-sent after a reconnect is saved once.
    client_id = models.CharField(max_length=64, blank=True)
    text = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=~Q(client_id=""),
                name="chat_message_client_id_once",
            ),
        ]
        indexes = [
            # Export and erasure find a person's messages.
            models.Index(fields=["person"], name="chat_message_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}:{self.pk}"


class StaffAvailability(models.Model):
    """A staff member's console is open and they said they answer chats, until ``until``.

    The console renews it every ``CHAT_AVAILABILITY_SECONDS / 2`` (heartbeat): a closed
    laptop lets it lapse, so visitors are never told someone is there when nobody is. A table
    rather than the cache: with several ASGI workers (and a per-process cache in the embedded
    layout) every worker must see the same answer.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_availability"
    )
    until = models.DateTimeField()

    class Meta:
        verbose_name = _("chat availability")
        verbose_name_plural = _("chat availabilities")
        indexes = [
            # "Is anybody available?" at the start of every chat.
            models.Index(fields=["until"], name="chat_availability_until_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} until {self.until:%H:%M:%S}"
