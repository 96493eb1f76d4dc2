"""prune_outbox: sent and failed e-mails go RETENTION_DAYS after their last attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command, load_command_class
from django.utils import translation

from cll.core.models import OutboxEmail
from cll.core.outbox import RETENTION_DAYS, email_queue
from cll.privacy.datamap import RETENTION, rule_for
from cll.privacy.tasks import retention_run_daily

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
Status = OutboxEmail.Status


def _email(status: str, *, last_attempt: datetime | None, sent: datetime | None = None):
    email = email_queue(to="alice@example.org", subject="Hello", text="Body")
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=status,
        created_at=(last_attempt or NOW) - timedelta(hours=1),
        last_attempt_at=last_attempt,
        sent_at=sent,
        next_attempt_at=None if status in (Status.SENT, Status.FAILED) else NOW,
    )
    return email.pk


def test_it_deletes_only_finished_messages_past_retention(time_machine):
    time_machine.move_to(NOW, tick=False)
    past = NOW - timedelta(days=RETENTION_DAYS, minutes=1)
    recent = NOW - timedelta(days=RETENTION_DAYS) + timedelta(minutes=1)
    old_sent = _email(Status.SENT, last_attempt=past, sent=past)
    old_failed = _email(Status.FAILED, last_attempt=past)
    recent_sent = _email(Status.SENT, last_attempt=recent, sent=recent)
    recent_failed = _email(Status.FAILED, last_attempt=recent)
    # Still being delivered, however old: never pruned.
    old_queued = _email(Status.QUEUED, last_attempt=past)
    old_sending = _email(Status.SENDING, last_attempt=past)

    out = StringIO()
    call_command("prune_outbox", stdout=out)

    remaining = set(OutboxEmail.objects.values_list("pk", flat=True))
    assert remaining == {recent_sent, recent_failed, old_queued, old_sending}
    assert old_sent not in remaining and old_failed not in remaining
    assert f"Deleted 2 outgoing e-mail(s) older than {RETENTION_DAYS} days." in out.getvalue()


def test_it_runs_daily_from_the_scheduler(time_machine):
    time_machine.move_to(NOW, tick=False)
    past = NOW - timedelta(days=RETENTION_DAYS + 1)
    _email(Status.SENT, last_attempt=past, sent=past)

    assert retention_run_daily.call()["outbox"] == 1
    assert OutboxEmail.objects.count() == 0


def test_its_help_and_the_data_map_state_the_same_rule():
    help_text = load_command_class("cll.core", "prune_outbox").help
    assert f"{RETENTION_DAYS} days" in help_text
    rule = RETENTION[rule_for(OutboxEmail, "text_body").retention]
    assert rule.days == RETENTION_DAYS
    # The rule is read by people, in their language; the command is the operators' business
    # (its help, the README), never named in what people read.
    with translation.override("en"):
        assert f"{RETENTION_DAYS} days" in rule.description
        assert "prune_outbox" not in rule.description
    with translation.override("fr"):
        assert f"{RETENTION_DAYS} jours" in rule.description
