"""The page of one session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

from cll.courses.tests.factories import make_language, make_session

pytestmark = pytest.mark.django_db


def url_in(language: str, session) -> str:
    with override(language):
        return session.get_absolute_url()


@pytest.mark.parametrize(
    ("language", "title", "price", "timetable"),
    [
        ("fr", "FR alpha", "390,00\N{NO-BREAK SPACE}€", "Horaire"),
        ("en", "EN alpha", "€390.00", "Timetable"),
        ("nl", "NL alpha", "€\N{NO-BREAK SPACE}390,00", "Uurrooster"),
    ],
)
def test_it_renders_in_each_language(client, language, title, price, timetable):
    session = make_session(title="alpha")

    response = client.get(url_in(language, session))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{title}</h1>" in html
    assert price in html
    assert timetable in html


def test_it_lists_every_course_of_the_session(client):
    session = make_session(hours=6)

    response = client.get(session.get_absolute_url())

    courses = response.context["courses"]
    assert len(courses) == 3
    html = response.content.decode()
    for course in courses:
        assert f'id="{course.anchor}"' in html


def test_its_address_carries_the_public_slug_not_the_primary_key(client):
    session = make_session()

    assert session.slug in session.get_absolute_url()
    assert f"/{session.pk}/" not in session.get_absolute_url()


def test_it_answers_404_for_an_unknown_slug(client):
    response = client.get("/fr/courses/no-such-session/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert "Traceback" not in html
    assert "errors/error.html" in [template.name for template in response.templates]


def test_it_answers_404_for_an_unpublished_session(client):
    session = make_session(published=False)

    response = client.get(session.get_absolute_url())

    assert response.status_code == 404


def test_it_says_when_a_session_has_ended(client):
    session = make_session(first_day=timezone.localdate() - dt.timedelta(days=60))

    response = client.get(url_in("en", session))

    assert response.status_code == 200
    assert "This session has ended" in response.content.decode()


def test_it_suggests_other_sessions_in_the_same_language(client):
    english = make_language("en")
    session = make_session(language=english, title="main")
    make_session(language=english, title="sibling")
    make_session(language=make_language("nl"), title="stranger")

    response = client.get(url_in("en", session))

    related = {other.title_en for other in response.context["related_sessions"]}
    assert related == {"EN sibling"}


def test_it_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    session = make_session(hours=40)

    # Three to render, one for the seats left (the shop's panel), one for the page cache's
    # version.
    with django_assert_max_num_queries(5):
        client.get(session.get_absolute_url())
