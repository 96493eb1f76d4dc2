"""The retention engine: the code that applies each retention rule of the data map.

Rules are declared once, with ``datamap.retention_rule`` (a key, a description, a period in
days or none when the end is an event). The code that applies a rule is registered here with
``@pruner("<rule key>")``: ``fn(*, dry_run: bool) -> int`` returns how many rows went (or, with
``dry_run``, would go) and deletes nothing when dry. Apps put their pruners in
``<app>/retention.py``, imported at start-up like ``privacy.py`` (see ``apps.py``).

- ``retention_run`` runs every pruner (daily, from ``tasks.retention_run_daily``) and audits the
  counts; ``manage.py retention_run --dry-run`` lists each rule with what would go;
- every rule with a period has a pruner: ``tests/test_retention_engine.py`` fails otherwise, so
  a declared period cannot stay a promise without code;
- ``PruneCommand`` makes the plain ``prune_<thing>`` commands, whose help states the rule.

This module holds the pruners of the third-party tables (sessions, admin log, task results),
of the outbox and of the privacy app's own table (the evidence ledger).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from cll.core import outbox
from cll.core.encryption import data_key_destroy
from cll.core.models import OutboxEmail
from cll.privacy import thirdparty
from cll.privacy.datamap import RETENTION, Retention
from cll.privacy.ledger import ledger_chain
from cll.privacy.models import AuditEntry, AuditSeal
from cll.privacy.services import audit_record

logger = logging.getLogger(__name__)

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


def cutoff(rule: str) -> timezone.datetime:
    """The instant before which rows under ``rule`` have outlived its period."""
    return timezone.now() - timedelta(days=_days(rule))


def own_subject_rows_delete(rows, *, dry_run: bool) -> int:
    """Delete rows that are their own data subject (``subject="id:public_id"``: a privacy
    request, a quote request...), each with its data key, so e-mails about it and copies in
    backups become unreadable too. Returns how many rows go (or would go)."""
    count = 0
    for row in list(rows.only("pk", "public_id")):
        count += 1
        if dry_run:
            continue
        with transaction.atomic():
            subject = row.public_id
            row.delete()
            data_key_destroy(subject=subject)
    return count


class _Rollback(Exception):
    pass


def counted_without_change(fn: Callable[[], int | None], count: Callable[[], int]) -> int:
    """Dry run of a clean-up that has none of its own: run it in a transaction that is rolled
    back, and return ``count()`` taken before it minus after it (what it deleted).

    Only for clean-ups that touch nothing but the database (no e-mail, no files).
    """
    result = 0
    try:
        with transaction.atomic():
            before = count()
            fn()
            result = before - count()
            raise _Rollback
    except _Rollback:
        pass
    return result


# -- The engine ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRun:
    """What one rule's pruner did (or would do) in a run."""

    rule: Retention
    has_pruner: bool
    count: int = 0
    error: str = ""


def rules_without_pruner() -> list[Retention]:
    """Rules with a period in days that no code applies: a broken promise of the data map."""
    return [
        rule
        for key, rule in sorted(RETENTION.items())
        if rule.days is not None and key not in PRUNERS
    ]


def retention_run(*, dry_run: bool, rules: Iterable[str] | None = None) -> list[RuleRun]:
    """Run the pruner of every retention rule (or of ``rules``), in rule-key order.

    One failing pruner does not stop the others: its error is logged and reported, and the
    next run tries again. A real run writes one audit entry with the counts per rule (ids and
    numbers only); a dry run writes nothing at all.
    """
    keys = sorted(RETENTION) if rules is None else list(rules)
    runs: list[RuleRun] = []
    for key in keys:
        rule = RETENTION[key]
        fn = PRUNERS.get(key)
        if fn is None:
            runs.append(RuleRun(rule, has_pruner=False))
            continue
        try:
            count = fn(dry_run=dry_run)
        except Exception as exc:
            logger.exception("Retention: the pruner of rule %s failed.", key)
            runs.append(RuleRun(rule, has_pruner=True, error=type(exc).__name__))
            continue
        runs.append(RuleRun(rule, has_pruner=True, count=count))
    if not dry_run:
        with transaction.atomic():
            audit_record(
                action="retention.run",
                detail={
                    "counts": {run.rule.key: run.count for run in runs if run.has_pruner},
                    "errors": sorted(run.rule.key for run in runs if run.error),
                },
            )
    return runs


