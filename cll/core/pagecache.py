"""A cache of rendered public pages, safe with per-response CSP nonces.

Public pages (home, catalogue, news) are the same for every anonymous visitor except for the
CSP nonce, which must be new in every response. A page is rendered once, its nonce replaced by
a placeholder, and stored; each hit puts the request's own fresh nonce back (a string
replacement, microseconds) while the CSP middleware sends the same nonce in the header. The
cached body is therefore byte-for-byte what the view would have rendered.

What is never cached: anything for a signed-in person (their pages are ``no-store``), a
response that sets a cookie, uses the CSRF token or carries a pending message, and anything
but a 200 to GET/HEAD.

Freshness: the key includes the time of the last change to public content
(``PublicContentVersion.changed_at``, set in the same transaction as the change by
``bump_on_change``) and today's date (what "upcoming" means). A time, unlike a counter, is never
reused after a rollback, so a page rendered inside a transaction that rolled back cannot be
mistaken for a later version. The process that made the change sees it at once; the others read
the version at most once per ``VERSION_TTL`` seconds, so a change shows everywhere within that
time. ``PAGE_TTL`` bounds how long an unused page occupies the cache.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.middleware.csp import get_nonce
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from cll.core.models import PublicContentVersion

VERSION_TTL = 1.0
PAGE_TTL = 600
# Stands for the nonce inside cached bodies; cannot occur in a real nonce (base64url alphabet).
_PLACEHOLDER = "\x00csp-nonce\x00"
_KEPT_HEADERS = ("Content-Type", "Content-Language")

_version_lock = threading.Lock()
_version: tuple[float, str] = (float("-inf"), "")
# Per-visitor parts of the key (``vary_key_on``), each with a handful of possible values.
_key_parts: list[Callable[[HttpRequest], str]] = []


def vary_key_on(part: Callable[[HttpRequest], str]) -> None:
    """Make cached pages depend on ``part(request)`` too (call from an app's ready()).

    Used by the consent app: the banner and the consented tags differ with the visitor's
    cookie choice and DNT/GPC signal. ``part`` must be cheap (no query) and take few values.
    """
    if part not in _key_parts:
        _key_parts.append(part)


def content_version() -> str:
    """The current public-content version, read from the database at most once a second."""
    global _version
    read_at, version = _version
    now = time.monotonic()
    if now - read_at < VERSION_TTL:
        return version
    with _version_lock:
        row = PublicContentVersion.objects.filter(pk=1).values_list("version", "changed_at").first()
        version = f"{row[0]}.{row[1].timestamp():.6f}" if row else ""
        _version = (now, version)
    return version


def content_changed() -> None:
    """Retire every cached public page (call inside the transaction that changed content)."""
    global _version
    updated = PublicContentVersion.objects.filter(pk=1).update(
        version=F("version") + 1, changed_at=timezone.now()
    )
    if not updated:
        PublicContentVersion.objects.get_or_create(pk=1, defaults={"version": 1})
    # This process sees its own change at once (inside its transaction too), not after
    # VERSION_TTL; other processes see it once committed.
    _forget_version()


def _forget_version() -> None:
    global _version
    _version = (float("-inf"), "")


def bump_on_change(*models) -> None:
    """Connect saves and deletes of these models to ``content_changed`` (call from ready())."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=model, dispatch_uid=f"pagecache:{model._meta.label}")


def _changed(sender, **kwargs) -> None:
    if not kwargs.get("raw"):  # fixtures load raw rows; the version row may not exist yet
        content_changed()


def _cacheable_request(request: HttpRequest) -> bool:
    # Without a session cookie the visitor is anonymous and has no session-stored messages;
    # checking the cookie spares the session lookup that request.user would cost.
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
    )


def _key(request: HttpRequest, allowed: frozenset[str]) -> str:
    # Equivalent queries share one entry: empty values dropped, parameters sorted.
    query = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name in allowed
        for value in values
        if value
    )
    raw = f"{request.path}?{urlencode(query)}"
    digest = hashlib.sha256(raw.encode()).hexdigest()[:32]
    today = timezone.localdate().isoformat()
    visitor = ".".join(part(request) for part in _key_parts)
    return f"page:{content_version()}:{get_language()}:{today}:{visitor}:{digest}"


def _without_unknown_parameters(request: HttpRequest, allowed: frozenset[str]) -> str | None:
    """The URL without the query parameters this page does not use, if it had any."""
    if all(name in allowed for name in request.GET):
        return None
    kept = [
        (name, value) for name, value in parse_qsl(request.META["QUERY_STRING"]) if name in allowed
    ]
    return request.path + (f"?{urlencode(kept)}" if kept else "")


def public_page(
    view: Callable[..., HttpResponse] | None = None, *, params: tuple[str, ...] = ()
) -> Callable[..., HttpResponse]:
    """Serve this view from the page cache to anonymous visitors (see the module docstring).

    ``params`` are the query parameters the page understands. A request carrying any other one
    (``utm_source``, ``fbclid``, junk) is redirected to the same URL without it: tracking
    parameters are dropped, and nobody can make the site render and store one copy of a page
    per made-up URL.
    """
    allowed = frozenset(params)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            canonical = _without_unknown_parameters(request, allowed)
            if canonical is not None:
                return HttpResponsePermanentRedirect(canonical)
            key = _key(request, allowed)
            nonce = str(get_nonce(request))
            cached = cache.get(key)
            if cached is not None:
                body, headers = cached
                response = HttpResponse(body.replace(_PLACEHOLDER, nonce), headers=headers)
            else:
                response = view(request, *args, **kwargs)
                if _cacheable_response(request, response):
                    headers = {name: response[name] for name in _KEPT_HEADERS if name in response}
                    body = response.content.decode(response.charset).replace(nonce, _PLACEHOLDER)
                    cache.set(key, (body, headers), PAGE_TTL)
            # A signed-in visitor must never get an anonymous visitor's copy from a shared cache.
            patch_vary_headers(response, ["Cookie"])
            return response

        return wrapper

    return decorate(view) if view is not None else decorate
