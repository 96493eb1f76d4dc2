"""Waiting lists (cll/shop/waitlist.py): joining a full session, first come first served offers
by e-mail, the seat held for WAITLIST_OFFER_HOURS, then the next person; links that work once
and only for their owner. Time is frozen (time-machine): nothing depends on the clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone, translation

from cll.accounts.services import child_add
from cll.core.models import OutboxEmail
from cll.courses.models import Format, Session
from cll.courses.tests.factories import make_session
from cll.privacy.models import AuditEntry
from cll.shop import selectors, waitlist
from cll.shop.models import (
    Enrolment,
    EnrolmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from conftest import _user

pytestmark = pytest.mark.django_db

# A Monday morning in Brussels; sessions start two weeks later.
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
OFFER_LINK = re.compile(r"https?://[^\s]+/shop/waiting-lists/offer/(?P<token>[A-Za-z0-9_-]+)/")


# -- Helpers (also used by test_waitlist_views.py) ------------------------------------------------


def _seats_left_contract(*, session: Session, now: dt.datetime | None = None) -> int:
    """The seats_left contract (cll/shop/services.py docstring): capacity minus active
    enrolments, seats of PENDING orders still held, and seats held by waiting-list offers."""
    now = now or timezone.now()
    enrolled = Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE).count()
    ordered = OrderLine.objects.filter(
        session=session, order__status=OrderStatus.PENDING, order__hold_until__gt=now
    ).count()
    held = waitlist.seats_held_by_offers(session=session, now=now)
    return session.capacity - enrolled - ordered - held


@pytest.fixture(autouse=True)
def seats_left(monkeypatch):
    """The shop's own ``selectors.seats_left`` when it exists (it must subtract
    ``seats_held_by_offers``: these tests then check it does); its contract otherwise."""
    if not hasattr(selectors, "seats_left"):
        monkeypatch.setattr(selectors, "seats_left", _seats_left_contract, raising=False)
    return selectors.seats_left


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def person(django_user_model, name: str):
    return _user(django_user_model, f"{name}@example.org")


def full_session(django_user_model, *, capacity: int = 2, **kwargs) -> Session:
    """A session starting in two weeks with every seat taken by an enrolment."""
    session = make_session(first_day=NOW.date() + dt.timedelta(days=14), **kwargs)
    Session.objects.filter(pk=session.pk).update(capacity=capacity)
    session.refresh_from_db()
    for number in range(capacity):
        Enrolment.objects.create(
            session=session, learner=person(django_user_model, f"seated{session.pk}-{number}")
        )
    return session


def free_a_seat(session: Session) -> None:
    """One enrolled learner cancels (what the order services do before calling
    ``waitlist_offer_next``)."""
    enrolment = Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE).first()
    enrolment.status = EnrolmentStatus.CANCELLED
    enrolment.ended_at = timezone.now()
    enrolment.save(update_fields=["status", "ended_at"])


def _day_after_start(session: Session) -> dt.datetime:
    """Noon (Brussels) the day after the session's first day: it has started."""
    return dt.datetime.combine(
        session.starts_on + dt.timedelta(days=1),
        dt.time(12),
        tzinfo=timezone.get_default_timezone(),
    )


def offer_emails(user) -> list[OutboxEmail]:
    return [
        email
        for email in OutboxEmail.objects.filter(kind="emails/waitlist_offer").order_by("created_at")
        if email.to_address == user.email
    ]


def offer_token(user) -> str:
    (email,) = offer_emails(user)
    return OFFER_LINK.search(email.text_body)["token"]


def status_of(entry: WaitlistEntry) -> str:
    entry.refresh_from_db()
    return entry.status


def child_of(guardian):
    return child_add(guardian=guardian, data={"first_name": "Lotte", "last_name": "Peeters"})


def english(refused: waitlist.WaitlistRefused) -> str:
    """A refusal's message as an English reader gets it."""
    with translation.override("en"):
        return str(refused.message)


