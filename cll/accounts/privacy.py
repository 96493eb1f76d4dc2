"""Data map of the accounts app (see cll/privacy/datamap.py)."""

from django.apps import apps
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
    "account", _("While the account is active; deleted or anonymised when it is erased.")
)
ACCOUNT_SERVICE = ("account", "security")

register(
    "accounts.User",
    title=_("Account"),
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
            "deactivated_at",
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

# Declared here because the profile's switch refers to it; the shop, which makes the
# suggestions (cll/shop/recommendations.py), declares the same key with the same text.
RECOMMENDATIONS = purpose(
    "recommendations",
    _(
        "Suggesting sessions that may suit you, from your languages, level, objectives and past "
        "sessions; you can switch this off in your profile."
    ),
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
# When and how an account's addresses and confirmations were made: the person's own records.
_ACCOUNT_METADATA = FieldRule(
    Category.TECHNICAL,
    ACCOUNT_SERVICE,
    Basis.CONTRACT,
    ACCOUNT,
    Erasure.DELETE,
    readers=_PRIVATE_READERS,
)

register(
    "accounts.LearnerProfile",
    title=_("Profile: name, address, telephone, languages and level"),
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
        "native_language": FieldRule(
            Category.LEARNING,
            (TEACHING,),
            Basis.CONTRACT,
            ACCOUNT,
            Erasure.DELETE,
            readers=_LEARNING_READERS,
        ),
        # Also what suggestions of sessions are made from, unless the person switched them off.
        **same(
            FieldRule(
                Category.LEARNING,
                (TEACHING, RECOMMENDATIONS),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_LEARNING_READERS,
            ),
            "learning_languages",
            "level",
        ),
        "objectives": FieldRule(
            Category.LEARNING,
            (TEACHING, RECOMMENDATIONS),
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
        # The person's choice about suggestions: read to honour it, never shown to staff
        # beyond those who answer privacy requests.
        "recommendations_enabled": FieldRule(
            Category.TECHNICAL,
            (RECOMMENDATIONS,),
            Basis.LEGITIMATE_INTEREST,
            ACCOUNT,
            Erasure.DELETE,
            readers=_PRIVATE_READERS,
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

CONSENT_REQUEST = retention_rule(
    "parental-consent-request",
    _(
        "Until the parent confirms (then deleted), or 7 days at most: an unanswered request is "
        "then deleted and its encryption key destroyed."
    ),
)

# A child's account is managed by a guardian: who, since when, under which policy version.
register(
    "accounts.Guardianship",
    title=_("Links between a parent or guardian and a child"),
    subject="child",
    description="Guardians of child learners, with the parental consent they gave.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(
            FieldRule(
                Category.MINOR,
                ("account",),
                Basis.LEGAL_OBLIGATION,
                ACCOUNT,
                Erasure.DELETE,
                readers=_PRIVATE_READERS,
            ),
            "guardian",
            "child",
            "consent_given_at",
            "policy_version",
            "status",
        ),
    },
)
# What a child under the digital consent age leaves: their parent's address, nothing else.
register(
    "accounts.ParentalConsentRequest",
    title=_("Requests for a parent's consent"),
    subject="id:public_id",
    description="Pending parental consent requests: a parent's e-mail address and a link hash.",
    fields={
        **same(NOT_PERSONAL, "id"),
        "public_id": FieldRule(
            Category.TECHNICAL,
            ("account",),
            Basis.LEGAL_OBLIGATION,
            CONSENT_REQUEST,
            Erasure.DELETE,
            readers=(),
        ),
        "parent_email": FieldRule(
            Category.CONTACT,
            ("account",),
            Basis.LEGAL_OBLIGATION,
            CONSENT_REQUEST,
            Erasure.DELETE,
            readers=(Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
            encrypted=True,
        ),
        "token_hash": FieldRule(
            Category.SECURITY,
            ("account",),
            Basis.LEGAL_OBLIGATION,
            CONSENT_REQUEST,
            Erasure.DELETE,
            readers=(),
        ),
        **same(
            FieldRule(
                Category.TECHNICAL,
                ("account",),
                Basis.LEGAL_OBLIGATION,
                CONSENT_REQUEST,
                Erasure.DELETE,
                readers=(),
            ),
            "created_at",
            "expires_at",
        ),
    },
)

# django-allauth's models. The address is clear text there (the library looks it up); see
# docs/architecture.md, "E-mail addresses".
register(
    "account.EmailAddress",
    title=_("E-mail addresses"),
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
            _ACCOUNT_METADATA,
            "verified",
            "primary",
        ),
    },
)
register(
    "account.EmailConfirmation",
    title=_("E-mail address confirmations"),
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
            _ACCOUNT_METADATA,
            "email_address",
            "created",
            "sent",
        ),
    },
)

