"""The sending engine: a campaign's recipients become ``Delivery`` rows, and workers send them
over persistent SMTP connections, at a bounded rate, each recipient exactly once.

Starting (``campaign_start``)
    One transaction turns the campaign SENDING and writes one PENDING delivery per recipient
    (``campaigns.campaign_recipients``), streamed in chunks so 100,000 recipients take no more
    memory than 2,000; the sending task is queued when it commits. A campaign scheduled for
    later stays SCHEDULED: ``campaigns_start_due`` (every minute, ``tasks.py``) starts it when
    its time comes.

Sending (``campaign_send``)
    A worker *claims* a batch of due pending deliveries in a short transaction: the rows are
    locked with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL: several workers share a
    campaign without waiting for each other; SQLite serialises the claim, one worker is the
    rule) and their ``next_attempt_at`` is set to the end of a lease, so no other worker takes
    them while this one works through them. Just before the batch is sent, every recipient is
    checked again (still confirmed on a list of the campaign, not suppressed for it, no
    marketing objection or restriction): an address that left meanwhile is SKIPPED. Each
    message goes out on one of ``NEWSLETTER_SMTP_CONNECTIONS`` persistent SMTP sessions (one
    thread each), at most ``NEWSLETTER_RATE_PER_SECOND`` per second for the process, and its
    new state is committed by one UPDATE as soon as the server answered.

Exactly once, and the one window left
    A delivery is PENDING until the commit that records the server's answer. A worker killed
    before the server accepted a message leaves it PENDING: it is sent again when the lease
    ends (the server never took it, so the recipient gets it once). A worker killed after the
    server's "250" and before that one-row UPDATE commits (the time of one UPDATE on a local
    database, well under a millisecond) leaves a message the server has, still PENDING: it is
    sent a second time. That window cannot be closed over SMTP (the server's acceptance and
    our commit are two systems); it is made as short as it can be (nothing but the UPDATE
    runs in it) and a duplicate carries the same Message-ID (made from the delivery), so
    mail systems that de-duplicate show it once. Nothing is committed before a message is
    sent, so a crash never loses one.

Failures
    A temporary failure (4xx, connection lost, timeout) is retried with exponential backoff
    (``RETRY_BASE`` doubled per attempt, at most ``MAX_BACKOFF``) up to
    ``NEWSLETTER_MAX_ATTEMPTS``; a permanent one (5xx) or the last attempt marks it FAILED
    with the server's answer, addresses blanked out. When the relay is unreachable the batch
    is handed back without spending attempts and the worker stops; the task queues itself
    again for the next due retry. When no pending delivery is left, the campaign is SENT.
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import mailers
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from cll.core.encryption import data_keys_preload
from cll.core.roles import Role, acting_role

# Module imports (not names): campaigns and tasks import this module too.
from cll.newsletter import campaigns, tasks
from cll.newsletter.message import campaign_message_build
from cll.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    MailingList,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from cll.newsletter.unsubscribe import address_hash
from cll.privacy.services import audit_record
from cll.rights.models import Objection, Restriction

logger = logging.getLogger(__name__)

# Deliveries written per INSERT when a campaign starts, and recipient ids read per fetch.
START_CHUNK = 2000
# Deliveries one worker claims at a time: also how stale the suppression check can be (a
# batch is checked once, just before it is sent: at 50 messages/s, one second).
BATCH = 50
# A claimed batch is this worker's until the lease ends (renewed while it works on it); the
# batch of a worker that died is taken up by another one when its lease ends.
LEASE = timedelta(minutes=5)
# Retries of temporary failures: RETRY_BASE, doubled per attempt, capped.
RETRY_BASE = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
# A relay that cannot be reached: the batch is handed back, to be tried again after this.
UNREACHABLE_PAUSE = timedelta(minutes=1)
# The task of a campaign that stopped moving (its worker died, its task was lost) is queued
# again by the minute job when no delivery was sent for this long.
STALLED_AFTER = timedelta(minutes=2)
# The server's answer is kept without what looks like an address (the error column is not
# encrypted, and the answer often repeats the recipient).
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")
ERROR_LENGTH = 300


class CampaignNotStartable(Exception):
    """The campaign is not in a state that can start sending (already sending, sent...)."""


# -- Starting -------------------------------------------------------------------------------------


def campaign_start(*, campaign: Campaign, by) -> int:
    """Start sending ``campaign``, or leave it for the minute job when it is scheduled later.

    In one transaction: the campaign turns SENDING with ``started_at``, and one PENDING
    delivery is written per recipient, read and inserted ``START_CHUNK`` at a time (memory does
    not grow with the number of recipients); the audit entry records who started it and for
    how many. The sending task is queued when the transaction commits. Returns the number of
    deliveries written (0 when the campaign is scheduled for later).

    Raises ``CampaignNotStartable`` unless the campaign is a draft or scheduled.
    """
    now = timezone.now()
    with transaction.atomic():
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if current.status not in (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED):
            raise CampaignNotStartable(f"campaign is {current.status}")
        if current.scheduled_at is not None and current.scheduled_at > now:
            if current.status != CampaignStatus.SCHEDULED:
                current.status = CampaignStatus.SCHEDULED
                current.save(update_fields=["status", "updated_at"])
            return 0
        current.status = CampaignStatus.SENDING
        current.started_at = now
        current.save(update_fields=["status", "started_at", "updated_at"])
        count = _deliveries_write(current)
        audit_record(
            actor=by,
            role=acting_role(by, Role.MARKETING, Role.ADMINISTRATOR),
            action="newsletter.campaign_start",
            target=current,
            detail={"recipients": count},
        )
        transaction.on_commit(partial(campaign_send_enqueue, str(current.public_id)), robust=True)
    campaign.status, campaign.started_at = current.status, current.started_at
    return count


def _deliveries_write(campaign: Campaign) -> int:
    recipients = (
        campaigns.campaign_recipients(campaign=campaign)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=START_CHUNK)
    )
    count = 0
    chunk: list[Delivery] = []
    for subscriber_id in recipients:
        chunk.append(Delivery(campaign_id=campaign.pk, subscriber_id=subscriber_id))
        if len(chunk) == START_CHUNK:
            Delivery.objects.bulk_create(chunk, batch_size=START_CHUNK)
            count += len(chunk)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, batch_size=START_CHUNK)
        count += len(chunk)
    return count


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Start the scheduled campaigns whose time has come; returns how many started."""
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lte=now)
    for campaign in due.order_by("scheduled_at"):
        try:
            campaign_start(campaign=campaign, by=None)
        except CampaignNotStartable:
            # Cancelled or started by someone else between the query and the lock.
            continue
        started += 1
    return started


