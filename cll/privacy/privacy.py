"""Data map of the privacy app itself (keys and the evidence ledger) and of third-party models."""

# Django's and the libraries' models are declared apart, in thirdparty.py.
from cll.privacy import thirdparty  # noqa: F401
from cll.privacy.datamap import (
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
    "Kept as evidence of accountability (GDPR Art. 5(2), 7(1)) for 10 years; holds pseudonymous "
    "ids only, so erasure of the person leaves nothing that names them.",
    days=3653,
)
KEY_LIFETIME = retention_rule(
    "data-key", "Until the person is erased; then the key is destroyed (crypto-shredding)."
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
    subject="id:subject",
    description="Evidence ledger: staff access to personal data, consents, requests.",
    fields={
        **same(
            NOT_PERSONAL,
            "seq",
            "at",
            "actor_role",
            "action",
            "fields",
            "route",
            "detail",
            "prev_hash",
            "hash",
        ),
        **same(_pseudonymous_id, "actor", "subject", "target"),
    },
)

register(
    "privacy.DataKey",
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
