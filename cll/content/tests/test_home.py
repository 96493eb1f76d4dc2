"""The home page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cll.content.tests.factories import make_news_item
from cll.courses.tests.factories import make_language, make_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading", "courses_link"),
    [
        ("fr", "Apprenez une langue avec des professeurs passionnés", "Cours"),
        ("en", "Learn a language with people who love teaching it", "Courses"),
        ("nl", "Leer een taal van docenten met passie voor lesgeven", "Cursussen"),
    ],
)
def test_it_renders_in_each_language(client, language, heading, courses_link):
    make_session(featured=True, title="alpha")
    make_news_item(title="hello")

    response = client.get(f"/{language}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert heading in html
    assert f">{courses_link}</a>" in html
    assert f"{language.upper()} alpha" in html
    assert f"{language.upper()} hello" in html


def test_it_sends_the_bare_address_to_a_language(client):
    response = client.get("/", headers={"accept-language": "nl"})

    assert response.status_code == 302
    assert response["Location"] == "/nl/"


def test_it_shows_featured_sessions_and_the_next_ones_in_date_order(client):
    # Featured sessions used to come first whatever their date (issue 11, item 9).
    make_session(title="plain")
    make_session(featured=True, title="star", first_day=timezone.localdate() + dt.timedelta(30))

    sessions = client.get("/en/").context["featured_sessions"]

    assert [session.title_en for session in sessions] == ["EN plain", "EN star"]


def test_it_counts_the_open_sessions_of_each_language(client):
    english = make_language("en")
    make_session(language=english)
    make_session(language=english)
    make_session(language=english, published=False)
    make_language("de")

    html = client.get("/en/").content.decode()

    assert "2 sessions" in html
    assert "No open session" in html


def test_it_costs_the_same_queries_whatever_the_content(client):
    make_session(featured=True)
    with CaptureQueriesContext(connection) as few:
        client.get("/fr/")

    for index in range(20):
        make_session(featured=index % 2 == 0, language=make_language(["en", "nl", "de"][index % 3]))
        make_news_item()
    with CaptureQueriesContext(connection) as many:
        client.get("/fr/")

    # Languages, featured sessions, the next ones to fill up, news; plus the page cache's
    # version read (the content changed, so the page is rendered again).
    assert len(many) <= len(few) <= 5
