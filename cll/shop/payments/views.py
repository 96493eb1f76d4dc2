"""Payment pages: the provider's webhook, the page the buyer comes back to, trying again, and
the sandbox's test-mode payment page. Thin: the rules are in ``services``."""

from __future__ import annotations

import logging
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.lib.clientip import request_client_ip
from cll.lib.webhooks import webhook_body
from cll.shop.models import OrderStatus, PaymentStatus
from cll.shop.payments import registry, sandbox, selectors, services
from cll.shop.payments.base import ProviderError, WebhookRejected

logger = logging.getLogger(__name__)

# Providers' notifications are a few kilobytes; anything larger is not one of them.
WEBHOOK_MAX_BYTES = 64 * 1024
# How often the "being confirmed" page asks again (seconds).
PENDING_REFRESH_SECONDS = 5


@csrf_exempt
@require_POST
def payment_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's notification. No CSRF token (the provider is not a browser of ours): the
    adapter authenticates the request itself. 400 when it does not authenticate, 404 for a
    provider we do not use, 503 when the provider cannot be asked (it retries), 429 for a
    client that sent too many refused ones lately, else 200."""
    ip = request_client_ip(request)
    if services.webhook_rejections_exceeded(ip=ip):
        return HttpResponse("too many refused", status=429, content_type="text/plain")
    body = webhook_body(request, max_bytes=WEBHOOK_MAX_BYTES)
    if isinstance(body, HttpResponse):
        return body
    try:
        services.webhook_receive(provider_name=provider, body=body, headers=request.headers)
    except registry.UnknownProvider:
        raise Http404 from None
    except WebhookRejected as exc:
        services.webhook_rejection_count(ip=ip)
        logger.warning("Rejected %s webhook: %s", provider, exc)
        return HttpResponse("rejected", status=400, content_type="text/plain")
    except ProviderError:
        logger.warning("%s webhook: the provider could not be asked.", provider, exc_info=True)
        return HttpResponse("try again later", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _return_state(payment) -> str:
    if payment.status == PaymentStatus.PAID:
        if not selectors.payment_settles_order(payment=payment):
            return "duplicate"
        placed = payment.order.status in {OrderStatus.PAID, OrderStatus.REFUNDED}
        return "paid" if placed else "unplaced"
    if payment.status == PaymentStatus.PENDING:
        return "pending"
    if payment.status == PaymentStatus.OPEN:
        return "open"
    return "failed"


@login_required
@never_cache
@require_GET
def payment_return(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Where the provider sends the buyer back. Its state comes from our records, and from
    the provider while the payment is unsettled — never from the query string, which anyone
    can write."""
    payment = selectors.payment_get_for(user=request.user, public_id=public_id)
    if payment is None:
        raise Http404
    if payment.status in services.UNSETTLED:
        try:
            services.payment_refresh(payment=payment)
        except ProviderError:
            logger.info("Return page: payment %s could not be asked about.", payment)
        payment = selectors.payment_get_for(user=request.user, public_id=public_id)
    order = payment.order
    state = _return_state(payment)
    can_retry = (
        state in {"open", "failed"}
        and order.status == OrderStatus.PENDING
        and order.hold_until > timezone.now()
    )
    return render(
        request,
        "shop/payments/return.html",
        {
            "payment": payment,
            "order": order,
            "state": state,
            "can_retry": can_retry,
            "refresh_seconds": PENDING_REFRESH_SECONDS if state == "pending" else None,
        },
    )


@login_required
@require_POST
def payment_retry(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Pay the order of ``public_id`` again, with a new payment at the provider."""
    payment = selectors.payment_get_for(user=request.user, public_id=public_id)
    if payment is None:
        raise Http404
    try:
        url = services.payment_start(order=payment.order, request=request)
    except services.PaymentNotPossible as exc:
        messages.error(request, exc.message)
        return redirect("shop:payment_return", public_id=payment.public_id)
    return redirect(url)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def sandbox_pay(request: HttpRequest, ref: str) -> HttpResponse:
    """The sandbox provider's payment page (test mode): each button sends the signed webhook
    a provider would, then goes back to the return page. Absent where the sandbox is not
    usable (production)."""
    try:
        registry.provider_get(sandbox.NAME)
    except registry.UnknownProvider:
        raise Http404 from None
    payment = selectors.sandbox_payment_get_for(user=request.user, provider_ref=ref)
    if payment is None:
        raise Http404
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in sandbox.OUTCOMES:
            return render(
                request,
                "shop/sandbox/pay.html",
                {"payment": payment, "order": payment.order, "invalid": True},
                status=400,
            )
        # A page left open in another tab cannot answer a payment twice.
        if payment.status == PaymentStatus.OPEN:
            body, headers = sandbox.webhook_build(payment=payment, outcome=outcome)
            services.webhook_receive(provider_name=sandbox.NAME, body=body, headers=headers)
        return redirect("shop:payment_return", public_id=payment.public_id)
    return render(request, "shop/sandbox/pay.html", {"payment": payment, "order": payment.order})
