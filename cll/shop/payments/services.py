"""Writes of payments: opening one at the provider, what its webhooks say, reconciliation,
refunds.

Rules (each one tested in cll/shop/tests/test_payment*.py, test_webhook*.py, test_refund*.py):

- **No card data here.** ``payment_start`` opens a payment at the provider and returns the URL
  of the provider's page; we keep its reference, amount and outcome.
- **A webhook is believed only once its adapter authenticated it** (``WebhookRejected``:
  answered 400, nothing stored). It is then stored by ``(provider, event_id)`` before anything
  else, in the same transaction as its effect: a replay or a duplicate (even delivered twice
  at the same moment: the unique constraint makes the second wait for the first, then find
  it) changes nothing. Its outcome is written on the row.
- **A payment only moves forward**: open -> pending -> paid / failed / cancelled / expired.
  An older state arriving late is ignored (the outcome says so); paid never goes back; money
  the provider took is never ignored (a failed, cancelled or expired payment can still become
  paid). A paid notice for another amount than the one we opened changes nothing and is
  logged as an error.
- **One payment, one order placement**: the change is made under a row lock on the payment,
  with ``cll.shop.services.order_mark_paid`` / ``order_mark_unpaid`` in the same transaction,
  so two deliveries at once cannot enrol twice. A failed payment releases the order only when
  no other payment of it is still open, pending or paid (the buyer may be trying again).
- **Money received for an order that cannot take it is sent back**: a second payment of an
  already paid order, or a payment confirmed after the order was cancelled when its seats are
  gone, is refunded in full by a task queued when the transaction commits.
- **Reconciliation** (``payment_reconcile``, every few minutes from ``cll.shop.tasks``) asks the
  provider about payments still open or pending after a delay (the webhook that never came)
  and retries refunds whose outcome is unknown.
- **Refunds** go through the provider with the refund's public id as idempotency key; a refund
  whose answer was lost stays "requested" (it reserves its amount) and is retried with the same
  key, so it is never made twice. When the payment that paid an order is refunded in full,
  ``cll.shop.services.order_refunded`` cancels the enrolments and issues the credit note.

Talking to the provider is slow and may fail: it is never done while a row lock is held, and
``payment_start``, ``refund_create`` and ``payment_reconcile`` must be called outside any
transaction of the caller's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from cll.core.roles import Role, acting_role
from cll.courses.prices import euros
from cll.privacy.services import audit_record
from cll.shop import invoices
from cll.shop import services as shop_services
from cll.shop import tasks as shop_tasks
from cll.shop.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProviderEvent,
    Refund,
    RefundStatus,
)
from cll.shop.payments import registry, selectors
from cll.shop.payments.base import (
    ProviderError,
    ProviderPayment,
    ProviderRefused,
    WebhookRejected,
)

logger = logging.getLogger(__name__)

UNSETTLED = (PaymentStatus.OPEN, PaymentStatus.PENDING)
FINAL_UNPAID = (PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED)
# How far along a state is: a payment never moves to a lower rank, nor between final states
# (except to paid: money taken is never ignored).
_RANK = {
    PaymentStatus.OPEN: 0,
    PaymentStatus.PENDING: 1,
    PaymentStatus.PAID: 2,
    PaymentStatus.FAILED: 2,
    PaymentStatus.CANCELLED: 2,
    PaymentStatus.EXPIRED: 2,
}
# Reconciliation leaves younger payments to their webhook (the buyer may still be paying).
RECONCILE_AFTER_MINUTES = 15
# One run looks at this many payments (oldest first); the next run takes the rest.
RECONCILE_BATCH = 200
# The ProviderEvent columns' lengths.
_EVENT_ID_MAX = 255
_KIND_MAX = 64
_OUTCOME_MAX = 200

UNAVAILABLE = gettext_lazy(
    "The payment service is not available at the moment. Your order is kept: please try "
    "again in a few minutes."
)
_REFUND_UNPLACED = gettext_lazy(
    "Payment received for an order that could not take it (already paid, or its seats were "
    "released): refunded in full."
)


class PaymentNotPossible(Exception):
    """Why a payment cannot start or a refund cannot be made, in words for people
    (translated): show ``message``. Nothing was charged and nothing half-saved."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- Starting a payment ----------------------------------------------------------------------


