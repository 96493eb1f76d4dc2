"""Public view of the analytics app: the exit redirect (the dashboard is in staff_views.py)."""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from cll.analytics.middleware import EXIT_ATTRIBUTE
from cll.analytics.services import outbound_destination


@require_safe
def exit_redirect(request: HttpRequest, token: str) -> HttpResponse:
    """Leave the site for a destination we signed (``{% outbound_url %}``); anything else is
    a 404, so this is no open redirect."""
    url = outbound_destination(token=token)
    if url is None:
        raise Http404
    # Recorded by the access-log middleware, in the clickstream only when the visitor allows it.
    setattr(request, EXIT_ATTRIBUTE, url)
    response = HttpResponseRedirect(url)
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response
