"""Waiting lists of full sessions: services (writes) and selectors (reads) in one module.

Rules
    - A learner joins the list of a session only when it is full (``selectors.seats_left`` is
      0), before its first day is past, and not for a session sold by quote (company training,
      individual lessons). A guardian may add a child they are responsible for (an active
      ``accounts.Guardianship``); the offer is then e-mailed to the guardian. A learner who is
      enrolled, holds a seat in an unpaid order, or is already waiting is refused.
    - First come, first served: when a seat frees (``waitlist_offer_next``, called by the order
      services after a cancellation and by ``waitlist_expire_offers``), the earliest WAITING
      entry is OFFERED: a single-use link is e-mailed and the seat is held for that person for
      ``settings.WAITLIST_OFFER_HOURS``. Every free seat goes to the next person waiting; nobody
      holds two offers for one session (the database allows one live entry per learner).
    - The link works once, before its expiry, and only for the account that joined. Accepting
      puts the seat in that person's cart (ACCEPTED); the seat stays held until the offer's
      expiry, then the order's own hold (``Order.hold_until``) takes over at checkout.
    - An offer not taken in time is EXPIRED by the periodic ``waitlist_expire_offers`` and the
      seat is offered to the next person.

Seats
    An OFFERED or ACCEPTED entry whose ``offer_expires_at`` is in the future holds a seat, unless
    its learner already has the seat another way (an active enrolment, or a line of a PENDING
    order whose hold is running: those are counted by ``seats_left`` itself). ``seats_left``
    subtracts ``seats_held_by_offers``; when the person an offer was made for checks out,
    ``except_learners`` leaves their own offer out, so their held seat is available to them.

Concurrency
    Every change of a session's list happens under a lock on the session's row (PostgreSQL's
    ``SELECT ... FOR UPDATE``; SQLite's write lock, taken at ``BEGIN IMMEDIATE``), the lock
    ``order_place`` takes too: two seats freeing at once cannot offer one seat twice, and a
    join racing a freed seat is either offered it or told a seat is free.

Links are made with ``cll.lib.tokens``: only the token's SHA-256 is stored (``token_hash``),
cleared when the link is used or the offer ends. E-mails go through the outbox, after commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cll.accounts.models import Guardianship
from cll.accounts.selectors import children_of
from cll.core import pagecache
from cll.core.outbox import email_queue_template
from cll.courses.models import Session
from cll.lib.tokens import link_token_live, link_token_new
from cll.privacy.services import audit_record, person_language
from cll.shop import selectors
from cll.shop.models import (
    Enrolment,
    EnrolmentStatus,
    OrderLine,
    OrderStatus,
    WaitlistEntry,
    WaitlistStatus,
)

# Entries that are still in the queue or hold a seat: one per learner and session at most.
LIVE_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
# Entries that may hold a seat (until offer_expires_at).
HOLDING_STATUSES = (WaitlistStatus.OFFERED, WaitlistStatus.ACCEPTED)
# What "my waiting lists" shows; LEFT entries are gone for the person (and pruned daily).
SHOWN_STATUSES = (*LIVE_STATUSES, WaitlistStatus.ACCEPTED, WaitlistStatus.EXPIRED)


class WaitlistRefused(Exception):
    """A join or a leave that the rules refuse; ``message`` says why, for the person."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class OfferUnavailable(Exception):
    """The link opens no offer that can be taken: unknown, used, expired, or the session has
    started."""


class OfferNotYours(Exception):
    """The link is live but was sent to another account: only the person who joined (the
    learner, or the guardian who asked) may take the seat."""


# -- Seats ----------------------------------------------------------------------------------------


def _has_seat_otherwise(now: dt.datetime) -> Q:
    """The entry's learner has the session's seat through an enrolment or a held order line:
    that seat is counted by ``seats_left`` already, so the entry must not count it again."""
    enrolled = Enrolment.objects.filter(
        session=OuterRef("session"), learner=OuterRef("learner"), status=EnrolmentStatus.ACTIVE
    )
    ordering = OrderLine.objects.filter(
        session=OuterRef("session"),
        learner=OuterRef("learner"),
        order__status=OrderStatus.PENDING,
        order__hold_until__gt=now,
    )
    return Q(Exists(enrolled)) | Q(Exists(ordering))