def payment_start(*, order: Order, request: HttpRequest) -> str:
    """Open a payment of the order's total at the configured provider; return the URL of the
    provider's page to send the buyer to.

    The order must be awaiting payment with its seats still held; the caller has checked that
    ``request.user`` may pay it. The buyer comes back to ``shop:payment_return`` (by the
    payment's public id, never by anything in the query string) and the provider confirms to
    ``shop:payment_webhook``. When the provider cannot be reached the attempt is recorded as
    failed, the order stays pending and ``PaymentNotPossible`` says to try again.
    """
    try:
        provider = registry.provider_get()
    except ProviderError:
        logger.exception("The payment provider %r is not usable.", settings.PAYMENT_PROVIDER)
        raise PaymentNotPossible(str(UNAVAILABLE)) from None
    now = timezone.now()
    with transaction.atomic():
        # The lock orders this against the hold's expiry and a payment confirmed meanwhile.
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.PAID:
            raise PaymentNotPossible(gettext("This order is already paid."))
        if order.status != OrderStatus.PENDING or order.hold_until <= now:
            raise PaymentNotPossible(
                gettext(
                    "The time to pay this order has run out and its seats were released. "
                    "Please order again."
                )
            )
        if order.total_cents <= 0:
            raise PaymentNotPossible(gettext("This order has nothing to pay."))
        payment = Payment.objects.create(
            order=order, provider=provider.name, amount_cents=order.total_cents
        )
    return_url = request.build_absolute_uri(
        reverse("shop:payment_return", kwargs={"public_id": payment.public_id})
    )
    webhook_url = request.build_absolute_uri(
        reverse("shop:payment_webhook", kwargs={"provider": provider.name})
    )
    try:
        started = provider.payment_create(
            payment=payment, order=order, return_url=return_url, webhook_url=webhook_url
        )
    except ProviderError:
        logger.warning(
            "Payment %s of order %s: the provider did not open it.",
            payment.public_id,
            order.reference,
            exc_info=True,
        )
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.OPEN).update(
            status=PaymentStatus.FAILED, updated_at=timezone.now()
        )
        raise PaymentNotPossible(str(UNAVAILABLE)) from None
    # The buyer only gets the page once the reference is saved: a confirmation always finds it.
    Payment.objects.filter(pk=payment.pk).update(
        provider_ref=started.provider_ref, updated_at=timezone.now()
    )
    return started.redirect_url


# -- Applying a state ------------------------------------------------------------------------


def _moves_forward(current: str, new: str) -> bool:
    if current == PaymentStatus.PAID:
        return False
    if new == PaymentStatus.PAID:
        return True
    return _RANK[PaymentStatus(new)] > _RANK[PaymentStatus(current)]


def _refund_unplaced_later(payment: Payment) -> None:
    public_id = str(payment.public_id)
    transaction.on_commit(lambda: shop_tasks.payment_refund_unplaced.enqueue(public_id))


def _order_paid(payment: Payment, order: Order) -> str:
    if order.payments.filter(status=PaymentStatus.PAID).exclude(pk=payment.pk).exists():
        _refund_unplaced_later(payment)
        logger.warning("Order %s was paid twice: payment %s is refunded.", order, payment)
        return "paid: the order was already paid by another payment, this one is refunded"
    shop_services.order_mark_paid(order=order, paid_at=payment.paid_at)
    order.refresh_from_db(fields=["status"])
    if order.status != OrderStatus.PAID:
        _refund_unplaced_later(payment)
        logger.warning("Order %s could not be placed after payment %s: refunded.", order, payment)
        return "paid: the order could not be placed (its seats are gone), refunded"
    return "paid: order placed"


def _order_unpaid(payment: Payment, order: Order) -> str:
    live = (*UNSETTLED, PaymentStatus.PAID)
    if order.payments.filter(status__in=live).exclude(pk=payment.pk).exists():
        return f"{payment.status}: another payment of the order is open or paid"
    shop_services.order_mark_unpaid(order=order, reason=str(payment.status))
    return f"{payment.status}: the order's seats are released"


