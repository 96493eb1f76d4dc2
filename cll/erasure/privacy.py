"""Data map of the erasure app (see cll/privacy/datamap.py)."""

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
    "Until the erasure runs at the end of the grace period (CLL_ERASURE_GRACE_DAYS) or the "
    "person cancels it; then deleted.",
)
JOURNAL_PENDING = retention_rule(
    "erasure-journal-pending",
    "Until the erased person's former public id is written to the erasure journal (at once, "
    "or by the next periodic flush); then deleted.",
)

register(
    "erasure.ErasureSchedule",
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
