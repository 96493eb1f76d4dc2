"""A page's number of SQL queries must not grow with the number of items it lists (no N+1).

Each list page is rendered with few items and with many (a full page, and more than a page so
the paginator counts them), as the person who uses it, and the queries are counted: the counts
must be equal. A related object read per row (``session.site``, ``request.assignee``...) without
``select_related``/``prefetch_related`` adds one query per item and fails here.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cll.courses.tests.factories import make_language, make_session, make_site
from cll.dsar import services as dsar_services
from conftest import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _content_version_read_once(content_version_read_once):
    """Every test here compares query counts (conftest.py)."""


def _queries(client, url: str) -> tuple[int, str]:
    """The number of queries answering ``url`` (after a first request warmed the caches that
    are filled once per process, such as the content types) and the page's HTML."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _sessions(count: int) -> None:
    languages = [make_language(code) for code in ("en", "nl", "de", "es")]
    sites = [
        make_site("louvain-la-neuve"),
        make_site("bruxelles"),
        make_site("en-ligne", online=True),
    ]
    for number in range(count):
        make_session(
            language=languages[number % len(languages)],
            site=sites[number % len(sites)],
            first_day=timezone.localdate() + datetime.timedelta(days=7 + number),
        )


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "learner"])
def test_the_catalogue_reads_as_many_rows_for_12_as_for_48_sessions(client, alice, signed_in):
    if signed_in:
        client.force_login(alice)
    url = reverse("courses:session_list")
    counts, existing = {}, 0
    for total in (3, 12, 48):
        _sessions(total - existing)  # 3, then 12, then 48 sessions in the database
        existing = total
        counts[total], html = _queries(client, url)
        listed = len(re.findall(r'href="/\w\w/courses/[^"/]+/"', html))
        assert listed >= min(total, 12), f"{total} sessions, {listed} links to a session"
    assert counts[3] == counts[12] == counts[48], counts


def test_the_staff_request_queue_reads_as_many_rows_for_5_as_for_50_requests(client, dora):
    staff_login(client, dora)
    url = reverse("dsar_staff:request_list")
    counts, existing = {}, 0
    for total in (5, 50):
        for number in range(existing, total):
            dsar_services.request_enter(
                actor=dora,
                type=("access", "erasure", "rectification")[number % 3],
                email=f"person{number}@example.org",
                details="",
                language=("fr", "en", "nl")[number % 3],
                channel="email",
                received_at=timezone.now() - datetime.timedelta(days=number % 20),
                identity_verified=bool(number % 2),
            )
        existing = total
        counts[total], html = _queries(client, url)
        listed = len(set(re.findall(rf'href="{re.escape(url)}([0-9a-f-]{{36}})/"', html)))
        assert listed == total, f"{total} requests, {listed} listed"
    assert counts[5] == counts[50], counts
