"""Data map of the helpdesk (see cll/privacy/datamap.py).

A ticket and its messages belong to ``person`` (the account's public id, or the ticket's own
random id for a visitor): an account's export and erasure find them; a visitor's ticket is
deleted by retention, which destroys its own key. Customer service reads tickets (audited by the
staff services); nothing here is financial: payment details stay in the shop, whose data map
does not let Customer service read them.
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    NOT_PERSONAL,
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

SUPPORT = purpose(
    "support-requests",
    _(
        "Answering your questions and requests (contact form, support tickets, e-mail, live "
        "chat) and following up on our correspondence."
    ),
)
TICKETS = retention_rule(
    "helpdesk-ticket",
    format_lazy(
        ngettext_lazy(
            "A support request is deleted {days} day after it was closed, with its messages and "
            "files.",
            "A support request is deleted {days} days after it was closed, with its messages "
            "and files.",
            settings.HELPDESK_TICKET_DAYS,
        ),
        days=settings.HELPDESK_TICKET_DAYS,
    ),
    days=settings.HELPDESK_TICKET_DAYS,
)

_READERS = (Role.SELF, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)
# Internal notes: staff only (the person's export includes them when the privacy officer
# decides they are data about the person, not by default on their portal).
_STAFF = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)


def _rule(category: str, *, encrypted: bool = False, readers=_READERS) -> FieldRule:
    return FieldRule(
        category,
        (SUPPORT,),
        Basis.LEGITIMATE_INTEREST,
        TICKETS,
        Erasure.DELETE,
        readers=readers,
        encrypted=encrypted,
    )


register(
    "helpdesk.Ticket",
    title=_("Your support requests"),
    subject="id:person",
    description="Questions and requests sent through the contact form, the support portal, "
    "e-mail or the live chat, with their handling (status, priority, who answers, deadlines).",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "reference", "reply_key"),
        # Which staff member handles it: about staff, not the person (their export names the
        # role that answered, never who; the ledger does the same).
        **same(NOT_PERSONAL, "assignee"),
        **same(_rule(Category.IDENTITY), "person", "account", "language"),
        "name": _rule(Category.IDENTITY, encrypted=True),
        "email": _rule(Category.CONTACT, encrypted=True),
        "email_index": _rule(Category.CONTACT, readers=()),
        "subject": _rule(Category.CONTENT, encrypted=True),
        "access_token_hash": _rule(Category.SECURITY, readers=()),
        "access_token": _rule(Category.SECURITY, encrypted=True, readers=()),
        **same(
            _rule(Category.CONTENT),
            "topic",
            "session",
            "status",
            "priority",
            "channel",
            "created_at",
            "updated_at",
            "first_response_due",
            "first_responded_at",
            "resolution_due",
            "solved_at",
            "closed_at",
        ),
    },
)
register(
    "helpdesk.TicketMessage",
    title=_("Messages of your support requests"),
    subject="id:person",
    description="The messages of a support request: the person's, staff answers and staff's "
    "internal notes.",
    fields={
        # author: the staff member who wrote it (see "assignee" above); author_kind says staff.
        **same(NOT_PERSONAL, "id", "public_id", "ticket", "email_message_id", "author"),
        **same(_rule(Category.CONTENT), "person", "author_kind", "channel", "created_at"),
        "body": _rule(Category.CONTENT, encrypted=True),
        "is_internal": _rule(Category.CONTENT, readers=_STAFF),
    },
)
register(
    "helpdesk.TicketAttachment",
    title=_("Files attached to your support requests"),
    subject="id:person",
    description="Links between a ticket message and the scanned files attached to it.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(_rule(Category.CONTENT), "message", "upload", "person"),
    },
)
register(
    "helpdesk.CannedReply",
    subject=None,
    description="Ready answers Customer service inserts into replies.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "public_id",
        "title",
        "language",
        "topic",
        "body",
        "created_by",
        "updated_at",
    ),
)
