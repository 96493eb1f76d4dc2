"""Retention of the third-party tables the data map declares (sessions, the "my sessions" list,
admin log, task results).

Each function applies the rule of the same name in ``cll/privacy/thirdparty.py``, reading its
period from the data map, so the declared rule and the deletion cannot drift apart. The
data-map-wide retention engine builds on these.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from cll.privacy import thirdparty
from cll.privacy.datamap import RETENTION

# The code that applies each retention rule, by rule key: ``fn(*, dry_run: bool) -> int`` returns
# how many rows went (or would go). Apps register theirs with ``@pruner("<rule key>")``; the
# retention engine runs them all daily and lists them in a dry run.
PRUNERS: dict[str, Callable[..., int]] = {}


def pruner(rule: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """Register the function that applies retention rule ``rule`` (declared with
    ``retention_rule``). Its docstring is the help shown by ``prune_<thing>`` commands."""

    def decorator(fn: Callable[..., int]) -> Callable[..., int]:
        if rule not in RETENTION:
            raise ValueError(f"Unknown retention rule {rule!r}: declare it first.")
        if PRUNERS.get(rule, fn) is not fn:
            raise ValueError(f"Retention rule {rule!r} has two pruners.")
        PRUNERS[rule] = fn
        return fn

    return decorator


def _days(rule: str) -> int:
    days = RETENTION[rule].days
    if days is None:
        raise ValueError(f"Retention rule {rule!r} has no period in days.")
    return days


def prune_sessions() -> None:
    """Expired sign-in sessions (Django's own rule: past their expiry date)."""
    call_command("clearsessions")


def prune_user_sessions() -> int:
    """Rows of allauth's "my sessions" list whose sign-in session has ended (expired, signed out
    or cleared): the user-session rule in cll/accounts/privacy.py. Returns how many went."""
    if not apps.is_installed("allauth.usersessions"):
        return 0
    UserSession = apps.get_model("usersessions", "UserSession")
    return sum(1 for row in UserSession.objects.iterator() if row.purge())


def prune_admin_log(*, dry_run: bool = False) -> int:
    """Admin change-log rows older than the admin-log rule; returns how many (would) go."""
    if not apps.is_installed("django.contrib.admin"):
        return 0
    LogEntry = apps.get_model("admin", "LogEntry")
    cutoff = timezone.now() - timedelta(days=_days(thirdparty.ADMIN_LOG))
    old = LogEntry.objects.filter(action_time__lt=cutoff)
    if dry_run:
        return old.count()
    return old.delete()[0]


def prune_task_results() -> None:
    """Finished background-task results older than the task-result rule (database backend)."""
    if apps.is_installed("django_tasks_db"):
        days = str(_days(thirdparty.TASK_RESULT))
        call_command("prune_db_task_results", "--min-age-days", days, verbosity=0)
