"""The staff view of the outbox: delivery status at a glance, no one's mail readable."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from cll.core.models import OutboxEmail
from cll.core.outbox import email_queue

pytestmark = pytest.mark.django_db

# The admin speaks the language of its address (/<language>/admin/): these tests read English.
with translation.override("en"):
    CHANGELIST = reverse("admin:core_outboxemail_changelist")


@pytest.fixture
def failed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(
            to="alice@example.org",
            subject="Your placement test result",
            text="You reached B2.",
            kind="emails/placement_result",
        )
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.FAILED,
        attempts=8,
        last_attempt_at=timezone.now(),
        next_attempt_at=None,
        last_error="SMTP 550 SMTPRecipientsRefused",
    )
    return email


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to="bob@example.org", subject="Welcome", text="Hello Bob")
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENT, attempts=1, sent_at=timezone.now(), next_attempt_at=None
    )
    return email


def test_it_requires_a_staff_login(client, charlie):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))

    client.force_login(charlie)
    response = client.get(CHANGELIST)
    assert response.status_code == 302


def test_it_shows_failed_messages_with_their_error(admin_client, failed, sent):
    response = admin_client.get(CHANGELIST, {"status__exact": "failed"})

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [failed]
    content = response.content.decode()
    assert "SMTP 550 SMTPRecipientsRefused" in content
    assert "emails/placement_result" in content
    # Operators see that mail fails, not what it says nor to whom.
    for private in ("alice@example.org", "placement test result", "You reached B2."):
        assert private not in content


def test_it_shows_no_address_subject_or_body_on_the_detail_page(admin_client, failed):
    response = admin_client.get(reverse("admin:core_outboxemail_change", args=[failed.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert failed.message_id.strip("<>") in content
    for private in ("alice@example.org", "placement test result", "You reached B2."):
        assert private not in content
    # Nothing on the page is an input staff could edit.
    assert response.context["adminform"].form.fields == {}


def test_it_cannot_add_or_delete_messages(admin_client, failed):
    assert admin_client.get(reverse("admin:core_outboxemail_add")).status_code == 403
    response = admin_client.get(reverse("admin:core_outboxemail_delete", args=[failed.pk]))
    assert response.status_code == 403


def test_it_retries_failed_messages_now(
    admin_client, failed, sent, django_capture_on_commit_callbacks
):
    deliveries = DBTaskResult.objects.filter(task_path="cll.core.tasks.outbox_deliver")
    before = deliveries.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {"action": "retry_now", "_selected_action": [str(failed.pk), str(sent.pk)]},
            follow=True,
            headers={"accept-language": "en"},
        )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert "1 e-mail queued for another delivery attempt." in messages
    assert "1 e-mail was not failed and was left as it was." in messages
    failed.refresh_from_db()
    assert failed.status == OutboxEmail.Status.QUEUED
    assert failed.attempts == 0
    assert failed.next_attempt_at <= timezone.now()
    # The previous error stays visible until the next attempt replaces it.
    assert failed.last_error == "SMTP 550 SMTPRecipientsRefused"
    sent.refresh_from_db()
    assert sent.status == OutboxEmail.Status.SENT
    assert deliveries.count() == before + 1


def test_it_retries_nothing_that_was_rolled_back(failed):
    from cll.core.outbox import email_retry

    with pytest.raises(RuntimeError), transaction.atomic():
        assert email_retry(email_id=failed.pk) is True
        raise RuntimeError
    failed.refresh_from_db()
    assert failed.status == OutboxEmail.Status.FAILED
    assert email_retry(email_id=failed.pk) is True
    assert email_retry(email_id=failed.pk) is False