class PruneCommand(BaseCommand):
    """Base of the ``prune_<thing>`` commands: one rule, its pruner, ``--dry-run``.

    A command is ``class Command(PruneCommand): rule = "<rule key>"; noun = "<what goes>"``; its
    help is the rule's own description and period, and the pruner's docstring.
    """

    rule: str = ""
    noun: str = "rows"

    @property
    def help(self) -> str:  # type: ignore[override]
        rule = RETENTION[self.rule]
        period = f" Period: {rule.days} days." if rule.days is not None else ""
        doc = " ".join((PRUNERS[self.rule].__doc__ or "").split())
        return (
            f"Apply the retention rule {rule.key!r}: {rule.description}{period} {doc} "
            "Runs daily from the scheduler (retention_run_daily)."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would go; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        [run] = retention_run(dry_run=dry_run, rules=[self.rule])
        if run.error:
            raise CommandError(f"The pruner of rule {self.rule!r} failed: {run.error}.")
        verb = "would go" if dry_run else "went"
        self.stdout.write(f"{run.count} {self.noun} {verb} (rule {self.rule!r}).")


# -- Third-party tables -------------------------------------------------------------------------


def prune_sessions() -> None:
    """Expired sign-in sessions (Django's own rule: past their expiry date)."""
    call_command("clearsessions")


@pruner(thirdparty.SESSION)
def prune_expired_sessions(*, dry_run: bool = False) -> int:
    """Sign-in sessions past their expiry date are deleted (manage.py clearsessions)."""
    if not apps.is_installed("django.contrib.sessions"):
        return 0
    Session = apps.get_model("sessions", "Session")

    def expired() -> int:
        return Session.objects.filter(expire_date__lt=timezone.now()).count()

    if dry_run:
        return expired()
    count = expired()
    prune_sessions()
    return count


def prune_user_sessions() -> int:
    """Rows of allauth's "my sessions" list whose sign-in session has ended (expired, signed out
    or cleared): the user-session rule in cll/accounts/privacy.py. Returns how many went."""
    if not apps.is_installed("allauth.usersessions"):
        return 0
    UserSession = apps.get_model("usersessions", "UserSession")
    return sum(1 for row in UserSession.objects.iterator() if row.purge())


@pruner(thirdparty.ADMIN_LOG)
def prune_admin_log(*, dry_run: bool = False) -> int:
    """Admin change-log rows older than the admin-log rule; returns how many (would) go."""
    if not apps.is_installed("django.contrib.admin"):
        return 0
    LogEntry = apps.get_model("admin", "LogEntry")
    old = LogEntry.objects.filter(action_time__lt=cutoff(thirdparty.ADMIN_LOG))
    if dry_run:
        return old.count()
    return old.delete()[0]


def prune_task_results() -> None:
    """Finished background-task results older than the task-result rule (database backend)."""
    if apps.is_installed("django_tasks_db"):
        days = str(_days(thirdparty.TASK_RESULT))
        call_command("prune_db_task_results", "--min-age-days", days, verbosity=0)


@pruner(thirdparty.TASK_RESULT)
def prune_old_task_results(*, dry_run: bool = False) -> int:
    """Finished background-task results are deleted (manage.py prune_db_task_results)."""
    if not apps.is_installed("django_tasks_db"):
        return 0
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")

    def old() -> int:
        return (
            DBTaskResult.objects.finished()
            .filter(finished_at__lte=cutoff(thirdparty.TASK_RESULT))
            .count()
        )

    if dry_run:
        return old()
    count = old()
    prune_task_results()
    return count


# -- Platform tables ----------------------------------------------------------------------------


@pruner("outbox")
def prune_outbox(*, dry_run: bool = False) -> int:
    """Sent and failed e-mails are deleted after the period (cll/core/outbox.py, outbox_prune);
    messages still being delivered are kept."""
    if dry_run:
        return counted_without_change(outbox.outbox_prune, OutboxEmail.objects.count)
    return outbox.outbox_prune()


@pruner("evidence")
def prune_audit_ledger(*, dry_run: bool = False) -> int:
    """Ledger entries older than the period are deleted, oldest first, behind a seal (the seq
    and hash of the last one removed) from which the chain is verified from then on."""
    old = AuditEntry.objects.filter(at__lt=cutoff("evidence"))
    if dry_run:
        return old.count()
    # Only chained entries can be sealed: place any committed entry still waiting first.
    ledger_chain()
    with transaction.atomic():
        # The chain is in commit order and ``at`` is stamped when the entry is written, so
        # ``at`` grows with ``seq`` to within the length of a transaction: the seal goes after
        # the last old entry, taking with it the rare one a few seconds younger placed before.
        last = old.order_by("-seq").values_list("seq", "hash").first()
        if last is None:
            return 0
        count = AuditEntry.objects.filter(seq__lte=last[0]).count()
        AuditSeal.objects.create(seq=last[0], hash=last[1], sealed_at=timezone.now(), removed=count)
        AuditEntry.objects.filter(seq__lte=last[0]).delete()
    return count
