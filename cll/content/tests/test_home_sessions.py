"""The home page's "Upcoming sessions": only sessions that have not started, by start date,
featured ones chosen first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.content.views import HOME_SESSIONS
from cll.courses import selectors
from cll.courses.models import Session
from cll.courses.tests.factories import make_session

pytestmark = pytest.mark.django_db


def days(count: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=count)


def titles(sessions) -> list[str]:
    return [session.title_en for session in sessions]


def test_it_shows_only_sessions_that_have_not_started_on_the_home_page(client):
    make_session(first_day=days(10), title="soon")
    make_session(first_day=days(-14), hours=40, title="running", featured=True)
    make_session(first_day=days(-90), title="over", featured=True)

    sessions = client.get("/en/").context["featured_sessions"]

    assert titles(sessions) == ["EN soon"]


def test_it_lists_the_home_page_sessions_by_start_date(client):
    make_session(first_day=days(40), title="late", featured=True)
    make_session(first_day=days(5), title="early")
    make_session(first_day=days(20), title="middle", featured=True)

    response = client.get("/en/")

    assert titles(response.context["featured_sessions"]) == ["EN early", "EN middle", "EN late"]
    html = response.content.decode()
    assert html.index("EN early") < html.index("EN middle") < html.index("EN late")


def test_it_prefers_featured_sessions_when_the_home_page_is_full(client):
    for index in range(HOME_SESSIONS):
        make_session(first_day=days(3 + index), title=f"plain {index}")
    make_session(first_day=days(60), title="star", featured=True)

    sessions = client.get("/en/").context["featured_sessions"]

    assert len(sessions) == HOME_SESSIONS
    assert titles(sessions)[-1] == "EN star"
    assert "EN plain 5" not in titles(sessions)
    assert [s.starts_on for s in sessions] == sorted(s.starts_on for s in sessions)


def test_it_counts_a_session_starting_today_as_upcoming():
    session = make_session(first_day=days(3), title="today")
    Session.objects.filter(pk=session.pk).update(starts_on=timezone.localdate())

    home = selectors.featured_session_list_for()
    catalogue = list(selectors.session_list_for())

    assert titles(home) == ["EN today"]
    assert [s.has_started for s in catalogue] == [False]
