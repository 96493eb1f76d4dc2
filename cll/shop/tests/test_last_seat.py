"""The last seat is sold once, with real concurrent transactions.

PostgreSQL: ``order_place`` locks the session's row (``SELECT ... FOR UPDATE``) and counts the
seats in the next statements, which in READ COMMITTED see what the previous lock holder
committed: N buyers released together for one seat give exactly one order; the others are
told no place is left (``SeatsUnavailable``), never an error.

SQLite has no row locks. Its transactions start with ``BEGIN IMMEDIATE`` (settings:
``transaction_mode``), which takes the database's write lock before the first read, so a
second checkout waits at BEGIN (up to the ``timeout``) until the first has committed, and then
counts the seats the first one took: checkouts run one after the other. The same threads prove
it on SQLite (the suite's in-memory database is shared by the threads' connections).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction

from cll.shop import services
from cll.shop.models import Order, OrderLine, OrderStatus
from cll.shop.tests.test_order_place import place, session_with

BUYERS = 8


def _race(users, session) -> tuple[list[Order], list[BaseException]]:
    start = threading.Barrier(len(users))
    orders: list[Order] = []
    refusals: list[BaseException] = []

    def buy(user) -> None:
        try:
            start.wait()
            orders.append(place(user, session, billing_name="Buyer"))
        except BaseException as exc:  # the main thread reports it
            refusals.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return orders, refusals


def _buyers(django_user_model, count: int):
    return [
        django_user_model.objects.create_user(email=f"buyer-{number}@example.org")
        for number in range(count)
    ]


@pytest.mark.postgres
def test_on_postgresql_one_buyer_gets_the_last_seat(transactional_db, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("Run with DATABASE_URL=postgres://... (row locks).")
    session = session_with(1)
    users = _buyers(django_user_model, BUYERS)

    orders, refusals = _race(users, session)

    assert len(orders) == 1
    assert len(refusals) == BUYERS - 1
    assert all(isinstance(refusal, services.SeatsUnavailable) for refusal in refusals), refusals
    assert OrderLine.objects.filter(session=session, order__status=OrderStatus.PENDING).count() == 1


@pytest.mark.postgres
def test_on_postgresql_two_seats_go_to_two_buyers(transactional_db, django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("Run with DATABASE_URL=postgres://... (row locks).")
    session = session_with(2)
    users = _buyers(django_user_model, BUYERS)

    orders, refusals = _race(users, session)

    assert len(orders) == 2
    assert all(isinstance(refusal, services.SeatsUnavailable) for refusal in refusals), refusals


def test_sqlite_transactions_take_the_write_lock_at_begin():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only.")
    # What the whole design relies on there: no reader-then-writer upgrade inside a checkout.
    assert django_settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert connection.transaction_mode == "IMMEDIATE"


@contextlib.contextmanager
def _sqlite_file_database(tmp_path):
    """The test database copied to a file, opened by new connections with the production
    options (WAL, ``BEGIN IMMEDIATE``, a busy timeout): the suite's in-memory database is
    shared-cache, where a locked table fails at once instead of waiting as a file does."""
    path = tmp_path / "checkout.sqlite3"
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    config = connections.settings["default"]
    saved = config["NAME"]
    config["NAME"] = str(path)
    try:
        yield path
    finally:
        config["NAME"] = saved


def _in_thread(work):
    result: list = []

    def run() -> None:
        try:
            result.append(work())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0]


def test_on_sqlite_checkouts_run_one_after_the_other(transactional_db, django_user_model, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only (PostgreSQL has its own tests above).")
    session = session_with(1)
    users = _buyers(django_user_model, 4)

    with _sqlite_file_database(tmp_path):
        orders, refusals = _race(users, session)
        pending = _in_thread(
            lambda: OrderLine.objects.filter(session=session, order__status="pending").count()
        )

    assert len(orders) == 1
    assert all(isinstance(refusal, services.SeatsUnavailable) for refusal in refusals), refusals
    assert pending == 1


def test_on_sqlite_a_checkout_waits_for_the_one_holding_the_lock(
    transactional_db, django_user_model, tmp_path
):
    """The second buyer starts while the first one's transaction is open (it has taken the
    seat, not committed yet): BEGIN IMMEDIATE makes it wait, then it finds no seat."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only.")
    session = session_with(1)
    first, second = _buyers(django_user_model, 2)
    inside = threading.Event()
    release = threading.Event()
    outcome: list = []

    def hold() -> None:
        try:
            with transaction.atomic():
                place(first, session, billing_name="First")
                inside.set()
                release.wait()
        finally:
            connections.close_all()

    def buy() -> None:
        inside.wait()
        # Let the holder commit a little later, while this thread waits at BEGIN.
        threading.Timer(0.3, release.set).start()
        try:
            outcome.append(place(second, session, billing_name="Second"))
        except BaseException as exc:  # the main thread reports it
            outcome.append(exc)
        finally:
            connections.close_all()

    with _sqlite_file_database(tmp_path):
        threads = [threading.Thread(target=hold), threading.Thread(target=buy)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        buyers = _in_thread(lambda: list(Order.objects.values_list("buyer", flat=True)))

    assert len(outcome) == 1 and isinstance(outcome[0], services.SeatsUnavailable), outcome
    assert buyers == [first.pk]