def _holding(now: dt.datetime) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(
        status__in=HOLDING_STATUSES, offer_expires_at__gt=now
    ).exclude(_has_seat_otherwise(now))


def seats_held_by_offers(
    *,
    session: Session,
    now: dt.datetime | None = None,
    except_learners: Iterable[Any] = (),
) -> int:
    """Seats of ``session`` held for people offered them from the waiting list (OFFERED or
    ACCEPTED, offer not expired, learner not yet enrolled nor in a held order).

    ``seats_left`` subtracts this. ``except_learners`` (users or their pks) leaves their own
    offers out: checking out the seat held for them must not be refused because it is held.
    """
    now = now or timezone.now()
    held = _holding(now).filter(session=session)
    excluded = [getattr(learner, "pk", learner) for learner in except_learners]
    if excluded:
        held = held.exclude(learner__in=excluded)
    return held.count()


# -- Joining and leaving --------------------------------------------------------------------------


def _may_act_for(*, user: Any, learner: Any) -> bool:
    """A person acts for themselves, or for a child under their active guardianship."""
    if user.pk == learner.pk:
        return True
    return Guardianship.objects.filter(
        guardian=user, child=learner, status=Guardianship.Status.ACTIVE
    ).exists()


def _session_locked(session: Session) -> Session:
    # The lock order_place takes: changes of seats and of the list of one session queue here.
    return Session.objects.select_for_update().get(pk=session.pk)


def _has_started(session: Session, now: dt.datetime) -> bool:
    # As the catalogue says: started once its first day is past (cll/courses/selectors.py).
    return session.starts_on < timezone.localdate(now)


def waitlist_closed_reason(*, session: Session, now: dt.datetime | None = None) -> Any:
    """Why nobody can join the waiting list of ``session`` now (a message for people), or
    None when it is open: sold online, not started, and full."""
    now = now or timezone.now()
    # Sessions sold by quote (company training, individual lessons) have no seats to wait for.
    if session.format in selectors.QUOTE_FORMATS or not session.is_published:
        return _("This session is arranged on request: ask us for a quote from its page.")
    if _has_started(session, now):
        return _("This session has started: its waiting list is closed.")
    if selectors.seats_left(session=session, now=now) > 0:
        return _("This session still has free seats: enrol from its page.")
    return None


def waitlist_join(
    *, session: Session, learner: Any, requested_by: Any, language: str = ""
) -> WaitlistEntry:
    """Put ``learner`` at the end of the waiting list of the full ``session``.

    ``requested_by`` is the signed-in person: the learner, or their guardian; the offer will
    be e-mailed to them, in ``language`` (the page's; else the site's default). Raises
    ``WaitlistRefused`` (with a message for the person) when they may not act for the learner,
    the session is not sold online, has started, still has free seats, or the learner is
    enrolled, has a seat in an unpaid order or is already waiting.
    Nothing is saved then. Audited as ``waitlist.join``.
    """
    if not _may_act_for(user=requested_by, learner=learner):
        raise WaitlistRefused(
            _("You can join a waiting list for yourself or for a child in your care only.")
        )
    with transaction.atomic():
        session = _session_locked(session)
        now = timezone.now()
        mine = {"session": session, "learner": learner}
        if Enrolment.objects.filter(**mine, status=EnrolmentStatus.ACTIVE).exists():
            raise WaitlistRefused(_("This learner is already enrolled in this session."))
        if OrderLine.objects.filter(
            **mine, order__status=OrderStatus.PENDING, order__hold_until__gt=now
        ).exists():
            raise WaitlistRefused(
                _("A seat in this session is already held for this learner in an unpaid order.")
            )
        if WaitlistEntry.objects.filter(**mine, status__in=LIVE_STATUSES).exists():
            raise WaitlistRefused(_("This learner is already on the waiting list of this session."))
        closed = waitlist_closed_reason(session=session, now=now)
        if closed:
            raise WaitlistRefused(closed)
        entry = WaitlistEntry.objects.create(
            session=session, learner=learner, requested_by=requested_by, language=language
        )
        audit_record(
            actor=requested_by,
            subject=learner,
            action="waitlist.join",
            target=entry,
            detail={"session": session.slug, "for_child": requested_by.pk != learner.pk},
        )
    return entry


