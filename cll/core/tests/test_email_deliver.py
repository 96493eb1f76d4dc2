"""Delivery through a real SMTP server: claims, retries with backoff, permanent failures, the
sweeper, and recovery of rows a dead worker left behind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cll.core.encryption import data_key_destroy
from cll.core.models import OutboxEmail
from cll.core.outbox import STUCK_AFTER, Outcome, email_deliver, email_queue, outbox_deliver_due
from cll.core.tasks import outbox_deliver, outbox_flush

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
Status = OutboxEmail.Status


@pytest.fixture
def queue(django_capture_on_commit_callbacks):
    """Queue an e-mail as a service would, running the on-commit callbacks."""

    def queue(**kwargs):
        arguments = {"to": "alice@example.org", "subject": "Hello", "text": "Body", **kwargs}
        with django_capture_on_commit_callbacks(execute=True):
            return email_queue(**arguments)

    return queue


def _deliveries_of(email):
    return DBTaskResult.objects.filter(
        task_path="cll.core.tasks.outbox_deliver", args_kwargs__args=[str(email.pk)]
    )


def test_it_delivers_with_the_queued_message_id(queue, smtp_server):
    email = queue(
        html="<p>Body</p>",
        headers={
            "List-Unsubscribe": "<https://cll.example/u/token>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )

    assert outbox_deliver.call(str(email.pk)) == Outcome.SENT

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ("alice@example.org",)
    message = received.message
    assert message["Message-ID"] == email.message_id
    assert message["Subject"] == "Hello"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_body(("plain",)).get_content().strip() == "Body"
    assert message.get_body(("html",)).get_content().strip() == "<p>Body</p>"
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    assert email.next_attempt_at is None


def test_it_delivers_exactly_once_after_the_relay_comes_back(queue, smtp_server, time_machine):
    time_machine.move_to(T0, tick=False)
    smtp_server.stop()
    email = queue()

    # The delivery task enqueued on commit runs while the relay is down.
    assert outbox_deliver.call(str(email.pk)) == Outcome.UNREACHABLE
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.attempts == 1
    assert email.last_error == "ConnectionRefusedError"
    assert email.next_attempt_at == T0 + timedelta(seconds=30)
    # It re-enqueued itself for the time of the next attempt.
    assert _deliveries_of(email).filter(run_after=email.next_attempt_at).count() == 1

    smtp_server.start()
    # Not due yet: the sweeper leaves it alone even though the relay is back.
    outbox_flush.call()
    assert smtp_server.messages == []

    time_machine.move_to(email.next_attempt_at + timedelta(seconds=1), tick=False)
    result = outbox_flush.call()
    assert result == {"recovered": 0, "sent": 1}
    (received,) = smtp_server.messages
    assert received.message_id == email.message_id

    # Neither another sweep nor the deferred retry task sends it again.
    assert outbox_flush.call() == {"recovered": 0}
    assert outbox_deliver.call(str(email.pk)) == Outcome.SKIPPED
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2


def test_it_backs_off_exponentially_and_fails_after_max_attempts(
    queue, smtp_server, time_machine, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    time_machine.move_to(T0, tick=False)
    smtp_server.data_reply = "451 4.3.0 Try again later"
    email = queue()

    delays = []
    for _attempt in range(3):
        assert email_deliver(email_id=email.pk) == Outcome.RETRY
        email.refresh_from_db()
        delays.append((email.next_attempt_at - timezone.now()).total_seconds())
        assert email.last_error == "SMTP 451 SMTPDataError"
        time_machine.move_to(email.next_attempt_at, tick=False)
    assert delays == [10, 20, 40]

    assert email_deliver(email_id=email.pk) == Outcome.FAILED
    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 4
    assert email.next_attempt_at is None
    assert email.last_error == "SMTP 451 SMTPDataError; gave up after 4 attempts"
    assert smtp_server.messages == []


def test_it_fails_at_once_on_a_permanent_refusal(queue, smtp_server):
    smtp_server.rcpt_reply = "550 5.1.1 <alice@example.org>: no such user"
    email = queue()

    assert email_deliver(email_id=email.pk) == Outcome.FAILED

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 1
    # The code and the error class, never the server's text (which quotes the address).
    assert email.last_error == "SMTP 550 SMTPRecipientsRefused"
    assert smtp_server.messages == []
    # A failed message is not retried by the sweeper.
    smtp_server.rcpt_reply = None
    outbox_flush.call()
    assert smtp_server.messages == []


def test_it_retries_a_temporary_recipient_refusal(queue, smtp_server):
    smtp_server.rcpt_reply = "450 4.2.0 Mailbox busy"
    email = queue()

    assert email_deliver(email_id=email.pk) == Outcome.RETRY

    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.last_error == "SMTP 450 SMTPRecipientsRefused"


def test_it_never_lets_two_claims_win(queue, smtp_server):
    email = queue()
    # Worker A has claimed the row and is talking SMTP (its claim is committed).
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )

    # Worker B, the sweeper and the retry task all lose the claim.
    assert email_deliver(email_id=email.pk) == Outcome.SKIPPED
    assert outbox_flush.call() == {"recovered": 0}
    assert smtp_server.messages == []
    email.refresh_from_db()
    assert email.status == Status.SENDING
    assert email.attempts == 1


def test_it_recovers_a_row_left_sending_by_a_dead_worker(queue, smtp_server, time_machine):
    time_machine.move_to(T0, tick=False)
    stuck = queue(subject="stuck")
    busy = queue(subject="busy")
    # Both were claimed; "stuck" by a worker that died, "busy" by one still talking SMTP.
    OutboxEmail.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, last_attempt_at=T0 - STUCK_AFTER - timedelta(seconds=1)
    )
    OutboxEmail.objects.filter(pk=busy.pk).update(
        status=Status.SENDING, attempts=1, last_attempt_at=T0 - timedelta(minutes=1)
    )

    assert outbox_flush.call() == {"recovered": 1, "sent": 1}

    (received,) = smtp_server.messages
    # Sent again under its own Message-ID, so a duplicate can be recognised downstream.
    assert received.message_id == stuck.message_id
    stuck.refresh_from_db()
    assert stuck.status == Status.SENT
    assert stuck.attempts == 2
    busy.refresh_from_db()
    assert busy.status == Status.SENDING


def test_it_fails_a_stuck_row_that_has_no_attempts_left(queue, smtp_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = queue()
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING,
        attempts=2,
        last_attempt_at=timezone.now() - STUCK_AFTER - timedelta(minutes=1),
    )

    assert outbox_flush.call() == {"recovered": 1}

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.last_error == "worker lost during send; gave up after 2 attempts"
    assert smtp_server.messages == []


def test_it_stops_a_sweep_when_the_relay_is_unreachable(queue, smtp_server):
    emails = [queue(subject=f"n{n}") for n in range(3)]
    smtp_server.stop()

    counts = outbox_deliver_due()

    assert counts == {Outcome.UNREACHABLE: 1}
    attempts = sorted(OutboxEmail.objects.values_list("attempts", flat=True))
    # One row paid for the outage; the others wait for the next sweep untouched.
    assert attempts == [0, 0, 1]

    smtp_server.start()
    OutboxEmail.objects.update(next_attempt_at=timezone.now())
    assert outbox_deliver_due() == {Outcome.SENT: 3}
    assert sorted(m.message_id for m in smtp_server.messages) == sorted(
        e.message_id for e in emails
    )


def test_it_reuses_one_smtp_session_for_a_sweep(queue, smtp_server):
    for n in range(3):
        queue(subject=f"n{n}")

    assert outbox_deliver_due() == {Outcome.SENT: 3}

    assert len(smtp_server.messages) == 3
    assert len(smtp_server.sessions) == 1


def test_it_fails_the_message_of_an_erased_person(queue, smtp_server):
    person = uuid.uuid4()
    email = queue(subject_person=person)
    data_key_destroy(subject=person)

    assert email_deliver(email_id=email.pk) == Outcome.FAILED

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.last_error == "recipient erased (data key destroyed)"
    assert smtp_server.messages == []
