"""Waiting-list offers under real concurrent transactions (PostgreSQL row locks): seats freed at
the same moment are offered once each, to the first people waiting, and a double-clicked link
takes the seat once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from cll.core.models import OutboxEmail
from cll.shop import waitlist
from cll.shop.models import Enrolment, EnrolmentStatus, WaitlistEntry, WaitlistStatus
from cll.shop.tests.test_waitlist import full_session, offer_token, person

pytestmark = pytest.mark.postgres

CALLERS = 6


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Writers are serialised by BEGIN IMMEDIATE on SQLite.")


def _at_once(work: Callable[[], object], count: int) -> tuple[list, list[BaseException]]:
    """Run ``work`` in ``count`` threads released together; (results, failures)."""
    start = threading.Barrier(count)
    results: list = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(work())
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


def test_seats_freed_at_once_are_offered_once_each(
    postgres_only, transactional_db, django_user_model
):
    session = full_session(django_user_model, capacity=3)
    queue = [person(django_user_model, f"waiting-{number}") for number in range(4)]
    entries = [
        waitlist.waitlist_join(session=session, learner=learner, requested_by=learner)
        for learner in queue
    ]
    # Two learners cancel; each cancellation reports its seat, and some report it twice.
    Enrolment.objects.filter(
        pk__in=Enrolment.objects.filter(session=session).values("pk")[:2]
    ).update(status=EnrolmentStatus.CANCELLED)

    results, failures = _at_once(lambda: waitlist.waitlist_offer_next(session=session), CALLERS)

    assert failures == []
    offered = WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED).order_by("created_at")
    assert list(offered) == entries[:2]
    assert {entry for entry in results if entry is not None} <= set(entries[:2])
    assert OutboxEmail.objects.filter(kind="emails/waitlist_offer").count() == 2
    assert waitlist.seats_held_by_offers(session=session) == 2


def test_a_double_clicked_link_takes_the_seat_once(
    postgres_only, transactional_db, django_user_model
):
    session = full_session(django_user_model)
    learner = person(django_user_model, "waiting")
    entry = waitlist.waitlist_join(session=session, learner=learner, requested_by=learner)
    Enrolment.objects.filter(session=session).first().delete()
    waitlist.waitlist_offer_next(session=session)
    token = offer_token(learner)

    def accept() -> str:
        try:
            waitlist.waitlist_accept(token=token, user=learner)
        except waitlist.OfferUnavailable:
            return "refused"
        return "accepted"

    results, failures = _at_once(accept, CALLERS)

    assert failures == []
    assert sorted(results) == ["accepted"] + ["refused"] * (CALLERS - 1)
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.ACCEPTED