def waitlist_leave(*, entry: WaitlistEntry, by: Any) -> WaitlistEntry:
    """Take ``entry`` off its waiting list (LEFT), at the request of ``by``: the person who
    joined, the learner, or a guardian of the learner.

    A seat held by the entry (a live offer, or an accepted one not yet checked out) is offered
    to the next person in the same transaction. An entry whose seat was taken (the learner is
    enrolled), or that has already ended, cannot be left: ``WaitlistRefused``. Audited as
    ``waitlist.leave``.
    """
    allowed = by.pk in (entry.requested_by_id, entry.learner_id) or _may_act_for(
        user=by, learner=entry.learner
    )
    if not allowed:
        raise WaitlistRefused(_("This place on a waiting list is not yours."))
    with transaction.atomic():
        session = _session_locked(entry.session)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        enrolled = Enrolment.objects.filter(
            session=session, learner_id=entry.learner_id, status=EnrolmentStatus.ACTIVE
        ).exists()
        if entry.status not in (*LIVE_STATUSES, WaitlistStatus.ACCEPTED) or enrolled:
            raise WaitlistRefused(_("This place on the waiting list has already ended."))
        now = timezone.now()
        held = _holding(now).filter(pk=entry.pk).exists()
        previous = entry.status
        entry.status = WaitlistStatus.LEFT
        entry.token_hash = ""
        entry.save(update_fields=["status", "token_hash"])
        audit_record(
            actor=by,
            subject=entry.learner,
            action="waitlist.leave",
            target=entry,
            detail={"session": session.slug, "previous_status": previous, "seat_released": held},
        )
        if held:
            # The seat is free again (for this page's count) unless the next person takes it.
            pagecache.content_changed()
            waitlist_offer_next(session=session, now=now)
    return entry


# -- Offers ---------------------------------------------------------------------------------------


def _queue(session: Session, now: dt.datetime) -> QuerySet[WaitlistEntry]:
    """The people waiting for ``session``, first come first: those whose learner meanwhile
    got a seat another way are passed over, and so are accounts that cannot sign in."""
    return (
        WaitlistEntry.objects.filter(
            session=session, status=WaitlistStatus.WAITING, requested_by__is_active=True
        )
        .exclude(_has_seat_otherwise(now))
        .select_related("learner", "requested_by")
        .order_by("created_at", "id")
    )


def offer_link(token: str, *, language: str) -> str:
    """The absolute address of an offer's page in ``language`` (e-mails have no request)."""
    with translation.override(language):
        path = reverse("shop:waitlist_offer", kwargs={"token": token})
    return settings.SITE_URL.rstrip("/") + path


def _offer(entry: WaitlistEntry, *, session: Session, now: dt.datetime) -> None:
    """Inside the caller's transaction, under the session's lock: hold a seat for ``entry``
    and e-mail its link to the person who joined."""
    link = link_token_new(lifetime=dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS))
    entry.status = WaitlistStatus.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = now + dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS)
    entry.token_hash = link.hash
    entry.save(update_fields=["status", "offered_at", "offer_expires_at", "token_hash"])
    recipient = entry.requested_by
    language = entry.language or person_language(recipient)
    email_queue_template(
        to=recipient.email,
        template_prefix="emails/waitlist_offer",
        context={
            "link": offer_link(link.token, language=language),
            "session": session,
            "learner_name": "" if entry.learner_id == recipient.pk else learner_name(entry.learner),
            "expires_at": entry.offer_expires_at,
            "hours": settings.WAITLIST_OFFER_HOURS,
        },
        language=language,
        subject_person=recipient.public_id,
    )
    audit_record(
        subject=entry.learner,
        action="waitlist.offer",
        target=entry,
        detail={"session": session.slug, "expires_at": entry.offer_expires_at.isoformat()},
    )


