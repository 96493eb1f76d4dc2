"""Pages of the consent app: cookie settings."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def cookie_settings(request):
    # The names and lifetimes shown are the ones the site really uses (read from settings).
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": "session",
            "days": settings.SESSION_COOKIE_AGE // 86400,
        },
        {
            "name": settings.CSRF_COOKIE_NAME,
            "purpose": "csrf",
            "days": settings.CSRF_COOKIE_AGE // 86400,
        },
    ]
    return render(request, "content/pages/cookie_settings.html", {"cookies": cookies})


@require_safe
def gpc_json(request):
    """Global Privacy Control support statement (https://privacycg.github.io/gpc-spec/)."""
    from django.http import JsonResponse

    return JsonResponse({"gpc": True, "lastUpdate": "2026-11-25"})
