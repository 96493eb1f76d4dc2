"""Data map of the platform's tables (cll/core: the e-mail outbox, the data keys, the page
cache's version counter), declared by the kernel: the platform sits below it and imports none of
it (see cll/privacy/datamap.py)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.core.outbox import RETENTION_DAYS
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

OUTBOX = retention_rule(
    "outbox",
    format_lazy(
        ngettext_lazy(
            "E-mails we sent or failed to send are deleted {days} day after the last delivery "
            "attempt; messages still being delivered are kept until they are sent or given up.",
            "E-mails we sent or failed to send are deleted {days} days after the last delivery "
            "attempt; messages still being delivered are kept until they are sent or given up.",
            RETENTION_DAYS,
        ),
        days=RETENTION_DAYS,
    ),
    days=RETENTION_DAYS,
)
DELIVERY = (
    purpose(
        "email-delivery",
        _(
            "Delivering the e-mails we send you (retrying when your mail server is unavailable) "
            "and answering questions about whether a message was sent."
        ),
    ),
)

# The copy of a message: who it went to and what it said. Readable by the person (export) and
# the privacy officer answering a request; the staff admin shows delivery status only.
_message = FieldRule(
    Category.CONTACT,
    DELIVERY,
    Basis.LEGITIMATE_INTEREST,
    OUTBOX,
    Erasure.DELETE,
    readers=(Role.SELF, Role.PRIVACY_OFFICER),
    recipients=(SMTP_RELAY,),
    encrypted=True,
)
# Delivery metadata tied to the person: when we wrote to them and the message's id.
_metadata = FieldRule(
    Category.TECHNICAL,
    DELIVERY,
    Basis.LEGITIMATE_INTEREST,
    OUTBOX,
    Erasure.DELETE,
    readers=(Role.SELF, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR),
)

register(
    "core.OutboxEmail",
    title=_("E-mails we send"),
    subject="id:person",
    description="Outgoing e-mails, queued in the transaction that causes them and delivered "
    "by a background worker with retries.",
    fields={
        **same(
            NOT_PERSONAL,
            "id",
            "kind",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
        ),
        **same(_message, "to_address", "subject", "text_body", "html_body"),
        # List-Unsubscribe carries an opaque per-person token.
        "headers": FieldRule(
            Category.TECHNICAL,
            DELIVERY,
            Basis.LEGITIMATE_INTEREST,
            OUTBOX,
            Erasure.DELETE,
            readers=(Role.SELF, Role.PRIVACY_OFFICER),
            encrypted=True,
        ),
        **same(
            _metadata,
            "person",
            "message_id",
            "created_at",
            "last_attempt_at",
            "sent_at",
        ),
    },
)

register(
    "core.PublicContentVersion",
    subject=None,
    description="Version counter of public content, for the page cache.",
    fields=same(NOT_PERSONAL, "id", "version", "changed_at"),
)


# Uploaded files (cll/core/uploads.py): the owning app (helpdesk attachments, newsletter written
# agreements) decides who downloads them; they go with the person they belong to.
UPLOADS = retention_rule(
    "uploads",
    _(
        "A file you sent us is kept as long as what it is attached to (a ticket, a written "
        "agreement), then deleted with it."
    ),
)
UPLOAD_KEEPING = (purpose("uploads", _("Keeping the files you send us with what they belong to.")),)
_upload = FieldRule(
    Category.CONTENT,
    UPLOAD_KEEPING,
    Basis.CONTRACT,
    UPLOADS,
    Erasure.DELETE,
    readers=(
        Role.SELF,
        Role.PRIVACY_OFFICER,
        Role.CUSTOMER_SERVICE,
        # Newsletter written agreements (scanned documents).
        Role.MARKETING,
        Role.ADMINISTRATOR,
    ),
    encrypted=True,
)
register(
    "core.Upload",
    title=_("Files you sent us"),
    subject="id:subject",
    description="Uploaded files, scanned for malware before they are accepted and kept sealed "
    "outside the web root.",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "purpose", "storage_name", "status", "scanned_at"),
        **same(NOT_PERSONAL, "signature", "content_type", "size", "sha256", "created_at"),
        "subject": FieldRule(
            Category.TECHNICAL,
            UPLOAD_KEEPING,
            Basis.CONTRACT,
            UPLOADS,
            Erasure.DELETE,
            readers=(Role.SELF, Role.PRIVACY_OFFICER),
        ),
        "filename": _upload,
    },
)
