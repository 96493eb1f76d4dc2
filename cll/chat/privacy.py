"""Data map of the live chat (see cll/privacy/datamap.py).

A conversation and its messages belong to ``person`` (the account's public id, or the
conversation's own public id for a visitor): an account's export and erasure find them; a
visitor's ended chat is deleted by retention, which destroys its own key. The e-mail address is
asked for one purpose only, the transcript (the general terms: "you can receive a transcript of
chat exchanges ... provided you enter your e-mail address at the start of the conversation").
A chat turned into a ticket lives on as the ticket (its first message is the transcript), which
follows the helpdesk's own rule.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.accounts.privacy import ACCOUNT
from cll.privacy.datamap import (
    NOT_PERSONAL,
    SMTP_RELAY,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    purpose,
    register,
    retention_rule,
    same,
)

CHAT = purpose(
    "live-chat",
    _(
        "Answering you in the live chat and, if you give your e-mail address at the start, "
        "sending you the transcript when the chat ends."
    ),
)
TRANSCRIPTS = retention_rule(
    "chat-transcript",
    format_lazy(
        ngettext_lazy(
            "A chat is deleted {days} day after it ended, with its messages; a chat turned into "
            "a support request is kept as that request.",
            "A chat is deleted {days} days after it ended, with its messages; a chat turned "
            "into a support request is kept as that request.",
            settings.CHAT_TRANSCRIPT_DAYS,
        ),
        days=settings.CHAT_TRANSCRIPT_DAYS,
    ),
    days=settings.CHAT_TRANSCRIPT_DAYS,
)

_READERS = (Role.SELF, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)


def _rule(category: str, *, encrypted: bool = False, readers=_READERS, recipients=()) -> FieldRule:
    return FieldRule(
        category,
        (CHAT,),
        Basis.LEGITIMATE_INTEREST,
        TRANSCRIPTS,
        Erasure.DELETE,
        readers=readers,
        recipients=recipients,
        encrypted=encrypted,
    )


register(
    "chat.Conversation",
    title=_("Your live chats"),
    subject="id:person",
    description="Live chats between a visitor (signed in or not) and Customer service: who "
    "answered, when, the optional address for the transcript and the ticket it became.",
    fields={
        # Which staff member answered: about staff, not the person (never named in their
        # export, as in the ledger).
        **same(NOT_PERSONAL, "id", "public_id", "assigned_to"),
        **same(_rule(Category.IDENTITY), "person", "account", "language"),
        "name": _rule(Category.IDENTITY, encrypted=True),
        # The transcript is handed to the relay that carries it.
        "email": _rule(Category.CONTACT, encrypted=True, recipients=(SMTP_RELAY,)),
        "token_hash": _rule(Category.SECURITY, readers=()),
        **same(
            _rule(Category.CONTENT),
            "status",
            "started_at",
            "ended_at",
            "ticket",
            "transcript_sent_at",
        ),
    },
)
register(
    "chat.Message",
    title=_("Messages of your live chats"),
    subject="id:person",
    description="The messages of a live chat: the visitor's, staff answers and automatic notes.",
    fields={
        # author: the staff member who wrote it (see "assigned_to" above).
        **same(NOT_PERSONAL, "id", "conversation", "client_id", "author"),
        **same(_rule(Category.CONTENT), "person", "author_kind", "created_at"),
        "text": _rule(Category.CONTENT, encrypted=True, recipients=(SMTP_RELAY,)),
    },
)
register(
    "chat.StaffAvailability",
    title=_("Live chat availability"),
    subject="user",
    description="Whether a Customer service member's chat console is open and answering.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(
            FieldRule(
                Category.TECHNICAL,
                (CHAT,),
                Basis.LEGITIMATE_INTEREST,
                ACCOUNT,
                Erasure.DELETE,
                readers=(Role.SELF, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR),
            ),
            "user",
            "until",
        ),
    },
)