def actions(subject) -> list[str]:
    return list(
        AuditEntry.objects.filter(subject=subject.public_id, action__startswith="waitlist.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# -- Joining --------------------------------------------------------------------------------------


def test_it_lets_a_learner_join_a_full_session(clock, alice, django_user_model):
    session = full_session(django_user_model)

    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert entry.status == WaitlistStatus.WAITING
    assert entry.requested_by == alice
    join = AuditEntry.objects.get(action="waitlist.join")
    assert join.actor == alice.public_id and join.subject == alice.public_id
    assert join.detail == {"session": session.slug, "for_child": False}


def test_it_refuses_a_session_with_free_seats(clock, alice):
    session = make_session(first_day=NOW.date() + dt.timedelta(days=14))

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert "free seats" in english(refused.value)
    assert not WaitlistEntry.objects.exists()


def test_it_refuses_a_learner_already_waiting(clock, alice, django_user_model):
    session = full_session(django_user_model)
    waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert "already on the waiting list" in english(refused.value)
    assert WaitlistEntry.objects.count() == 1


def test_it_refuses_a_learner_already_enrolled(clock, django_user_model):
    session = full_session(django_user_model)
    seated = Enrolment.objects.filter(session=session).first().learner

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.waitlist_join(session=session, learner=seated, requested_by=seated)

    assert "already enrolled" in english(refused.value)
    assert not WaitlistEntry.objects.exists()


def test_it_refuses_a_learner_whose_seat_is_held_in_an_unpaid_order(
    clock, alice, django_user_model
):
    session = full_session(django_user_model, capacity=3)
    Enrolment.objects.filter(session=session).first().delete()
    order = Order.objects.create(
        reference="K7M2-9XQ4",
        buyer=alice,
        billing_name="Alice",
        language="fr",
        subtotal_cents=39000,
        vat_cents=0,
        total_cents=39000,
        vat_rate_bp=0,
        terms_version="2026-01",
        terms_accepted_at=NOW,
        withdrawal_deadline=NOW.date() + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=NOW + dt.timedelta(minutes=20),
    )
    OrderLine.objects.create(
        order=order, session=session, learner=alice, description="x", price_cents=39000
    )

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert "unpaid order" in english(refused.value)


def test_it_refuses_a_session_that_has_started(alice, django_user_model):
    with time_machine.travel(NOW, tick=False):
        session = full_session(django_user_model)
    with (
        time_machine.travel(_day_after_start(session), tick=False),
        pytest.raises(waitlist.WaitlistRefused) as refused,
    ):
        waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    assert "has started" in english(refused.value)


@pytest.mark.parametrize("format", [Format.COMPANY, Format.INDIVIDUAL])
def test_it_refuses_a_session_sold_by_quote(clock, alice, django_user_model, format):
    session = full_session(django_user_model, format=format)

    with pytest.raises(waitlist.WaitlistRefused) as refused:
        waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert "quote" in english(refused.value)


def test_it_lets_a_guardian_join_for_their_child(clock, gina, django_user_model):
    child = child_of(gina)
    session = full_session(django_user_model)

    entry = waitlist.waitlist_join(session=session, learner=child, requested_by=gina)

    assert (entry.learner, entry.requested_by) == (child, gina)
    join = AuditEntry.objects.get(action="waitlist.join")
    assert join.actor == gina.public_id and join.subject == child.public_id
    assert join.detail["for_child"] is True


def test_it_refuses_joining_for_someone_else(clock, gina, charlie, alice, django_user_model):
    child = child_of(gina)
    session = full_session(django_user_model)

    for learner in (child, alice):
        with pytest.raises(waitlist.WaitlistRefused):
            waitlist.waitlist_join(session=session, learner=learner, requested_by=charlie)

    assert not WaitlistEntry.objects.exists()


# -- Offers ---------------------------------------------------------------------------------------


@pytest.fixture
def queue(clock, alice, charlie, django_user_model):
    """A full session with alice first on its waiting list, then charlie a minute later."""
    session = full_session(django_user_model)
    first = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    clock.shift(dt.timedelta(minutes=1))
    second = waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)
    clock.shift(dt.timedelta(minutes=1))
    return session, first, second


def test_it_offers_a_freed_seat_to_the_first_person_waiting(queue, alice, charlie, settings):
    session, first, second = queue
    free_a_seat(session)

    offered = waitlist.waitlist_offer_next(session=session)

    assert offered == first
    first.refresh_from_db()
    assert first.status == WaitlistStatus.OFFERED
    assert first.offered_at == timezone.now()
    assert first.offer_expires_at == timezone.now() + dt.timedelta(
        hours=settings.WAITLIST_OFFER_HOURS
    )
    assert status_of(second) == WaitlistStatus.WAITING
    # The e-mail, queued in the outbox, carries the link; the database only its hash.
    (email,) = offer_emails(alice)
    token = OFFER_LINK.search(email.text_body)["token"]
    assert first.token_hash and token not in first.token_hash
    assert email.text_body.count(f"/fr/shop/waiting-lists/offer/{token}/") == 1
    assert session.title_fr in email.subject
    assert offer_emails(charlie) == []
    assert actions(alice) == ["waitlist.join", "waitlist.offer"]


def test_an_offer_holds_the_seat(queue, alice):
    session, _first, _second = queue
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)

    assert waitlist.seats_held_by_offers(session=session) == 1
    assert selectors.seats_left(session=session) == 0
    # The person it is held for may check it out: their own offer is not in their way.
    assert waitlist.seats_held_by_offers(session=session, except_learners=[alice]) == 0


