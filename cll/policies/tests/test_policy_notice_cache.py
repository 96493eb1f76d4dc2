"""The policy notice on every signed-in page: no query when no material change is due, shown as
soon as one is published (at once in the publishing process, within ``pagecache.VERSION_TTL``
in the others), and never to a person who already answered it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cll.core import pagecache
from cll.policies import services
from cll.policies.models import PolicyResponse
from cll.policies.tests.helpers import published

pytestmark = pytest.mark.django_db

NOTICE = "data-policy-notice"


@pytest.fixture(autouse=True)
def _content_version_read_once(monkeypatch):
    """The content version is read from the database at most once per ``VERSION_TTL``: on a
    busy machine a measured render could pay for that read. Read it once per test (a
    publication in this process still makes it read again, as in production)."""
    monkeypatch.setattr(pagecache, "_version", (float("-inf"), ""))
    monkeypatch.setattr(pagecache, "VERSION_TTL", float("inf"))


def _notice(user) -> str:
    """The notice as the frame of every page renders it for ``user`` (no context processor,
    so only the notice's own queries run)."""
    request = RequestFactory().get("/fr/courses/")
    request.user = user
    return engines["jinja2"].from_string("{{ policy_notice() }}").render({"request": request})


def _later(**delta) -> time_machine.travel:
    return time_machine.travel(timezone.now() + dt.timedelta(**delta), tick=False)


def test_it_reads_nothing_when_no_change_is_due(alice, django_assert_num_queries):
    _notice(alice)  # the first render of the process reads the content version and the dates
    with django_assert_num_queries(0):
        assert NOTICE not in _notice(alice)


def test_it_reads_nothing_for_a_change_older_than_the_objection_period(
    alice, dora, django_assert_num_queries
):
    with _later(minutes=5):
        published(dora)
    with _later(days=31):
        _notice(alice)
        with django_assert_num_queries(0):
            assert NOTICE not in _notice(alice)


def test_it_reads_nothing_for_a_change_published_before_the_person_joined(
    alice, dora, django_assert_num_queries
):
    with _later(days=-2):
        published(dora)
    _notice(alice)
    with django_assert_num_queries(0):
        assert NOTICE not in _notice(alice)


def test_it_reads_no_policy_table_for_a_signed_in_page_without_a_notice(client, alice):
    client.force_login(alice)
    assert client.get("/fr/courses/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/fr/courses/")
    assert response.status_code == 200
    assert NOTICE not in response.content.decode()
    # The notice's two queries: the publication dates of material versions, and the material
    # versions the person has not answered (other apps may ask other things of this table).
    notice_sql = [
        sql
        for sql in (query["sql"] for query in queries.captured_queries)
        if sql.startswith('SELECT "policies_policyversion"."published_at" AS')
        or ("policies_policyresponse" in sql and '"material"' in sql)
    ]
    assert notice_sql == []


def test_it_shows_a_change_published_five_minutes_ago_at_once(alice, dora):
    assert NOTICE not in _notice(alice)  # the dates are now kept, with no material version
    with _later(minutes=5):
        version = published(dora)
    with _later(minutes=10):
        html = _notice(alice)
    assert NOTICE in html
    assert f"/fr/policies/respond/{version.public_id}/" in html


def test_it_shows_the_change_on_a_signed_in_page(client, alice, dora):
    client.force_login(alice)
    assert NOTICE not in client.get("/fr/courses/").content.decode()
    with _later(minutes=5):
        published(dora)
    with _later(minutes=10):
        assert NOTICE in client.get("/fr/courses/").content.decode()


@pytest.mark.parametrize("answer", [services.policy_accept, services.policy_object])
def test_it_does_not_show_a_change_the_person_answered(alice, dora, answer):
    with _later(minutes=5):
        version = published(dora)
    with _later(minutes=10):
        assert NOTICE in _notice(alice)
        answer(user=alice, version=version)
        assert NOTICE not in _notice(alice)


def test_it_still_shows_a_change_the_person_was_only_told_about(alice, dora):
    with _later(minutes=5):
        version = published(dora)
        PolicyResponse.objects.create(version=version, user=alice, notified_at=timezone.now())
    with _later(minutes=10):
        assert NOTICE in _notice(alice)


def test_it_does_not_show_a_change_to_someone_who_joined_after_it(
    dora, django_user_model, django_assert_num_queries
):
    published(dora)
    with _later(minutes=5):
        newcomer = django_user_model.objects.create_user(
            email="newcomer@example.org", password="a long enough password"
        )
        _notice(newcomer)
        with django_assert_num_queries(0):
            assert NOTICE not in _notice(newcomer)


def test_it_shows_a_change_made_by_another_process_once_the_content_version_moves(alice, dora):
    assert NOTICE not in _notice(alice)
    before = pagecache.content_version()
    with _later(minutes=5):
        published(dora)
    with _later(minutes=10):
        # Another process read the content version just before the publication committed:
        # for up to VERSION_TTL it keeps that version, and the dates it read with it.
        pagecache._version = (0.0, before)
        assert NOTICE not in _notice(alice)
        # Its next read of the content version sees the publication: the notice shows.
        pagecache._version = (float("-inf"), "")
        assert pagecache.content_version() != before
        assert NOTICE in _notice(alice)
