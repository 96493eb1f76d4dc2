"""Reading the body of a notification another server POSTs to us (payment provider, mail
provider), within a size limit: their notifications are a few kilobytes, and reading an
unbounded body would let anyone make a worker hold megabytes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def webhook_body(request: HttpRequest, *, max_bytes: int) -> bytes | HttpResponse:
    """The request's body, or the answer to send instead: 400 for a malformed length, 413 for
    a body larger than ``max_bytes`` (declared or read: a missing or false Content-Length
    cannot make it read more)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse("bad length", status=400, content_type="text/plain")
    if declared > max_bytes:
        return HttpResponse("too large", status=413, content_type="text/plain")
    body = request.read(max_bytes + 1)
    if len(body) > max_bytes:
        return HttpResponse("too large", status=413, content_type="text/plain")
    return body
