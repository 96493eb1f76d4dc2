"""Error pages (generic, never a traceback) and the health endpoint."""

from __future__ import annotations

import logging

from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cll.core.health import health_details_allowed, run_checks

logger = logging.getLogger(__name__)


def _error(request, status: int, title: str, message: str):
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _error(
        request, 403, _("Access denied"), _("You do not have permission to see this page.")
    )


def page_not_found(request, exception=None):
    return _error(
        request, 404, _("Page not found"), _("The page you are looking for does not exist.")
    )


def server_error(request):
    title = _("Something went wrong")
    message = _("An unexpected error occurred. Our team has been told; please try again later.")
    try:
        return _error(request, 500, title, message)
    except Exception:
        # The site's frame could not be drawn (it reads the signed-in person, so a database
        # outage breaks it too): a page without it still answers, styled and translated.
        logger.exception("The full error page could not be rendered; sent the bare one.")
        body = render_to_string(
            "errors/bare.html", {"status": 500, "title": title, "message": message}
        )
        return HttpResponseServerError(body)


def csrf_failure(request, reason=""):
    # The reason goes to the log for operators, never to the page.
    logger.warning("CSRF failure: %s", reason)
    return _error(
        request,
        403,
        _("Form expired"),
        _(
            "This form has expired or was sent from another site. Go back, reload the page and "
            "try again."
        ),
    )


@never_cache
@require_GET
def health(request):
    """Liveness and readiness for load balancers: 200 when every dependency answers, else 503.

    Anyone gets the status; which check failed and how long each took (a map of our internals,
    and a timing oracle) only signed-in staff and a request made on this machine
    (``health_details_allowed``).
    """
    results = run_checks()
    healthy = all(result["ok"] for result in results.values())
    body = {"status": "ok" if healthy else "degraded"}
    if health_details_allowed(request):
        body["checks"] = results
    return JsonResponse(body, status=200 if healthy else 503)


def hello(request):
    """The benchmark's baseline: the cheapest page the same server and middleware can give."""
    return HttpResponse("Hello, world", content_type="text/plain")
