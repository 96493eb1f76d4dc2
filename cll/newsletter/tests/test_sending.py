"""The sending engine (cll/newsletter/sending.py): starting a campaign writes one delivery per
recipient; the sender delivers each once over a real SMTP server on loopback, at the configured
rate (counted on a fake clock, never timed), retries temporary failures with backoff on frozen
time, skips an address that left mid-campaign, and reports its progress."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from cll.core.roles import Role
from cll.newsletter import sending
from cll.newsletter.models import (
    Campaign,
    CampaignStatus,
    CampaignVersion,
    Delivery,
    DeliveryStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from cll.newsletter.unsubscribe import HOW_ONE_CLICK, unsubscribe, unsubscribe_key_new
from cll.privacy.models import AuditEntry
from cll.rights.models import Objection

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def make_list(slug: str = "news") -> MailingList:
    return MailingList.objects.create(
        slug=slug,
        name_fr=f"{slug} fr",
        name_en=f"{slug} en",
        name_nl=f"{slug} nl",
        description_fr="d",
        description_en="d",
        description_nl="d",
    )


def make_subscriber(
    email: str,
    mailing_list: MailingList,
    *,
    status: str = SubscriptionStatus.CONFIRMED,
    language: str = "fr",
    account=None,
) -> Subscriber:
    subscriber = Subscriber.objects.create(
        email=email, language=language, unsubscribe_key=unsubscribe_key_new(), account=account
    )
    Subscription.objects.create(
        subscriber=subscriber, mailing_list=mailing_list, status=status, source="form"
    )
    return subscriber


def make_campaign(mailing_list: MailingList, *, scheduled_at=None) -> Campaign:
    campaign = Campaign.objects.create(
        title="December news",
        status=CampaignStatus.SCHEDULED if scheduled_at else CampaignStatus.DRAFT,
        scheduled_at=scheduled_at,
    )
    campaign.lists.add(mailing_list)
    for language, subject in (("fr", "Nouvelles"), ("en", "News")):
        CampaignVersion.objects.create(
            campaign=campaign, language=language, subject=subject, body=f"Hello **{language}**"
        )
    return campaign


def make_recipients(count: int, mailing_list: MailingList) -> list[Subscriber]:
    return [make_subscriber(f"reader{n}@example.net", mailing_list) for n in range(count)]


class FakeClock:
    """A monotonic clock that only moves when the limiter sleeps: sleeps are counted, not
    waited for."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def news():
    return make_list()


@pytest.fixture
def sender(settings, smtp_server):
    """Sending in the test's thread (one SMTP session) to the loopback server, unthrottled."""
    settings.NEWSLETTER_SMTP_CONNECTIONS = 1
    settings.NEWSLETTER_RATE_PER_SECOND = 100_000
    return smtp_server


def recipients_received(server) -> Counter[str]:
    return Counter(address for message in server.messages for address in message.rcpt_tos)


def test_it_starts_a_campaign_with_one_delivery_per_recipient(
    news, mark, django_capture_on_commit_callbacks
):
    readers = make_recipients(3, news)
    make_subscriber("pending@example.net", news, status=SubscriptionStatus.PENDING)
    make_subscriber("left@example.net", news, status=SubscriptionStatus.UNSUBSCRIBED)
    campaign = make_campaign(news)

    with django_capture_on_commit_callbacks() as callbacks:
        count = sending.campaign_start(campaign=campaign, by=mark)

    assert count == 3
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert campaign.started_at is not None
    deliveries = Delivery.objects.filter(campaign=campaign)
    assert sorted(deliveries.values_list("subscriber_id", flat=True)) == sorted(
        reader.pk for reader in readers
    )
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    entry = AuditEntry.objects.get(action="newsletter.campaign_start")
    assert entry.detail == {"recipients": 3}
    assert (entry.actor, entry.actor_role) == (mark.public_id, Role.MARKETING)
    # The sending task is queued when the transaction commits.
    queued = [c for c in callbacks if getattr(c, "func", None) is sending.campaign_send_enqueue]
    assert [c.args for c in queued] == [(str(campaign.public_id),)]


