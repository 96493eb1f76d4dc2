"""Data map of the accounts app (see cll/privacy/datamap.py)."""

from django.utils.translation import gettext_lazy as _

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

TEACHING = purpose(
    "teaching",
    _("Placing you in the right group and teaching you: your languages, level and objectives."),
)
BILLING = purpose(
    "billing",
    _("Invoicing the courses you order: your name and postal address on the invoice."),
)
CUSTOMER_SERVICE = purpose(
    "customer-service",
    _("Answering your questions and telling you about changes to the courses you follow."),
)

_IDENTITY_READERS = (
    Role.SELF,
    Role.ADMINISTRATOR,
    Role.PRIVACY_OFFICER,
    Role.BILLING,
    Role.CUSTOMER_SERVICE,
    Role.TEACHER,
)
_ADDRESS_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.BILLING)
_CONTACT_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.CUSTOMER_SERVICE)
_LEARNING_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.TEACHER)
_PRIVATE_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)

register(
    "accounts.LearnerProfile",
    subject="user",
    description="Learner profiles: names, address, telephone and learning profile.",
    fields={
        **same(NOT_PERSONAL, "id"),
        "user": FieldRule(
            Category.IDENTITY,
            ("account",),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_IDENTITY_READERS,
        ),
        **same(
            FieldRule(
                Category.IDENTITY,
                ("account", BILLING, CUSTOMER_SERVICE, TEACHING),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_IDENTITY_READERS,
                encrypted=True,
            ),
            "first_name",
            "last_name",
        ),
        **same(
            FieldRule(
                Category.CONTACT,
                (BILLING,),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_ADDRESS_READERS,
                encrypted=True,
            ),
            "street",
            "postcode",
            "city",
        ),
        "country": FieldRule(
            Category.CONTACT,
            (BILLING,),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_ADDRESS_READERS,
        ),
        "phone": FieldRule(
            Category.CONTACT,
            (CUSTOMER_SERVICE,),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_CONTACT_READERS,
            encrypted=True,
        ),
        **same(
            FieldRule(
                Category.LEARNING,
                (TEACHING,),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_LEARNING_READERS,
            ),
            "native_language",
            "learning_languages",
            "level",
        ),
        "objectives": FieldRule(
            Category.LEARNING,
            (TEACHING,),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_LEARNING_READERS,
            encrypted=True,
        ),
        # Asked to apply the age rules (children under 13 need a guardian) and for
        # age-appropriate groups; not shown to teachers.
        "birth_date": FieldRule(
            Category.IDENTITY,
            ("account", TEACHING),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_PRIVATE_READERS,
            encrypted=True,
        ),
        "other_details": FieldRule(
            Category.CONTENT,
            (TEACHING,),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_PRIVATE_READERS,
            encrypted=True,
        ),
        **same(
            FieldRule(
                Category.TECHNICAL,
                ("account",),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_PRIVATE_READERS,
            ),
            "created_at",
            "updated_at",
        ),
    },
)

# django-allauth's models. The address is clear text there (the library looks it up); see
# docs/architecture.md, "E-mail addresses".
register(
    "account.EmailAddress",
    subject="user",
    third_party=True,
    description="E-mail addresses of accounts and whether they are verified (django-allauth).",
    fields={
        **same(NOT_PERSONAL, "id"),
        "user": FieldRule(
            Category.IDENTITY,
            ACCOUNT_SERVICE,
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_PRIVATE_READERS,
        ),
        "email": FieldRule(
            Category.CONTACT,
            ACCOUNT_SERVICE,
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=(
                Role.SELF,
                Role.ADMINISTRATOR,
                Role.PRIVACY_OFFICER,
                Role.CUSTOMER_SERVICE,
                Role.BILLING,
            ),
        ),
        **same(
            FieldRule(
                Category.TECHNICAL,
                ACCOUNT_SERVICE,
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_PRIVATE_READERS,
            ),
            "verified",
            "primary",
        ),
    },
)
register(
    "account.EmailConfirmation",
    subject="email_address__user",
    third_party=True,
    description="Pending e-mail confirmations (django-allauth; unused with HMAC keys).",
    fields={
        **same(NOT_PERSONAL, "id"),
        "key": FieldRule(
            Category.SECURITY,
            ACCOUNT_SERVICE,
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
                readers=_PRIVATE_READERS,
            ),
            "email_address",
            "created",
            "sent",
        ),
    },
)
