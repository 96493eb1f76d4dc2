"""Sessions suggested to a signed-in learner: from their languages, level, objectives, site and
past enrolments, each with its reason; none when switched off, restricted or objected to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from cll.accounts.models import LearnerProfile
from cll.accounts.services import profile_create
from cll.core import encryption as crypto
from cll.courses.models import Format, Level
from cll.courses.tests.factories import make_language, make_session, make_site
from cll.rights.services import objection_set, restriction_lift, restriction_set
from cll.shop.models import Enrolment, EnrolmentStatus
from cll.shop.recommendations import recommendation_list_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def english():
    return make_language("en")


@pytest.fixture
def dutch():
    return make_language("nl")


def _profile(user, **data):
    return profile_create(user=user, data={"first_name": "A", "last_name": "B", **data})


def _titles(user, **kwargs) -> list[str]:
    with translation.override("en"):
        return [item.session.title_en for item in recommendation_list_for(user=user, **kwargs)]


def _ended(language, level, *, site=None, title="Past"):
    return make_session(
        language=language,
        level=level,
        site=site,
        title=title,
        first_day=TODAY - dt.timedelta(days=120),
    )


def test_it_suggests_sessions_in_the_learners_language_and_level(alice, english, dutch):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1, title="Right")
    make_session(language=english, level=Level.B2, title="Other level")
    make_session(language=dutch, level=Level.B1, title="Other language")
    with translation.override("en"):
        [suggestion] = recommendation_list_for(user=alice)
    assert suggestion.session.title_en == "EN Right"
    assert suggestion.reasons == ("English, at the level your profile gives (B1).",)


def test_it_translates_the_reasons(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1)
    with translation.override("nl"):
        [suggestion] = recommendation_list_for(user=alice)
    assert suggestion.reasons == ("Engels, op het niveau uit uw profiel (B1).",)


def test_it_reads_language_names_as_people_write_them(alice, english, dutch):
    german = make_language("de")
    _profile(alice, learning_languages="Anglais et néerlandais")
    for language in (english, dutch, german):
        make_session(language=language, level=Level.A2, title=language.code)
    assert sorted(_titles(alice)) == ["EN en", "EN nl"]


def test_it_does_not_take_the_dutch_and_for_english(alice, english, dutch):
    german = make_language("de")
    _profile(alice, learning_languages="Nederlands en Duits")
    for language in (english, dutch, german):
        make_session(language=language, level=Level.A2, title=language.code)
    assert sorted(_titles(alice)) == ["EN de", "EN nl"]


def test_it_suggests_nothing_without_a_language(alice, english):
    _profile(alice, level="B1")
    make_session(language=english, level=Level.B1)
    assert recommendation_list_for(user=alice) == []


def test_it_suggests_nothing_to_an_anonymous_visitor(english):
    make_session(language=english)
    assert recommendation_list_for(user=AnonymousUser()) == []


def test_it_suggests_nothing_when_the_learner_switched_them_off(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1)
    assert len(recommendation_list_for(user=alice)) == 1
    LearnerProfile.objects.filter(user=alice).update(recommendations_enabled=False)
    assert recommendation_list_for(user=alice) == []


def test_it_is_on_by_default(alice):
    assert _profile(alice).recommendations_enabled is True


def test_it_suggests_nothing_while_processing_is_restricted(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1)
    restriction_set(subject=alice, actor=alice)
    assert recommendation_list_for(user=alice) == []
    restriction_lift(subject=alice, actor=alice)
    assert len(recommendation_list_for(user=alice)) == 1


def test_it_suggests_nothing_after_an_objection_to_marketing(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1)
    objection_set(subject=alice, purpose="marketing", actor=alice)
    assert recommendation_list_for(user=alice) == []


def test_it_never_suggests_a_session_already_enrolled_in_started_or_ended(alice, english):
    # C2, the last level: sessions of the learner's own level stay candidates after it.
    _profile(alice, learning_languages="en", level="C2")
    enrolled = make_session(language=english, level=Level.C2, title="Enrolled")
    withdrawn = make_session(language=english, level=Level.C2, title="Withdrawn")
    Enrolment.objects.create(session=enrolled, learner=alice)
    Enrolment.objects.create(session=withdrawn, learner=alice, status=EnrolmentStatus.WITHDRAWN)
    _ended(english, Level.C2, title="Ended")
    make_session(
        language=english,
        level=Level.C2,
        title="Started",
        first_day=TODAY - dt.timedelta(days=10),
        hours=40,
    )
    make_session(language=english, level=Level.C2, title="Open")
    assert _titles(alice) == ["EN Open"]


def test_it_leaves_out_company_training_and_childrens_holiday_courses(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1, format=Format.COMPANY, title="Company")
    make_session(language=english, level=Level.B1, format=Format.HOLIDAY, title="Holiday")
    make_session(language=english, level=Level.B1, format=Format.ONLINE, title="Online")
    assert _titles(alice) == ["EN Online"]


def test_it_suggests_the_next_level_after_a_completed_session(alice, english):
    _profile(alice, learning_languages="en", level="A2")
    past = _ended(english, Level.B1, title="Done")
    Enrolment.objects.create(session=past, learner=alice)
    make_session(language=english, level=Level.A2, title="Profile level")
    make_session(language=english, level=Level.B2, title="Next level")
    with translation.override("en"):
        [suggestion] = recommendation_list_for(user=alice)
    assert suggestion.session.title_en == "EN Next level"
    assert suggestion.reasons[0] == "The next level (B2) after “EN Done”, which you followed."


def test_it_suggests_what_follows_a_session_under_way(alice, english):
    _profile(alice, learning_languages="en")
    current = make_session(
        language=english,
        level=Level.A2,
        title="Current",
        first_day=TODAY - dt.timedelta(days=10),
        hours=40,
    )
    Enrolment.objects.create(session=current, learner=alice)
    make_session(language=english, level=Level.B1, title="Too early", first_day=TODAY)
    later = make_session(
        language=english,
        level=Level.B1,
        title="After",
        first_day=current.ends_on + dt.timedelta(days=7),
    )
    with translation.override("en"):
        [suggestion] = recommendation_list_for(user=alice)
    assert suggestion.session == later
    assert suggestion.reasons[0].startswith("The next level (B1), to go on after “EN Current”")


def test_it_prefers_the_site_of_past_sessions(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    woluwe = make_site("woluwe")
    past = _ended(english, Level.A1, site=woluwe)
    Enrolment.objects.create(session=past, learner=alice, status=EnrolmentStatus.ACTIVE)
    # Past A1 makes A2 the next level in English.
    make_session(language=english, level=Level.A2, title="Sooner elsewhere")
    make_session(
        language=english,
        level=Level.A2,
        site=woluwe,
        title="At Woluwe",
        first_day=TODAY + dt.timedelta(days=30),
    )
    with translation.override("en"):
        suggestions = recommendation_list_for(user=alice)
    assert [item.session.title_en for item in suggestions] == [
        "EN At Woluwe",
        "EN Sooner elsewhere",
    ]
    assert "At Woluwe, where you have followed a session before." in suggestions[0].reasons


def test_it_prefers_sessions_that_match_the_objectives(alice, english):
    _profile(
        alice,
        learning_languages="en",
        level="B1",
        objectives="Présenter mon travail en anglais lors de réunions.",
    )
    make_session(language=english, level=Level.B1, title="Sooner")
    matching = make_session(
        language=english,
        level=Level.B1,
        title="Evening",
        first_day=TODAY + dt.timedelta(days=20),
    )
    matching.description_fr = "Deux soirées par semaine pour progresser après le travail."
    matching.save()
    with translation.override("fr"):
        suggestions = recommendation_list_for(user=alice)
    assert suggestions[0].session == matching
    space = "\N{NO-BREAK SPACE}"
    assert (
        suggestions[0].reasons[-1]
        == f"Elle correspond à vos objectifs{space}: «{space}travail{space}»."
    )


def test_it_suggests_at_most_the_limit_the_next_to_start_first(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    for days in (40, 10, 30, 20):
        make_session(
            language=english,
            level=Level.B1,
            title=f"In {days}",
            first_day=TODAY + dt.timedelta(days=days),
        )
    assert _titles(alice) == ["EN In 10", "EN In 20", "EN In 30"]
    assert _titles(alice, limit=1) == ["EN In 10"]


def test_it_uses_no_other_learners_data(alice, charlie, english):
    _profile(alice, learning_languages="en", level="B1")
    _profile(charlie, learning_languages="en", level="B1")
    taken = make_session(language=english, level=Level.B1, title="Charlie's")
    Enrolment.objects.create(session=taken, learner=charlie)
    restriction_set(subject=charlie, actor=charlie)
    assert _titles(alice) == ["EN Charlie's"]
    assert recommendation_list_for(user=charlie) == []


def test_it_costs_the_same_queries_whatever_the_catalogue(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    Enrolment.objects.create(session=_ended(english, Level.A2), learner=alice)
    counts = []
    for _ in range(2):
        for _ in range(8):
            make_session(language=english, level=Level.B1)
        crypto.data_key_cache_clear()
        with CaptureQueriesContext(connection) as queries:
            assert len(recommendation_list_for(user=alice)) == 3
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_shows_each_suggestion_with_why(alice, english):
    _profile(alice, learning_languages="en", level="B1")
    make_session(language=english, level=Level.B1, title="Card")
    with translation.override("en"):
        html = render_to_string(
            "shop/includes/recommendations.html",
            {"recommendations": recommendation_list_for(user=alice)},
        )
    assert "Suggested for you" in html
    assert "EN Card" in html
    assert "<summary>Why am I seeing this?</summary>" in html
    assert "<li>English, at the level your profile gives (B1).</li>" in html
    assert 'href="/en/account/profile/"' in html


def test_it_shows_nothing_when_there_is_nothing_to_suggest():
    assert (
        render_to_string("shop/includes/recommendations.html", {"recommendations": []}).strip()
        == ""
    )
