"""Where one-time messages ("Your choice is saved") wait for the next page.

Django's default storage (a cookie, the session when the cookie is full), with one change: the
``messages`` cookie is also deleted with the Secure, HttpOnly and SameSite flags it was set
with. Django deletes it with a bare ``Set-Cookie: messages=""; expires=1970``, which a scanner
(wapiti, docs/security.md) reports as a cookie without flags; the value is empty and expired,
but every cookie this site sends carries the same flags, deleted or not.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage


class FlaggedCookieStorage(CookieStorage):
    def _update_cookie(self, encoded_data, response):
        if encoded_data:
            return super()._update_cookie(encoded_data, response)
        response.set_cookie(
            self.cookie_name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            domain=settings.SESSION_COOKIE_DOMAIN,
            secure=settings.SESSION_COOKIE_SECURE or None,
            httponly=settings.SESSION_COOKIE_HTTPONLY or None,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
        return None


class MessageStorage(FallbackStorage):
    """``MESSAGE_STORAGE``: the cookie first, the session for what does not fit."""

    storage_classes = (FlaggedCookieStorage, SessionStorage)
