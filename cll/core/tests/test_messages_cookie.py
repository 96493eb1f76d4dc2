"""The ``messages`` cookie carries its flags when it is set and when it is deleted (the DAST
finding of docs/security.md: wapiti saw Django's bare deletion header)."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from cll.core.messages import MessageStorage


def _storage_with(cookie_value: str | None):
    request = RequestFactory().get("/")
    if cookie_value is not None:
        request.COOKIES["messages"] = cookie_value
    request.session = {}
    return request, MessageStorage(request)


@override_settings(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_HTTPONLY=True)
def test_it_deletes_the_messages_cookie_with_secure_httponly_and_samesite():
    # A message set on one response...
    request, storage = _storage_with(None)
    storage.add(20, "Saved.")
    first = HttpResponse()
    storage.update(first)
    set_cookie = first.cookies["messages"]
    assert set_cookie.value
    assert set_cookie["secure"] and set_cookie["httponly"] and set_cookie["samesite"] == "Lax"

    # ...read on the next one: the cookie is deleted, with the same flags.
    request, storage = _storage_with(set_cookie.value)
    request._messages = storage
    assert [str(m) for m in get_messages(request)] == ["Saved."]
    second = HttpResponse()
    storage.update(second)
    deleted = second.cookies["messages"]
    assert deleted.value == ""
    assert deleted["max-age"] == 0
    assert deleted["secure"] is True
    assert deleted["httponly"] is True
    assert deleted["samesite"] == "Lax"


def test_it_is_the_site_message_storage(settings):
    assert settings.MESSAGE_STORAGE == "cll.core.messages.MessageStorage"