def test_nobody_gets_two_offers_and_a_seat_is_offered_once(queue, alice, charlie):
    session, first, second = queue
    free_a_seat(session)

    assert waitlist.waitlist_offer_next(session=session) == first
    # A second call (two frees reported, a retried task) finds no free seat.
    assert waitlist.waitlist_offer_next(session=session) is None
    assert waitlist.waitlist_offer_next(session=session) is None

    assert status_of(second) == WaitlistStatus.WAITING
    assert len(offer_emails(alice)) == 1
    assert offer_emails(charlie) == []


def test_two_free_seats_go_to_the_first_two_people(queue, alice, charlie):
    session, first, second = queue
    free_a_seat(session)
    free_a_seat(session)

    assert waitlist.waitlist_offer_next(session=session) == first

    assert status_of(second) == WaitlistStatus.OFFERED
    assert len(offer_emails(alice)) == len(offer_emails(charlie)) == 1


def test_it_offers_nothing_while_the_session_is_full(queue):
    session, _first, _second = queue

    assert waitlist.waitlist_offer_next(session=session) is None
    assert OutboxEmail.objects.filter(kind="emails/waitlist_offer").count() == 0


def test_it_e_mails_a_guardian_for_their_child(clock, gina, django_user_model):
    child = child_of(gina)
    session = full_session(django_user_model)
    waitlist.waitlist_join(session=session, learner=child, requested_by=gina)
    free_a_seat(session)

    waitlist.waitlist_offer_next(session=session)

    (email,) = offer_emails(gina)
    assert "Lotte Peeters" in email.text_body


def test_it_moves_the_offer_on_when_it_expires(queue, clock, alice, charlie, settings):
    session, first, second = queue
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)
    expiry = timezone.now() + dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS)

    # A minute before the end, the seat is still alice's.
    clock.move_to(expiry - dt.timedelta(minutes=1))
    assert waitlist.waitlist_expire_offers() == 0
    assert status_of(first) == WaitlistStatus.OFFERED

    clock.move_to(expiry + dt.timedelta(minutes=1))
    assert waitlist.waitlist_expire_offers() == 1

    first.refresh_from_db()
    assert first.status == WaitlistStatus.EXPIRED and first.token_hash == ""
    assert status_of(second) == WaitlistStatus.OFFERED
    assert len(offer_emails(charlie)) == 1
    assert "waitlist.offer_expired" in actions(alice)
    # The seat is held for charlie now, not for both.
    assert waitlist.seats_held_by_offers(session=session) == 1
    assert waitlist.waitlist_expire_offers() == 0


def test_an_expired_offer_with_nobody_left_frees_the_seat(clock, alice, django_user_model):
    session = full_session(django_user_model)
    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)

    clock.shift(dt.timedelta(hours=49))
    assert waitlist.waitlist_expire_offers() == 1

    assert status_of(entry) == WaitlistStatus.EXPIRED
    assert selectors.seats_left(session=session) == 1


