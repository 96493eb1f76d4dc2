"""Reads of payments, filtered by who asks."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from cll.shop.models import Payment, PaymentStatus


def _payments_of(user) -> QuerySet[Payment]:
    # The buyer of the order, and nobody else: a payment's public id alone opens nothing.
    if not user.is_authenticated:
        return Payment.objects.none()
    return Payment.objects.select_related("order").filter(order__buyer=user)


def payment_get_for(*, user, public_id: UUID) -> Payment | None:
    """The payment ``public_id`` if ``user`` bought its order, else None."""
    return _payments_of(user).filter(public_id=public_id).first()


def sandbox_payment_get_for(*, user, provider_ref: str) -> Payment | None:
    """The sandbox payment ``provider_ref`` if ``user`` bought its order, else None."""
    return _payments_of(user).filter(provider="sandbox", provider_ref=provider_ref).first()


def payment_settles_order(*, payment: Payment) -> bool:
    """Whether ``payment`` is the one that paid its order: the first one paid (any later one
    is refunded as a second payment)."""
    first = (
        Payment.objects.filter(order_id=payment.order_id, status=PaymentStatus.PAID)
        .order_by("paid_at", "id")
        .values_list("pk", flat=True)
        .first()
    )
    return first == payment.pk
