"""Writes of the newsletter app: ``<entity>_<verb>(*, kw=...)``, in ``transaction.atomic()``,
with the audit entry (cll.privacy.services.audit_record) of any change to personal data in the
same transaction and e-mail (cll.core.outbox) only on commit.

Subscribing (double opt-in):

- ``subscription_request`` records PENDING subscriptions and e-mails one single-use link
  (cll.lib.tokens, valid ``NEWSLETTER_CONFIRM_HOURS``) listing the lists. Its answer never tells
  a visitor whether an address is known, subscribed or suppressed: the page says "check your
  mailbox" in every case (no enumeration). An address already confirmed on every list asked
  gets no e-mail. An address on the suppression list is never re-subscribed silently: it goes
  through the confirmation like anyone, and confirming lifts its suppression for those lists
  (a fresh, explicit opt-in);
- ``subscription_confirm`` turns the link into CONFIRMED subscriptions and writes the consent
  evidence (when, how, policy version, minimised network) in the ledger, once per list;
- a person who objected to marketing (cll.rights) gets no subscription at all;
- a signed-in person joining with their verified account address has proved their mailbox
  already: ``subscription_join`` confirms at once, with the same evidence.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts.models import User
from cll.accounts.selectors import account_for_email
from cll.core.outbox import email_queue_template
from cll.core.ratelimit import window_hit
from cll.lib.clientip import network_of, request_client_ip
from cll.lib.crypto import blind_index
from cll.lib.tokens import link_token_hash, link_token_new
from cll.lib.urls import view_route
from cll.newsletter import unsubscribe
from cll.newsletter.models import (
    EMAIL_INDEX_PURPOSE,
    MailingList,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from cll.policies.selectors import policy_version_current
from cll.privacy.services import audit_record
from cll.rights.selectors import processing_allowed

MARKETING = "marketing"
# The list the footer's form and the sign-up box subscribe to (made by load_newsletter_lists).
NEWS_LIST = "news"
# Per client network: a school's or a company's NAT shares one, so not too tight.
REQUESTS_PER_NETWORK_PER_HOUR = 20
# Per address: enough to ask again after losing the e-mail, too few to flood a mailbox.
REQUESTS_PER_ADDRESS_PER_HOUR = 3


class Outcome(enum.StrEnum):
    """What ``subscription_request`` did. Only OBJECTED (said to the signed-in person about
    their own account) and LIMITED change what a page says; QUEUED and NOTHING look alike."""

    QUEUED = "queued"  # a confirmation e-mail is on its way
    CONFIRMED = "confirmed"  # confirmed at once (a signed-in person's verified address)
    NOTHING = "nothing"  # already subscribed, or no subscription may be made: no e-mail
    OBJECTED = "objected"  # the signed-in person objected to marketing
    LIMITED = "limited"  # too many requests from this network or for this address


def email_index(email: str) -> str:
    """The blind index subscribers are found by (normalised, keyed)."""
    return blind_index(email, purpose=EMAIL_INDEX_PURPOSE)


def confirm_link(token: str, *, language: str) -> str:
    """The absolute address of the confirmation page in ``language`` (e-mails have no request)."""
    with translation.override(language):
        path = reverse("newsletter:confirm", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def _over_rate(*, ip: str, index: str) -> bool:
    hour = int(timezone.now().timestamp() // 3600)
    network = hashlib.sha256(network_of(ip).encode()).hexdigest()[:16]
    by_network = window_hit(
        f"newsletter:subscribe:net:{network}:{hour}",
        limit=REQUESTS_PER_NETWORK_PER_HOUR,
        seconds=7200,
    )
    by_address = window_hit(
        f"newsletter:subscribe:addr:{index[:32]}:{hour}",
        limit=REQUESTS_PER_ADDRESS_PER_HOUR,
        seconds=7200,
    )
    return not (by_network and by_address)


def subscriber_get_or_create(*, email: str, language: str, account: User | None) -> Subscriber:
    """Inside the caller's transaction: the subscriber of ``email``, linked to ``account``."""
    index = email_index(email)
    if account is not None:
        own = Subscriber.objects.select_for_update().filter(account=account).first()
        if own is not None:
            if (
                own.email_index != index
                and not Subscriber.objects.filter(email_index=index).exists()
            ):
                # The account's address changed since: its subscriptions follow it.
                own.email = email.strip()
                own.save(update_fields=["email", "email_index"])
            if own.email_index == index:
                return own
    subscriber = Subscriber.objects.select_for_update().filter(email_index=index).first()
    if subscriber is not None:
        if (
            account is not None
            and subscriber.account_id is None
            and not Subscriber.objects.filter(account=account).exists()
        ):
            subscriber.account = account
            subscriber.save(update_fields=["account"])
        return subscriber
    subscriber = Subscriber(
        email=email.strip(),
        language=language,
        account=account,
        unsubscribe_key=unsubscribe.unsubscribe_key_new(),
    )
    if account is not None:
        subscriber.public_id = account.public_id
    try:
        with transaction.atomic():
            subscriber.save()
    except IntegrityError:
        # Two requests for one new address at once: the other one created it.
        return Subscriber.objects.select_for_update().get(email_index=index)
    return subscriber


