"""Periodic jobs of the privacy kernel: daily retention; the evidence ledger's chaining, signed
checkpoints and daily verification (see ledger.py)."""

from __future__ import annotations

import logging

from crontask import cron
from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task

from cll.core.outbox import email_queue_template
from cll.core.roles import Role
from cll.privacy import retention
from cll.privacy.ledger import (
    CheckpointError,
    checkpoint_latest,
    checkpoint_write,
    ledger_chain,
)
from cll.privacy.selectors import ChainReport, audit_chain_verify
from cll.privacy.services import person_language

logger = logging.getLogger(__name__)


@cron("7 3 * * *")
@task
def retention_run_daily() -> dict[str, int]:
    """Apply every retention rule of the data map: each rule's pruner runs (third-party tables,
    outbox, inactive accounts and unconfirmed registrations, parental consent requests, expired
    exports...). Returns the counts per rule; failures are logged and retried the next day."""
    runs = retention.retention_run(dry_run=False)
    return {run.rule.key: run.count for run in runs if run.has_pruner}


@cron("*/5 * * * *")
@task
def audit_checkpoint() -> dict[str, int | bool | None]:
    """Chain the committed ledger entries still waiting for their place (a process that died
    between its commit and the sequencer), verify the entries chained since the latest
    checkpoint, and sign a checkpoint of the new head into CLL_AUDIT_CHECKPOINT_DIR. A break
    is logged as an error and nothing is signed (the daily verification alarms)."""
    placed = ledger_chain()
    try:
        report = audit_chain_verify(since=checkpoint_latest())
    except CheckpointError as exc:
        logger.error("The audit ledger's checkpoints are broken: %s", exc)
        return {"chained": len(placed), "intact": False, "checkpoint": None}
    if not report.intact:
        logger.error("The audit ledger is broken, no checkpoint signed: %s", _problem(report))
        return {"chained": len(placed), "intact": False, "checkpoint": None}
    return {"chained": len(placed), "intact": True, "checkpoint": _sign_if_moved(report)}


@cron("23 4 * * *")
@task
def audit_verify_daily() -> dict[str, int | bool | None]:
    """Verify the whole ledger (as ``manage.py audit_verify``) against the latest signed
    checkpoint. On a break: an ERROR log line and an e-mail to every active privacy officer
    (the privacy contact address if there is none), once a day while it lasts."""
    placed = ledger_chain()
    report = audit_chain_verify()
    if not report.intact:
        problem = _problem(report)
        logger.error("The audit ledger is broken: %s", problem)
        _alarm(problem)
        return {"chained": len(placed), "intact": False, "checked": report.checked}
    return {
        "chained": len(placed),
        "intact": True,
        "checked": report.checked,
        "checkpoint": _sign_if_moved(report),
    }


def _problem(report: ChainReport) -> str:
    where = "" if report.first_break.seq is None else f"entry {report.first_break.seq}: "
    return f"{where}{report.first_break.problem}"


def _sign_if_moved(report: ChainReport) -> int | None:
    """Sign the verified head when it moved past the latest checkpoint; its seq, or None."""
    if report.last_seq is None:
        return None
    if report.checkpoint is not None and report.checkpoint.seq >= report.last_seq:
        return None
    checkpoint_write(seq=report.last_seq, hash=report.last_hash, legacy_end=report.legacy_end)
    return report.last_seq


def _alarm(problem: str) -> None:
    officers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.PRIVACY_OFFICER)
        .distinct()
        .order_by("pk")
    )
    recipients = [
        (officer.email, person_language(officer), officer.public_id) for officer in officers
    ]
    if not recipients:
        logger.error("No active privacy officer to alarm: writing to the privacy contact.")
        recipients = [(settings.PRIVACY_EMAIL, settings.LANGUAGE_CODE, None)]
    for address, language, public_id in recipients:
        email_queue_template(
            to=address,
            template_prefix="emails/privacy_ledger_broken",
            context={"problem": problem},
            language=language,
            subject_person=public_id,
        )
