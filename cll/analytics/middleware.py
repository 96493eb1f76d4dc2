"""Access-log middleware (log files as the privacy policy describes them).

On the request path it only measures the response time and appends one small tuple
(``logbuffer.Event``) to an in-process buffer; a background thread spools the buffer to files
(``logbuffer``, ``spool``) and the task worker parses, hashes and inserts them. Static files and
the health check are not logged. ``capture`` runs on every request: keep it to attribute reads,
dictionary lookups and one tuple.

Lawfulness (Belgian rules, ../shared/reference/privacy-law.md): the technical log is kept for
security and operations under legitimate interest. The clickstream linkage (visitor and visit
hashes, exit links) is captured only when ``visitor_allows(request, "analytics")``, which
is never the case under Do Not Track or Global Privacy Control, whatever was clicked. The answer
comes from the consent app through the privacy kernel (``cll.privacy.visitor``): analytics imports
no feature app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter, time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from cll.analytics.events import Event
from cll.analytics.logbuffer import buffer
from cll.core.urlscrub import path_without_secrets
from cll.lib.clientip import request_client_ip
from cll.privacy.visitor import visitor_allows

logger = logging.getLogger(__name__)

# Bound once: the request path saves the attribute lookups.
_add = buffer.add
_new_event = tuple.__new__

# The exit redirect view leaves the destination here for the middleware to record.
EXIT_ATTRIBUTE = "analytics_exit_url"


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.ACCESS_LOG_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.skipped = tuple(
            prefix for prefix in (settings.STATIC_URL, "/health", "/favicon.ico") if prefix
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = perf_counter()
        response = self.get_response(request)
        try:
            self.capture(request, response, started)
        except Exception:
            logger.exception("access log: request not captured")
        return response

    def capture(self, request: HttpRequest, response: HttpResponse, started: float) -> None:
        ended = perf_counter()
        path = request.path
        if path.startswith(self.skipped):
            return
        meta = request.META
        get = meta.get
        ip = request_client_ip(request)
        status = response.status_code
        method = request.method or ""
        # Only what can enter the clickstream needs the consent question: page views and exits
        # (pages already asked it for the page cache's key: memoised on the request).
        if method == "GET" and 200 <= status < 400 and visitor_allows(request, "analytics"):
            clickstream = True
            session_key = getattr(getattr(request, "session", None), "session_key", None)
            exit_url = getattr(request, EXIT_ATTRIBUTE, "")
        else:
            clickstream = False
            session_key = None
            exit_url = ""
        # tuple.__new__ builds the Event without running its Python-level __new__ (0.13 instead
        # of 0.33 µs); the fields are in Event's order.
        _add(
            _new_event(
                Event,
                (
                    time(),
                    method[:8],
                    # Tokens of e-mailed links (and of exit links) never reach the log.
                    path_without_secrets(path, request.resolver_match)[:500],
                    status,
                    ip[:45],
                    get("HTTP_USER_AGENT", "")[:512],
                    get("HTTP_ACCEPT_LANGUAGE", "")[:64],
                    get("HTTP_REFERER", "")[:1000],
                    int((ended - started) * 1000),
                    clickstream,
                    session_key,
                    exit_url,
                ),
            )
        )
