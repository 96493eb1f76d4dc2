"""The demo content command."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cll.content.models import NewsItem
from cll.courses.models import Course, Language, Session, Site

pytestmark = pytest.mark.django_db


def load(**options) -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Language, Site, Session, Course, NewsItem)
    }


def test_it_loads_a_realistic_catalogue():
    load(sessions=12)

    assert Session.objects.filter(is_published=True).count() == 12
    assert Site.objects.filter(is_online=True).count() == 1
    assert set(Language.objects.values_list("code", flat=True)) >= {"en", "nl", "de", "es", "fr"}
    assert NewsItem.objects.published().count() >= 3
    for session in Session.objects.prefetch_related("courses"):
        minutes = sum(course.duration_minutes for course in session.courses.all())
        assert minutes >= session.hours * 60
        assert session.title_fr and session.title_en and session.title_nl


def test_it_is_idempotent_and_grows_on_demand():
    load(sessions=6)
    first = counts()

    load(sessions=6)
    assert counts() == first

    load(sessions=9)
    assert counts()["Session"] == 9


def test_it_creates_no_personal_data():
    load(sessions=3)

    assert get_user_model().objects.count() == 0
