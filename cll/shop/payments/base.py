"""The one interface every payment provider adapter implements.

Rules every adapter keeps:

- ``payment_create`` never sees card data: it asks the provider for a hosted payment page and
  returns where to send the buyer.
- ``webhook_parse`` authenticates the request before anything is believed: Stripe by the
  ``Stripe-Signature`` HMAC with a time tolerance, the sandbox by its own HMAC; Mollie signs
  nothing, so its webhook only names a payment id and the adapter fetches the payment from the
  API (``payment_fetch``) to learn its state. A request that does not authenticate raises
  ``WebhookRejected`` (answered 400, nothing stored).
- States are the provider's, mapped to ``PaymentStatus``; callers never move a payment
  backwards (``services.payment_apply``).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass

from cll.shop.models import Order, Payment, PaymentStatus


class ProviderError(Exception):
    """The provider could not be reached or refused the request (shown to people as "the
    payment service is not available, try again").

    When the provider may have acted before the error reached us (a timeout), the outcome is
    unknown: callers retry with the same idempotency key rather than start afresh."""


class ProviderRefused(ProviderError):
    """The provider answered and definitively refused the request (a 4xx answer: the amount is
    more than can be refunded, the payment does not exist...): retrying will not help."""


class WebhookRejected(Exception):
    """A webhook request that does not authenticate or does not parse."""


@dataclass(frozen=True)
class CheckoutStart:
    """A payment opened at the provider: its id there, and the page the buyer pays on."""

    provider_ref: str
    redirect_url: str


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it."""

    provider_ref: str
    status: PaymentStatus
    amount_cents: int
    refunded_cents: int = 0
    method: str = ""


@dataclass(frozen=True)
class ProviderNotice:
    """What an authenticated webhook says: its id (for idempotency), its type, the payment it
    is about and, when the provider sent it, that payment's state (else fetch it)."""

    event_id: str
    kind: str
    provider_ref: str
    payment: ProviderPayment | None = None
    # False for an event about something else than a payment's state (a provider may send
    # more types than we subscribed to): stored, answered 200, and nothing fetched or changed.
    about_payment: bool = True


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the provider accepted it. ``succeeded`` is True once the provider took it
    on (its own "pending" included: the money is committed to go back), False when it says
    the refund failed or was cancelled."""

    provider_ref: str
    succeeded: bool


class PaymentProvider(abc.ABC):
    """An adapter; one instance per process (``provider_get``)."""

    # The key in settings.PAYMENT_PROVIDER and Payment.provider.
    name: str
    # Shown to staff and, for the sandbox, to buyers ("Test mode: no money is moved").
    is_test_mode: bool = False

    @classmethod
    def configuration(cls) -> tuple:
        """What the adapter reads from settings, hashable: ``registry.provider_get`` builds a
        new adapter when it changes. Raises ``ProviderError`` when a required key is missing."""
        return ()

    @classmethod
    def from_configuration(cls, configuration: tuple) -> PaymentProvider:
        return cls(*configuration)

    @abc.abstractmethod
    def payment_create(
        self, *, payment: Payment, order: Order, return_url: str, webhook_url: str
    ) -> CheckoutStart:
        """Open a payment of ``payment.amount_cents`` for ``order`` at the provider."""

    @abc.abstractmethod
    def payment_fetch(self, *, provider_ref: str) -> ProviderPayment:
        """The payment's current state at the provider (reconciliation, Mollie's webhook)."""

    @abc.abstractmethod
    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        """Authenticate and read a webhook request; raises WebhookRejected."""

    @abc.abstractmethod
    def refund_create(
        self, *, payment: Payment, amount_cents: int, idempotency_key: str
    ) -> ProviderRefund:
        """Send ``amount_cents`` of ``payment`` back to the payer."""
