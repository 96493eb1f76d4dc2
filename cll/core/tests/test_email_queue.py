"""email_queue / email_queue_template: the row is written in the caller's transaction and
delivery is only requested once it commits."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from cll.core.encryption import TOKEN_PREFIX
from cll.core.models import OutboxEmail
from cll.core.outbox import email_queue, email_queue_template
from cll.privacy.datamap import subject_filter

pytestmark = pytest.mark.django_db


def _delivery_tasks():
    return DBTaskResult.objects.filter(task_path="cll.core.tasks.outbox_deliver")


class _Rollback(Exception):
    pass


def test_it_enqueues_delivery_only_when_the_transaction_commits(
    django_capture_on_commit_callbacks, smtp_server
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            email = email_queue(to="alice@example.org", subject="Hello", text="Body")
        # Committed from the caller's point of view, but on_commit has not run: no task yet.
        assert _delivery_tasks().count() == 0

    for callback in callbacks:
        callback()
    task = _delivery_tasks().get()
    assert task.args_kwargs == {"args": [str(email.pk)], "kwargs": {}}
    # Queuing never talks to the mail server.
    assert smtp_server.messages == []


def test_it_sends_nothing_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks, smtp_server
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(_Rollback),
        transaction.atomic(),
    ):
        email_queue(to="alice@example.org", subject="Hello", text="Body")
        raise _Rollback

    assert callbacks == []
    assert OutboxEmail.objects.count() == 0
    assert _delivery_tasks().count() == 0
    assert smtp_server.messages == []


def test_it_stores_the_message_encrypted(django_capture_on_commit_callbacks):
    person = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(
            to="alice@example.org",
            subject="Your invoice",
            text="Amount due: 120 EUR",
            html="<p>Amount due: 120 EUR</p>",
            subject_person=person,
            headers={"List-Unsubscribe": "<https://cll.example/u/opaque-token>"},
        )

    with connection.cursor() as cursor:
        # Raw SQL: what the database (and so a dump of it) holds, bypassing the field.
        cursor.execute(
            "SELECT to_address, subject, text_body, html_body, headers FROM core_outboxemail"
        )
        (stored,) = cursor.fetchall()
    for value in stored:
        assert value.startswith(TOKEN_PREFIX)
    raw = " ".join(stored)
    for plain in ("alice@example.org", "invoice", "120 EUR", "opaque-token"):
        assert plain not in raw

    loaded = OutboxEmail.objects.get(pk=email.pk)
    assert loaded.to_address == "alice@example.org"
    assert loaded.headers == {"List-Unsubscribe": "<https://cll.example/u/opaque-token>"}
    # Export and erasure find the row through the data map.
    assert OutboxEmail.objects.filter(subject_filter(OutboxEmail, person)).get() == loaded


def test_it_fixes_a_message_id_at_queue_time(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = email_queue(to="alice@example.org", subject="A", text="a")
        second = email_queue(to="alice@example.org", subject="A", text="a")

    assert first.message_id.startswith("<") and first.message_id.endswith(">")
    # The public site's domain, not the machine's host name.
    assert first.message_id.endswith("@127.0.0.1>")
    assert first.message_id != second.message_id
    assert first.status == OutboxEmail.Status.QUEUED
    assert first.attempts == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": "not an address"}, ValidationError),
        ({"to": "alice@example.org\nBcc: eve@example.org"}, ValidationError),
        ({"subject": "Hello\r\nBcc: eve@example.org"}, ValueError),
        ({"headers": {"Bcc": "eve@example.org"}}, ValueError),
        ({"headers": {"Message-ID": "<forged@example.org>"}}, ValueError),
        ({"headers": {"X-Note": "a\nBcc: eve@example.org"}}, ValueError),
    ],
)
def test_it_refuses_header_injection_and_reserved_headers(kwargs, error):
    arguments = {"to": "alice@example.org", "subject": "Hello", "text": "Body", **kwargs}
    with pytest.raises(error):
        email_queue(**arguments)
    assert OutboxEmail.objects.count() == 0


def test_it_renders_templates_in_the_recipients_language(django_capture_on_commit_callbacks):
    person = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue_template(
            to="alice@example.org",
            template_prefix="emails/outbox_check",
            context={"reference": "A&B <42>"},
            language="en",
            subject_person=person,
        )

    email.refresh_from_db()
    assert email.kind == "emails/outbox_check"
    assert email.person == person
    assert email.subject == "Test message from CLL Centres de Langues asbl"
    assert "\n" not in email.subject
    # Plain text is not HTML-escaped; HTML is.
    assert "Reference: A&B <42>" in email.text_body
    assert "Reference: A&amp;B &lt;42&gt;" in email.html_body
    assert '<html lang="en">' in email.html_body
    assert "http://127.0.0.1:8000" in email.text_body
    assert "privacy@cll.be" in email.text_body
    assert email.headers == {"Content-Language": "en"}


def test_it_renders_in_the_given_language_not_the_active_one(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue_template(
            to="alice@example.org",
            template_prefix="emails/outbox_check",
            context={"reference": "R1"},
            language="nl",
        )
    assert '<html lang="nl">' in email.html_body
    assert email.headers["Content-Language"] == "nl"