def _apply(payment: Payment, state: ProviderPayment) -> tuple[bool, str]:
    """``payment_apply``, also telling whether the payment changed."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if state.provider_ref and state.provider_ref != payment.provider_ref:
            raise ValueError(f"State of {state.provider_ref} applied to payment {payment}.")
        current, new = PaymentStatus(payment.status), PaymentStatus(state.status)
        if new == current:
            return False, f"unchanged: already {current}"
        if not _moves_forward(current, new):
            return False, f"ignored: {new} is older than the payment's state ({current})"
        if new == PaymentStatus.PAID and state.amount_cents != payment.amount_cents:
            logger.error(
                "Payment %s: the provider reports %s cents paid, %s cents were asked.",
                payment,
                state.amount_cents,
                payment.amount_cents,
            )
            return False, (
                f"ignored: {state.amount_cents} cents paid, {payment.amount_cents} expected"
            )
        payment.status = new
        fields = ["status", "updated_at"]
        if state.method:
            payment.method = state.method[: Payment._meta.get_field("method").max_length]
            fields.append("method")
        if new == PaymentStatus.PAID:
            payment.paid_at = timezone.now()
            fields.append("paid_at")
        payment.save(update_fields=fields)
        if new not in (PaymentStatus.PAID, *FINAL_UNPAID):
            return True, f"{current} -> {new}"
        # Two payments of one order settling at once (two tabs, two sessions) are serialised
        # here: the second sees the first's outcome once it has the order's lock.
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if new == PaymentStatus.PAID:
            return True, _order_paid(payment, order)
        return True, _order_unpaid(payment, order)


def payment_apply(*, payment: Payment, state: ProviderPayment) -> str:
    """Move ``payment`` to the provider's ``state`` if that is a step forward, and place or
    release its order accordingly — one transaction, under a lock on the payment row.
    Returns the outcome in a short line (stored on the event, logged)."""
    return _apply(payment, state)[1]


def payment_refresh(*, payment: Payment) -> str:
    """Ask the provider for an unsettled payment's state and apply it (the return page, the
    reconciliation). Raises ``ProviderError`` when the provider cannot answer."""
    if payment.status not in UNSETTLED or not payment.provider_ref:
        return f"unchanged: {payment.status}"
    state = registry.provider_get(payment.provider).payment_fetch(provider_ref=payment.provider_ref)
    return payment_apply(payment=payment, state=state)


# -- Webhooks --------------------------------------------------------------------------------

# A client whose webhooks were refused this many times in the window is answered 429 without
# being read: a provider's own requests are never refused, and forged Mollie ids would
# otherwise each cost a request to Mollie's API.
WEBHOOK_REJECTIONS_PER_IP = 30
WEBHOOK_REJECTION_WINDOW_SECONDS = 600


def _rejections_key(ip: str) -> str:
    return f"shop:webhook-rejected:{ip}"


def webhook_rejections_exceeded(*, ip: str) -> bool:
    """Whether ``ip`` had too many webhooks refused lately (see ``webhook_rejection_count``)."""
    return (cache.get(_rejections_key(ip)) or 0) >= WEBHOOK_REJECTIONS_PER_IP


def webhook_rejection_count(*, ip: str) -> None:
    """Count one refused webhook from ``ip`` in the current window."""
    key = _rejections_key(ip)
    cache.add(key, 0, timeout=WEBHOOK_REJECTION_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        # Expired between add() and incr(): the first refusal of a new window.
        cache.set(key, 1, timeout=WEBHOOK_REJECTION_WINDOW_SECONDS)


def webhook_receive(*, provider_name: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Authenticate, store and process one webhook request; return its outcome.

    Raises ``registry.UnknownProvider`` (no such provider here: 404), ``WebhookRejected`` (it
    does not authenticate: 400, nothing stored) and ``ProviderError`` (the provider could not
    be asked about it: 503, nothing stored, the provider retries). A notice about a payment we
    do not have is stored with the outcome "unknown payment" and answered 200: the provider
    would retry it for days otherwise.
    """
    provider = registry.provider_get(provider_name)
    notice = provider.webhook_parse(body=body, headers=headers)
    if not notice.event_id or len(notice.event_id) > _EVENT_ID_MAX:
        raise WebhookRejected("Event id missing or too long.")
    if ProviderEvent.objects.filter(provider=provider.name, event_id=notice.event_id).exists():
        return "duplicate: already received"
    state = notice.payment
    if state is None and notice.about_payment:
        # Outside the transaction: no lock is held while the provider answers.
        state = provider.payment_fetch(provider_ref=notice.provider_ref)
    with transaction.atomic():
        event, created = ProviderEvent.objects.get_or_create(
            provider=provider.name,
            event_id=notice.event_id,
            defaults={"kind": notice.kind[:_KIND_MAX], "object_ref": notice.provider_ref[:255]},
        )
        if not created:
            return "duplicate: already received"
        if not notice.about_payment:
            outcome = "ignored: not about a payment's state"
        else:
            payment = Payment.objects.filter(
                provider=provider.name, provider_ref=notice.provider_ref
            ).first()
            if payment is None:
                outcome = "unknown payment"
                logger.warning(
                    "%s webhook %s (%s) about an unknown payment %s.",
                    provider.name,
                    notice.event_id,
                    notice.kind,
                    notice.provider_ref,
                )
            else:
                outcome = payment_apply(payment=payment, state=state)
        event.processed_at = timezone.now()
        event.outcome = outcome[:_OUTCOME_MAX]
        event.save(update_fields=["processed_at", "outcome"])
    logger.info("%s webhook %s: %s", provider.name, notice.event_id, outcome)
    return outcome


