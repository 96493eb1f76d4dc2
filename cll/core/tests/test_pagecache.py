"""Public pages come from the cache with a fresh nonce each time, and never go stale."""

from __future__ import annotations

import re

import pytest
from django.db.models import F

from cll.core import pagecache
from cll.courses.tests.factories import make_session
from conftest import PASSWORD

NONCE = re.compile(r'nonce="([^"]+)"')


def _nonces(response) -> tuple[str, str]:
    header = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])[1]
    return header, NONCE.search(response.content.decode())[1]


def test_it_serves_the_same_page_with_a_fresh_nonce_each_time(client, db):
    make_session(title="Anglais du soir")
    first = client.get("/fr/courses/")
    second = client.get("/fr/courses/")

    first_header, first_body = _nonces(first)
    second_header, second_body = _nonces(second)
    assert first_header == first_body
    assert second_header == second_body
    assert first_body != second_body
    assert first.content.decode().replace(first_body, "N") == second.content.decode().replace(
        second_body, "N"
    )
    assert "Anglais du soir" in second.content.decode()
    assert "Cookie" in second.headers["Vary"]


def test_it_answers_a_hit_without_rendering(client, db, django_assert_num_queries):
    client.get("/fr/courses/")
    # The version is read from the database at most once a second; this hit needs nothing.
    with django_assert_num_queries(0):
        assert client.get("/fr/courses/").status_code == 200


def test_it_shows_a_change_at_once(client, db):
    assert "Allemand intensif" not in client.get("/fr/courses/").content.decode()
    make_session(title="Allemand intensif")
    assert "Allemand intensif" in client.get("/fr/courses/").content.decode()


def test_it_retires_pages_in_other_processes_within_a_second(client, db, monkeypatch):
    client.get("/fr/courses/")
    version = pagecache.content_version()
    # Another process (the admin's) bumped the version: this one learns it once its copy of
    # the version is older than VERSION_TTL.
    pagecache.PublicContentVersion.objects.filter(pk=1).update(version=F("version") + 1)
    assert pagecache.content_version() == version
    monkeypatch.setattr(pagecache, "VERSION_TTL", 0)
    assert pagecache.content_version() != version


def test_it_keeps_languages_apart(client, db):
    assert client.get("/fr/courses/").headers["Content-Language"] == "fr"
    english = client.get("/en/courses/")
    assert english.headers["Content-Language"] == "en"
    assert 'lang="en"' in english.content.decode()


@pytest.fixture
def page_cache_calls(monkeypatch):
    """Keys the page cache asks for or stores (the session may use the cache too, on Redis)."""
    calls: list[str] = []
    get, set_ = pagecache.cache.get, pagecache.cache.set

    def spy_get(key, *args, **kwargs):
        if key.startswith("page:"):
            calls.append(f"get {key}")
        return get(key, *args, **kwargs)

    def spy_set(key, *args, **kwargs):
        if key.startswith("page:"):
            calls.append(f"set {key}")
        return set_(key, *args, **kwargs)

    monkeypatch.setattr(pagecache.cache, "get", spy_get)
    monkeypatch.setattr(pagecache.cache, "set", spy_set)
    return calls


def test_it_never_serves_a_cached_page_to_a_signed_in_person(client, alice, page_cache_calls):
    client.get("/fr/")
    assert [call.split()[0] for call in page_cache_calls] == ["get", "set"]
    client.login(email=alice.email, password=PASSWORD)

    response = client.get("/fr/")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    assert len(page_cache_calls) == 2


def test_it_does_not_cache_errors(client, db, page_cache_calls):
    assert client.get("/fr/courses/no-such-session/").status_code == 404
    assert [call.split()[0] for call in page_cache_calls] == ["get"]


def test_it_drops_parameters_the_page_does_not_use(client, db):
    response = client.get("/fr/courses/?utm_source=news&level=B1&fbclid=x")
    assert response.status_code == 301
    assert response.headers["Location"] == "/fr/courses/?level=B1"
    assert client.get("/fr/?ref=x").headers["Location"] == "/fr/"


def test_it_shares_one_entry_between_equivalent_queries(client, db, page_cache_calls):
    client.get("/fr/courses/?language=&level=B1&format=")
    client.get("/fr/courses/?level=B1")
    keys = [call.split()[1] for call in page_cache_calls]
    assert [call.split()[0] for call in page_cache_calls] == ["get", "set", "get"]
    assert len(set(keys)) == 1
