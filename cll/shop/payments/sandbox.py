"""The sandbox provider: a test-mode payment page in our own site, for the embedded default
(``scripts/run.sh``), the browser tests and the checkout benchmark. No keys, no internet, no
money. Refused in production (``cll/shop/checks.py``, and ``registry.provider_get``).

How it imitates a real provider:

- ``payment_create`` opens a payment ``sbx_<random>`` whose hosted page is ``shop:sandbox_pay``
  (``views.sandbox_pay``), clearly marked "Test mode — no money is moved". Its buttons:
  *Pay*, *Fail*, *Cancel* and *Pay, confirm slowly*.
- Each button sends a signed webhook, as a provider would: ``webhook_build`` signs the body
  with HMAC-SHA256 over ``"<timestamp>." + body`` (the scheme Stripe uses), under a key derived
  from ``SECRET_KEY`` for this purpose alone (``salted_hmac``); ``webhook_parse`` checks it with
  a tolerance of ``TOLERANCE``. It is delivered in-process through the same
  ``services.webhook_receive`` as a real one (no outbound HTTP), then the buyer is sent back to
  the return page.
- *Pay, confirm slowly* sends a "pending" notice only: the payment settles as paid
  ``SETTLE_AFTER`` later, and no second webhook comes. The return page (which asks the
  provider while a payment is unsettled, refreshing itself) or the next reconciliation
  (``tasks.payment_reconcile_run``) learns it through ``payment_fetch``: the case of a
  confirmation that arrives late, or whose webhook never arrives.
- The sandbox's own record of a payment is what it told us: its state is the last notice it
  delivered (``ProviderEvent`` rows of provider "sandbox"), an unanswered payment expires
  ``EXPIRES_AFTER`` after it was opened, and its amount is the one we opened it with.
- Refunds succeed at once.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from cll.shop.models import Order, Payment, PaymentStatus, ProviderEvent
from cll.shop.payments.base import (
    CheckoutStart,
    PaymentProvider,
    ProviderNotice,
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    WebhookRejected,
)

NAME = "sandbox"
SIGNATURE_HEADER = "X-Sandbox-Signature"
# A signed webhook older (or further in the future) than this is refused: a captured request
# cannot be replayed later (and a replay within it finds its event id already stored).
TOLERANCE = timedelta(minutes=5)
# "Pay, confirm slowly": how long the payment stays "being confirmed".
SETTLE_AFTER = timedelta(seconds=10)
# A payment nobody answered on the page expires, as providers' do.
EXPIRES_AFTER = timedelta(hours=1)
# Separates this key from every other use of SECRET_KEY.
_KEY_SALT = "cll.shop.payments.sandbox.webhook"
_REF = re.compile(r"^sbx_[A-Za-z0-9_-]{16,64}$")
_EVENT = re.compile(r"^evt_sbx_[A-Za-z0-9_-]{16,64}$")
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")

# The buttons of the page and the state each one reports.
PAY, FAIL, CANCEL, SLOW = "pay", "fail", "cancel", "slow"
OUTCOMES: dict[str, PaymentStatus] = {
    PAY: PaymentStatus.PAID,
    FAIL: PaymentStatus.FAILED,
    CANCEL: PaymentStatus.CANCELLED,
    SLOW: PaymentStatus.PENDING,
}
_REPORTED = {status.value for status in OUTCOMES.values()}


def signature(body: bytes, *, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = salted_hmac(_KEY_SALT, f"{timestamp}.".encode() + body, algorithm="sha256")
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_build(
    *, payment: Payment, outcome: str, now: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    """The signed webhook the sandbox sends when the buyer presses ``outcome``'s button:
    ``(body, headers)``, to hand to ``services.webhook_receive``."""
    status = OUTCOMES[outcome]
    now = now or timezone.now()
    body = json.dumps(
        {
            "id": f"evt_sbx_{secrets.token_urlsafe(18)}",
            "type": f"payment.{status.value}",
            "payment": {
                "id": payment.provider_ref,
                "status": status.value,
                "amount_cents": payment.amount_cents,
                "method": NAME,
            },
        },
        separators=(",", ":"),
    ).encode()
    return body, {SIGNATURE_HEADER: signature(body, timestamp=int(now.timestamp()))}


class SandboxProvider(PaymentProvider):
    name = NAME
    is_test_mode = True

    def payment_create(
        self, *, payment: Payment, order: Order, return_url: str, webhook_url: str
    ) -> CheckoutStart:
        # The page finds the payment (amount, order, return page) by this reference.
        ref = f"sbx_{secrets.token_urlsafe(18)}"
        return CheckoutStart(
            provider_ref=ref, redirect_url=reverse("shop:sandbox_pay", kwargs={"ref": ref})
        )

    def payment_fetch(self, *, provider_ref: str) -> ProviderPayment:
        payment = (
            Payment.objects.filter(provider=NAME, provider_ref=provider_ref)
            .only("amount_cents", "refunded_cents", "created_at")
            .first()
        )
        if payment is None or not _REF.match(provider_ref):
            raise ProviderRefused(f"The sandbox has no payment {provider_ref!r}.")
        now = timezone.now()
        last = (
            ProviderEvent.objects.filter(provider=NAME, object_ref=provider_ref)
            .order_by("-received_at", "-id")
            .only("kind", "received_at")
            .first()
        )
        reported = last.kind.removeprefix("payment.") if last is not None else ""
        if reported not in _REPORTED:
            status = (
                PaymentStatus.EXPIRED
                if payment.created_at + EXPIRES_AFTER <= now
                else PaymentStatus.OPEN
            )
        elif reported == PaymentStatus.PENDING and last.received_at + SETTLE_AFTER <= now:
            status = PaymentStatus.PAID
        else:
            status = PaymentStatus(reported)
        return ProviderPayment(
            provider_ref=provider_ref,
            status=status,
            amount_cents=payment.amount_cents,
            refunded_cents=payment.refunded_cents,
            method=NAME if status == PaymentStatus.PAID else "",
        )

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderNotice:
        header = headers.get(SIGNATURE_HEADER, "")
        match = _SIGNATURE.match(header)
        if match is None:
            raise WebhookRejected("Missing or malformed sandbox signature.")
        timestamp = int(match.group(1))
        if abs(timezone.now().timestamp() - timestamp) > TOLERANCE.total_seconds():
            raise WebhookRejected("Sandbox signature outside the time tolerance.")
        if not constant_time_compare(signature(body, timestamp=timestamp), header):
            raise WebhookRejected("Sandbox signature does not match.")
        # Signed by us: a malformed body is a bug, still refused rather than half-read.
        try:
            event = json.loads(body)
            data = event["payment"]
            notice = ProviderNotice(
                event_id=str(event["id"]),
                kind=str(event["type"]),
                provider_ref=str(data["id"]),
                payment=ProviderPayment(
                    provider_ref=str(data["id"]),
                    status=PaymentStatus(data["status"]),
                    amount_cents=int(data["amount_cents"]),
                    method=str(data.get("method", "")),
                ),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("Malformed sandbox webhook body.") from exc
        if not (_EVENT.match(notice.event_id) and _REF.match(notice.provider_ref)):
            raise WebhookRejected("Malformed sandbox event or payment id.")
        return notice

    def refund_create(
        self, *, payment: Payment, amount_cents: int, idempotency_key: str
    ) -> ProviderRefund:
        if payment.status != PaymentStatus.PAID:
            raise ProviderRefused("The sandbox refunds paid payments only.")
        # The same key names the same refund, as a provider's idempotency keys do.
        ref = salted_hmac(_KEY_SALT, idempotency_key, algorithm="sha256").hexdigest()[:24]
        return ProviderRefund(provider_ref=f"sbx_re_{ref}", succeeded=True)