# -- Reconciliation --------------------------------------------------------------------------


def payment_reconcile(*, older_than_minutes: int = RECONCILE_AFTER_MINUTES) -> int:
    """Settle what webhooks left unsettled; return how many payments and refunds changed.

    - a payment still open or pending ``older_than_minutes`` after it was opened: its state is
      asked from the provider and applied (a provider that cannot answer is tried at the next
      run);
    - a payment that never got its provider's reference (the process stopped while opening
      it): nobody was sent to pay it, it expires;
    - a refund still "requested" after the same delay: sent again with the same idempotency
      key (``refund_retry``).
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    changed = 0
    unsettled = Payment.objects.filter(status__in=UNSETTLED, created_at__lte=cutoff).order_by(
        "created_at", "id"
    )[:RECONCILE_BATCH]
    for payment in unsettled:
        if not payment.provider_ref:
            state = ProviderPayment(
                provider_ref="",
                status=PaymentStatus.EXPIRED,
                amount_cents=payment.amount_cents,
            )
            changed += _apply(payment, state)[0]
            continue
        try:
            provider = registry.provider_get(payment.provider)
            state = provider.payment_fetch(provider_ref=payment.provider_ref)
        except ProviderError:
            logger.warning("Reconciliation: payment %s could not be asked about.", payment)
            continue
        moved, outcome = _apply(payment, state)
        if moved:
            logger.info("Reconciliation: payment %s %s", payment, outcome)
        changed += moved
    stuck = Refund.objects.filter(
        status=RefundStatus.PENDING, created_at__lte=cutoff
    ).select_related("payment")[:RECONCILE_BATCH]
    for refund in stuck:
        try:
            changed += refund_retry(refund=refund).status != RefundStatus.PENDING
        except PaymentNotPossible:
            changed += 1
    return changed


# -- Refunds ---------------------------------------------------------------------------------


def refund_available_cents(*, payment: Payment) -> int:
    """What can still be refunded on ``payment``: its amount less what was refunded and what
    refunds still waiting for the provider's answer reserve."""
    if payment.status != PaymentStatus.PAID:
        return 0
    reserved = (
        payment.refunds.filter(status=RefundStatus.PENDING).aggregate(total=Sum("amount_cents"))[
            "total"
        ]
        or 0
    )
    return max(0, payment.amount_cents - payment.refunded_cents - reserved)


