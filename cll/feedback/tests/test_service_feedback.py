"""Feedback on our services from the account (/feedback/): signed in only, validated,
audited, flood-limited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.feedback import views
from cll.feedback.models import ServiceFeedback, Topic
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/fr/feedback/"


def test_the_url_is_the_home_of_feedback():
    assert reverse("feedback:home") == URL


def test_it_sends_visitors_to_sign_in(client):
    assert client.get(URL).status_code == 302
    assert client.post(URL, {"topic": "website", "rating": "5"}).status_code == 302
    assert not ServiceFeedback.objects.exists()


def test_it_records_feedback_with_its_audit_entry(client, alice):
    client.force_login(alice)

    response = client.post(URL, {"topic": "premises", "rating": "2", "comment": "Trop froid"})

    assert response.status_code == 302
    feedback = ServiceFeedback.objects.get()
    assert (feedback.account, feedback.topic, feedback.rating) == (alice, Topic.PREMISES, 2)
    assert feedback.comment == "Trop froid"
    entry = AuditEntry.objects.get(action="feedback.service")
    assert entry.subject == alice.public_id and entry.actor == alice.public_id


@pytest.mark.parametrize(
    "data",
    [
        {"topic": "website", "rating": "0"},
        {"topic": "website", "rating": "6"},
        {"topic": "website", "rating": "abc"},
        {"topic": "nowhere", "rating": "3"},
        {"topic": "website", "rating": "3", "comment": "x" * 2001},
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, alice, data):
    client.force_login(alice)

    response = client.post(URL, data)

    assert response.status_code == 400
    assert not ServiceFeedback.objects.exists()
    assert not AuditEntry.objects.filter(action="feedback.service").exists()


def test_a_flood_is_refused(client, alice, monkeypatch):
    monkeypatch.setattr(views, "SERVICE_FEEDBACK_PER_DAY", 2)
    client.force_login(alice)
    for _ in range(2):
        assert client.post(URL, {"topic": "website", "rating": "4"}).status_code == 302

    assert client.post(URL, {"topic": "website", "rating": "4"}).status_code == 429
    assert ServiceFeedback.objects.count() == 2


def test_a_stranger_sees_nothing_of_someone_else_s_feedback(client, alice, charlie):
    client.force_login(alice)
    client.post(URL, {"topic": "website", "rating": "1", "comment": "Alice's secret"})
    client.logout()
    client.force_login(charlie)

    assert "Alice&#x27;s secret" not in client.get(URL).content.decode()
    assert "secret" not in client.get(URL).content.decode()