# -- Progress -------------------------------------------------------------------------------------


def campaign_progress(*, campaign: Campaign) -> dict[str, int]:
    """Counts of the campaign's deliveries: total, sent, failed, skipped, pending (one query)."""
    counts = dict(
        Delivery.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    progress = {status: counts.get(status, 0) for status in DeliveryStatus.values}
    return {"total": sum(progress.values()), **progress}


# -- Rate -----------------------------------------------------------------------------------------


@dataclass
class RateLimiter:
    """At most ``rate`` acquisitions per second across the threads sharing it: each takes the
    next slot of a schedule spaced 1/rate apart and sleeps until its slot. A slot is never
    given in the past, so an idle spell does not build up a burst."""

    rate: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _next: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
            slot = max(self._next, now)
            self._next = slot + 1.0 / self.rate
        if slot > now:
            self.sleep(slot - now)


# -- Sending --------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one ``campaign_send`` run did."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    finished: bool = False
    # When the earliest pending delivery is due again (retries), if any remain.
    next_due: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retried": self.retried,
            "skipped": self.skipped,
            "finished": self.finished,
            "next_due": self.next_due.isoformat() if self.next_due else None,
        }


def campaign_send(
    *,
    campaign: Campaign,
    connections: int | None = None,
    limiter: RateLimiter | None = None,
    lease: timedelta = LEASE,
    on_sent: Callable[[int], None] | None = None,
) -> SendReport:
    """Send the campaign's due pending deliveries until none is left to claim (module rules).

    ``connections`` SMTP sessions (default ``NEWSLETTER_SMTP_CONNECTIONS``) each work in a
    thread of their own with their own database connection; with one, the caller's thread
    sends. ``limiter`` defaults to ``NEWSLETTER_RATE_PER_SECOND`` for this call. ``on_sent``
    is called with the delivery's id after its SENT state committed (benchmarks, tests).
    Returns the counts; ``finished`` tells whether the campaign is now SENT.
    """
    connections = connections or settings.NEWSLETTER_SMTP_CONNECTIONS
    limiter = limiter or RateLimiter(settings.NEWSLETTER_RATE_PER_SECOND)
    report = SendReport()
    if connections == 1:
        _sender_loop(campaign.pk, limiter, lease, report, on_sent)
    else:
        errors: list[BaseException] = []

        def run() -> None:
            try:
                _sender_loop(campaign.pk, limiter, lease, report, on_sent)
            except BaseException as exc:
                errors.append(exc)
            finally:
                # Each thread has its own database connection: closed with the thread.
                db_connection.close()

        threads = [
            threading.Thread(target=run, name=f"newsletter-smtp-{number}", daemon=True)
            for number in range(connections)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    report.finished = campaign_finish_if_done(campaign=campaign)
    if not report.finished:
        report.next_due = (
            Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING).aggregate(
                due=Min("next_attempt_at")
            )["due"]
            or timezone.now()
        )
    return report


