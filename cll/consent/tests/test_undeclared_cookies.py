"""No response sets a cookie missing from the cookie registry.

The test settings install ``UndeclaredCookieMiddleware`` (cll/test.py), so any test whose
request makes the site set an undeclared cookie fails. This module proves the middleware works
and crawls the public pages (every language) and the main account pages to exercise it.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from cll.consent import registry
from cll.consent.testing import UndeclaredCookie, UndeclaredCookieMiddleware
from cll.consent.tests.helpers import choose
from cll.courses.tests.factories import make_session
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"#]*)')
# Not pages of ours (assets, the admin, the exit redirect) or state changes reached by GET.
SKIPPED = ("/static/", "/media/", "/admin/", "/go/", "/logout")


def test_it_is_active_in_the_test_settings():
    assert settings.MIDDLEWARE[0] == "cll.consent.testing.UndeclaredCookieMiddleware"


def test_it_fails_loudly_on_an_undeclared_cookie():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("tracker", "1")
        return response

    with pytest.raises(UndeclaredCookie, match="tracker"):
        UndeclaredCookieMiddleware(view)(RequestFactory().get("/fr/"))


def test_it_lets_declared_cookies_through():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie(registry.consent_cookie_name(), "x")
        response.delete_cookie("_ga_ABC123")
        return response

    assert UndeclaredCookieMiddleware(view)(RequestFactory().get("/fr/")).status_code == 200


def crawl(client, starts: list[str], limit: int = 120) -> list[str]:
    """Every same-site page reachable from ``starts`` (GET), returning the paths fetched."""
    seen: set[str] = set()
    queue = deque(starts)
    fetched = []
    while queue and len(fetched) < limit:
        path = queue.popleft()
        if path in seen or any(part in path for part in SKIPPED):
            continue
        seen.add(path)
        response = client.get(path)
        fetched.append(path)
        assert response.status_code in (200, 301, 302, 403, 404), (path, response.status_code)
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            url = urlsplit(urljoin(path, href))
            if url.scheme in ("", "http") and url.netloc in ("", "testserver"):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return fetched


def test_it_finds_no_undeclared_cookie_on_public_pages(client):
    make_session(title="Anglais du soir")
    fetched = crawl(client, ["/fr/", "/en/", "/nl/"])
    assert {"/fr/", "/fr/courses/", "/fr/cookies/", "/en/privacy/", "/nl/contact/"} <= set(fetched)
    # The consent choices set cookies too.
    choose(client, "accept_all")
    choose(client, "withdraw", source="settings")
    crawl(client, ["/fr/cookies/"], limit=5)


def test_it_finds_no_undeclared_cookie_on_account_pages(client, alice):
    # Signing in sets the session, CSRF and messages cookies.
    login = client.get("/fr/account/login/")
    assert login.status_code == 200
    response = client.post(
        "/fr/account/login/", {"login": "alice@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert settings.SESSION_COOKIE_NAME in client.cookies
    fetched = crawl(
        client,
        ["/fr/account/profile/", "/fr/account/sessions/", "/fr/account/privacy/", "/fr/cookies/"],
        limit=60,
    )
    assert "/fr/account/profile/" in fetched
    assert any(
        path.startswith("/fr/account/") and path != "/fr/account/profile/" for path in fetched
    )
