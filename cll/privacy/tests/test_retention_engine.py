"""The retention engine: every rule with a period has a pruner; runs, dry runs and commands."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from cll.privacy import retention
from cll.privacy.datamap import RETENTION, retention_rule
from cll.privacy.models import AuditEntry
from cll.privacy.tasks import retention_run_daily


def _old_log(user) -> LogEntry:
    entry = LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
        object_repr="x",
        action_flag=ADDITION,
    )
    LogEntry.objects.filter(pk=entry.pk).update(action_time=timezone.now() - timedelta(days=400))
    return entry


def test_it_has_a_pruner_for_every_retention_rule_with_a_period():
    """Checked in a fresh process: the engine must know every pruner from start-up alone
    (``privacy.py`` and ``retention.py`` modules), whatever else a run happens to import."""
    script = (
        "import django; django.setup(); "
        "from cll.privacy.retention import rules_without_pruner; "
        "print(' '.join(rule.key for rule in rules_without_pruner()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cll.test"},
        timeout=120,
    )
    # The test-only app (tests/testapp, installed by cll/test.py) keeps its rows for the life of
    # the test database; every real rule must be applied by code.
    from tests.testapp.privacy import TEST_RETENTION

    missing = [key for key in result.stdout.split() if key != TEST_RETENTION]
    assert missing == [], (
        f"Retention rules with a period but no @pruner known at start-up: {missing}. "
        "Register pruners in <app>/retention.py (imported at start-up)."
    )


def test_it_reports_a_rule_with_a_period_but_no_pruner(monkeypatch):
    monkeypatch.setitem(
        RETENTION, "test-orphan", RETENTION["admin-log"].__class__("test-orphan", "x", 5)
    )
    assert "test-orphan" in [rule.key for rule in retention.rules_without_pruner()]
    assert "admin-log" not in [rule.key for rule in retention.rules_without_pruner()]


def test_it_refuses_a_pruner_for_an_undeclared_rule():
    with pytest.raises(ValueError, match="declare it first"):
        retention.pruner("no-such-rule")(lambda *, dry_run: 0)


def test_it_lists_what_would_go_without_deleting(dora):
    entry = _old_log(dora)
    out = StringIO()
    call_command("retention_run", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "admin-log (365 days)" in text
    assert RETENTION["admin-log"].description in text
    assert "1 would go" in text
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    # A dry run leaves no trace in the ledger either.
    assert not AuditEntry.objects.filter(action="retention.run").exists()


def test_it_runs_every_pruner_daily_and_audits_the_counts(dora):
    entry = _old_log(dora)
    counts = retention_run_daily.call()
    assert counts["admin-log"] == 1
    assert set(counts) == set(retention.PRUNERS)
    assert not LogEntry.objects.filter(pk=entry.pk).exists()
    audit = AuditEntry.objects.get(action="retention.run")
    assert audit.detail["counts"]["admin-log"] == 1
    assert audit.detail["errors"] == []


def test_it_goes_on_when_one_pruner_fails(dora, monkeypatch):
    entry = _old_log(dora)

    def broken(*, dry_run: bool) -> int:
        raise RuntimeError("boom")

    monkeypatch.setitem(retention.PRUNERS, "outbox", broken)
    runs = {run.rule.key: run for run in retention.retention_run(dry_run=False)}
    assert runs["outbox"].error == "RuntimeError"
    assert runs["admin-log"].count == 1
    assert not LogEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEntry.objects.get(action="retention.run").detail["errors"] == ["outbox"]


def test_it_makes_prune_commands_whose_help_states_the_rule():
    from cll.accounts.management.commands import (
        prune_inactive_accounts,
        prune_unconfirmed_registrations,
    )
    from cll.privacy.management.commands import prune_admin_log

    for module, rule in (
        (prune_admin_log, "admin-log"),
        (prune_inactive_accounts, "inactive-account"),
        (prune_unconfirmed_registrations, "unconfirmed-registration"),
    ):
        command = module.Command()
        assert isinstance(command, retention.PruneCommand)
        assert RETENTION[rule].description in command.help
        assert f"Period: {RETENTION[rule].days} days." in command.help


def test_it_prunes_through_a_command_with_a_dry_run(dora):
    entry = _old_log(dora)
    out = StringIO()
    call_command("prune_admin_log", "--dry-run", stdout=out)
    assert "1 admin log entries would go" in out.getvalue()
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    call_command("prune_admin_log", stdout=StringIO())
    assert not LogEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_it_counts_the_outbox_dry_run_without_deleting():
    from cll.core.models import OutboxEmail
    from cll.core.outbox import email_queue

    email = email_queue(to="someone@example.org", subject="s", text="t")
    old = timezone.now() - timedelta(days=RETENTION["outbox"].days + 1)
    OutboxEmail.objects.filter(pk=email.pk).update(status=OutboxEmail.Status.SENT, sent_at=old)
    assert retention.PRUNERS["outbox"](dry_run=True) == 1
    assert OutboxEmail.objects.filter(pk=email.pk).exists()
    assert retention.PRUNERS["outbox"](dry_run=False) == 1
    assert not OutboxEmail.objects.filter(pk=email.pk).exists()


def test_it_declares_rules_once_with_the_same_terms():
    # Re-declaring a rule identically is harmless (privacy.py modules may be re-imported).
    rule = RETENTION["admin-log"]
    assert retention_rule(rule.key, rule.description, rule.days) == "admin-log"


@pytest.mark.django_db
def test_it_keeps_purging_expired_parental_consent_requests_daily():
    from cll.accounts.models import ParentalConsentRequest
    from cll.accounts.services import parental_consent_request_create

    parental_consent_request_create(parent_email="parent@example.org", language="fr")
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert retention_run_daily.call()["parental-consent-request"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert retention.PRUNERS["parental-consent-request"](dry_run=True) == 1
        assert retention_run_daily.call()["parental-consent-request"] == 1
    assert not ParentalConsentRequest.objects.exists()