def waitlist_offer_next(
    *, session: Session, now: dt.datetime | None = None
) -> WaitlistEntry | None:
    """Offer the session's free seats to the people waiting, first come first; returns the
    first entry offered, or None when no seat is free, nobody waits, or the session has
    started.

    Called after a seat frees (a cancelled or unpaid order, a left or expired offer). The
    free seats are ``selectors.seats_left``, which already counts the offers running, so a
    seat is offered once and a second call offers nothing more. Runs under the session's
    row lock, in the caller's transaction if there is one.
    """
    with transaction.atomic():
        session = _session_locked(session)
        now = now or timezone.now()
        if _has_started(session, now):
            return None
        free = selectors.seats_left(session=session, now=now)
        first = None
        for entry in _queue(session, now)[: max(free, 0)]:
            _offer(entry, session=session, now=now)
            first = first or entry
        if first is not None:
            # The seats shown on the session's cached page are held now.
            pagecache.content_changed()
        return first


def waitlist_accept(*, token: str, user: Any) -> WaitlistEntry:
    """Take the seat an e-mailed link offers: only ``user`` = the person who joined, before
    the offer expires, once (the stored hash is cleared).

    The entry becomes ACCEPTED and keeps holding the seat until ``offer_expires_at``; the
    caller then puts the session in the person's cart for the learner. Raises
    ``OfferUnavailable`` (unknown, used or expired link, or the session has started) and
    ``OfferNotYours`` (another account: nothing changes, and the link still works for its
    owner). Audited as ``waitlist.accept``.
    """
    with transaction.atomic():
        entry = (
            link_token_live(
                WaitlistEntry.objects.select_for_update(of=("self",))
                .select_related("session", "learner")
                .filter(status=WaitlistStatus.OFFERED),
                token,
                expires_field="offer_expires_at",
            )
        ).first()
        if entry is None or _has_started(entry.session, timezone.now()):
            raise OfferUnavailable
        if entry.requested_by_id != user.pk:
            raise OfferNotYours
        entry.status = WaitlistStatus.ACCEPTED
        entry.token_hash = ""
        entry.save(update_fields=["status", "token_hash"])
        audit_record(
            actor=user,
            subject=entry.learner,
            action="waitlist.accept",
            target=entry,
            detail={"session": entry.session.slug},
        )
    return entry


def _lapsed(now: dt.datetime) -> QuerySet[WaitlistEntry]:
    """Offers whose time is over: OFFERED ones past expiry, and ACCEPTED ones past expiry
    whose learner neither enrolled nor holds a seat in a running order (an accepted seat that
    was checked out is left as it is: the order holds it, and then the enrolment)."""
    return WaitlistEntry.objects.filter(
        status__in=HOLDING_STATUSES, offer_expires_at__lte=now
    ).exclude(_has_seat_otherwise(now))


def waitlist_expire_offers(*, now: dt.datetime | None = None) -> int:
    """Periodic: end the offers not taken in time (EXPIRED, link cleared) and offer each
    freed seat to the next person waiting; then offer any free seat of a session with people
    waiting that no call offered (the safety net of ``waitlist_offer_next``). Returns how many
    offers ended.

    One transaction per session, under its row lock, so a person accepting at the last
    moment either wins (their row is locked first and ACCEPTED) or finds the link expired.
    """
    now = now or timezone.now()
    sessions = _lapsed(now).values_list("session_id", flat=True).distinct().order_by()
    ended = 0
    for session_id in list(sessions):
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=session_id)
            entries = list(
                _lapsed(now)
                .filter(session=session)
                .select_related("learner")
                .select_for_update(of=("self",))
            )
            for entry in entries:
                previous = entry.status
                entry.status = WaitlistStatus.EXPIRED
                entry.token_hash = ""
                entry.save(update_fields=["status", "token_hash"])
                audit_record(
                    subject=entry.learner,
                    action="waitlist.offer_expired",
                    target=entry,
                    detail={"session": session.slug, "previous_status": previous},
                )
            ended += len(entries)
            if entries:
                pagecache.content_changed()
            waitlist_offer_next(session=session, now=now)
    _offer_missed_seats(now=now)
    return ended


