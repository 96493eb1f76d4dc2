"""Data map of the accounts app (see cll/privacy/datamap.py)."""

from cll.privacy.datamap import (
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

ACCOUNT = retention_rule(
    "account", "While the account is active; deleted or anonymised when it is erased."
)
ACCOUNT_SERVICE = ("account", "security")

register(
    "accounts.User",
    subject="self",
    description="Accounts of learners, guardians and staff.",
    fields={
        **same(
            NOT_PERSONAL,
            "id",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
        ),
        "public_id": FieldRule(
            Category.IDENTITY,
            ACCOUNT_SERVICE,
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.ANONYMISE,
            readers=(Role.SELF, *Role.STAFF_ROLES),
        ),
        "email": FieldRule(
            Category.CONTACT,
            ACCOUNT_SERVICE,
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.ANONYMISE,
            readers=(
                Role.SELF,
                Role.ADMINISTRATOR,
                Role.PRIVACY_OFFICER,
                Role.CUSTOMER_SERVICE,
                Role.BILLING,
            ),
        ),
        "password": FieldRule(
            Category.SECURITY,
            ("security",),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=(),
        ),
        **same(
            FieldRule(
                Category.TECHNICAL,
                ACCOUNT_SERVICE,
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=(Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
            ),
            "last_login",
            "date_joined",
        ),
    },
)
