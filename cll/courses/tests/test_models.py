"""Database constraints and model behaviour of the catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils.translation import override

from cll.courses.models import Course, Language, Site
from cll.courses.tests.factories import make_language, make_session, make_site

pytestmark = pytest.mark.django_db


def refuses(callable_) -> bool:
    try:
        with transaction.atomic():
            callable_()
    except IntegrityError:
        return True
    return False


def test_it_refuses_a_session_ending_before_it_starts():
    session = make_session()
    session.ends_on = session.starts_on - dt.timedelta(days=1)

    assert refuses(session.save)


@pytest.mark.parametrize(
    ("field", "value"),
    [("hours", 0), ("capacity", 0), ("level", "D1"), ("format", "telepathy")],
)
def test_it_refuses_impossible_session_values(field, value):
    session = make_session()
    setattr(session, field, value)

    assert refuses(session.save)


def test_it_refuses_a_course_ending_before_it_starts():
    session = make_session()

    assert refuses(
        lambda: Course.objects.create(
            session=session,
            date=session.starts_on,
            starts_at=dt.time(10),
            ends_at=dt.time(9),
        )
    )


def test_it_refuses_two_courses_of_a_session_in_the_same_slot():
    session = make_session()
    course = session.courses.first()

    assert refuses(
        lambda: Course.objects.create(
            session=session, date=course.date, starts_at=course.starts_at, ends_at=course.ends_at
        )
    )


def test_it_refuses_a_language_code_in_capitals():
    assert refuses(
        lambda: Language.objects.create(code="EN", name_fr="a", name_en="b", name_nl="c")
    )


@pytest.mark.parametrize(("online", "address"), [(True, "Somewhere 1"), (False, "")])
def test_it_wants_an_address_for_a_building_and_none_online(online, address):
    assert refuses(
        lambda: Site.objects.create(
            slug="x", name_fr="x", name_en="x", name_nl="x", is_online=online, address=address
        )
    )


def test_translated_text_follows_the_active_language():
    language = make_language("nl")

    for code, name in [("fr", "Néerlandais"), ("en", "Dutch"), ("nl", "Nederlands")]:
        with override(code):
            assert language.name == name
            assert str(language) == name


def test_translated_text_falls_back_to_french():
    session = make_session(title="alpha")
    session.title_nl = ""

    with override("nl"):
        assert session.title == "FR alpha"


def test_absolute_urls_use_public_identifiers():
    session = make_session()
    course = session.courses.first()
    site = make_site("woluwe")

    with override("en"):
        assert session.get_absolute_url() == f"/en/courses/{session.slug}/"
        assert course.get_absolute_url() == f"/en/courses/{session.slug}/#{course.anchor}"
        assert make_language("nl").get_absolute_url() == "/en/courses/?language=nl"
        assert site.get_absolute_url() == "/en/courses/?site=woluwe"