def refund_create(*, payment: Payment, amount_cents: int, reason: str, requested_by) -> Refund:
    """Send ``amount_cents`` of a paid payment back to the payer through its provider.

    Refused with ``PaymentNotPossible`` (a message for the staff member, nothing changed) when
    the amount is not positive, the payment is not paid or the amount is more than is left
    (refunded and requested refunds count). The ``Refund`` row is written and audited first, so
    its amount is reserved while the provider answers; then:

    - accepted: the refund is "refunded", the payment's ``refunded_cents`` grows and, when the
      payment that paid the order is now refunded in full, ``order_refunded`` cancels the
      enrolments and issues the credit note (same transaction);
    - refused by the provider: the refund is "failed" and ``PaymentNotPossible`` says so;
    - no answer (network, timeout): the refund stays "requested" and is returned; the
      reconciliation sends it again with the same idempotency key, so it happens once.
    """
    reason = reason.strip()
    if amount_cents <= 0:
        raise PaymentNotPossible(gettext("The amount to refund must be more than zero."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.PAID:
            raise PaymentNotPossible(gettext("Only a paid payment can be refunded."))
        available = refund_available_cents(payment=payment)
        if amount_cents > available:
            raise PaymentNotPossible(
                gettext("At most %(amount)s can still be refunded on this payment.")
                % {"amount": euros(available)}
            )
        refund = Refund.objects.create(
            payment=payment,
            amount_cents=amount_cents,
            reason=reason[: Refund._meta.get_field("reason").max_length],
            requested_by=requested_by,
        )
        audit_record(
            actor=requested_by,
            role=acting_role(requested_by, Role.BILLING, Role.ADMINISTRATOR),
            action="shop.refund.request",
            target=refund,
            fields=("amount_cents", "reason"),
            detail={"payment": str(payment.public_id), "amount_cents": amount_cents},
        )
    return refund_retry(refund=refund)


def refund_retry(*, refund: Refund) -> Refund:
    """Ask the provider (again) for a refund still "requested", with its idempotency key; see
    ``refund_create``. Returns the refund as it now stands."""
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    try:
        answer = registry.provider_get(payment.provider).refund_create(
            payment=payment, amount_cents=refund.amount_cents, idempotency_key=str(refund.public_id)
        )
    except ProviderRefused:
        logger.warning("Refund %s: refused by the provider.", refund.public_id, exc_info=True)
        _refund_settle(refund, succeeded=False, provider_ref="")
        raise PaymentNotPossible(
            gettext(
                # The typographic apostrophe, as in every translated text.
                "The payment service refused this refund. Check the payment in the "
                "provider’s dashboard."  # noqa: RUF001
            )
        ) from None
    except ProviderError:
        logger.warning("Refund %s: no answer from the provider.", refund.public_id, exc_info=True)
        return refund
    return _refund_settle(refund, succeeded=answer.succeeded, provider_ref=answer.provider_ref)


def _refund_settle(refund: Refund, *, succeeded: bool, provider_ref: str) -> Refund:
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update().select_related("order").get(pk=refund.payment_id)
        )
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != RefundStatus.PENDING:
            # Settled meanwhile by another worker (reconciliation racing a staff request).
            return refund
        refund.status = RefundStatus.REFUNDED if succeeded else RefundStatus.FAILED
        refund.provider_ref = provider_ref
        refund.save(update_fields=["status", "provider_ref", "updated_at"])
        audit_record(
            action="shop.refund.refunded" if succeeded else "shop.refund.failed",
            target=refund,
            fields=("status",),
            detail={"payment": str(payment.public_id), "amount_cents": refund.amount_cents},
        )
        if not succeeded:
            return refund
        payment.refunded_cents += refund.amount_cents
        payment.save(update_fields=["refunded_cents", "updated_at"])
        order = payment.order
        if not selectors.payment_settles_order(payment=payment):
            # A payment the order never took (refunded in full): nothing was invoiced for it.
            return refund
        if order.status == OrderStatus.PAID and payment.refunded_cents >= order.total_cents:
            shop_services.order_refunded(order=order, refund=refund)
        elif order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
            # Part of the order refunded (a withdrawal after an early start): every refund of
            # an invoiced order has its credit note, or the accounts would not add up.
            invoices.credit_note_issue(refund=refund)
    return refund


def payment_refund_unplaced(*, payment: Payment) -> Refund | None:
    """Refund in full a paid payment its order could not take (``_order_paid``): what is left
    of it, once. Returns the refund, or None when nothing is left to refund."""
    payment.refresh_from_db()
    amount = refund_available_cents(payment=payment)
    placed = (
        selectors.payment_settles_order(payment=payment)
        and payment.order.status == OrderStatus.PAID
    )
    if amount <= 0 or placed:
        return None
    with translation.override(payment.order.language):
        reason = str(_REFUND_UNPLACED)
    return refund_create(payment=payment, amount_cents=amount, reason=reason, requested_by=None)