def test_it_passes_over_a_learner_who_got_a_seat_meanwhile(queue, alice, charlie):
    session, first, second = queue
    free_a_seat(session)
    free_a_seat(session)
    Enrolment.objects.create(session=session, learner=alice)

    assert waitlist.waitlist_offer_next(session=session) == second
    assert status_of(first) == WaitlistStatus.WAITING
    assert offer_emails(alice) == []


def test_it_offers_nothing_once_the_session_has_started(queue, clock):
    session, first, _second = queue
    free_a_seat(session)
    clock.move_to(_day_after_start(session))

    assert waitlist.waitlist_offer_next(session=session) is None
    assert status_of(first) == WaitlistStatus.WAITING


# -- Taking the seat ------------------------------------------------------------------------------


@pytest.fixture
def offered(queue, alice):
    """alice has been offered the freed seat; returns (session, her entry, the link's token)."""
    session, first, _second = queue
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)
    return session, first, offer_token(alice)


def test_it_accepts_an_offer_once(offered, alice):
    session, entry, token = offered

    accepted = waitlist.waitlist_accept(token=token, user=alice)

    assert accepted == entry
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.ACCEPTED and entry.token_hash == ""
    assert "waitlist.accept" in actions(alice)
    # Still held for her until the offer's end (the order's own hold takes over at checkout).
    assert waitlist.seats_held_by_offers(session=session) == 1
    with pytest.raises(waitlist.OfferUnavailable):
        waitlist.waitlist_accept(token=token, user=alice)


def test_a_stranger_cannot_take_someone_elses_offer(offered, alice, charlie):
    _session, entry, token = offered

    with pytest.raises(waitlist.OfferNotYours):
        waitlist.waitlist_accept(token=token, user=charlie)

    assert status_of(entry) == WaitlistStatus.OFFERED
    assert "waitlist.accept" not in actions(charlie)
    # The link still works for the person it was sent to.
    assert waitlist.waitlist_accept(token=token, user=alice) == entry


def test_an_expired_link_takes_nothing(offered, clock, alice):
    _session, entry, token = offered
    clock.shift(dt.timedelta(hours=48, seconds=1))

    with pytest.raises(waitlist.OfferUnavailable):
        waitlist.waitlist_accept(token=token, user=alice)
    assert status_of(entry) == WaitlistStatus.OFFERED
    assert waitlist.waitlist_offer_get(token=token) is None


def test_an_unknown_link_takes_nothing(offered, alice):
    with pytest.raises(waitlist.OfferUnavailable):
        waitlist.waitlist_accept(token="x" * 43, user=alice)


def test_an_accepted_seat_not_checked_out_goes_to_the_next_person(offered, clock, charlie):
    _session, entry, token = offered
    waitlist.waitlist_accept(token=token, user=entry.learner)
    clock.shift(dt.timedelta(hours=49))

    assert waitlist.waitlist_expire_offers() == 1

    assert status_of(entry) == WaitlistStatus.EXPIRED
    assert len(offer_emails(charlie)) == 1


def test_an_accepted_seat_that_was_paid_for_stays_taken(offered, clock, charlie):
    session, entry, token = offered
    waitlist.waitlist_accept(token=token, user=entry.learner)
    Enrolment.objects.create(session=session, learner=entry.learner)
    # The enrolment holds the seat now: the offer no longer counts it twice.
    assert waitlist.seats_held_by_offers(session=session) == 0
    clock.shift(dt.timedelta(hours=49))

    assert waitlist.waitlist_expire_offers() == 0

    assert status_of(entry) == WaitlistStatus.ACCEPTED
    assert offer_emails(charlie) == []


# -- Leaving --------------------------------------------------------------------------------------


def test_leaving_while_waiting_changes_no_offer(queue, charlie):
    _session, _first, second = queue

    waitlist.waitlist_leave(entry=second, by=charlie)

    assert status_of(second) == WaitlistStatus.LEFT
    leave = AuditEntry.objects.get(action="waitlist.leave")
    assert leave.actor == charlie.public_id
    assert leave.detail["seat_released"] is False


