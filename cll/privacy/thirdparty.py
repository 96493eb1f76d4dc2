"""Data map of the models that Django and the libraries we install bring with them.

They are held to the same rule as ours (``privacy.E002``: every field classified), so a library
upgrade that adds a column cannot slip personal data past the map. Each model is declared only
when its app is installed, so removing an app does not leave a stale declaration behind.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    ACCOUNT_PURPOSE,
    ACCOUNTABILITY_PURPOSE,
    NOT_PERSONAL,
    SECURITY_PURPOSE,
    UNLINKED,
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

OPERATIONS_PURPOSE = purpose(
    "operations",
    _(
        "Running the service: background jobs done for you (such as sending e-mail) and "
        "fixing them when they fail."
    ),
)

_SESSION_DAYS = -(-settings.SESSION_COOKIE_AGE // 86400)  # rounded up to whole days
SESSION = retention_rule(
    "session",
    format_lazy(
        ngettext_lazy(
            "Until the sign-in session expires ({days} day after it was last renewed), then "
            "deleted.",
            "Until the sign-in session expires ({days} days after it was last renewed), then "
            "deleted.",
            _SESSION_DAYS,
        ),
        days=_SESSION_DAYS,
    ),
    days=_SESSION_DAYS,
)
ADMIN_LOG = retention_rule(
    "admin-log",
    _(
        "Kept one year after the change made in the administration, then deleted; deleted "
        "sooner with the staff member's account."
    ),
    days=365,
)
TASK_RESULT = retention_rule(
    "task-result",
    _("Kept 14 days after the background task finished, then deleted."),
    days=14,
)


if apps.is_installed("django.contrib.sessions"):
    # The session row ties to its user only inside the signed session_data blob, which no query
    # can filter on: it is UNLINKED and removed by expiry. Erasing a person also ends their
    # sessions, because deleting or deactivating the account makes AuthenticationMiddleware
    # reject the session.
    _session = FieldRule(
        Category.TECHNICAL,
        (ACCOUNT_PURPOSE, SECURITY_PURPOSE),
        Basis.CONTRACT,
        SESSION,
        Erasure.DELETE,
        readers=(),
    )
    register(
        "sessions.Session",
        title=_("Sign-in sessions"),
        subject=UNLINKED,
        third_party=True,
        description="Sign-in sessions (django.contrib.sessions).",
        fields={
            # Whoever holds the key is signed in as the person: a credential.
            "session_key": FieldRule(
                Category.SECURITY,
                (ACCOUNT_PURPOSE, SECURITY_PURPOSE),
                Basis.CONTRACT,
                SESSION,
                Erasure.DELETE,
                readers=(),
            ),
            **same(_session, "session_data", "expire_date"),
        },
    )

if apps.is_installed("django.contrib.admin"):
    # LogEntry is about the staff member who acted (user); object_repr and change_message may
    # also name the person whose record was edited (str() of the object), which no query can
    # tie to them: the admin-log retention removes those.
    _admin_log = FieldRule(
        Category.TECHNICAL,
        (ACCOUNTABILITY_PURPOSE, SECURITY_PURPOSE),
        Basis.LEGITIMATE_INTEREST,
        ADMIN_LOG,
        Erasure.DELETE,
        readers=(Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
    )
    register(
        "admin.LogEntry",
        title=_("Changes made by staff in the administration"),
        subject="user",
        third_party=True,
        description="History of changes made in the Django admin (django.contrib.admin).",
        fields={
            **same(NOT_PERSONAL, "id", "content_type", "action_flag"),
            **same(_admin_log, "action_time", "user", "object_id"),
            **same(
                FieldRule(
                    Category.IDENTITY,
                    (ACCOUNTABILITY_PURPOSE, SECURITY_PURPOSE),
                    Basis.LEGITIMATE_INTEREST,
                    ADMIN_LOG,
                    Erasure.DELETE,
                    readers=(Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
                ),
                "object_repr",
                "change_message",
            ),
        },
    )

if apps.is_installed("django_tasks_db"):
    # Tasks take ids, never personal values (DESIGN.md §3), but arguments, return values and
    # tracebacks can still point at a person, and no query ties a row to them: UNLINKED, purged
    # by retention.
    register(
        "django_tasks_database.DBTaskResult",
        title=_("Background tasks"),
        subject=UNLINKED,
        third_party=True,
        description="Queue and results of background tasks (django-tasks-db).",
        fields={
            **same(
                NOT_PERSONAL,
                "id",
                "status",
                "enqueued_at",
                "started_at",
                "finished_at",
                "priority",
                "task_path",
                "worker_ids",
                "queue_name",
                "backend_name",
                "run_after",
                "exception_class_path",
            ),
            **same(
                FieldRule(
                    Category.TECHNICAL,
                    (OPERATIONS_PURPOSE,),
                    Basis.LEGITIMATE_INTEREST,
                    TASK_RESULT,
                    Erasure.DELETE,
                    readers=(Role.ADMINISTRATOR,),
                ),
                "args_kwargs",
                "return_value",
                "traceback",
            ),
        },
    )

# Staff roles and permissions: configuration, not data about anyone (membership is classified
# on accounts.User.groups).
register(
    "auth.Group",
    subject=None,
    third_party=True,
    description="Staff roles (django.contrib.auth).",
    fields=same(NOT_PERSONAL, "id", "name", "permissions"),
)
register(
    "auth.Permission",
    subject=None,
    third_party=True,
    description="Permissions granted to staff roles (django.contrib.auth).",
    fields=same(NOT_PERSONAL, "id", "name", "content_type", "codename"),
)
register(
    "contenttypes.ContentType",
    subject=None,
    third_party=True,
    description="Catalogue of the project's models (django.contrib.contenttypes).",
    fields=same(NOT_PERSONAL, "id", "app_label", "model"),
)
