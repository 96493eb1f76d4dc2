"""Concurrent issuers share one series: no gap, no duplicate, a rollback burns nothing
(PostgreSQL: real row locks between real transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from cll.shop.invoices import invoice_issue
from cll.shop.models import DocumentKind, Invoice, InvoiceSequence
from cll.shop.tests.test_invoice_issue import make_paid_order

ISSUERS = 8
ORDERS_PER_ISSUER = 4

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Writers are serialised by BEGIN IMMEDIATE on SQLite.")


class _RolledBack(Exception):
    pass


def _run(issuers: list[threading.Thread]) -> None:
    for thread in issuers:
        thread.start()
    for thread in issuers:
        thread.join()


def test_it_numbers_without_gap_under_concurrent_issuers(
    postgres_only, transactional_db, alice, charlie
):
    buyers = (alice, charlie)
    batches = [
        [make_paid_order(buyers[(i + j) % 2]) for j in range(ORDERS_PER_ISSUER)]
        for i in range(ISSUERS)
    ]
    start = threading.Barrier(ISSUERS)
    failures: list[BaseException] = []

    def issue(orders, *, roll_back_every: int) -> None:
        try:
            start.wait()
            for position, order in enumerate(orders):
                try:
                    with transaction.atomic():
                        invoice_issue(order=order)
                        # Some payments fall through after the number was taken.
                        if position % roll_back_every == 0:
                            raise _RolledBack
                except _RolledBack:
                    pass
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    # Half the issuers roll back their first document; the others keep everything.
    _run(
        [
            threading.Thread(target=issue, args=(orders,), kwargs={"roll_back_every": 2 + i % 2})
            for i, orders in enumerate(batches)
        ]
    )
    assert failures == []
    kept = ISSUERS * ORDERS_PER_ISSUER - sum(
        len(range(0, ORDERS_PER_ISSUER, 2 + i % 2)) for i in range(ISSUERS)
    )
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, kept + 1))
    year = timezone.localdate().year
    assert InvoiceSequence.objects.get(kind=DocumentKind.INVOICE, year=year).last == kept
    assert len(set(Invoice.objects.values_list("number", flat=True))) == kept


def test_it_issues_one_invoice_when_two_callers_race_for_one_order(
    postgres_only, transactional_db, alice
):
    # A webhook and the return page confirm the same payment at the same moment.
    orders = [make_paid_order(alice) for _ in range(3)]
    callers = 4
    start = threading.Barrier(callers)
    failures: list[BaseException] = []
    issued: list[str] = []

    def confirm() -> None:
        try:
            start.wait()
            for order in orders:
                with transaction.atomic():
                    issued.append(invoice_issue(order=order).number)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    _run([threading.Thread(target=confirm) for _ in range(callers)])
    assert failures == []
    assert Invoice.objects.count() == len(orders)
    assert len(issued) == callers * len(orders)
    assert set(issued) == set(Invoice.objects.values_list("number", flat=True))
