"""What the catalogue and a session's page say about where a session stands in time: listed in
date order, started ones marked, ended ones hidden (the home page: cll/content/tests/
test_home_sessions.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import override

from cll.courses.models import Session
from cll.courses.tests.factories import make_language, make_session

pytestmark = pytest.mark.django_db


def days(count: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=count)


def started(**kwargs) -> Session:
    # Twenty lessons twice a week from about two weeks ago: under way for weeks to come.
    return make_session(first_day=days(-14), hours=40, **kwargs)


def ended(**kwargs) -> Session:
    return make_session(first_day=days(-90), hours=4, **kwargs)


def titles(sessions) -> list[str]:
    return [session.title_en for session in sessions]


def cards(html: str) -> list[str]:
    """The session cards of a page, in order (one <article> each)."""
    return html.split('<article class="card session-card">')[1:]


# -- The catalogue --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "badge"), [("fr", "Commencée"), ("en", "Started"), ("nl", "Begonnen")]
)
def test_it_marks_started_sessions_in_the_catalogue(client, language, badge):
    make_session(first_day=days(10), title="soon")
    started(title="running")

    html = client.get(f"/{language}/courses/").content.decode()

    running, soon = cards(html)
    assert f"{language.upper()} running" in running and badge in running
    assert f"{language.upper()} soon" in soon and badge not in soon


def test_it_lists_the_catalogue_by_start_date_and_hides_ended_sessions(client):
    make_session(first_day=days(30), title="later")
    ended(title="over")
    started(title="running")
    make_session(first_day=days(2), title="next")

    response = client.get("/en/courses/")

    sessions = response.context["sessions"]
    assert titles(sessions) == ["EN running", "EN next", "EN later"]
    assert [session.has_started for session in sessions] == [True, False, False]
    assert "EN over" not in response.content.decode()


def test_it_marks_started_sessions_among_the_related_ones(client):
    english = make_language("en")
    main = make_session(language=english, first_day=days(10), title="main")
    started(language=english, title="running")

    with override("en"):
        url = main.get_absolute_url()
    response = client.get(url)

    (card,) = cards(response.content.decode())
    assert "EN running" in card and "Started" in card


def test_it_costs_the_same_queries_with_started_and_upcoming_sessions(client):
    make_session(first_day=days(5))
    with CaptureQueriesContext(connection) as few_catalogue:
        client.get("/en/courses/")
    with CaptureQueriesContext(connection) as few_home:
        client.get("/en/")

    for index in range(10):
        started(featured=index % 2 == 0)
        make_session(first_day=days(5 + index), featured=index % 3 == 0)
        ended()
    with CaptureQueriesContext(connection) as many_catalogue:
        client.get("/en/courses/")
    with CaptureQueriesContext(connection) as many_home:
        client.get("/en/")

    assert len(many_catalogue) == len(few_catalogue)
    assert len(many_home) == len(few_home)


# -- A session's page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("fr", "Cette session a déjà commencé"),
        ("en", "This session has already started"),
        ("nl", "Deze sessie is al begonnen"),
    ],
)
def test_it_says_on_its_page_that_a_session_has_started(client, language, notice):
    running = started(title="running")
    soon = make_session(first_day=days(10), title="soon")
    over = ended(title="over")

    with override(language):
        pages = {s: client.get(s.get_absolute_url()).content.decode() for s in (running, soon)}
        over_page = client.get(over.get_absolute_url()).content.decode()

    assert notice in pages[running]
    assert notice not in pages[soon]
    assert notice not in over_page


@pytest.mark.parametrize(
    ("language", "caption"),
    [("fr", "3 séances"), ("en", "3 lessons"), ("nl", "3 lessen")],
)
def test_it_counts_the_lessons_of_a_session(client, language, caption):
    session = make_session(hours=6)

    with override(language):
        html = client.get(session.get_absolute_url()).content.decode()

    assert f"<caption>{caption}</caption>" in html
    assert "courses</caption>" not in html