def _objected(subscriber: Subscriber) -> bool:
    return not processing_allowed(subject=subscriber.public_id, purpose=MARKETING)


def subscription_request(
    *,
    email: str,
    lists: Iterable[MailingList],
    language: str,
    source: str,
    account: User | None = None,
    ip: str,
    request: HttpRequest | None = None,
) -> Outcome:
    """Ask to subscribe ``email`` to ``lists`` (double opt-in) and e-mail the link.

    Rules: at most ``REQUESTS_PER_NETWORK_PER_HOUR`` requests per client network and
    ``REQUESTS_PER_ADDRESS_PER_HOUR`` per address (``ip`` is the client's address, from
    ``cll.lib.clientip``); nothing for a person who objected to marketing; no e-mail when
    every list is already confirmed; a suppressed address is confirmed like any other.
    ``account``: the signed-in person subscribing their own address (registration, profile).
    """
    index = email_index(email)
    if _over_rate(ip=ip, index=index):
        return Outcome.LIMITED
    lists = list(lists)
    if account is None:
        # An account's address belongs to that person: their export, erasure and objection
        # reach the subscription (Subscriber.public_id is the account's).
        account = account_for_email(email)
        signed_in = False
    else:
        signed_in = True
    if account is not None and not processing_allowed(subject=account.public_id, purpose=MARKETING):
        # Told only to the person themselves; a visitor typing their address learns nothing.
        return Outcome.OBJECTED if signed_in else Outcome.NOTHING
    with transaction.atomic():
        subscriber = subscriber_get_or_create(email=email, language=language, account=account)
        if _objected(subscriber):
            return Outcome.OBJECTED if signed_in else Outcome.NOTHING
        link = link_token_new(lifetime=dt.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS))
        now = timezone.now()
        asked = []
        for mailing_list in lists:
            subscription, created = Subscription.objects.select_for_update().get_or_create(
                subscriber=subscriber,
                mailing_list=mailing_list,
                defaults={
                    "source": source,
                    "token_hash": link.hash,
                    "token_expires_at": link.expires_at,
                },
            )
            if not created:
                if subscription.status == SubscriptionStatus.CONFIRMED:
                    continue
                # Pending again, or back after leaving: a new link; asked now (the
                # unconfirmed-retention clock starts again).
                subscription.status = SubscriptionStatus.PENDING
                subscription.source = source
                subscription.token_hash = link.hash
                subscription.token_expires_at = link.expires_at
                subscription.created_at = now
                subscription.save(
                    update_fields=[
                        "status",
                        "source",
                        "token_hash",
                        "token_expires_at",
                        "created_at",
                    ]
                )
            asked.append(mailing_list)
        if not asked:
            return Outcome.NOTHING
        audit_record(
            actor=account if signed_in else None,
            subject=subscriber.public_id,
            action="newsletter.request",
            target=subscriber,
            route=view_route(request),
            detail={"lists": [m.slug for m in asked], "source": source},
        )
        email_queue_template(
            to=subscriber.email,
            template_prefix="emails/newsletter_confirm",
            context={
                "lists": [_list_name(m, subscriber.language) for m in asked],
                "link": confirm_link(link.token, language=subscriber.language),
                "expires_at": link.expires_at,
            },
            language=subscriber.language,
            subject_person=subscriber.public_id,
        )
    return Outcome.QUEUED


def _list_name(mailing_list: MailingList, language: str) -> str:
    with translation.override(language):
        return str(mailing_list.name)


def subscriptions_pending_for_token(token: str) -> list[Subscription]:
    """The PENDING subscriptions a confirmation link opens while it is live (none when
    unknown, used or expired)."""
    return list(
        Subscription.objects.filter(
            token_hash=link_token_hash(token),
            token_expires_at__gt=timezone.now(),
            status=SubscriptionStatus.PENDING,
        )
        .select_related("subscriber", "mailing_list")
        .order_by("mailing_list__position", "mailing_list__slug")
    )


def _consent_record(subscription: Subscription, *, actor: User | None, route: str) -> None:
    """Inside the caller's transaction: the subscription is confirmed; write the evidence
    and lift the suppression of its list (a fresh, explicit opt-in)."""
    audit_record(
        actor=actor,
        subject=subscription.subscriber.public_id,
        action="newsletter.consent",
        target=subscription.subscriber,
        route=route,
        detail={
            "list": subscription.mailing_list.slug,
            "source": subscription.source,
            "policy": subscription.policy_version,
            "network": subscription.confirm_network,
        },
    )
    _suppression_lift(subscription)