def campaign_finish_if_done(*, campaign: Campaign) -> bool:
    """Mark a SENDING campaign SENT (with ``finished_at``) once no delivery is pending."""
    with transaction.atomic():
        if Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING).exists():
            return False
        done = Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENDING).update(
            status=CampaignStatus.SENT, finished_at=timezone.now(), updated_at=timezone.now()
        )
    return (
        bool(done) or Campaign.objects.filter(pk=campaign.pk, status=CampaignStatus.SENT).exists()
    )


def campaigns_resume_stalled(*, now: datetime | None = None) -> int:
    """Queue the task again for SENDING campaigns that stopped moving (their worker died or
    their task was lost) while deliveries are due, and finish those with nothing pending.
    Returns how many were queued again."""
    now = now or timezone.now()
    queued = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.SENDING):
        if campaign_finish_if_done(campaign=campaign):
            continue
        # A campaign that just started has its first task queued already.
        if campaign.started_at and campaign.started_at > now - STALLED_AFTER:
            continue
        pending = Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.PENDING)
        due = pending.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        recent = Delivery.objects.filter(campaign=campaign, sent_at__gte=now - STALLED_AFTER)
        if due.exists() and not recent.exists():
            campaign_send_enqueue(str(campaign.public_id))
            queued += 1
    return queued


def campaign_send_enqueue(campaign_public_id: str, *, run_after: datetime | None = None) -> None:
    """Queue the sending task of a campaign (at ``run_after`` when the backend can defer)."""
    task = tasks.campaign_send_run
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    try:
        task.enqueue(campaign_public_id)
    except Exception:
        # The deliveries are committed; the minute job queues the campaign again.
        logger.exception("Newsletter: could not queue the sending task.")


# -- internals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    delivery: Delivery
    mailing_list: MailingList | None  # None: skip


class _Unreachable(Exception):
    """The relay cannot be reached: stop this worker, hand the batch back."""


