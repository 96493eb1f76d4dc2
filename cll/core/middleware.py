"""Response headers every page carries, beyond what Django's SecurityMiddleware sets."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import http_date


class SecurityHeadersMiddleware:
    """Permissions-Policy and Cross-Origin-Resource-Policy on every response."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a signed-in person are never stored by a browser or a shared cache.

    A shared computer's back button or a proxy must not replay someone's personal data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    # What Django's add_never_cache_headers then patch_cache_control(no_store, private) write
    # on a response without caching headers (most pages): set at once, without parsing and
    # writing Cache-Control three times (~20 µs of every signed-in page).
    NEVER = "max-age=0, no-cache, no-store, must-revalidate, private"

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            headers = response.headers
            if "Cache-Control" in headers or "Expires" in headers:
                add_never_cache_headers(response)
                patch_cache_control(response, no_store=True, private=True)
            else:
                headers["Expires"] = http_date()
                headers["Cache-Control"] = self.NEVER
        return response
