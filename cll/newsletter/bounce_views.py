"""The mail provider's bounce and complaint notifications (``newsletter:bounce_webhook``).

Authentication: the provider sends ``Authorization: Bearer <NEWSLETTER_BOUNCE_SECRET>``; the
secret is compared in constant time. No secret configured: the endpoint does not exist (404,
whatever the method). No CSRF token (the provider is not a browser of ours): the secret is the
proof.

The body is JSON, at most ``WEBHOOK_MAX_BYTES``: ``{"type": "bounce" | "complaint",
"email": "<address>", "permanent": true | false}``. A permanent bounce or a complaint
suppresses the address for every list (``bounces.notice_apply``); a soft bounce is only
counted. The answer is JSON ``{"outcome": "suppressed" | "soft" | "ignored"}``; 400 for a body
that is not such an object, 401 for a wrong secret.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from cll.lib.webhooks import webhook_body
from cll.newsletter import bounces

logger = logging.getLogger(__name__)

# A notification is a few hundred bytes; anything larger is not one of them.
WEBHOOK_MAX_BYTES = 16 * 1024


def _authorised(request: HttpRequest, secret: str) -> bool:
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Constant time: the answer's timing says nothing about how much of the secret matched.
    return hmac.compare_digest(given.strip().encode(), secret.encode())


def _notice(body: bytes) -> bounces.Notice | None:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    kind, address, permanent = data.get("type"), data.get("email"), data.get("permanent", False)
    if kind not in bounces.KINDS or not isinstance(address, str) or len(address) > 254:
        return None
    if not isinstance(permanent, bool):
        return None
    return bounces.Notice(kind=kind, email=address, permanent=permanent)


@csrf_exempt
@never_cache
def bounce_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.NEWSLETTER_BOUNCE_SECRET
    if not secret:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _authorised(request, secret):
        return HttpResponse("unauthorised", status=401, content_type="text/plain")
    body = webhook_body(request, max_bytes=WEBHOOK_MAX_BYTES)
    if isinstance(body, HttpResponse):
        return body
    notice = _notice(body)
    if notice is None:
        return HttpResponse("bad notification", status=400, content_type="text/plain")
    outcome = bounces.notice_apply(notice=notice, channel=bounces.CHANNEL_WEBHOOK)
    if outcome == bounces.SOFT:
        # Counted in the log (no address): the sender retries a soft bounce by itself.
        logger.info("Newsletter soft bounce received.")
    return JsonResponse({"outcome": outcome})
