"""Delivery by real workers: threads racing for the same rows, and the database worker.

These tests commit (``transactional_db``): the claim must be visible across connections.
"""

from __future__ import annotations

import random
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from cll.core.models import OutboxEmail
from cll.core.outbox import Outcome, email_deliver, email_queue


def test_it_sends_each_message_once_with_workers_racing(transactional_db, smtp_server):
    """Four threads, each with its own database connection, deliver the same rows at once."""
    if connection.vendor == "sqlite":
        pytest.skip(
            "SQLite serialises writers and the test database is a shared in-memory one; the "
            "conditional UPDATE is the same statement on both databases."
        )
    emails = [
        email_queue(to=f"learner{n}@example.org", subject="Hello", text="Body") for n in range(20)
    ]
    barrier = threading.Barrier(4)
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def worker():
        try:
            ids = [email.pk for email in emails]
            random.shuffle(ids)
            barrier.wait()
            for email_id in ids:
                outcomes.append(email_deliver(email_id=email_id))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes.count(Outcome.SENT) == 20
    assert outcomes.count(Outcome.SKIPPED) == 60
    received = sorted(message.rcpt_tos[0] for message in smtp_server.messages)
    assert received == sorted(f"learner{n}@example.org" for n in range(20))
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT, attempts=1).count() == 20


def test_it_is_delivered_by_the_database_worker(transactional_db, smtp_server):
    """End to end: the task enqueued on commit is run by ``manage.py db_worker``."""
    # Autocommit: the service's transaction commits at once and on_commit enqueues the task.
    email = email_queue(to="alice@example.org", subject="Hello", text="Body")
    assert DBTaskResult.objects.filter(task_path="cll.core.tasks.outbox_deliver").count() == 1

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    (received,) = smtp_server.messages
    assert received.message_id == email.message_id
    task = DBTaskResult.objects.get(task_path="cll.core.tasks.outbox_deliver")
    assert task.status == "SUCCESSFUL"
    assert task.return_value == Outcome.SENT
