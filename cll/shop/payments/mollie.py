"""Mollie's Payments API, through Mollie's official SDK (``mollie-api-python``, ``Client``).

- A payment is a Mollie payment in EUR (``{"currency": "EUR", "value": "650.00"}``), Bancontact
  or card, with our return page as ``redirectUrl`` and our webhook (``shop:payment_webhook``
  with provider "mollie") as ``webhookUrl``, both absolute: Mollie must reach the webhook from
  the internet. Mollie receives the amount and the order's reference (description, metadata).
  It is created with the payment's public id as idempotency key.
- Mollie signs nothing: its webhook POSTs ``id=tr_...`` only. The adapter fetches that payment
  from the API with our key; that answer is the authentication (a forged id names a payment
  Mollie does not have for us: refused, 400). The event id for idempotency is the payment id
  and the fetched status (``tr_x:paid``): a repeated call about an unchanged payment (Mollie
  calls again for refunds and retries) finds it and changes nothing.
- States map one to one (``authorized`` is still being confirmed; Mollie says ``canceled``).
- Refunds are created on the payment, with the refund's public id as idempotency key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from mollie.api.client import Client
from mollie.api.error import (
    Error as MollieError,
)
from mollie.api.error import (
    IdentifierError,
    ResponseError,
)
from mollie.api.objects.payment import Payment as MolliePayment

from cll.shop.models import Order, Payment, PaymentStatus
from cll.shop.payments.base import (
    CheckoutStart,
    PaymentProvider,
    ProviderError,
    ProviderNotice,
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    WebhookRejected,
)

NAME = "mollie"
METHODS = ("bancontact", "creditcard")
_ID = re.compile(r"^tr_[A-Za-z0-9]{4,64}$")
_STATES = {
    "open": PaymentStatus.OPEN,
    "pending": PaymentStatus.PENDING,
    "authorized": PaymentStatus.PENDING,
    "paid": PaymentStatus.PAID,
    "failed": PaymentStatus.FAILED,
    "canceled": PaymentStatus.CANCELLED,
    "expired": PaymentStatus.EXPIRED,
}
_REFUND_FAILED = {"failed", "canceled"}
# Mollie's checkout in the buyer's language (Belgian variants).
_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_US"}


def _value(cents: int) -> str:
    """Cents as Mollie writes an amount: "650.00"."""
    return f"{cents // 100}.{cents % 100:02d}"


def _cents(amount: Mapping[str, Any] | None) -> int:
    """Mollie's ``{"currency": "EUR", "value": "650.00"}`` in cents; 0 for none, and for
    another currency (we open payments in EUR only: it can match no amount of ours)."""
    if not amount or str(amount.get("currency", "")).upper() != "EUR":
        return 0
    try:
        return int((Decimal(str(amount["value"])) * 100).to_integral_exact())
    except (InvalidOperation, KeyError, ValueError) as exc:
        raise ProviderError(f"Mollie sent an unreadable amount: {amount!r}") from exc


def _guarded(call, *args, **kwargs):
    """Call the SDK; its errors become ``ProviderRefused`` (Mollie answered 4xx: the payment
    does not exist, the refund is more than is left...) or ``ProviderError`` (unreachable, its
    own failure, an unreadable answer)."""
    try:
        return call(*args, **kwargs)
    except IdentifierError as exc:
        raise ProviderRefused(f"Mollie id refused: {exc}") from exc
    except ResponseError as exc:
        if exc.status is not None and 400 <= int(exc.status) < 500 and int(exc.status) != 429:
            raise ProviderRefused(f"Mollie refused the request ({exc.status}).") from exc
        raise ProviderError(f"Mollie is not available ({exc.status}).") from exc
    except MollieError as exc:
        raise ProviderError(f"Mollie is not available: {type(exc).__name__}") from exc


class MollieProvider(PaymentProvider):
    name = NAME
    # Where the SDK sends its requests (tests point it at a recorded server on loopback).
    api_endpoint = Client.API_ENDPOINT
    timeout = (3, 20)

    def __init__(self, api_key: str, api_endpoint: str) -> None:
        self.client = Client(api_endpoint=api_endpoint, timeout=self.timeout)
        try:
            self.client.set_api_key(api_key)
        except MollieError as exc:
            raise ProviderError("CLL_MOLLIE_API_KEY must start with live_ or test_.") from exc

    @classmethod
    def configuration(cls) -> tuple:
        if not settings.MOLLIE_API_KEY:
            raise ProviderError("CLL_MOLLIE_API_KEY is needed.")
        return (settings.MOLLIE_API_KEY, cls.api_endpoint)

    def payment_create(
        self, *, payment: Payment, order: Order, return_url: str, webhook_url: str
    ) -> CheckoutStart:
        with translation.override(order.language):
            description = gettext("CLL Centres de Langues — order %(reference)s") % {
                "reference": order.reference
            }
        created = _guarded(
            self.client.payments.create,
            {
                "amount": {"currency": "EUR", "value": _value(payment.amount_cents)},
                "description": description,
                "redirectUrl": return_url,
                "cancelUrl": return_url,
                "webhookUrl": webhook_url,
                "method": list(METHODS),
                "locale": _LOCALES.get(order.language, "fr_BE"),
                "metadata": {"order": order.reference},
            },
            idempotency_key=str(payment.public_id),
        )
        if not (created.id and created.checkout_url):
            raise ProviderError("Mollie opened a payment without a checkout page.")
        return CheckoutStart(provider_ref=created.id, redirect_url=created.checkout_url)

    def payment_fetch(self, *, provider_ref: str) -> ProviderPayment:
        fetched = _guarded(self.client.payments.get, provider_ref)
        status = _STATES.get(str(fetched.status))
        if status is None:
            raise ProviderError(f"Mollie reported an unknown status {fetched.status!r}.")
        return ProviderPayment(
            provider_ref=str(fetched.id),
            status=status,
            amount_cents=_cents(fetched.amount),
            refunded_cents=_cents(fetched.amount_refunded),
            method=str(fetched.method or ""),
        )

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        try:
            form = parse_qs(body.decode("ascii"), strict_parsing=True, max_num_fields=5)
        except (UnicodeDecodeError, ValueError) as exc:
            raise WebhookRejected("Mollie webhook body is not a form.") from exc
        ids = form.get("id", [])
        if len(ids) != 1 or not _ID.match(ids[0]):
            raise WebhookRejected("Mollie webhook without a payment id.")
        try:
            # Authentication: only Mollie, asked with our key, knows this payment.
            payment = self.payment_fetch(provider_ref=ids[0])
        except ProviderRefused as exc:
            raise WebhookRejected("Mollie does not know this payment.") from exc
        return ProviderNotice(
            event_id=f"{payment.provider_ref}:{payment.status.value}",
            kind=f"payment.{payment.status.value}",
            provider_ref=payment.provider_ref,
            payment=payment,
        )

    def refund_create(
        self, *, payment: Payment, amount_cents: int, idempotency_key: str
    ) -> ProviderRefund:
        # The SDK creates refunds on a payment object; one with the id alone spares a request.
        refunds = MolliePayment({"id": payment.provider_ref}, self.client).refunds
        refund = _guarded(
            refunds.create,
            {
                "amount": {"currency": "EUR", "value": _value(amount_cents)},
                "metadata": {"refund": idempotency_key},
            },
            idempotency_key=idempotency_key,
        )
        return ProviderRefund(
            provider_ref=str(refund.id), succeeded=str(refund.status) not in _REFUND_FAILED
        )
