"""Retention of the shop's records: the pruners of the rules declared in cll/shop/privacy.py
(see cll/privacy/retention.py; run daily by ``retention_run_daily``).

- **accounting** (orders, their lines, payments, refunds, invoices and credit notes): kept
  ``ACCOUNTING_RETENTION_YEARS`` after the end of the year they were made in, then deleted. An
  order goes with everything that documents it, once the last of them (the order, an invoice
  or credit note, a payment, a refund) is old enough: a credit note issued in January for an
  order of December keeps the order a year longer, so no document outlives its order;
- **enrolments** (enrolments and their attendance): kept ``ENROLMENT_RETENTION_DAYS`` after
  the session's last day, then deleted;
- **waitlist**: places on waiting lists of sessions that have started, places left and seats
  taken once their hold is over (``waitlist.waitlist_prune``);
- **billing-cases**: its pruner lives with the cases (``cases.prune_billing_cases``); importing
  that module here registers it at start-up, as the retention engine requires.

Every pruner deletes in one transaction and counts first; a dry run only counts.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from cll.privacy.retention import pruner

# cases registers the pruner of the billing-cases rule when imported (see the docstring).
from cll.shop import cases, waitlist  # noqa: F401
from cll.shop.models import Attendance, Enrolment, Invoice, Order, OrderLine, Payment, Refund


def accounting_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """The first instant of the oldest year still kept: records made before it are due.

    Records of year Y are kept until the end of year Y + ``ACCOUNTING_RETENTION_YEARS``.
    """
    today = timezone.localdate(now)
    first_kept_year = today.year - settings.ACCOUNTING_RETENTION_YEARS
    return dt.datetime(first_kept_year, 1, 1, tzinfo=timezone.get_current_timezone())


def _orders_due(cutoff: dt.datetime) -> QuerySet[Order]:
    recent_invoice = Invoice.objects.filter(order=OuterRef("pk"), issued_at__gte=cutoff)
    recent_payment = Payment.objects.filter(order=OuterRef("pk")).filter(
        Q(created_at__gte=cutoff) | Q(paid_at__gte=cutoff)
    )
    recent_refund = Refund.objects.filter(payment__order=OuterRef("pk"), created_at__gte=cutoff)
    return Order.objects.filter(created_at__lt=cutoff).exclude(
        Exists(recent_invoice) | Exists(recent_payment) | Exists(recent_refund)
    )


@pruner("accounting")
def prune_accounting_records(*, dry_run: bool, now: dt.datetime | None = None) -> int:
    """Delete orders (with their lines, payments, refunds, invoices and credit notes) whose
    last record was made before the start of the oldest accounting year still kept. Returns
    how many rows go."""
    cutoff = accounting_cutoff(now)
    with transaction.atomic():
        orders = _orders_due(cutoff)
        ids = list(orders.values_list("pk", flat=True))
        credit_notes = Invoice.objects.filter(order_id__in=ids, credits__isnull=False)
        invoices = Invoice.objects.filter(order_id__in=ids, credits__isnull=True)
        refunds = Refund.objects.filter(payment__order_id__in=ids)
        payments = Payment.objects.filter(order_id__in=ids)
        # Children before parents: invoices, refunds and payments protect what they name.
        steps = [credit_notes, invoices, refunds, payments, Order.objects.filter(pk__in=ids)]
        if dry_run:
            lines = OrderLine.objects.filter(order_id__in=ids).count()
            return sum(step.count() for step in steps) + lines
        return sum(step.delete()[0] for step in steps)


@pruner("enrolments")
def prune_enrolments(*, dry_run: bool, now: dt.datetime | None = None) -> int:
    """Delete enrolments (and their attendance) of sessions whose last day is more than the
    rule's number of days ago. Returns how many rows go."""
    limit = timezone.localdate(now) - dt.timedelta(days=settings.ENROLMENT_RETENTION_DAYS)
    with transaction.atomic():
        due = Enrolment.objects.filter(session__ends_on__lt=limit)
        if dry_run:
            return due.count() + Attendance.objects.filter(enrolment__in=due).count()
        return due.delete()[0]


@pruner("waitlist")
def prune_waitlist(*, dry_run: bool) -> int:
    """Delete the places on waiting lists of sessions that have started, the places left and
    the seats taken once their hold is over. Returns how many rows go."""
    return waitlist.waitlist_prune(dry_run=dry_run)
