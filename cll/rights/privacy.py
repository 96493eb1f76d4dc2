"""Data map of the rights app (see cll/privacy/datamap.py)."""

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

# The record of an export request (its status and dates) is kept this long after the request;
# the file itself goes as soon as it is downloaded or expires (see EXPORT_FILE).
EXPORT_RECORD_DAYS = 30

DATA_RIGHTS = purpose(
    "data-rights",
    _(
        "Answering the requests you make about your data: preparing your data export, and "
        "restricting or stopping the processing you asked us to restrict or stop."
    ),
)

EXPORT_FILE = retention_rule(
    "data-export",
    format_lazy(
        "{file} {record}",
        file=format_lazy(
            ngettext_lazy(
                "An export file is deleted as soon as its owner downloads it, or {days} day "
                "after it is ready if they never do.",
                "An export file is deleted as soon as its owner downloads it, or {days} days "
                "after it is ready if they never do.",
                settings.EXPORT_EXPIRY_DAYS,
            ),
            days=settings.EXPORT_EXPIRY_DAYS,
        ),
        record=format_lazy(
            ngettext_lazy(
                "The record of the request is deleted {days} day after it was made.",
                "The record of the request is deleted {days} days after it was made.",
                EXPORT_RECORD_DAYS,
            ),
            days=EXPORT_RECORD_DAYS,
        ),
    ),
    days=EXPORT_RECORD_DAYS,
)
RESTRICTION = retention_rule(
    "restriction",
    _("While the restriction is in force: deleted when the person lifts it or is erased."),
)
OBJECTION = retention_rule(
    "objection",
    _("While the objection stands: deleted when the person withdraws it or is erased."),
)

_READERS = (Role.SELF, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


def _technical(rule: str) -> FieldRule:
    return FieldRule(
        Category.TECHNICAL,
        (DATA_RIGHTS,),
        Basis.LEGAL_OBLIGATION,
        rule,
        Erasure.DELETE,
        readers=_READERS,
    )


register(
    "rights.ExportJob",
    title=_("Data exports"),
    subject="subject",
    description="Requests to download all one's data, and the encrypted file prepared for each.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(
            _technical(EXPORT_FILE),
            "public_id",
            "subject",
            "status",
            "progress",
            "language",
            "created_at",
            "finished_at",
            "expires_at",
            "downloaded_at",
            "file_name",
            "file_size",
        ),
    },
)

register(
    "rights.Restriction",
    title=_("Restrictions of processing"),
    subject="subject",
    description="Restrictions of processing a person asked for (GDPR Art. 18).",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(_technical(RESTRICTION), "public_id", "subject", "created_at"),
        "reason": FieldRule(
            Category.CONTENT,
            (DATA_RIGHTS,),
            Basis.LEGAL_OBLIGATION,
            RESTRICTION,
            Erasure.DELETE,
            readers=_READERS,
            encrypted=True,
        ),
    },
)

register(
    "rights.Objection",
    title=_("Objections to processing"),
    subject="subject",
    description="Objections a person made to a purpose of processing (GDPR Art. 21).",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(_technical(OBJECTION), "public_id", "subject", "purpose", "created_at"),
    },
)
