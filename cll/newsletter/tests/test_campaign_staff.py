"""The campaign staff pages (issue 14, items 3 and 5): Marketing and the Administrator write a
campaign in several languages, preview it (escaped, framed under a strict policy), send a test
to themselves only, schedule it, send it now or cancel it, and follow its progress and stats."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cll.core.models import OutboxEmail
from cll.newsletter.campaigns import VersionText, campaign_create
from cll.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    Subscription,
    SubscriptionStatus,
)
from cll.newsletter.tests.test_campaign_recipients import make_list, make_subscriber
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

BASE = "/en/staff/newsletter/campaigns/"


@pytest.fixture
def news():
    return make_list("news")


@pytest.fixture
def campaign(mark, news):
    return campaign_create(
        title="Spring news",
        lists=[news],
        versions={
            "fr": VersionText(subject="Le printemps", body="Bonjour **à tous**"),
            "en": VersionText(subject="Spring", body="Hello everyone"),
        },
        by=mark,
    )


@pytest.fixture
def marketing(client, mark):
    staff_login(client, mark)
    return client


def _url(campaign, suffix: str = "") -> str:
    return f"{BASE}{campaign.public_id}/{suffix}"


def _form(news, **overrides) -> dict:
    data = {
        "title": "Summer courses",
        "lists": [news.pk],
        "segment_language": "",
        "segment_level": "",
        "segment_site": "",
        "subject_fr": "Cours d\u2019été",
        "body_fr": "Inscrivez-vous",
        "subject_en": "",
        "body_en": "",
        "subject_nl": "",
        "body_nl": "",
    }
    data.update(overrides)
    return data


def test_it_sends_anonymous_visitors_to_sign_in(client, campaign):
    for url in (BASE, f"{BASE}new/", _url(campaign), _url(campaign, "preview/fr/")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login/" in response["Location"]


def test_it_refuses_a_stranger_and_other_staff(client, charlie, bob, dora, campaign):
    for person in (charlie, bob, dora):
        staff_login(client, person)
        for url in (BASE, _url(campaign), _url(campaign, "preview/fr/message/")):
            assert client.get(url).status_code == 403, (person, url)
        assert client.post(_url(campaign, "send/")).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_it_lets_the_administrator_in(client, adam, campaign):
    staff_login(client, adam)
    assert client.get(BASE).status_code == 200
    assert client.get(_url(campaign)).status_code == 200


def test_it_creates_a_draft_with_its_versions_and_audits_it(marketing, mark, news):
    response = marketing.post(
        f"{BASE}new/", _form(news, subject_nl="Zomercursussen", body_nl="Schrijf u in")
    )
    created = Campaign.objects.get(title="Summer courses")
    assert response.status_code == 302
    assert response["Location"] == _url(created)
    assert created.status == CampaignStatus.DRAFT
    assert created.created_by == mark
    assert list(created.lists.all()) == [news]
    assert {v.language: v.subject for v in created.versions.all()} == {
        "fr": "Cours d\u2019été",
        "nl": "Zomercursussen",
    }
    entry = AuditEntry.objects.get(action="newsletter.campaign_create")
    assert entry.actor == mark.public_id
    assert entry.actor_role == "Marketing"
    assert entry.detail["languages"] == ["fr", "nl"]


def test_it_refuses_a_campaign_without_a_version_or_a_list(marketing, news):
    response = marketing.post(f"{BASE}new/", _form(news, subject_fr="", body_fr=""))
    assert response.status_code == 400
    assert "Write the campaign in at least one language." in response.content.decode()
    response = marketing.post(f"{BASE}new/", _form(news, lists=[]))
    assert response.status_code == 400
    assert "Choose at least one list." in response.content.decode()
    response = marketing.post(f"{BASE}new/", _form(news, body_fr=""))
    assert response.status_code == 400
    assert "Write the text of this version too." in response.content.decode()
    assert not Campaign.objects.exists()


def test_it_edits_a_draft_and_drops_an_emptied_version(marketing, campaign, news):
    response = marketing.post(
        _url(campaign, "edit/"),
        _form(news, title="Spring news (2)", segment_language="fr", segment_level="B1"),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Spring news (2)"
    assert (campaign.segment_language, campaign.segment_level) == ("fr", "B1")
    assert [v.language for v in campaign.versions.all()] == ["fr"]
    assert AuditEntry.objects.filter(action="newsletter.campaign_update").count() == 1


def test_it_does_not_edit_a_campaign_being_sent(marketing, campaign, news):
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING)
    response = marketing.post(_url(campaign, "edit/"), _form(news, title="Changed"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Spring news"


def test_it_shows_the_recipient_count_before_sending(marketing, campaign, news):
    make_subscriber("one@example.org", news)
    make_subscriber("two@example.org", news)
    make_subscriber("pending@example.org", news, status=SubscriptionStatus.PENDING)
    page = marketing.get(_url(campaign)).content.decode()
    assert "2 subscribers would receive it now." in page
    # Counts only: no address is shown to Marketing.
    assert "one@example.org" not in page


def test_it_lists_campaigns_with_sent_failed_and_unsubscribed_counts(marketing, campaign, news):
    started = timezone.now() - datetime.timedelta(hours=1)
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT, started_at=started)
    people = [make_subscriber(f"p{n}@example.org", news) for n in range(4)]
    for person, status in zip(
        people,
        [DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.SENT, DeliveryStatus.FAILED],
        strict=True,
    ):
        Delivery.objects.create(campaign=campaign, subscriber=person, status=status)
    # One left after the campaign started; one had left before (not counted).
    Subscription.objects.filter(subscriber=people[0]).update(
        status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=timezone.now()
    )
    Subscription.objects.filter(subscriber=people[1]).update(
        status=SubscriptionStatus.UNSUBSCRIBED,
        unsubscribed_at=started - datetime.timedelta(days=1),
    )
    other = campaign_create(
        title="Other",
        lists=[news],
        versions={"fr": VersionText(subject="S", body="B")},
        by=None,
    )
    response = marketing.get(BASE)
    assert response.status_code == 200
    rows = {row.title: row for row in response.context["campaigns"]}
    assert (rows["Spring news"].sent_count, rows["Spring news"].failed_count) == (3, 1)
    assert rows["Spring news"].unsubscribed_count == 1
    assert (rows[other.title].sent_count, rows[other.title].unsubscribed_count) == (0, 0)
    assert "news en" in response.content.decode()
    # The campaign's own page shows the same figures.
    stats = marketing.get(_url(campaign)).context["stats"]
    assert (stats.total, stats.sent, stats.failed, stats.unsubscribed) == (4, 3, 1, 1)


def test_its_list_queries_do_not_grow_with_the_campaigns(
    marketing, campaign, news, content_version_read_once
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert marketing.get(BASE).status_code == 200
        return len(captured)

    # The first request also fills per-process caches: measure from the second.
    queries()
    few = queries()
    second = make_list("second")
    for number in range(5):
        campaign_create(
            title=f"Campaign {number}",
            lists=[news, second],
            versions={"fr": VersionText(subject="S", body="B")},
            by=None,
        )
    assert queries() == few


def test_it_shows_progress_and_refreshes_while_sending(marketing, campaign, news):
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SENDING, started_at=timezone.now()
    )
    people = [make_subscriber(f"p{n}@example.org", news) for n in range(3)]
    Delivery.objects.create(campaign=campaign, subscriber=people[0], status=DeliveryStatus.SENT)
    Delivery.objects.create(campaign=campaign, subscriber=people[1], status=DeliveryStatus.FAILED)
    Delivery.objects.create(campaign=campaign, subscriber=people[2])
    page = marketing.get(_url(campaign)).content.decode()
    assert '<progress id="campaign-progress" max="3" value="2">2 / 3</progress>' in page
    assert "2 of 3 messages handled" in page
    assert '<meta http-equiv="refresh" content="10">' in page
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENT)
    assert 'http-equiv="refresh"' not in marketing.get(_url(campaign)).content.decode()


def test_it_previews_escaped_in_a_sandboxed_frame(marketing, mark, news):
    campaign = campaign_create(
        title="<b>Title</b>",
        lists=[news],
        versions={
            "fr": VersionText(
                subject="<script>alert('s')</script>",
                body="Hi <script>alert('b')</script> <img src=x onerror=alert(1)> "
                "[x](javascript:alert(2))",
            )
        },
        by=mark,
    )
    page = marketing.get(_url(campaign, "preview/fr/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;s&#x27;)&lt;/script&gt;" in html
    assert "<iframe" in html and " sandbox " in html
    framed = marketing.get(_url(campaign, "preview/fr/message/"))
    assert framed.status_code == 200
    body = framed.content.decode()
    assert "<script" not in body
    assert "onerror" not in body
    assert "javascript:" not in body
    policy = framed["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy
    assert framed["X-Frame-Options"] == "SAMEORIGIN"
    # A language without a version is not found.
    assert marketing.get(_url(campaign, "preview/nl/")).status_code == 404


def test_it_sends_a_test_to_the_staff_member_only(marketing, mark, campaign, news):
    make_subscriber("subscriber@example.org", news)
    response = marketing.post(
        _url(campaign, "test/"), {"language": "en", "to": "attacker@example.org"}
    )
    assert response.status_code == 302
    emails = list(OutboxEmail.objects.all())
    assert [email.to_address for email in emails] == [mark.email]
    assert emails[0].subject == "[Test] Spring"
    assert emails[0].kind == "newsletter_test"
    assert "Hello everyone" in emails[0].text_body
    entry = AuditEntry.objects.get(action="newsletter.campaign_test")
    assert entry.actor == mark.public_id
    assert entry.detail["language"] == "en"
    # A test is no sending: the campaign is still a draft, nobody else got anything.
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT
    assert not Delivery.objects.exists()


def test_it_schedules_in_the_future(marketing, mark, campaign, news):
    make_subscriber("one@example.org", news)
    when = timezone.localtime() + datetime.timedelta(days=2)
    response = marketing.post(
        _url(campaign, "schedule/"), {"send_at": when.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert campaign.scheduled_at.replace(second=0, microsecond=0) == when.replace(
        second=0, microsecond=0
    )
    assert not Delivery.objects.exists()
    entry = AuditEntry.objects.get(action="newsletter.campaign_schedule")
    assert entry.detail["recipients"] == 1


def test_it_refuses_a_date_in_the_past_or_too_far(marketing, campaign, news):
    make_subscriber("one@example.org", news)
    for when, message in (
        (timezone.localtime() - datetime.timedelta(hours=1), "Choose a date and time in the"),
        (timezone.localtime() + datetime.timedelta(days=400), "Enter a date and time on or"),
    ):
        response = marketing.post(
            _url(campaign, "schedule/"), {"send_at": when.strftime("%Y-%m-%dT%H:%M")}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_it_refuses_to_send_to_nobody(marketing, campaign):
    response = marketing.post(_url(campaign, "send/"), follow=True)
    assert "Nobody would receive this campaign." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_it_sends_now_through_the_engine(marketing, mark, campaign, news):
    first = make_subscriber("one@example.org", news)
    second = make_subscriber("two@example.org", news, language="en")
    response = marketing.post(_url(campaign, "send/"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT)
    assert campaign.started_at is not None
    assert set(Delivery.objects.values_list("subscriber", flat=True)) == {first.pk, second.pk}
    assert AuditEntry.objects.filter(action="newsletter.campaign_send").count() == 1


def test_it_cancels_a_scheduled_campaign(marketing, campaign, news):
    make_subscriber("one@example.org", news)
    when = timezone.localtime() + datetime.timedelta(days=1)
    marketing.post(_url(campaign, "schedule/"), {"send_at": when.strftime("%Y-%m-%dT%H:%M")})
    response = marketing.post(_url(campaign, "cancel/"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert AuditEntry.objects.filter(action="newsletter.campaign_cancel").count() == 1
    page = marketing.get(_url(campaign)).content.decode()
    assert "This campaign was cancelled before it was sent." in page
    assert "<progress" not in page
    # Cancelled is final: it can neither be sent nor cancelled again.
    marketing.post(_url(campaign, "send/"))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED
    assert not Delivery.objects.exists()


def test_it_answers_404_for_an_unknown_campaign(marketing):
    assert marketing.get(f"{BASE}00000000-0000-4000-8000-000000000000/").status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "section"),
    [
        ("fr", "Campagnes de la lettre d\u2019information", "Lettre d\u2019information"),
        ("en", "Newsletter campaigns", "Newsletter"),
        ("nl", "Nieuwsbriefcampagnes", "Nieuwsbrief"),
    ],
)
def test_it_speaks_french_english_and_dutch(marketing, campaign, language, heading, section):
    response = marketing.get(f"/{language}/staff/newsletter/campaigns/")
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    assert f">{section}</a>" in page
    with translation.override(language):
        detail = marketing.get(f"/{language}/staff/newsletter/campaigns/{campaign.public_id}/")
    assert detail.status_code == 200
