"""Reads of the newsletter app: ``<entity>_list_for`` / ``<entity>_get_for``, filtered by owner
or role (user-supplied ids are resolved here, never in views)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cll.accounts.models import User
from cll.newsletter.models import MailingList, Subscription, SubscriptionStatus
from cll.rights.selectors import processing_allowed


def mailing_list_list_for_public() -> QuerySet[MailingList]:
    """The lists anyone may subscribe to on the site, in their display order."""
    return MailingList.objects.filter(is_public=True).order_by("position", "slug")


def mailing_list_get_for_public(*, slug: str) -> MailingList | None:
    """A public list by its slug (None for an unknown or non-public one)."""
    return mailing_list_list_for_public().filter(slug=slug).first()


@dataclass(frozen=True)
class ListChoice:
    """One list on "My subscriptions", with the person's status on it ("" when none)."""

    mailing_list: MailingList
    status: str


def subscription_list_for(*, user: User) -> list[ListChoice]:
    """The public lists, plus any other list the person is on, each with their status.

    Only the person's own subscriptions (through their account), never another's."""
    statuses = dict(
        Subscription.objects.filter(subscriber__account=user).values_list(
            "mailing_list_id", "status"
        )
    )
    lists = MailingList.objects.filter(is_public=True) | MailingList.objects.filter(
        pk__in=[pk for pk, status in statuses.items() if status != SubscriptionStatus.UNSUBSCRIBED]
    )
    return [
        ListChoice(mailing_list=mailing_list, status=statuses.get(mailing_list.pk, ""))
        for mailing_list in lists.distinct().order_by("position", "slug")
    ]


def mailing_list_get_for(*, user: User, slug: str) -> MailingList | None:
    """A list the person may join or leave: a public one, or one they are on."""
    return (
        MailingList.objects.filter(slug=slug)
        .filter(Q(is_public=True) | Q(subscriptions__subscriber__account=user))
        .distinct()
        .first()
    )


def marketing_objected(*, user: User) -> bool:
    """Whether the signed-in person objected to marketing (no subscription may be made)."""
    return not processing_allowed(subject=user.public_id, purpose="marketing")