def test_it_refuses_to_start_a_campaign_twice(news, mark):
    make_recipients(1, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    with pytest.raises(sending.CampaignNotStartable):
        sending.campaign_start(campaign=campaign, by=mark)
    assert Delivery.objects.filter(campaign=campaign).count() == 1


def test_it_starts_a_scheduled_campaign_when_its_time_comes(news):
    make_recipients(2, news)
    campaign = make_campaign(news, scheduled_at=NOW + dt.timedelta(hours=1))

    with time_machine.travel(NOW, tick=False):
        assert sending.campaign_start(campaign=campaign, by=None) == 0
        assert sending.campaigns_start_due() == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert not Delivery.objects.filter(campaign=campaign).exists()

    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert sending.campaigns_start_due() == 1
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    assert Delivery.objects.filter(campaign=campaign).count() == 2


def test_it_sends_each_recipient_once_and_finishes_the_campaign(news, mark, sender):
    make_recipients(5, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    report = sending.campaign_send(campaign=campaign)
    again = sending.campaign_send(campaign=campaign)

    assert (report.sent, report.finished) == (5, True)
    assert again.sent == 0
    assert recipients_received(sender) == {f"reader{n}@example.net": 1 for n in range(5)}
    # Over one persistent session, each message with its unsubscribe headers.
    assert len(sender.sessions) == 1
    message = sender.messages[0].message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in message["List-Unsubscribe"]
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert campaign.finished_at is not None
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENT, 1)}


def test_it_gives_each_delivery_its_own_message_id(news, mark, sender):
    make_recipients(2, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    sending.campaign_send(campaign=campaign)

    # Made from the delivery (N2's builder): a resent delivery is recognisable as the same.
    ids = sorted(message.message_id for message in sender.messages)
    pks = sorted(Delivery.objects.values_list("pk", flat=True))
    assert len(set(ids)) == 2
    assert all(f".{pk}@" in message_id for pk, message_id in zip(pks, ids, strict=True))


def test_it_sends_each_recipient_the_version_of_their_language(news, mark, sender):
    make_subscriber("en@example.net", news, language="en")
    make_subscriber("nl@example.net", news, language="nl")
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    sending.campaign_send(campaign=campaign)

    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in sender.messages}
    # Dutch has no version: French, the default.
    assert subjects == {"en@example.net": "News", "nl@example.net": "Nouvelles"}