def _claim(campaign_id: int, lease: timedelta) -> tuple[datetime | None, list[int]]:
    """Ids of up to BATCH due pending deliveries, now leased to this worker until the returned
    time (the lease is also the token that proves a row is still this worker's)."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, status=DeliveryStatus.PENDING)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("id")
            .values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            return None, []
        until = now + lease
        Delivery.objects.filter(pk__in=ids).update(next_attempt_at=until)
    return until, ids


def _renew(ids: Iterable[int], until: datetime, lease: timedelta) -> tuple[datetime, set[int]]:
    """Extend the lease of the rows still ours (another worker may have taken a row whose
    lease ran out); returns the new lease and the ids still held."""
    new_until = timezone.now() + lease
    with transaction.atomic():
        held = set(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(ids), status=DeliveryStatus.PENDING, next_attempt_at=until)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=held).update(next_attempt_at=new_until)
    return new_until, held


def _recipients(campaign: Campaign, ids: list[int]) -> list[_Recipient]:
    """The batch's deliveries with the list each recipient is reached through, or None when
    they must not get the campaign any more (checked now, just before sending)."""
    # Addresses are decrypted as the rows are read: their keys first, in one query.
    data_keys_preload(
        subjects=Delivery.objects.filter(pk__in=ids).values_list("subscriber__public_id", flat=True)
    )
    deliveries = list(
        Delivery.objects.filter(pk__in=ids).select_related("subscriber").order_by("pk")
    )
    subscribers = [delivery.subscriber for delivery in deliveries]
    lists = {mailing_list.pk: mailing_list for mailing_list in campaign.lists.all()}
    confirmed: dict[int, list[int]] = defaultdict(list)
    for subscriber_id, list_id in (
        Subscription.objects.filter(
            subscriber__in=subscribers,
            mailing_list__in=list(lists),
            status=SubscriptionStatus.CONFIRMED,
        )
        .order_by("mailing_list__position", "mailing_list__slug")
        .values_list("subscriber", "mailing_list")
    ):
        confirmed[subscriber_id].append(list_id)
    hashes = {s.pk: address_hash(s.email) for s in subscribers if s.email}
    suppressed: dict[str, set[int | None]] = defaultdict(set)
    for fingerprint, list_id in Suppression.objects.filter(
        Q(mailing_list__isnull=True) | Q(mailing_list__in=list(lists)),
        address_hash__in=set(hashes.values()),
    ).values_list("address_hash", "mailing_list"):
        suppressed[fingerprint].add(list_id)
    accounts = {s.account_id for s in subscribers if s.account_id is not None}
    blocked: set[int] = set()
    if accounts:
        blocked.update(
            Objection.objects.filter(
                subject__in=accounts, purpose=Objection.Purpose.MARKETING
            ).values_list("subject", flat=True)
        )
        blocked.update(
            Restriction.objects.filter(subject__in=accounts).values_list("subject", flat=True)
        )
    batch = []
    for delivery in deliveries:
        subscriber = delivery.subscriber
        fingerprint = hashes.get(subscriber.pk)
        reach = None
        # An address that cannot be read (erased meanwhile) gets nothing.
        if fingerprint is not None and subscriber.account_id not in blocked:
            left = suppressed.get(fingerprint, set())
            if None not in left:
                reach = next((lists[pk] for pk in confirmed[subscriber.pk] if pk not in left), None)
        batch.append(_Recipient(delivery=delivery, mailing_list=reach))
    return batch


def _describe(exc: BaseException) -> tuple[bool, bool, str]:
    """(temporary?, relay unreachable?, the server's answer without addresses)."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(exc.recipients.values()), (0, b""))
        return not 500 <= code < 600, False, _answer(code, answer, name)
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True, True, name
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return not 500 <= code < 600, False, _answer(code, exc.smtp_error, name)
    if isinstance(exc, OSError):
        return True, True, name
    # Anything else (a message that cannot be built or encoded) fails again identically.
    return False, False, name


def _answer(code: int, answer: bytes | str, name: str) -> str:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    text = _ADDRESS.sub("<address>", " ".join(text.split()))
    return f"SMTP {code} {text}".strip()[:ERROR_LENGTH] if text else f"SMTP {code} {name}"


def _backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** (attempts - 1), MAX_BACKOFF)


