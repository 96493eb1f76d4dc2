"""ACCEPTANCE (issue 11, item 2): people read the retention rules as plain sentences in their
language. Every French and Dutch page that shows retention texts (the public privacy page, the
staff retention page, the data export's index.html) and the erasure pages are fetched, and each
fails when it holds:

- the English text of any retention rule of the data map (generic: compared with the English
  rendering of the same rules, so a rule added later without a translation fails here);
- a setting name (``CLL_...``) or a command name (``manage.py``): operators' details live in the
  README, not in what people read.

Item 3 (the erasure pages name what a person recognises, from the data map's titles) is checked
on the same pages: every title the erasure plan shows is there in the page's language, and no
model name of the database is.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from django.test import Client
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import ngettext_lazy

from cll.erasure.engine import erasure_plan
from cll.erasure.tests.helpers import erasure_page_urls
from cll.privacy import datamap
from cll.rights import export, services
from cll.rights.tasks import export_build
from conftest import staff_login

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "nl")
# Operators' words: a setting (CLL_EXPORT_EXPIRY_DAYS) or a command line (manage.py prune_outbox).
OPERATOR_WORDS = re.compile(r"\bCLL_[A-Z_]+|manage\.py")


def _test_only(entry: datamap.ModelMap) -> bool:
    """Models the test settings add (tests/testapp, the OpenID provider of tests/oidc)."""
    return entry.model.__module__.startswith(("tests.", "oauth2_provider."))


def _rules_people_read() -> list[str]:
    """Every retention rule, except those only test-only models use."""
    test_only = {r.retention for e in datamap.entries() if _test_only(e) for r in e.fields.values()}
    used = {r.retention for e in datamap.entries() if not _test_only(e) for r in e.fields.values()}
    return sorted(set(datamap.RETENTION) - (test_only - used))


def _english_texts() -> dict[str, str]:
    with translation.override("en"):
        return {key: datamap.RETENTION[key].description for key in _rules_people_read()}


def _text(page: str) -> str:
    """What a reader sees: entities decoded (an apostrophe is &#x27; in the markup)."""
    return html.unescape(page)


def assert_plain_language(page: str, language: str, where: str) -> None:
    text = _text(page)
    words = OPERATOR_WORDS.findall(text)
    assert not words, f"{where} ({language}) shows operators' words: {words}"
    with translation.override(language):
        translated = {key: datamap.RETENTION[key].description for key in _rules_people_read()}
    for key, english in _english_texts().items():
        if translated[key] == english:
            pytest.fail(f"Retention rule {key!r} has no {language} translation: {english!r}")
        assert english not in text, f"{where} ({language}) shows rule {key!r} in English"


# -- The rules themselves ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_it_words_every_retention_rule_without_operators_details(language):
    with translation.override(language):
        for key in _rules_people_read():
            text = datamap.RETENTION[key].description
            assert text.strip(), key
            assert not OPERATOR_WORDS.search(text), f"{key}: {text}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_translates_every_retention_rule(language):
    english = _english_texts()
    with translation.override(language):
        for key in _rules_people_read():
            assert datamap.RETENTION[key].description != english[key], key


def test_the_check_sees_an_english_text_and_an_operators_word():
    english = next(iter(_english_texts().values()))
    with pytest.raises(AssertionError, match="in English"):
        assert_plain_language(f"<p>{html.escape(english)}</p>", "fr", "a page")
    with pytest.raises(AssertionError, match="operators' words"):
        assert_plain_language("<p>Run manage.py prune_outbox daily.</p>", "fr", "a page")
    with pytest.raises(AssertionError, match="operators' words"):
        assert_plain_language("<p>Set CLL_EXPORT_EXPIRY_DAYS.</p>", "nl", "a page")


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [
        ("en", "after 1 day;", "after 90 days;"),
        ("fr", "après 1 jour ;", "après 90 jours ;"),
        ("nl", "na 1 dag verwijderd", "na 90 dagen verwijderd"),
    ],
)
def test_it_counts_days_with_the_plural_of_the_language(language, one, many):
    # The access-log rule's own message (cll/analytics/privacy.py), with one and many days.
    def rule(days: int) -> str:
        return str(
            format_lazy(
                ngettext_lazy(
                    "The lines of the website's access log are deleted after {days} day; only "
                    "daily totals are kept.",
                    "The lines of the website's access log are deleted after {days} days; only "
                    "daily totals are kept.",
                    days,
                ),
                days=days,
            )
        )

    with translation.override(language):
        assert one in rule(1)
        assert many in rule(90)


# -- The pages people read ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_privacy_page_speaks_the_language(client, language):
    response = client.get(f"/{language}/privacy/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="what-we-collect"' in page
    with translation.override(language):
        assert datamap.RETENTION["account"].description in _text(page)
    assert_plain_language(page, language, "/privacy/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_staff_retention_page_speaks_the_language(client, dora, language):
    staff_login(client, dora)
    response = client.get(f"/{language}/staff/privacy/retention/")
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override(language):
        for key in _rules_people_read():
            assert datamap.RETENTION[key].description in _text(page), key
    assert_plain_language(page, language, "/staff/privacy/retention/")


@pytest.fixture
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def _export_index(person, language: str) -> str:
    with translation.override(language):
        job = services.export_start(subject=person)
    export_build.call(str(job.public_id))
    job.refresh_from_db()
    path = export.export_dir() / job.file_name
    data = b"".join(export.sealed_chunks(path, subject=person.public_id))
    return zipfile.ZipFile(io.BytesIO(data)).read("index.html").decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_export_index_speaks_the_language(alice, export_dir, language):
    page = _export_index(alice, language)
    assert f'<html lang="{language}">' in page
    with translation.override(language):
        assert datamap.RETENTION["account"].description in _text(page)
        # Each table is headed by what people call the rows, not by a model's name.
        assert datamap.entry_for("accounts.User").display_name in _text(page)
    assert_plain_language(page, language, "index.html")


def _erasure_titles(language: str) -> set[str]:
    with translation.override(language):
        return {plan.entry.display_name for plan in erasure_plan() if not _test_only(plan.entry)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_erasure_pages_name_what_people_recognise(gina, language):
    client = Client()
    urls = erasure_page_urls(client, gina, language)
    titles = _erasure_titles(language)
    for url in urls:
        assert url.startswith(f"/{language}/")
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        text = _text(page)
        assert_plain_language(page, language, url)
        for title in titles:
            assert title in text, f"{url} lacks {title!r}"
        # Names of database tables, translated or not, and the naive plural of "clé de données".
        for model_name in ("Authenticators", "User sessions", "Clé de donnéess", "donnéess"):
            assert model_name not in text, f"{url} shows {model_name!r}"
        for plan in erasure_plan():
            if plan.entry.title:
                with translation.override(language):
                    plural = str(plan.model._meta.verbose_name_plural)
                if plural.casefold() != str(plan.entry.display_name).casefold():
                    assert f">{plural[:1].upper()}{plural[1:]} <" not in page, (url, plural)