# django-allauth's second factors (allauth.mfa). ``data`` holds the credential itself: the TOTP
# secret and the recovery-code seed, passed through allauth's MFA adapter ``encrypt()`` hook,
# which we do not override yet (the hook receives no user, so it cannot pick the person's data
# key; see docs/architecture.md), and WebAuthn public keys and credential ids. Nobody reads it.
if apps.is_installed("allauth.mfa"):
    register(
        "mfa.Authenticator",
        title=_("Sign-in methods: authenticator apps, security keys, recovery codes"),
        subject="user",
        third_party=True,
        description="Second factors of accounts: authenticator apps, security keys, recovery "
        "codes (django-allauth).",
        fields={
            **same(NOT_PERSONAL, "id"),
            "user": FieldRule(
                Category.IDENTITY,
                ("security",),
                Basis.CONTRACT,
                ACCOUNT,
                Erasure.DELETE,
                readers=_PRIVATE_READERS,
            ),
            "data": FieldRule(
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
                    ("security",),
                    Basis.CONTRACT,
                    ACCOUNT,
                    Erasure.DELETE,
                    readers=(Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
                ),
                "type",
                "created_at",
                "last_used_at",
            ),
        },
    )

USER_SESSION = retention_rule(
    "user-session",
    _(
        "While the sign-in session lasts: removed when the person signs out or ends it from "
        "their list of sessions; expired sessions are removed every day and whenever the list "
        "is shown."
    ),
)

# allauth.usersessions: the list of "my sessions" (IP address and browser of each sign-in).
if apps.is_installed("allauth.usersessions"):
    register(
        "usersessions.UserSession",
        title=_("Signed-in sessions"),
        subject="user",
        third_party=True,
        description="Your signed-in sessions: IP address, browser and times (django-allauth).",
        fields={
            **same(NOT_PERSONAL, "id"),
            # Whoever holds the key is signed in as the person: a credential.
            "session_key": FieldRule(
                Category.SECURITY,
                ("security",),
                Basis.CONTRACT,
                USER_SESSION,
                Erasure.DELETE,
                readers=(),
            ),
            **same(
                FieldRule(
                    Category.TECHNICAL,
                    ACCOUNT_SERVICE,
                    Basis.CONTRACT,
                    USER_SESSION,
                    Erasure.DELETE,
                    readers=(Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
                ),
                "user",
                "ip",
                "user_agent",
                "created_at",
                "last_seen_at",
                "data",
            ),
        },
    )

if apps.is_installed("allauth.socialaccount"):
    # Social sign-in (allauth.socialaccount), optional: only a person who chooses to link a
    # provider has a SocialAccount, so the basis is their consent; unlinking it from the profile
    # (/account/3rdparty/) deletes the row, as does erasing the account.
    SOCIAL_LINK = retention_rule(
        "social-link",
        _(
            "While the sign-in provider is linked to the account; deleted when the person "
            "unlinks it or the account is erased."
        ),
    )
    # What a linked provider account says about the person, and when it was linked or used.
    _SOCIAL_IDENTITY = FieldRule(
        Category.IDENTITY,
        ACCOUNT_SERVICE,
        Basis.CONSENT,
        SOCIAL_LINK,
        Erasure.DELETE,
        readers=_PRIVATE_READERS,
    )
    _SOCIAL_METADATA = FieldRule(
        Category.TECHNICAL,
        ACCOUNT_SERVICE,
        Basis.CONSENT,
        SOCIAL_LINK,
        Erasure.DELETE,
        readers=_PRIVATE_READERS,
    )
    register(
        "socialaccount.SocialAccount",
        title=_("Links to sign-in providers"),
        subject="user",
        third_party=True,
        description="Links between an account and a sign-in provider (django-allauth).",
        fields={
            **same(NOT_PERSONAL, "id", "provider"),
            "user": _SOCIAL_IDENTITY,
            # The person's identifier at the provider: lets it sign them in.
            "uid": _SOCIAL_IDENTITY,
            # The profile the provider sent, minimised on save to the identifier, the e-mail
            # address (and whether it is verified) and the name (cll/accounts/adapter.py,
            # EXTRA_DATA_KEPT).
            "extra_data": _SOCIAL_IDENTITY,
            **same(
                _SOCIAL_METADATA,
                "last_login",
                "date_joined",
            ),
        },
    )
    # Empty: SOCIALACCOUNT_STORE_TOKENS is False. Declared for what it would hold.
    register(
        "socialaccount.SocialToken",
        title=_("Links to sign-in providers"),
        subject="account__user",
        third_party=True,
        description="Provider access tokens (django-allauth; not stored, see settings).",
        fields={
            **same(NOT_PERSONAL, "id", "app"),
            **same(
                FieldRule(
                    Category.SECURITY,
                    ACCOUNT_SERVICE,
                    Basis.CONSENT,
                    SOCIAL_LINK,
                    Erasure.DELETE,
                    readers=(),
                ),
                "token",
                "token_secret",
            ),
            **same(
                _SOCIAL_METADATA,
                "account",
                "expires_at",
            ),
        },
    )
    # Provider configuration (empty: the apps are configured in settings). The client secret
    # is ours, not anyone's personal data.
    register(
        "socialaccount.SocialApp",
        subject=None,
        third_party=True,
        description="Sign-in provider configuration (django-allauth; configured in settings).",
        fields=same(
            NOT_PERSONAL,
            "id",
            "provider",
            "provider_id",
            "name",
            "client_id",
            "secret",
            "key",
            "settings",
        ),
    )