def _record_failure(delivery: Delivery, exc: BaseException, report: SendReport) -> bool:
    """Write the failure of one attempt; returns whether the relay is unreachable."""
    temporary, unreachable, answer = _describe(exc)
    attempts = delivery.attempts + 1
    rows = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING)
    if temporary and attempts < settings.NEWSLETTER_MAX_ATTEMPTS:
        rows.update(
            attempts=attempts,
            next_attempt_at=timezone.now() + _backoff(attempts),
            error=answer,
        )
        report.add(retried=1)
    else:
        rows.update(
            status=DeliveryStatus.FAILED, attempts=attempts, next_attempt_at=None, error=answer
        )
        report.add(failed=1)
    return unreachable


def _sender_loop(
    campaign_id: int,
    limiter: RateLimiter,
    lease: timedelta,
    report: SendReport,
    on_sent: Callable[[int], None] | None,
) -> None:
    """One SMTP session's work: claim, check, send, commit, until nothing is left to claim."""
    connection = mailers.default
    versions: dict[str, object] | None = None
    try:
        while True:
            campaign = Campaign.objects.filter(pk=campaign_id).first()
            if campaign is None or campaign.status != CampaignStatus.SENDING:
                return
            if versions is None:
                versions = campaigns.campaign_versions(campaign=campaign)
            until, ids = _claim(campaign_id, lease)
            if not ids:
                return
            try:
                _send_batch(
                    campaign, versions, ids, until, lease, connection, limiter, report, on_sent
                )
            except _Unreachable:
                return
    finally:
        with contextlib.suppress(Exception):
            connection.close()


def _version(versions: dict, language: str):
    if language in versions:
        return versions[language]
    if campaigns.DEFAULT_LANGUAGE in versions:
        return versions[campaigns.DEFAULT_LANGUAGE]
    return next(iter(versions.values()))


def _send_batch(campaign, versions, ids, until, lease, connection, limiter, report, on_sent):
    batch = _recipients(campaign, ids)
    skipped = [r.delivery.pk for r in batch if r.mailing_list is None]
    if skipped:
        Delivery.objects.filter(pk__in=skipped, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, next_attempt_at=None
        )
        report.add(skipped=len(skipped))
    todo = [r for r in batch if r.mailing_list is not None]
    held = {r.delivery.pk for r in todo}
    for position, recipient in enumerate(todo):
        delivery = recipient.delivery
        # Renew the lease well before it ends, so no other worker takes a row we still send.
        if until - timezone.now() < lease / 5:
            until, held = _renew([r.delivery.pk for r in todo[position:]], until, lease)
        if delivery.pk not in held:
            continue
        limiter.acquire()
        try:
            message = campaign_message_build(
                delivery_or_subscriber=delivery,
                campaign_version=_version(versions, delivery.subscriber.language),
                mailing_list=recipient.mailing_list,
                site_url=settings.SITE_URL,
            )
            # open() is a no-op on an open session: one SMTP session carries the whole run.
            connection.open()
            accepted = connection.send_messages([message])
            if not accepted:
                raise smtplib.SMTPException("the mail backend accepted nothing")
        except Exception as exc:
            # A session that failed is not reused.
            with contextlib.suppress(Exception):
                connection.close()
            if _record_failure(delivery, exc, report):
                # Hand back what is left of the batch without spending its attempts.
                rest = [r.delivery.pk for r in todo[position + 1 :]]
                Delivery.objects.filter(
                    pk__in=rest, status=DeliveryStatus.PENDING, next_attempt_at=until
                ).update(next_attempt_at=timezone.now() + UNREACHABLE_PAUSE)
                raise _Unreachable from exc
            continue
        # The only statement between the server's acceptance and the commit (module docstring).
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENT,
            attempts=delivery.attempts + 1,
            sent_at=timezone.now(),
            next_attempt_at=None,
            error="",
        )
        report.add(sent=1)
        if on_sent is not None:
            on_sent(delivery.pk)