def test_leaving_with_an_offer_passes_the_seat_on(offered, alice, charlie):
    _session, entry, _token = offered
    second = WaitlistEntry.objects.get(learner=charlie)

    waitlist.waitlist_leave(entry=entry, by=alice)

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.LEFT and entry.token_hash == ""
    assert status_of(second) == WaitlistStatus.OFFERED
    assert len(offer_emails(charlie)) == 1


def test_a_stranger_cannot_take_someone_off_a_list(queue, charlie, alice):
    _session, first, _second = queue

    with pytest.raises(waitlist.WaitlistRefused):
        waitlist.waitlist_leave(entry=first, by=charlie)

    assert status_of(first) == WaitlistStatus.WAITING


def test_it_can_join_again_after_leaving(queue, alice):
    session, first, _second = queue
    waitlist.waitlist_leave(entry=first, by=alice)

    again = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)

    assert again.status == WaitlistStatus.WAITING and again != first


# -- Reads and retention --------------------------------------------------------------------------


def test_it_lists_only_the_persons_own_places_with_their_position(queue, alice, charlie, gina):
    session, first, second = queue
    child = child_of(gina)

    assert [(e, e.position) for e in waitlist.waitlist_list_for(user=alice)] == [(first, 1)]
    assert [(e, e.position) for e in waitlist.waitlist_list_for(user=charlie)] == [(second, 2)]
    assert list(waitlist.waitlist_list_for(user=gina)) == []
    theirs = waitlist.waitlist_join(session=session, learner=child, requested_by=gina)
    assert list(waitlist.waitlist_list_for(user=gina)) == [theirs]
    assert waitlist.waitlist_entry_get_for(user=charlie, public_id=first.public_id) is None
    assert waitlist.waitlist_entry_get_for(user=alice, public_id="not-a-uuid") is None


def test_it_prunes_what_the_retention_rule_no_longer_allows(queue, clock, alice, charlie):
    session, first, second = queue
    waitlist.waitlist_leave(entry=first, by=alice)

    assert waitlist.waitlist_prune(dry_run=True) == 1
    assert WaitlistEntry.objects.count() == 2
    assert waitlist.waitlist_prune(dry_run=False) == 1
    assert list(WaitlistEntry.objects.all()) == [second]

    # On the session's first day the list is still kept; the day after, it goes.
    clock.move_to(_day_after_start(session) - dt.timedelta(days=1))
    assert waitlist.waitlist_prune(dry_run=False) == 0
    clock.move_to(_day_after_start(session))
    assert waitlist.waitlist_prune(dry_run=False) == 1
    assert not WaitlistEntry.objects.exists()


def test_the_scheduler_runs_the_expiry_every_five_minutes():
    from crontask import scheduler

    import cll.shop.tasks  # noqa: F401  (registers its jobs, as crontask's loading does)

    (job,) = [job for job in scheduler.get_jobs() if job.name == "waitlist_expire_offers_due"]
    assert "minute='*/5'" in str(job.trigger)


def test_the_periodic_job_offers_a_seat_nobody_reported(queue, alice):
    session, first, _second = queue
    # Staff cancelled an enrolment without the order services: nobody called offer_next.
    free_a_seat(session)

    assert waitlist.waitlist_expire_offers() == 0

    assert status_of(first) == WaitlistStatus.OFFERED
    assert len(offer_emails(alice)) == 1


def test_the_offer_is_written_in_the_persons_language(queue, alice, monkeypatch):
    session, _first, _second = queue
    monkeypatch.setattr(waitlist, "person_language", lambda user: "nl")
    free_a_seat(session)

    waitlist.waitlist_offer_next(session=session)

    (email,) = offer_emails(alice)
    assert email.headers["Content-Language"] == "nl"
    assert email.subject == f"Er is een plaats vrij voor u: {session.title_nl}"
    assert "/nl/shop/waiting-lists/offer/" in email.text_body
    assert "Wij houden ze voor u vast tot" in email.text_body
