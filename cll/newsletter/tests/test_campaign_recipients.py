"""Who a campaign goes to (issue 14, item 3): confirmed subscribers of its lists, each once,
matching its segments (language, level, site), never a suppressed address, never a person who
objected to marketing or whose processing is restricted."""

from __future__ import annotations

import pytest

from cll.accounts.models import LearnerProfile
from cll.courses.tests.factories import make_session, make_site
from cll.newsletter.campaigns import (
    VersionText,
    campaign_create,
    campaign_recipients,
    campaign_version_for,
)
from cll.newsletter.models import (
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    SuppressionReason,
)
from cll.newsletter.unsubscribe import suppress, unsubscribe_key_new
from cll.rights.models import Objection, Restriction
from cll.rights.selectors import processing_allowed
from cll.shop.models import Enrolment, EnrolmentStatus

pytestmark = pytest.mark.django_db


def make_list(slug: str) -> MailingList:
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
    *lists: MailingList,
    language: str = "fr",
    account=None,
    status: str = SubscriptionStatus.CONFIRMED,
) -> Subscriber:
    subscriber = Subscriber(
        email=email, language=language, account=account, unsubscribe_key=unsubscribe_key_new()
    )
    if account is not None:
        subscriber.public_id = account.public_id
    subscriber.save()
    for mailing_list in lists:
        Subscription.objects.create(
            subscriber=subscriber, mailing_list=mailing_list, status=status, source="form"
        )
    return subscriber


def make_campaign(*lists: MailingList, by, **segments):
    return campaign_create(
        title="Spring news",
        lists=lists,
        versions={"fr": VersionText(subject="Printemps", body="Bonjour")},
        by=by,
        **segments,
    )


@pytest.fixture
def news():
    return make_list("news")


@pytest.fixture
def promotions():
    return make_list("promotions")


def _emails(campaign) -> list[str]:
    return sorted(subscriber.email for subscriber in campaign_recipients(campaign=campaign))


def test_it_sends_to_confirmed_subscribers_of_the_lists_each_once(mark, news, promotions):
    make_subscriber("one@example.org", news, promotions)
    make_subscriber("two@example.org", promotions)
    make_subscriber("pending@example.org", news, status=SubscriptionStatus.PENDING)
    make_subscriber("left@example.org", news, status=SubscriptionStatus.UNSUBSCRIBED)
    make_subscriber("other@example.org", make_list("other"))
    campaign = make_campaign(news, promotions, by=mark)
    assert _emails(campaign) == ["one@example.org", "two@example.org"]
    assert campaign_recipients(campaign=campaign).count() == 2


def test_it_keeps_only_the_language_segment(mark, news):
    make_subscriber("fr@example.org", news, language="fr")
    make_subscriber("nl@example.org", news, language="nl")
    campaign = make_campaign(news, by=mark, segment_language="nl")
    assert _emails(campaign) == ["nl@example.org"]


def test_it_keeps_only_the_level_of_the_account_profile(mark, news, alice, charlie):
    LearnerProfile.objects.create(user=alice, first_name="Alice", last_name="A", level="B1")
    LearnerProfile.objects.create(user=charlie, first_name="Charlie", last_name="C", level="A2")
    make_subscriber("alice@example.org", news, account=alice)
    make_subscriber("charlie@example.org", news, account=charlie)
    # No account, so no level to match.
    make_subscriber("anonymous@example.org", news)
    campaign = make_campaign(news, by=mark, segment_level="B1")
    assert _emails(campaign) == ["alice@example.org"]


def test_it_keeps_only_learners_with_an_active_enrolment_at_the_site(mark, news, alice, charlie):
    woluwe = make_site("woluwe")
    session = make_session(site=woluwe)
    other = make_session(site=make_site("louvain-la-neuve"))
    Enrolment.objects.create(session=session, learner=alice, status=EnrolmentStatus.ACTIVE)
    Enrolment.objects.create(session=session, learner=charlie, status=EnrolmentStatus.CANCELLED)
    Enrolment.objects.create(session=other, learner=charlie, status=EnrolmentStatus.ACTIVE)
    make_subscriber("alice@example.org", news, account=alice)
    make_subscriber("charlie@example.org", news, account=charlie)
    make_subscriber("anonymous@example.org", news)
    campaign = make_campaign(news, by=mark, segment_site="woluwe")
    assert _emails(campaign) == ["alice@example.org"]


def test_it_never_sends_to_a_suppressed_address(mark, news, promotions):
    make_subscriber("everywhere@example.org", news)
    make_subscriber("news-only@example.org", news)
    make_subscriber("both@example.org", news, promotions)
    make_subscriber("kept@example.org", news)
    suppress(email="Everywhere@example.org", reason=SuppressionReason.BOUNCED)
    suppress(email="news-only@example.org", mailing_list=news, reason="unsubscribed")
    # Left the news but still confirmed on the promotions: reached through those.
    suppress(email="both@example.org", mailing_list=news, reason="unsubscribed")
    campaign = make_campaign(news, promotions, by=mark)
    assert _emails(campaign) == ["both@example.org", "kept@example.org"]
    only_news = make_campaign(news, by=mark)
    assert _emails(only_news) == ["kept@example.org"]


def test_it_never_sends_to_a_person_who_objected_to_marketing(mark, news, alice, charlie, gina):
    make_subscriber("alice@example.org", news, account=alice)
    make_subscriber("charlie@example.org", news, account=charlie)
    make_subscriber("gina@example.org", news, account=gina)
    Objection.objects.create(subject=alice, purpose=Objection.Purpose.MARKETING)
    Objection.objects.create(subject=gina, purpose=Objection.Purpose.ANALYTICS)
    Restriction.objects.create(subject=charlie)
    campaign = make_campaign(news, by=mark)
    assert _emails(campaign) == ["gina@example.org"]
    # The same answer as the rights app's own rule, person by person.
    for subscriber in Subscriber.objects.all():
        allowed = processing_allowed(subject=subscriber.public_id, purpose="marketing")
        assert (subscriber.email in _emails(campaign)) == allowed


def test_it_gives_each_subscriber_their_language_else_french(mark, news):
    campaign = campaign_create(
        title="Two languages",
        lists=[news],
        versions={
            "fr": VersionText(subject="Bonjour", body="Texte"),
            "nl": VersionText(subject="Hallo", body="Tekst"),
        },
        by=mark,
    )
    assert campaign_version_for(campaign=campaign, language="nl").subject == "Hallo"
    assert campaign_version_for(campaign=campaign, language="en").subject == "Bonjour"
