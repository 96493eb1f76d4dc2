"""Data map of the breach register: what the register keeps, for how long, and who reads it."""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    ACCOUNT_HOLDERS,
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

BREACH_REGISTER = retention_rule(
    "breach-register",
    format_lazy(
        ngettext_lazy(
            "The register of personal-data breaches (GDPR Art. 33(5)) is kept {days} day after "
            "the breach was detected, then deleted with the messages sent about it.",
            "The register of personal-data breaches (GDPR Art. 33(5)) is kept {days} days after "
            "the breach was detected, then deleted with the messages sent about it.",
            settings.BREACH_REGISTER_DAYS,
        ),
        days=settings.BREACH_REGISTER_DAYS,
    ),
    days=settings.BREACH_REGISTER_DAYS,
)
_register_readers = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)
# Who recorded or sent what: a staff member, named in the register as its author.
_breach_author = FieldRule(
    Category.IDENTITY,
    (ACCOUNTABILITY_PURPOSE,),
    Basis.LEGAL_OBLIGATION,
    BREACH_REGISTER,
    Erasure.ANONYMISE,
    readers=_register_readers,
)
# What staff wrote about the breach may name the people concerned: kept under legal hold, the
# authority may ask for it (Art. 33(5)).
_breach_text = FieldRule(
    Category.CONTENT,
    (ACCOUNTABILITY_PURPOSE,),
    Basis.LEGAL_OBLIGATION,
    BREACH_REGISTER,
    Erasure.LEGAL_HOLD,
    readers=_register_readers,
)

register(
    "breaches.Breach",
    title=_("Records of data breaches"),
    subject="reported_by",
    description="Register of personal-data breaches (GDPR Art. 33 and 34).",
    fields={
        **same(
            NOT_PERSONAL,
            "id",
            "public_id",
            "detected_at",
            "data_categories",
            "people_count",
            "records_count",
            "authority_notification",
            "authority_notified_at",
            "authority_reference",
            "people_notification",
            "people_notified_at",
            "created_at",
            "updated_at",
        ),
        "reported_by": _breach_author,
        **same(
            _breach_text,
            "title",
            "nature",
            "people_categories",
            "consequences",
            "measures",
            "late_reason",
            "decision_reasons",
        ),
    },
)
register(
    "breaches.BreachNotice",
    title=_("Messages about a data breach"),
    subject="sent_by",
    description="Messages sent to the people concerned by a breach (GDPR Art. 34).",
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "breach", "audience", "sent_at", "recipients"),
        "sent_by": _breach_author,
        **same(_breach_text, "subject", "body"),
    },
)
register(
    "breaches.BreachNotification",
    title=_("Notices of a data breach sent to the people affected"),
    subject="id:person",
    description="Who was told about a breach, and by which e-mail (GDPR Art. 34).",
    people=(ACCOUNT_HOLDERS,),
    fields={
        **same(NOT_PERSONAL, "id", "breach", "notice"),
        **same(
            FieldRule(
                Category.TECHNICAL,
                (ACCOUNTABILITY_PURPOSE,),
                Basis.LEGAL_OBLIGATION,
                BREACH_REGISTER,
                Erasure.LEGAL_HOLD,
                readers=(Role.SELF, *_register_readers),
            ),
            "person",
            "email",
            "created_at",
        ),
    },
)
