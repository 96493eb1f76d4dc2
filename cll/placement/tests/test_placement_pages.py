"""The placement test's pages: without an account, scored on the server, the key never sent,
nothing stored for a visitor but the session, instructions in the interface language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cll.courses.models import Language, Level
from cll.courses.tests.factories import make_language, make_session
from cll.placement.questions import BANKS, LEVELS
from cll.placement.selectors import SESSION_KEY
from cll.placement.tests.helpers import answers_with, post_stage, take_test

pytestmark = pytest.mark.django_db


@pytest.fixture
def languages():
    Language.objects.get_or_create(
        code="fr",
        defaults={"name_fr": "Français", "name_en": "French", "name_nl": "Frans"},
    )
    return [make_language("en"), make_language("nl"), make_language("de")]


def _url(name: str, *args, ui: str = "fr") -> str:
    with translation.override(ui):
        return reverse(f"placement:{name}", args=args)


def test_it_is_at_the_documented_urls():
    assert _url("home") == "/fr/placement-test/"
    assert _url("stage", "en", ui="nl") == "/nl/placement-test/en/"


def test_it_lists_the_languages_taught_that_have_a_test(client, languages):
    page = client.get(_url("home", ui="en")).content.decode()
    assert 'href="/en/placement-test/en/"' in page
    assert 'href="/en/placement-test/nl/"' in page
    assert 'href="/en/placement-test/fr/"' in page
    # German is taught but has no question bank yet.
    assert "/placement-test/de/" not in page


def test_it_answers_404_for_a_language_without_a_test(client, languages):
    assert client.get(_url("stage", "de")).status_code == 404
    assert client.get("/fr/placement-test/xx/").status_code == 404
    Language.objects.filter(code="nl").delete()
    # A bank for a language no longer taught: no test either.
    assert client.get(_url("stage", "nl")).status_code == 404


@pytest.mark.parametrize(
    ("ui", "instructions"),
    [
        ("fr", "Lisez le texte"),
        ("en", "Read the text"),
        ("nl", "Lees de tekst"),
    ],
)
def test_it_writes_instructions_in_the_interface_language_and_questions_in_the_tested_one(
    client, languages, ui, instructions
):
    page = client.get(_url("stage", "fr", ui=ui)).content.decode()
    assert instructions in page
    assert "Où habite Léa" in page
    assert '<legend class="consent-choices__legend" lang="fr">' in page
    assert '<blockquote class="notice" lang="fr">' in page


def test_it_groups_each_questions_choices_in_a_fieldset(client, languages):
    page = client.get(_url("stage", "en")).content.decode()
    assert page.count('<legend class="consent-choices__legend" lang="en">') == 4
    for number in range(1, 5):
        assert f'for="q{number}-0"' in page


def _radio_tags(page: str) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*type=\"radio\"[^>]*>", page):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        # Without what must differ between choices, every choice must look the same.
        tags.setdefault(name, []).append(re.sub(r' (value|id)="[^"]*"', "", tag))
    return tags


def test_it_never_sends_the_answer_key(client, languages):
    for stage in range(len(LEVELS)):
        page = client.get(_url("stage", "en")).content.decode()
        tags = _radio_tags(page)
        assert len(tags) == 4
        for choices in tags.values():
            assert len(set(choices)) == 1, choices
            assert "checked" not in choices[0]
            assert "data-" not in choices[0]
        post_stage(client, "en", stage, answers_with("en", stage, 4))


def test_it_scores_on_the_server_and_shows_the_level(client, languages):
    response = take_test(client, "en", [4, 4, 3, 1])
    assert response.status_code == 302
    assert response["Location"] == _url("result", "en")
    page = client.get(response["Location"]).content.decode()
    assert "B1" in page
    assert str(Level.B1.label) in page
    assert "Vous comprenez les points essentiels" in page


def test_it_moves_to_the_next_stage_after_a_pass(client, languages):
    response = post_stage(client, "nl", 0, answers_with("nl", 0, 3))
    assert response["Location"] == _url("stage", "nl")
    page = client.get(response["Location"]).content.decode()
    assert "Étape 2 sur 6" in page
    assert BANKS["nl"].stages[1].questions[0].prompt in page


def test_it_shows_the_questions_again_with_an_error_when_one_is_unanswered(client, languages):
    response = client.post(_url("stage", "en"), {"stage": "0", "q1": "1", "q2": "2"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Veuillez choisir une réponse." in page
    assert 'aria-invalid="true"' in page
    # The answers given are kept on the page; nothing was scored.
    assert 'value="1" id="q1-1" checked' in page
    assert SESSION_KEY not in client.session


def test_it_scores_nothing_for_answers_to_another_stage(client, languages):
    response = post_stage(client, "en", 3, answers_with("en", 3, 4))
    assert response.status_code == 302
    assert response["Location"] == _url("stage", "en")
    assert SESSION_KEY not in client.session
    response = client.post(_url("stage", "en"), {"stage": "junk", "q1": "9"})
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


def test_it_refuses_a_choice_that_is_not_shown(client, languages):
    response = client.post(
        _url("stage", "en"), {"stage": "0", "q1": "7", "q2": "0", "q3": "0", "q4": "0"}
    )
    assert response.status_code == 200
    assert "Veuillez choisir une des réponses proposées." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_sends_an_unfinished_test_back_to_its_questions(client, languages):
    assert client.get(_url("result", "en"))["Location"] == _url("stage", "en")


def test_it_starts_again(client, languages):
    take_test(client, "en", [4, 1])
    response = client.post(_url("restart", "en"))
    assert response["Location"] == _url("stage", "en")
    assert SESSION_KEY not in client.session
    assert client.get(_url("restart", "en")).status_code == 405


def test_it_recommends_open_sessions_of_the_language_and_level(client, languages):
    english, dutch = languages[0], languages[1]
    wanted = make_session(language=english, level=Level.B1, title="Wanted B1")
    make_session(language=english, level=Level.B2, title="Other level")
    make_session(language=dutch, level=Level.B1, title="Other language")
    make_session(
        language=english,
        level=Level.B1,
        title="Ended",
        first_day=timezone.localdate() - dt.timedelta(days=90),
    )
    take_test(client, "en", [4, 4, 4, 2])
    page = client.get(_url("result", "en", ui="en")).content.decode()
    assert wanted.title_en in page
    assert "Other level" not in page
    assert "Other language" not in page
    assert "Ended" not in page
    assert "/en/courses/?language=en&amp;level=B1" in page or "language=en&amp;level=B1" in page


def test_it_says_so_when_no_session_matches(client, languages):
    take_test(client, "en", [4, 4, 4, 4, 4, 4])
    page = client.get(_url("result", "en", ui="en")).content.decode()
    assert "No English C2 session is open at the moment." in page


def test_it_tells_a_beginner_to_start_at_a1(client, languages):
    take_test(client, "fr", [1])
    page = client.get(_url("result", "fr", ui="nl")).content.decode()
    assert "Uw geschatte niveau in het Frans: A1" in page
    assert "voor beginners (A1)" in page


def test_it_stores_nothing_but_the_session_for_a_visitor(client, languages):
    """A whole test taken without an account: the session is the only row written."""
    with CaptureQueriesContext(connection) as queries:
        client.get(_url("home"))
        client.get(_url("stage", "en"))
        take_test(client, "en", [4, 4, 1])
        client.get(_url("result", "en"))
        client.post(_url("restart", "en"))
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]
    assert writes
    assert all('"django_session"' in sql for sql in writes), writes


def test_it_offers_a_visitor_to_sign_in_to_save_the_level(client, languages):
    take_test(client, "en", [4, 1])
    page = client.get(_url("result", "en", ui="en")).content.decode()
    assert "Sign in to save my level" in page
    assert "/en/account/login/?next=%2Fen%2Fplacement-test%2Fen%2Fresult%2F" in page
    assert "placement-agree" not in page


def test_it_is_linked_from_the_catalogue_filters(client, languages):
    with translation.override("en"):
        page = client.get(reverse("courses:session_list")).content.decode()
    assert '<a class="link-arrow" href="/en/placement-test/">' in page
    assert "Not sure of your level? Take the placement test" in page
