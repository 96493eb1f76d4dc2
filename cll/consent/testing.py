"""Test-only middleware: any response setting an undeclared cookie fails loudly.

Installed first in ``MIDDLEWARE`` by ``cll/test.py``, so it sees the cookies every other
middleware set. A cookie missing from ``cll/consent/registry.py`` would be missing from the cookie
policy, so it is a bug, not a warning.
"""

from __future__ import annotations

from cll.consent.registry import cookie_for


class UndeclaredCookie(AssertionError):
    pass


class UndeclaredCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        undeclared = sorted(name for name in response.cookies if cookie_for(name) is None)
        if undeclared:
            raise UndeclaredCookie(
                f"{request.method} {request.path} set cookies missing from the cookie registry "
                f"(cll/consent/registry.py): {', '.join(undeclared)}"
            )
        return response
