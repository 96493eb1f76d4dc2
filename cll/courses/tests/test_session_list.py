"""The public catalogue: filters, visibility, translations and a constant query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cll.courses.models import Format, Level
from cll.courses.tests.factories import make_language, make_session, make_site
from cll.courses.views import SESSIONS_PER_PAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    english, dutch = make_language("en"), make_language("nl")
    lln, online = make_site("louvain-la-neuve"), make_site("online", online=True)
    return {
        "english_a2": make_session(language=english, level=Level.A2, site=lln, title="alpha"),
        "english_b1_online": make_session(
            language=english, level=Level.B1, format=Format.ONLINE, site=online, title="beta"
        ),
        "dutch_a1": make_session(language=dutch, level=Level.A1, site=lln, title="gamma"),
    }


def titles(response) -> set[str]:
    return {session.title_en for session in response.context["sessions"]}


@pytest.mark.parametrize(
    ("language", "heading", "title"),
    [
        ("fr", "Cours et sessions", "FR alpha"),
        ("en", "Courses and sessions", "EN alpha"),
        ("nl", "Cursussen en sessies", "NL alpha"),
    ],
)
def test_it_renders_in_each_language(client, catalogue, language, heading, title):
    response = client.get(f"/{language}/courses/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert title in html


def test_it_lists_every_open_session_without_filters(client, catalogue):
    response = client.get("/en/courses/")

    assert titles(response) == {"EN alpha", "EN beta", "EN gamma"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("language=nl", {"EN gamma"}),
        ("level=B1", {"EN beta"}),
        ("format=online", {"EN beta"}),
        ("site=louvain-la-neuve", {"EN alpha", "EN gamma"}),
        ("language=en&site=louvain-la-neuve", {"EN alpha"}),
        ("language=en&level=C2", set()),
    ],
)
def test_it_filters(client, catalogue, query, expected):
    response = client.get(f"/en/courses/?{query}")

    assert response.status_code == 200
    assert titles(response) == expected


def test_it_ignores_unknown_filter_values(client, catalogue):
    response = client.get("/en/courses/?language=xx&level=Z9&format=<script>&site=moon")

    assert response.status_code == 200
    assert titles(response) == {"EN alpha", "EN beta", "EN gamma"}
    assert "&lt;script&gt;" not in response.content.decode()


def test_it_says_when_nothing_matches(client, catalogue):
    response = client.get("/en/courses/?level=C2")

    assert "No session matches these filters" in response.content.decode()


def test_it_hides_unpublished_and_ended_sessions(client, catalogue):
    make_session(published=False, title="draft")
    make_session(first_day=timezone.localdate() - dt.timedelta(days=60), title="over")

    response = client.get("/en/courses/")

    assert titles(response) == {"EN alpha", "EN beta", "EN gamma"}


def test_it_paginates_and_keeps_the_filters_in_page_links(client):
    english = make_language("en")
    for _ in range(SESSIONS_PER_PAGE + 1):
        make_session(language=english)

    first = client.get("/en/courses/?language=en")
    second = client.get("/en/courses/?language=en&page=2")

    assert len(first.context["sessions"]) == SESSIONS_PER_PAGE
    assert "?language=en&amp;page=2" in first.content.decode()
    assert len(second.context["sessions"]) == 1


def test_it_costs_the_same_queries_whatever_the_number_of_sessions(
    client, django_assert_max_num_queries
):
    make_session(language=make_language("en"))
    with CaptureQueriesContext(connection) as few:
        client.get("/fr/courses/")

    for index in range(30):
        make_session(
            language=make_language("en" if index % 2 else "nl"),
            site=make_site("woluwe" if index % 3 else "louvain-la-neuve"),
        )
    with CaptureQueriesContext(connection) as many:
        client.get("/fr/courses/")
    # Four to render, one for the page cache's version.
    with django_assert_max_num_queries(5):
        client.get("/fr/courses/?language=nl&level=A2&format=group&site=woluwe")

    assert len(many) == len(few) <= 5
