"""Data map of the policies app (see cll/privacy/datamap.py)."""

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

POLICY_VERSIONS = retention_rule(
    "policy-versions",
    _(
        "Kept as long as the website exists: every published version proves what people were "
        "told; the staff member who published it is forgotten when their account is erased."
    ),
)
POLICY_RESPONSES = retention_rule(
    "policy-responses",
    _(
        "While the account exists; deleted with it (the evidence log keeps a trace that names "
        "nobody)."
    ),
)

_OFFICERS = (Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)

register(
    "policies.PolicyVersion",
    title=_("Published versions of the privacy policy and terms"),
    subject="published_by",
    description="Versions of the privacy policy and the general terms.",
    fields={
        **same(
            NOT_PERSONAL,
            "id",
            "public_id",
            "kind",
            "version",
            "body_fr",
            "body_en",
            "body_nl",
            "changes_fr",
            "changes_en",
            "changes_nl",
            "material",
            "affects_existing_processing",
            "new_consent_purposes",
            "created_at",
            "published_at",
            "effective_at",
            "announced_at",
        ),
        "published_by": FieldRule(
            Category.IDENTITY,
            (ACCOUNTABILITY_PURPOSE,),
            Basis.LEGAL_OBLIGATION,
            POLICY_VERSIONS,
            Erasure.ANONYMISE,
            readers=(Role.SELF, *_OFFICERS),
        ),
    },
)

# Evidence of what a person was told and answered (GDPR Art. 5(2) and 7(1)).
_EVIDENCE = FieldRule(
    Category.TECHNICAL,
    (ACCOUNTABILITY_PURPOSE,),
    Basis.LEGAL_OBLIGATION,
    POLICY_RESPONSES,
    Erasure.DELETE,
    readers=(Role.SELF, *_OFFICERS),
)

register(
    "policies.PolicyResponse",
    title=_("Answers to changes of the privacy policy or terms"),
    subject="user",
    description="Who was told of a policy change, and their acceptance, objection or deemed "
    "acceptance.",
    fields={
        **same(NOT_PERSONAL, "id", "version"),
        **same(_EVIDENCE, "public_id", "user", "notified_at", "decision", "decided_at"),
    },
)

register(
    "policies.PurposeConsent",
    title=_("Consents to new purposes"),
    subject="user",
    description="Opt-ins to purposes that a policy change introduced on the basis of consent.",
    fields={
        **same(NOT_PERSONAL, "id", "version", "purpose"),
        **same(_EVIDENCE, "public_id", "user", "opted_in", "changed_at"),
    },
)
