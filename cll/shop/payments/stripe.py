"""Stripe Checkout, through Stripe's official SDK (``stripe``, ``StripeClient``).

- A payment is a Checkout Session in "payment" mode, in EUR, cards and Bancontact; the buyer
  pays on Stripe's page (``session.url``). Stripe receives the amount and the order's reference
  (line name, ``client_reference_id``, metadata) — nothing else about the person: Stripe's page
  asks for what it needs. The session is created with the idempotency key
  ``checkout:<payment public id>``, so a retried request never opens two sessions.
- Webhooks: configure one endpoint in Stripe's dashboard, ``https://<site>/fr/shop/pay/webhook/
  stripe/``, for ``checkout.session.completed``, ``checkout.session.async_payment_succeeded``,
  ``checkout.session.async_payment_failed`` and ``checkout.session.expired``; its signing secret
  is ``CLL_STRIPE_WEBHOOK_SECRET``. Each request is verified by the SDK
  (``StripeClient.construct_event``: HMAC-SHA256 of ``"<t>.<body>"``, refused when older than
  ``TOLERANCE_SECONDS``); the event id is Stripe's ``evt_...``. Other event types are stored
  and ignored.
- A session's state: ``expired`` -> expired; ``complete`` and paid -> paid; ``complete`` and
  unpaid -> being confirmed (Bancontact and other delayed methods), or failed once its payment
  intent asks for another payment method or was cancelled; otherwise open.
- Refunds go to the session's payment intent, with the refund's public id as idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

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

NAME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
# Stripe's own default: a signed request older than this is refused (replay protection).
TOLERANCE_SECONDS = 300
METHODS = ("card", "bancontact")
# Stripe keeps a Checkout Session open at least 30 minutes.
_SESSION_MINUTES_MIN = 31
# Checkout pages in the buyer's language.
_LOCALES = {"fr": "fr", "nl": "nl", "en": "en"}
_SESSION_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
# A failed delayed payment: the intent wants another method, or was cancelled.
_FAILED_INTENT = {"requires_payment_method", "canceled"}
_REFUND_FAILED = {"failed", "canceled"}


def _guarded(call, *args, **kwargs):
    """Call the SDK; its errors become ``ProviderRefused`` (Stripe answered no) or
    ``ProviderError`` (unreachable, rate-limited, Stripe's own failure, our keys)."""
    try:
        return call(*args, **kwargs)
    except (stripe.InvalidRequestError, stripe.CardError, stripe.IdempotencyError) as exc:
        raise ProviderRefused(f"Stripe refused the request: {exc.user_message or exc}") from exc
    except stripe.StripeError as exc:
        raise ProviderError(f"Stripe is not available: {type(exc).__name__}") from exc


def _payment_of(session: Mapping[str, Any], *, kind: str = "") -> ProviderPayment:
    intent = session.get("payment_intent")
    intent = intent if isinstance(intent, Mapping) else {}
    method = intent.get("payment_method")
    method = method.get("type", "") if isinstance(method, Mapping) else ""
    if kind == "checkout.session.async_payment_failed":
        status = PaymentStatus.FAILED
    elif kind == "checkout.session.async_payment_succeeded":
        status = PaymentStatus.PAID
    elif session.get("status") == "expired":
        status = PaymentStatus.EXPIRED
    elif session.get("status") == "complete":
        if session.get("payment_status") in {"paid", "no_payment_required"}:
            status = PaymentStatus.PAID
        elif intent.get("status") in _FAILED_INTENT:
            status = PaymentStatus.FAILED
        else:
            status = PaymentStatus.PENDING
    else:
        status = PaymentStatus.OPEN
    # Sessions are opened in EUR only: another currency can match no amount of ours.
    in_euros = str(session.get("currency", "")).lower() == "eur"
    return ProviderPayment(
        provider_ref=str(session["id"]),
        status=status,
        amount_cents=int(session.get("amount_total") or 0) if in_euros else 0,
        method=str(method),
    )


class StripeProvider(PaymentProvider):
    name = NAME
    # Where the SDK sends its requests (tests point it at a recorded server on loopback).
    api_base = stripe.DEFAULT_API_BASE
    timeout_seconds = 20

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str) -> None:
        self.webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base},
            # Safe: the SDK sends an idempotency key with every retried POST.
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=self.timeout_seconds),
        )

    @classmethod
    def configuration(cls) -> tuple:
        if not (settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET):
            raise ProviderError("CLL_STRIPE_SECRET_KEY and CLL_STRIPE_WEBHOOK_SECRET are needed.")
        return (settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET, cls.api_base)

    def payment_create(
        self, *, payment: Payment, order: Order, return_url: str, webhook_url: str
    ) -> CheckoutStart:
        with translation.override(order.language):
            label = gettext("CLL Centres de Langues — order %(reference)s") % {
                "reference": order.reference
            }
        minutes = max(settings.SHOP_SEAT_HOLD_MINUTES, _SESSION_MINUTES_MIN)
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": payment.amount_cents,
                        "product_data": {"name": label},
                    },
                }
            ],
            "payment_method_types": list(METHODS),
            # Both back to the return page: it asks Stripe, never trusts the query string.
            "success_url": return_url,
            "cancel_url": return_url,
            "client_reference_id": order.reference,
            "metadata": {"order": order.reference},
            "payment_intent_data": {"metadata": {"order": order.reference}},
            "locale": _LOCALES.get(order.language, "auto"),
            "expires_at": int((timezone.now() + timedelta(minutes=minutes)).timestamp()),
        }
        session = _guarded(
            self.client.v1.checkout.sessions.create,
            params,
            {"idempotency_key": f"checkout:{payment.public_id}"},
        )
        if not session.url:
            raise ProviderError("Stripe opened a Checkout Session without a page.")
        return CheckoutStart(provider_ref=session.id, redirect_url=session.url)

    def _session(self, provider_ref: str) -> dict[str, Any]:
        session = _guarded(
            self.client.v1.checkout.sessions.retrieve,
            provider_ref,
            {"expand": ["payment_intent.payment_method"]},
        )
        return session.to_dict()

    def payment_fetch(self, *, provider_ref: str) -> ProviderPayment:
        return _payment_of(self._session(provider_ref))

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        try:
            event = self.client.construct_event(
                body,
                headers.get(SIGNATURE_HEADER),
                self.webhook_secret,
                tolerance=TOLERANCE_SECONDS,
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            # ValueError: not UTF-8 or not JSON.
            raise WebhookRejected(f"Stripe webhook refused: {type(exc).__name__}") from exc
        try:
            data = event.to_dict()
            kind = str(data["type"])
            obj = data["data"]["object"]
            if kind not in _SESSION_EVENTS or obj.get("object") != "checkout.session":
                return ProviderNotice(
                    event_id=str(data["id"]),
                    kind=kind,
                    provider_ref=str(obj.get("id", "")),
                    about_payment=False,
                )
            return ProviderNotice(
                event_id=str(data["id"]),
                kind=kind,
                provider_ref=str(obj["id"]),
                payment=_payment_of(obj, kind=kind),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise WebhookRejected("Stripe webhook without the expected fields.") from exc

    def refund_create(
        self, *, payment: Payment, amount_cents: int, idempotency_key: str
    ) -> ProviderRefund:
        intent = self._session(payment.provider_ref).get("payment_intent")
        intent_id = intent.get("id") if isinstance(intent, Mapping) else intent
        if not intent_id:
            raise ProviderRefused("This Checkout Session has no payment to refund.")
        refund = _guarded(
            self.client.v1.refunds.create,
            {
                "payment_intent": intent_id,
                "amount": amount_cents,
                "metadata": {"refund": idempotency_key},
            },
            {"idempotency_key": f"refund:{idempotency_key}"},
        )
        return ProviderRefund(provider_ref=refund.id, succeeded=refund.status not in _REFUND_FAILED)