def _suppression_lift(subscription: Subscription) -> None:
    """The address opted in again to this list: its suppression for it goes; one for every
    list is narrowed to the other lists (it still keeps them out of those)."""
    address = unsubscribe.address_hash(subscription.subscriber.email)
    Suppression.objects.filter(
        address_hash=address, mailing_list=subscription.mailing_list
    ).delete()
    everything = Suppression.objects.filter(address_hash=address, mailing_list__isnull=True)
    for suppression in everything:
        others = MailingList.objects.exclude(pk=subscription.mailing_list_id)
        Suppression.objects.bulk_create(
            [
                Suppression(address_hash=address, mailing_list=other, reason=suppression.reason)
                for other in others
            ],
            ignore_conflicts=True,
        )
        suppression.delete()


def subscription_confirm(
    *, token: str, ip: str, request: HttpRequest | None = None
) -> list[Subscription]:
    """Confirm the subscriptions a live link opens, once: CONFIRMED now, under the policy in
    force, with the client's network (IPv4 /24, IPv6 /48, never the address) as evidence in
    the ledger. The link is consumed. Returns the confirmed subscriptions (empty when the link
    is unknown, used or expired, or when the person has objected to marketing since)."""
    now = timezone.now()
    with transaction.atomic():
        pending = list(
            Subscription.objects.select_for_update()
            .filter(
                token_hash=link_token_hash(token),
                token_expires_at__gt=now,
                status=SubscriptionStatus.PENDING,
            )
            .select_related("subscriber", "mailing_list")
        )
        if not pending or _objected(pending[0].subscriber):
            return []
        policy = policy_version_current()
        network = network_of(ip)
        route = view_route(request)
        for subscription in pending:
            subscription.status = SubscriptionStatus.CONFIRMED
            subscription.confirmed_at = now
            subscription.unsubscribed_at = None
            subscription.policy_version = policy
            subscription.confirm_network = network
            subscription.token_hash = ""
            subscription.token_expires_at = None
            subscription.save(
                update_fields=[
                    "status",
                    "confirmed_at",
                    "unsubscribed_at",
                    "policy_version",
                    "confirm_network",
                    "token_hash",
                    "token_expires_at",
                ]
            )
            _consent_record(subscription, actor=None, route=route)
    return pending


def account_address_verified(user: User) -> bool:
    """Whether the account's own address was proved (allauth's confirmation): then joining a
    list from the profile needs no second confirmation e-mail."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def subscription_join(
    *, user: User, mailing_list: MailingList, language: str, ip: str, request: HttpRequest | None
) -> Outcome:
    """A signed-in person joins ``mailing_list`` from "My subscriptions" with their account's
    address. Verified address: confirmed at once (source PROFILE) with the consent evidence;
    otherwise the double opt-in e-mail, like the public form."""
    if not account_address_verified(user):
        return subscription_request(
            email=user.email,
            lists=[mailing_list],
            language=language,
            source=Source.PROFILE,
            account=user,
            ip=ip,
            request=request,
        )
    if not processing_allowed(subject=user.public_id, purpose=MARKETING):
        return Outcome.OBJECTED
    now = timezone.now()
    with transaction.atomic():
        subscriber = subscriber_get_or_create(email=user.email, language=language, account=user)
        if _objected(subscriber):
            return Outcome.OBJECTED
        subscription, _created = Subscription.objects.select_for_update().get_or_create(
            subscriber=subscriber, mailing_list=mailing_list, defaults={"source": Source.PROFILE}
        )
        if subscription.status == SubscriptionStatus.CONFIRMED:
            return Outcome.NOTHING
        subscription.status = SubscriptionStatus.CONFIRMED
        subscription.source = Source.PROFILE
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.policy_version = policy_version_current()
        subscription.confirm_network = network_of(ip)
        subscription.token_hash = ""
        subscription.token_expires_at = None
        subscription.save()
        _consent_record(subscription, actor=user, route=view_route(request))
    return Outcome.CONFIRMED


def subscription_leave(*, user: User, mailing_list: MailingList) -> bool:
    """A signed-in person leaves ``mailing_list`` from "My subscriptions": unsubscribed at
    once and suppressed for that list (cll.newsletter.unsubscribe: never written to again
    unless they opt in afresh), with the evidence in the ledger. Returns whether there was a
    subscription to end."""
    subscriber = Subscriber.objects.filter(account=user).first()
    if subscriber is None:
        return False
    return bool(
        unsubscribe.unsubscribe(
            subscriber=subscriber, mailing_list=mailing_list, how=unsubscribe.HOW_PROFILE
        )
    )


def subscription_on_signup(request: HttpRequest, user: User, wanted: bool | None) -> None:
    """After sign-up (cll/accounts/hooks.py): the "Send me CLL's news" box ticked asks for the
    double opt-in e-mail of the news list, source REGISTRATION; unticked, nothing."""
    if not wanted:
        return
    news = MailingList.objects.filter(slug=NEWS_LIST, is_public=True).first()
    if news is None:
        return
    subscription_request(
        email=user.email,
        lists=[news],
        language=translation.get_language(),
        source=Source.REGISTRATION,
        account=user,
        ip=request_client_ip(request),
        request=request,
    )