def _offer_missed_seats(*, now: dt.datetime) -> None:
    """Offer the free seats of sessions whose waiting list nobody told: a seat freed without
    ``waitlist_offer_next`` (its after-commit call failed, staff cancelled an enrolment or
    raised the capacity, an unpaid order's hold ran out before its order was cancelled)."""
    waiting = (
        WaitlistEntry.objects.filter(
            status=WaitlistStatus.WAITING, session__starts_on__gte=timezone.localdate(now)
        )
        .values_list("session_id", flat=True)
        .distinct()
        .order_by()
    )
    free = selectors.seats_left_many(session_ids=list(waiting), now=now)
    for session in Session.objects.filter(
        pk__in=[pk for pk, left in free.items() if left > 0]
    ).order_by("pk"):
        waitlist_offer_next(session=session, now=now)


def waitlist_prune(*, dry_run: bool, now: dt.datetime | None = None) -> int:
    """Delete the places on waiting lists the retention rule "waitlist" no longer allows:
    every entry of a session whose first day is past, entries left, and seats taken
    (ACCEPTED) once their hold is over. Returns how many rows go (or would go)."""
    now = now or timezone.now()
    gone = WaitlistEntry.objects.filter(
        Q(session__starts_on__lt=timezone.localdate(now))
        | Q(status=WaitlistStatus.LEFT)
        # A seat taken: once its hold is over (or at once when it was bought without an
        # offer: the order services close the entry when they enrol its learner).
        | Q(status=WaitlistStatus.ACCEPTED, offer_expires_at__lte=now)
        | Q(status=WaitlistStatus.ACCEPTED, offer_expires_at__isnull=True)
    )
    if dry_run:
        return gone.count()
    deleted, _rows = gone.delete()
    return deleted


# -- Selectors ------------------------------------------------------------------------------------


def learner_name(learner: Any) -> str:
    """A learner's name from their profile (encrypted at rest), "" without a profile."""
    profile = getattr(learner, "profile", None)
    if profile is None:
        return ""
    return f"{profile.first_name} {profile.last_name}".strip()


def waitlist_learners_for(*, user: Any) -> list[tuple[Any, str]]:
    """Whom ``user`` may put on a waiting list: themselves first, then their children (with
    their names), as (account, name) pairs."""
    children = children_of(user).select_related("profile")
    return [(user, ""), *[(child, learner_name(child)) for child in children]]


def waitlist_learner_get_for(*, user: Any, public_id: str | uuid.UUID | None) -> Any | None:
    """The account ``user`` asks to put on a list: themselves (no id, or their own), or one of
    their children by public id; None for anyone else."""
    if not public_id or str(public_id) == str(user.public_id):
        return user
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return children_of(user).filter(public_id=wanted).first()


def waitlist_list_for(*, user: Any) -> QuerySet[WaitlistEntry]:
    """The places on waiting lists ``user`` may see: those they asked for, their own, and their
    children's; each with ``position`` (1 for the first person waiting) while WAITING, and
    ``enrolled`` once the learner has the seat.

    Joins and correlated subqueries in one query: the page costs the same
    number of queries whatever the number of entries.
    """
    ahead = (
        WaitlistEntry.objects.filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lte=OuterRef("id")),
            session=OuterRef("session"),
            status=WaitlistStatus.WAITING,
        )
        .order_by()
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        WaitlistEntry.objects.filter(
            Q(requested_by=user) | Q(learner=user) | Q(learner__in=children_of(user).values("pk")),
            status__in=SHOWN_STATUSES,
        )
        .select_related("session", "session__language", "session__site", "learner__profile")
        .annotate(
            position=Coalesce(Subquery(ahead), 0),
            enrolled=Exists(
                Enrolment.objects.filter(
                    session=OuterRef("session"),
                    learner=OuterRef("learner"),
                    status=EnrolmentStatus.ACTIVE,
                )
            ),
        )
        .order_by("session__starts_on", "created_at", "id")
    )


def waitlist_entry_get_for(*, user: Any, public_id: str | uuid.UUID) -> WaitlistEntry | None:
    """One entry ``user`` may see, by public id; None for anyone else's (callers 404)."""
    try:
        wanted = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return waitlist_list_for(user=user).filter(public_id=wanted).first()


def waitlist_offer_get(*, token: str) -> WaitlistEntry | None:
    """The live offer a link opens (OFFERED, not expired), or None."""
    return (
        link_token_live(
            WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).select_related(
                "session", "session__language", "session__site", "learner__profile"
            ),
            token,
            expires_field="offer_expires_at",
        )
    ).first()
