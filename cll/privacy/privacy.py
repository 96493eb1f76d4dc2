"""Data map of the privacy app itself (keys, the evidence ledger, retention notices) and of
third-party models."""

# The platform's tables and Django's and the libraries' models are declared apart, in
# platform.py and thirdparty.py.
from django.utils.translation import gettext_lazy as _

from cll.privacy import platform, thirdparty  # noqa: F401
from cll.privacy.datamap import (
    ACCOUNT_HOLDERS,
    ACCOUNT_PURPOSE,
    ACCOUNTABILITY_PURPOSE,
    NOT_PERSONAL,
    SECURITY_PURPOSE,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    register,
    retention_rule,
    same,
)

EVIDENCE = retention_rule(
    "evidence",
    _(
        "Kept for 10 years as proof that we respect data-protection law (GDPR Art. 5(2) and "
        "7(1)); it holds only pseudonymous identifiers, so once a person is erased nothing in it "
        "names them."
    ),
    days=3653,
)
KEY_LIFETIME = retention_rule(
    "data-key",
    _(
        "Until the person is erased; then the key is destroyed, which makes everything "
        "encrypted with it unreadable for good."
    ),
)

_pseudonymous_id = FieldRule(
    Category.TECHNICAL,
    (ACCOUNTABILITY_PURPOSE,),
    Basis.LEGAL_OBLIGATION,
    EVIDENCE,
    Erasure.LEGAL_HOLD,
    readers=(Role.PRIVACY_OFFICER, Role.ADMINISTRATOR),
)

register(
    "privacy.AuditEntry",
    title=_("Evidence log: consents, requests and staff access to data"),
    subject="id:subject",
    description="Evidence ledger: staff access to personal data, consents, requests.",
    fields={
        **same(
            NOT_PERSONAL,
            "id",
            "seq",
            "at",
            "actor_role",
            "action",
            "fields",
            "route",
            "detail",
            "prev_hash",
            "hash",
            "key_id",
        ),
        **same(_pseudonymous_id, "actor", "subject", "target"),
    },
)

register(
    "core.DataKey",
    title=_("Data key (personal encryption key)"),
    subject="id:subject",
    description="Per-person encryption keys, wrapped by the master keyring.",
    fields={
        **same(NOT_PERSONAL, "id", "master_key_id", "created_at", "destroyed_at"),
        "subject": FieldRule(
            Category.TECHNICAL,
            (SECURITY_PURPOSE,),
            Basis.LEGAL_OBLIGATION,
            KEY_LIFETIME,
            Erasure.ANONYMISE,
            readers=(),
        ),
        "wrapped": FieldRule(
            Category.SECURITY,
            (SECURITY_PURPOSE,),
            Basis.LEGAL_OBLIGATION,
            KEY_LIFETIME,
            Erasure.DELETE,
            readers=(),
        ),
    },
)

# Where the evidence retention cut the ledger: seq numbers and hashes, nobody's data.
register(
    "privacy.AuditSeal",
    subject=None,
    description="Seals left where the oldest ledger entries were removed after 10 years.",
    fields=same(NOT_PERSONAL, "seq", "hash", "sealed_at", "removed"),
)

RETENTION_NOTICE = retention_rule(
    "retention-notice",
    _(
        "From the e-mail warning a person that their account will be erased until they sign in "
        "again (the warning is then cancelled) or are erased."
    ),
)

# The pseudonymous id of the person warned and when: the evidence that the warning came first.
register(
    "privacy.RetentionNotice",
    title=_("Warnings before an inactive account is erased"),
    subject="id:subject",
    description="Warnings sent before an inactive account is erased.",
    people=(ACCOUNT_HOLDERS,),
    fields={
        **same(NOT_PERSONAL, "id", "public_id", "rule"),
        **same(
            FieldRule(
                Category.TECHNICAL,
                (ACCOUNT_PURPOSE,),
                Basis.LEGITIMATE_INTEREST,
                RETENTION_NOTICE,
                Erasure.DELETE,
                readers=(Role.SELF, Role.PRIVACY_OFFICER, Role.ADMINISTRATOR),
            ),
            "subject",
            "warned_at",
            "due_at",
        ),
    },
)
