"""What the payment tests share.

``Recorded`` serves recorded provider exchanges on 127.0.0.1 (``http.server`` in a thread) so
the real SDKs talk HTTP to it: no request leaves loopback. ``make_order`` and ``make_payment``
build the rows the checkout would have left.
"""

from __future__ import annotations

import datetime as dt
import hmac
import itertools
import json
import threading
import time
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.utils import timezone

from cll.courses.tests.factories import make_session
from cll.shop.models import Order, OrderLine, OrderStatus, Payment, PaymentStatus

HERE = Path(__file__).resolve().parent
_references = itertools.count(1)


def recording(name: str) -> dict:
    return json.loads((HERE / name).read_text())


class Recorded:
    """A loopback HTTP server answering ``(method, path)`` from a recording's exchanges; every
    request it got is kept in ``requests`` (method, path, headers, body)."""

    def __init__(self, name: str) -> None:
        self.routes = {
            (item["request"]["method"], item["request"]["path"]): item["response"]
            for item in recording(name)["exchanges"]
        }
        self.requests: list[tuple[str, str, dict, bytes]] = []
        recorded = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                recorded.requests.append((self.command, path, dict(self.headers), body))
                response = recorded.routes.get((self.command, path))
                if response is None:
                    response = {"status": 599, "body": {"error": "not recorded"}}
                payload = json.dumps(response["body"]).encode()
                self.send_response(response["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PATCH = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Recorded:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def stripe_signature(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header as Stripe computes it: HMAC-SHA256 under the endpoint's
    secret of ``"<t>.<payload>"`` (https://docs.stripe.com/webhooks#verify-manually)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    mac = hmac.new(secret.encode(), signed, sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def make_order(
    buyer,
    *,
    price_cents: int = 39000,
    status: str = OrderStatus.PENDING,
    language: str = "fr",
    hold_minutes: int = 20,
    reference: str | None = None,
) -> Order:
    """A pending order of one seat for ``buyer``, as ``order_place`` leaves it."""
    now = timezone.now()
    order = Order.objects.create(
        reference=reference or f"P{next(_references):07d}",
        buyer=buyer,
        status=status,
        billing_name="Alice Martin",
        language=language,
        subtotal_cents=price_cents,
        vat_cents=0,
        total_cents=price_cents,
        vat_rate_bp=0,
        terms_version="2026-01",
        terms_accepted_at=now,
        withdrawal_deadline=timezone.localdate() + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=now + dt.timedelta(minutes=hold_minutes),
        paid_at=now if status == OrderStatus.PAID else None,
    )
    session = make_session(
        price_cents=price_cents, first_day=timezone.localdate() + dt.timedelta(days=30)
    )
    OrderLine.objects.create(
        order=order,
        session=session,
        learner=buyer,
        description=session.title,
        price_cents=price_cents,
    )
    return order


def make_payment(
    order: Order,
    *,
    provider: str = "sandbox",
    provider_ref: str | None = None,
    status: str = PaymentStatus.OPEN,
) -> Payment:
    """A payment opened at the provider for the whole order."""
    ref = provider_ref if provider_ref is not None else f"sbx_{next(_references):016d}test"
    return Payment.objects.create(
        order=order,
        provider=provider,
        provider_ref=ref,
        status=status,
        amount_cents=order.total_cents,
        paid_at=timezone.now() if status == PaymentStatus.PAID else None,
    )
