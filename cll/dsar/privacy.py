"""Data map of the dsar app (see cll/privacy/datamap.py).

A request is its own subject (``id:public_id``): its fields are sealed with the request's own data
key, so it survives the erasure of the account it is about (it is the proof of that erasure) and
is shredded when its retention ends.
"""

from django.utils.translation import gettext_lazy as _

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

REQUEST_RETENTION = retention_rule(
    "dsar-request",
    _(
        "Kept for 3 years after the request is closed, as proof of how it was handled; then "
        "deleted and its encryption key destroyed."
    ),
    days=3 * 365,
)
UNVERIFIED_RETENTION = retention_rule(
    "dsar-unverified",
    _(
        "A request whose verification link was never followed is deleted, and its encryption "
        "key destroyed, 7 days after the link expired."
    ),
    days=7,
)

_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)


def _rule(category: str, *, encrypted: bool = False, readers=_READERS) -> FieldRule:
    return FieldRule(
        category,
        (ACCOUNTABILITY_PURPOSE,),
        Basis.LEGAL_OBLIGATION,
        REQUEST_RETENTION,
        Erasure.DELETE,
        readers=readers,
        encrypted=encrypted,
    )


register(
    "dsar.DataSubjectRequest",
    title=_("Requests to exercise data-protection rights"),
    subject="id:public_id",
    description="Requests to exercise data-protection rights (access, erasure...), from anyone, "
    "with their deadlines and what was done.",
    fields={
        **same(NOT_PERSONAL, "id"),
        "email": _rule(Category.CONTACT, encrypted=True),
        # HMAC of the address: confirms a guessed address, never reveals one.
        "email_index": _rule(Category.CONTACT, readers=()),
        **same(
            _rule(Category.CONTENT, encrypted=True),
            "details",
            "extension_reason",
            "outcome",
        ),
        "account": _rule(Category.IDENTITY),
        "token_hash": FieldRule(
            Category.SECURITY,
            (ACCOUNTABILITY_PURPOSE,),
            Basis.LEGAL_OBLIGATION,
            REQUEST_RETENTION,
            Erasure.DELETE,
            readers=(),
        ),
        **same(
            _rule(Category.TECHNICAL),
            "public_id",
            "type",
            "status",
            "channel",
            "language",
            "entered_by",
            "received_at",
            "verified_at",
            "verification",
            "token_expires_at",
            "due_on",
            "extended_to",
            "extended_at",
            "closed_at",
            "reminders_sent",
            "last_escalated_on",
            "notices",
        ),
    },
)
# The code that applies the two rules above is in retention.py (found at start-up by the
# retention engine, which runs it daily) and behind manage.py prune_dsar_requests.