def test_it_skips_an_address_that_unsubscribed_mid_campaign(news, mark, sender):
    readers = make_recipients(3, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    unsubscribe(subscriber=readers[1], mailing_list=news, how=HOW_ONE_CLICK)
    report = sending.campaign_send(campaign=campaign)

    assert (report.sent, report.skipped) == (2, 1)
    assert "reader1@example.net" not in recipients_received(sender)
    skipped = Delivery.objects.get(subscriber=readers[1])
    assert skipped.status == DeliveryStatus.SKIPPED
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT


def test_it_skips_a_person_who_objected_to_marketing_mid_campaign(news, mark, alice, sender):
    make_subscriber("alice@example.org", news, account=alice)
    make_recipients(1, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)

    Objection.objects.create(subject=alice, purpose=Objection.Purpose.MARKETING)
    sending.campaign_send(campaign=campaign)

    assert recipients_received(sender) == {"reader0@example.net": 1}
    assert Delivery.objects.get(subscriber__account=alice).status == DeliveryStatus.SKIPPED


def test_it_honours_the_rate_limit(news, mark, sender):
    make_recipients(11, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    fake = FakeClock()

    report = sending.campaign_send(
        campaign=campaign, limiter=sending.RateLimiter(5, clock=fake.clock, sleep=fake.sleep)
    )

    assert report.sent == 11
    # The first message goes at once, each of the ten others waits for its fifth of a second.
    assert fake.sleeps == pytest.approx([0.2] * 10)
    assert fake.now - 1000.0 == pytest.approx(2.0)


def test_it_shares_the_rate_between_the_threads():
    fake = FakeClock()
    limiter = sending.RateLimiter(10, clock=fake.clock, sleep=lambda seconds: None)

    for _ in range(4):
        limiter.acquire()

    # Without sleeping in between, each caller got the next tenth of a second.
    assert limiter._next - fake.now == pytest.approx(0.4)


def test_it_retries_a_temporary_failure_with_exponential_backoff_then_fails(
    news, mark, sender, settings
):
    settings.NEWSLETTER_MAX_ATTEMPTS = 3
    make_recipients(1, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    sender.data_reply = "451 4.3.0 Mailbox of <reader0@example.net> busy, try later"
    delivery = Delivery.objects.get()

    with time_machine.travel(NOW, tick=False):
        first = sending.campaign_send(campaign=campaign)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
        assert delivery.next_attempt_at == NOW + dt.timedelta(minutes=1)
        assert first.next_due == NOW + dt.timedelta(minutes=1)
        # Not due yet: nothing is tried.
        assert sending.campaign_send(campaign=campaign).retried == 0

    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        sending.campaign_send(campaign=campaign)
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == NOW + dt.timedelta(minutes=3)

    with time_machine.travel(NOW + dt.timedelta(minutes=3), tick=False):
        report = sending.campaign_send(campaign=campaign)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.error == "SMTP 451 4.3.0 Mailbox of <address> busy, try later"
    assert "example.net" not in delivery.error
    assert report.finished
    assert not sender.messages


def test_it_fails_at_once_on_a_permanent_refusal(news, mark, sender):
    make_recipients(2, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    sender.rcpt_reply = "550 5.1.1 <reader0@example.net>: no such user"

    report = sending.campaign_send(campaign=campaign)

    assert report.failed == 2
    errors = set(Delivery.objects.values_list("status", "attempts", "error"))
    assert errors == {(DeliveryStatus.FAILED, 1, "SMTP 550 5.1.1 <address>: no such user")}


def test_it_hands_the_batch_back_when_the_relay_is_down(news, mark, sender):
    make_recipients(3, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    sender.stop()

    with time_machine.travel(NOW, tick=False):
        report = sending.campaign_send(campaign=campaign)

    assert (report.retried, report.sent, report.finished) == (1, 0, False)
    attempts = sorted(Delivery.objects.values_list("attempts", flat=True))
    # One attempt spent on the outage, not three; all wait and are tried again later.
    assert attempts == [0, 0, 1]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert all(at > NOW for at in Delivery.objects.values_list("next_attempt_at", flat=True))

    sender.start()
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        assert sending.campaign_send(campaign=campaign).sent == 3
    assert recipients_received(sender) == {f"reader{n}@example.net": 1 for n in range(3)}


def test_it_reports_the_progress(news, mark, sender):
    readers = make_recipients(4, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    assert sending.campaign_progress(campaign=campaign) == {
        "total": 4,
        "pending": 4,
        "sent": 0,
        "failed": 0,
        "skipped": 0,
    }

    unsubscribe(subscriber=readers[0], how=HOW_ONE_CLICK)
    sender.rcpt_reply = None
    Delivery.objects.filter(subscriber=readers[3]).update(
        status=DeliveryStatus.FAILED, error="SMTP 550"
    )
    sending.campaign_send(campaign=campaign)

    assert sending.campaign_progress(campaign=campaign) == {
        "total": 4,
        "pending": 0,
        "sent": 2,
        "failed": 1,
        "skipped": 1,
    }


def test_it_queues_a_stalled_campaign_again(news, mark):
    make_recipients(2, news)
    campaign = make_campaign(news)
    with time_machine.travel(NOW, tick=False):
        sending.campaign_start(campaign=campaign, by=mark)
        # Just started: its first task is queued already.
        assert sending.campaigns_resume_stalled() == 0
    first = Delivery.objects.order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.SENT, sent_at=NOW)
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        # One was sent a minute ago: the campaign moves, no second task.
        assert sending.campaigns_resume_stalled() == 0
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert sending.campaigns_resume_stalled() == 1


def test_it_finishes_a_campaign_left_with_nothing_pending(news, mark):
    make_recipients(1, news)
    campaign = make_campaign(news)
    sending.campaign_start(campaign=campaign, by=mark)
    Delivery.objects.update(status=DeliveryStatus.SENT, sent_at=timezone.now())

    assert sending.campaigns_resume_stalled() == 0
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
