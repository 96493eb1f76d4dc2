"""Background jobs of the shop.

- ``order_holds_release_due``, every minute: orders whose seat hold ran out unpaid are
  cancelled and their seats offered to the waiting lists.
- ``waitlist_expire_offers_due``, every five minutes: seat offers not taken in time go to the
  next person waiting, and a seat nobody reported free is offered (an offer ends at most five
  minutes late; offers are indexed by expiry).
- ``payment_reconcile_run``, every five minutes from the scheduler (``manage.py crontask``):
  payments still open or pending ``RECONCILE_AFTER_MINUTES`` after they were opened are asked
  about at their provider and settled (the webhook that never arrived, the sandbox's slow
  confirmation), and refunds whose answer was lost are sent again with their idempotency key.
- ``payment_refund_unplaced``, queued when a transaction that recorded such a payment
  commits: a payment the provider confirmed for an order that could not take it (paid twice,
  or confirmed after its seats were released) is refunded in full.
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.shop import services as shop_services
from cll.shop.models import Payment
from cll.shop.payments import services as payments
from cll.shop.waitlist import waitlist_expire_offers


@cron("*/5 * * * *")
@task
def payment_reconcile_run() -> int:
    """Settle payments and refunds their webhooks left unsettled; returns how many changed."""
    return payments.payment_reconcile(older_than_minutes=payments.RECONCILE_AFTER_MINUTES)


@task
def payment_refund_unplaced(payment_public_id: str) -> str:
    """Refund a paid payment its order could not take; returns the refund's state."""
    payment = Payment.objects.filter(public_id=payment_public_id).first()
    if payment is None:
        return "unknown payment"
    try:
        refund = payments.payment_refund_unplaced(payment=payment)
    except payments.PaymentNotPossible as exc:
        return f"refused: {exc.message}"
    return refund.status if refund is not None else "nothing to refund"


@cron("* * * * *")
@task
def order_holds_release_due() -> int:
    """Cancel the orders whose seat hold ran out unpaid and offer their seats to the waiting
    lists; returns how many orders were cancelled."""
    return shop_services.order_holds_release()


@cron("*/5 * * * *")
@task
def waitlist_expire_offers_due() -> int:
    """End the seat offers not taken in time and offer each seat to the next person waiting;
    returns how many offers ended."""
    return waitlist_expire_offers()
