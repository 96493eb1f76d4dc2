"""Pages shown to a signed-in person are never stored (cll/core/middleware.py): the headers
written at once are those of Django's own functions, which still handle a page that set its
own caching headers."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.cache import add_never_cache_headers, patch_cache_control

from cll.core.middleware import NoStoreForAuthenticatedMiddleware

SIGNED_IN = SimpleNamespace(is_authenticated=True)


def _django(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def _served(response: HttpResponse, user) -> HttpResponse:
    request = RequestFactory().get("/")
    request.user = user
    return NoStoreForAuthenticatedMiddleware(lambda request: response)(request)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Cache-Control": "max-age=60, public"}, {"Expires": "Thu, 01 Jan 2099 00:00:00 GMT"}],
    ids=["none", "cache-control", "expires"],
)
def test_a_signed_in_persons_page_gets_djangos_never_cache_headers(headers, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.5)  # both in the same second
    expected = _django(HttpResponse(headers=headers))
    served = _served(HttpResponse(headers=headers), SIGNED_IN)
    assert served["Cache-Control"] == expected["Cache-Control"]
    assert served["Expires"] == expected["Expires"]
    assert "no-store" in served["Cache-Control"] and "private" in served["Cache-Control"]


def test_a_visitors_page_is_left_as_it_is():
    served = _served(HttpResponse(), AnonymousUser())
    assert not served.has_header("Cache-Control") and not served.has_header("Expires")
