"""No secret of an e-mailed link survives in the access log or in the application log.

The routes are read from the URLconf: every route with a capture that ``cll.core.urlscrub``
treats as secret (anything but int, uuid, slug and public) is requested with a random token,
with and without its trailing slash, with our own page carrying a token as referrer and another
site's URL carrying one; the tokens must then be nowhere in the stored blocks (decompressed),
the daily aggregates, the spool or what the log handler printed.
"""

from __future__ import annotations

import io
import logging
import secrets
import uuid
import zlib

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation

from cll.analytics import logbuffer, services
from cll.analytics.events import Event
from cll.analytics.models import AccessLogBlock, DailyAggregate
from cll.core import urlscrub

pytestmark = pytest.mark.django_db

# Routes known to carry e-mailed bearer tokens: the URLconf walk must find each of them.
KNOWN_TOKEN_ROUTES = (
    "privacy-requests/verify/<str:token>/",
    "account/erase/cancel/<str:token>/",
    "account/consent/<str:token>/",
    "confirm-email/(?P<key>",
    "password/reset/key/(?P<uidb36>",
    "go/<str:token>/",
)
KEPT_VALUES = {"int": 7, "uuid": uuid.UUID(int=7), "slug": "english-a2", "public": "2026-11"}


def _routes(patterns=None, prefix="", namespace=""):
    """(route, qualified name) of every named URL pattern."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), namespace + pattern.name


def _token() -> str:
    # Letters and digits only, so that every regular-expression capture accepts it.
    return f"Tk{secrets.token_hex(12)}Zq"


def _secret_urls() -> list[tuple[str, list[str]]]:
    """(URL, its tokens) of every route with a secret capture that can carry a token."""
    urls = []
    for route, name in _routes():
        secret = urlscrub.secret_names(route)
        if not secret:
            continue
        kwargs, tokens = {}, []
        for capture in urlscrub._CAPTURE.finditer(route):
            if capture["name"] in secret:
                kwargs[capture["name"]] = _token()
                tokens.append(kwargs[capture["name"]])
            else:
                kwargs[capture["name"]] = KEPT_VALUES[capture["converter"]]
        with translation.override("fr"):
            try:
                urls.append((reverse(name, kwargs=kwargs), tokens))
            except NoReverseMatch:
                # A capture restricted to fixed words (the admin's app labels) cannot carry
                # a token: nothing to leak.
                continue
    return urls


@pytest.fixture
def printed_log():
    """What the console handler (with its filter, as configured in settings) prints."""
    handler = logging.getLogger("django").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def _stored_text() -> str:
    """Everything the access log stores, decompressed, and the aggregates."""
    parts = []
    for block in AccessLogBlock.objects.all():
        parts.append(zlib.decompress(bytes(block.data)).decode("ascii", "replace"))
        if block.clickstream is not None:
            parts.append(zlib.decompress(bytes(block.clickstream)).decode("ascii", "replace"))
        parts.append(block.ips)
    parts.extend(DailyAggregate.objects.values_list("key", flat=True))
    return "\n".join(parts)


def test_it_finds_every_known_token_route_in_the_urlconf():
    routes = [route for route, _name in _routes() if urlscrub.secret_names(route)]
    for known in KNOWN_TOKEN_ROUTES:
        assert any(known in route for route in routes), known


def test_it_keeps_no_token_of_any_route_in_the_logs(printed_log):
    urls = _secret_urls()
    assert len(urls) >= len(KNOWN_TOKEN_ROUTES)
    client = Client(raise_request_exception=False)
    tokens = []
    for url, url_tokens in urls:
        own_page, elsewhere = _token(), _token()
        tokens += [*url_tokens, own_page, elsewhere]
        referrers = {
            "HTTP_REFERER": f"http://testserver/fr/account/erase/cancel/{own_page}/?k={own_page}"
        }
        client.get(url, **referrers)
        client.get(url.rstrip("/"), HTTP_REFERER=f"https://mail.example.net/{elsewhere}/?t=1")
    assert logbuffer.flush() == 2 * len(urls)
    services.aggregates_compute(day=timezone.localdate())

    stored = _stored_text()
    assert "/fr/privacy-requests/verify/<token>/" in stored
    assert "https://mail.example.net/" in stored
    printed = printed_log.getvalue()
    assert "Not Found: /fr/go/<token>/" in printed
    for token in tokens:
        assert token not in stored
        assert token not in printed


def test_it_keeps_ordinary_identifiers_readable():
    assert urlscrub.path_without_secrets("/fr/courses/english-a2/") == "/fr/courses/english-a2/"
    assert urlscrub.path_without_secrets("/nl/privacy-requests/verify/Ab_9/") == (
        "/nl/privacy-requests/verify/<token>/"
    )
    assert urlscrub.path_without_secrets("/en/account/password/reset/key/3f-Ab:cd/") == (
        "/en/account/password/reset/key/<uidb36>-<key>/"
    )
    # Unknown to the URLconf: only readable segments stay.
    assert urlscrub.path_without_secrets("/fr/nothing-here/Xy_Z/12345/") == (
        "/fr/nothing-here/<id>/<id>/"
    )


def test_it_scrubs_a_log_stored_before_secrets_were_kept_out():
    token, own_page, elsewhere = _token(), _token(), _token()
    now = timezone.now().timestamp()
    services.access_events_ingest(
        events=[
            Event(
                now,
                "GET",
                f"/fr/privacy-requests/verify/{token}/",
                200,
                "203.0.113.9",
                "Mozilla/5.0 Firefox/128.0",
                "fr",
                f"http://testserver/fr/account/erase/cancel/{own_page}/",
                3,
            ),
            Event(
                now,
                "GET",
                "/fr/courses/",
                200,
                "203.0.113.9",
                "Mozilla/5.0 Firefox/128.0",
                "fr",
                f"https://mail.example.net/{elsewhere}/",
                3,
            ),
        ]
    )
    # What older code stored: the raw path (the referrer below is cleaned on ingestion now).
    assert token in _stored_text()
    services.aggregates_compute(day=timezone.localdate())

    assert services.access_log_scrub() == (1, 0)
    stored = _stored_text()
    for secret in (token, own_page, elsewhere):
        assert secret not in stored
    assert "/fr/privacy-requests/verify/<token>/" in stored
    # The rest of the log is intact, and a second run has nothing left to do.
    assert [row.path for row in services.log_rows()] == [
        "/fr/privacy-requests/verify/<token>/",
        "/fr/courses/",
    ]
    assert services.access_log_scrub() == (0, 0)


def test_it_scrubs_aggregates_of_days_whose_blocks_are_gone():
    day = timezone.localdate()
    DailyAggregate.objects.create(
        day=day, dimension="page", key="/fr/privacy-requests/verify/lowercase-token/", count=2
    )
    DailyAggregate.objects.create(
        day=day, dimension="page", key="/fr/privacy-requests/verify/<id>/", count=3
    )
    assert services.access_log_scrub() == (0, 1)
    row = DailyAggregate.objects.get(day=day, dimension="page")
    assert (row.key, row.count) == ("/fr/privacy-requests/verify/<id>/", 5)
