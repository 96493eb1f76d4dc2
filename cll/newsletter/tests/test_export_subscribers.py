"""The staff CSV export of a list's confirmed subscribers."""

from __future__ import annotations

import csv
import io

import pytest

from cll.newsletter import unsubscribe
from cll.newsletter.models import Source, Subscriber, Subscription, SubscriptionStatus
from cll.newsletter.tests.test_written_agreement import make_list
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

EXPORT_URL = "/en/staff/newsletter/lists/news/export/"


@pytest.fixture
def news():
    return make_list("news")


def subscribe(email: str, mailing_list, status=SubscriptionStatus.CONFIRMED, language="fr"):
    subscriber = Subscriber.objects.create(
        email=email, language=language, unsubscribe_key=unsubscribe.unsubscribe_key_new()
    )
    return Subscription.objects.create(
        subscriber=subscriber,
        mailing_list=mailing_list,
        source=Source.FORM,
        status=status,
        policy_version="2026-01",
    )


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_it_sends_anonymous_visitors_to_sign_in(client, news):
    assert client.get(EXPORT_URL).status_code == 302


def test_it_refuses_a_stranger_and_the_privacy_officer(client, charlie, dora, news):
    for person in (charlie, dora):
        staff_login(client, person)
        assert client.get(EXPORT_URL).status_code == 403
    assert not AuditEntry.objects.filter(action="newsletter.export").exists()


def test_it_streams_the_confirmed_subscribers_only(client, mark, news):
    promo = make_list("promo")
    subscribe("one@example.net", news, language="nl")
    subscribe("pending@example.net", news, SubscriptionStatus.PENDING)
    subscribe("left@example.net", news, SubscriptionStatus.UNSUBSCRIBED)
    subscribe("other-list@example.net", promo)
    staff_login(client, mark)
    response = client.get(EXPORT_URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="subscribers-news.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == ["email", "language", "source", "confirmed_at", "policy_version"]
    assert [row[:3] for row in rows[1:]] == [["one@example.net", "nl", "form"]]
    assert rows[1][4] == "2026-01"


def test_it_writes_one_audit_entry_with_the_count(client, adam, news):
    subscribe("one@example.net", news)
    subscribe("two@example.net", news)
    staff_login(client, adam)
    rows_of(client.get(EXPORT_URL))
    entry = AuditEntry.objects.get(action="newsletter.export")
    assert entry.actor == adam.public_id
    assert entry.actor_role == "Administrator"
    assert entry.detail == {"list": "news", "count": 2}
    assert "email" in entry.fields
    assert AuditEntry.objects.filter(action__startswith="newsletter.").count() == 1


def test_it_neutralises_formulas_in_cells(client, mark, news):
    subscribe("=cmd|'/c calc'!a0@example.net", news)
    staff_login(client, mark)
    rows = rows_of(client.get(EXPORT_URL))
    assert rows[1][0] == "'=cmd|'/c calc'!a0@example.net"


def test_it_answers_404_for_an_unknown_list(client, mark):
    staff_login(client, mark)
    assert client.get("/en/staff/newsletter/lists/nope/export/").status_code == 404
