"""Data map of the erasure app (see cll/privacy/datamap.py)."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    ACCOUNTABILITY_PURPOSE,
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    register,
    retention_rule,
    same,
)

SCHEDULE = retention_rule(
    "erasure-schedule",
    format_lazy(
        ngettext_lazy(
            "Until the erasure is carried out at the end of the {days}-day waiting period, or "
            "the person cancels it; then deleted.",
            "Until the erasure is carried out at the end of the {days}-day waiting period, or "
            "the person cancels it; then deleted.",
            settings.ERASURE_GRACE_DAYS,
        ),
        days=settings.ERASURE_GRACE_DAYS,
    ),
)
JOURNAL_PENDING = retention_rule(
    "erasure-journal-pending",
    _(
        "Until the erasure is noted in the register that stops erased people from coming back "
        "with a restored backup (at once or shortly after); then deleted."
    ),
)

register(
    "erasure.ErasureSchedule",
    title=_("Scheduled erasure"),
    subject="user",
    description="Erasures asked for by the person, waiting for the end of the grace period.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(
            FieldRule(
                Category.TECHNICAL,
                ("account",),
                Basis.LEGAL_OBLIGATION,
                SCHEDULE,
                Erasure.DELETE,
                readers=(Role.SELF, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR),
            ),
            "user",
            "requested_at",
            "due_at",
        ),
        "cancel_token_hash": FieldRule(
            Category.SECURITY,
            ("account",),
            Basis.LEGAL_OBLIGATION,
            SCHEDULE,
            Erasure.DELETE,
            readers=(),
        ),
    },
)

# The former public id of an erased person: a pseudonym that no row leads to any more, kept
# until it is safely in the journal (which is what keeps them erased after a restore).
register(
    "erasure.JournalPending",
    title=_("Note of the erasure, for restored backups"),
    subject="id:subject",
    description="Erasures waiting to be written to the erasure journal (former public ids).",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(
            FieldRule(
                Category.TECHNICAL,
                (ACCOUNTABILITY_PURPOSE,),
                Basis.LEGAL_OBLIGATION,
                JOURNAL_PENDING,
                Erasure.LEGAL_HOLD,
                readers=(Role.PRIVACY_OFFICER, Role.ADMINISTRATOR),
            ),
            "subject",
            "erased_at",
        ),
    },
)

# One number: how far into the erasure journal this database is (a line count, about no one).
register(
    "erasure.JournalWatermark",
    subject=None,
    description="How far into the erasure journal the database is (a line number, no person).",
    fields=same(NOT_PERSONAL, "id", "seq", "updated_at"),
)
