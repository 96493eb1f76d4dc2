"""The data map registry: purposes, field rules, subjects and the third-party declarations."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core import checks as django_checks
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.privacy import datamap
from cll.privacy.checks import check_data_map
from cll.privacy.datamap import Basis, Category, Erasure, FieldRule


@pytest.fixture
def scratch_purposes(monkeypatch):
    """A copy of the purposes registry, so declarations made by a test do not outlive it."""
    monkeypatch.setattr(datamap, "PURPOSES", dict(datamap.PURPOSES))


def _personal_rule(*purposes: str, basis: str = Basis.CONTRACT) -> FieldRule:
    return FieldRule(Category.CONTACT, purposes, basis, "account", Erasure.DELETE)


def test_it_declares_the_platform_purposes_with_translatable_descriptions():
    for key in ("account", "security", "accountability"):
        assert datamap.PURPOSES[key].description
        assert str(datamap.PURPOSES[key].description)


def test_it_refuses_a_field_rule_with_an_undeclared_purpose(scratch_purposes):
    with pytest.raises(ValueError, match="Unknown purpose 'profiling'"):
        _personal_rule("profiling")

    datamap.purpose("profiling", _("Recommending courses from your history."))

    assert _personal_rule("profiling").purposes == ("profiling",)


def test_it_refuses_a_purpose_declared_twice_with_different_descriptions(scratch_purposes):
    datamap.purpose("scratch-news", _("Sending you our newsletter."))

    assert datamap.purpose("scratch-news", _("Sending you our newsletter.")) == "scratch-news"
    with pytest.raises(ValueError, match="declared twice"):
        datamap.purpose("scratch-news", _("Something else entirely."))


def test_it_refuses_personal_data_without_a_purpose_or_a_legal_basis():
    with pytest.raises(ValueError, match="purpose and a legal basis"):
        _personal_rule()
    with pytest.raises(ValueError, match="purpose and a legal basis"):
        _personal_rule("account", basis=Basis.NONE)


def test_it_refuses_an_unknown_category():
    with pytest.raises(ValueError, match="Unknown category 'secret'"):
        FieldRule("secret", ("account",), Basis.CONTRACT, "account", Erasure.DELETE)


def test_it_declares_every_installed_model_without_errors():
    problems = check_data_map()

    assert [p for p in problems if p.level >= django_checks.ERROR] == []
    for label in (
        "sessions.Session",
        "admin.LogEntry",
        "django_tasks_database.DBTaskResult",
        "auth.Group",
        "auth.Permission",
        "contenttypes.ContentType",
    ):
        entry = datamap.entry_for(label)
        assert entry is not None, label
        assert entry.third_party
        assert apps.get_model(label)


def test_it_treats_sessions_as_personal_but_unlinked(db, alice):
    entry = datamap.entry_for(Session)
    session = Session.objects.create(
        session_key="k" * 32, session_data="opaque", expire_date=timezone.now()
    )

    assert entry.subject == datamap.UNLINKED
    assert entry.personal_fields
    assert not entry.linkable
    assert datamap.subject_of(session) is None
    assert not Session.objects.filter(datamap.subject_filter(Session, alice.public_id)).exists()


def test_it_links_admin_log_entries_to_the_staff_member(db, dora, alice):
    mine = LogEntry.objects.create(user=dora, action_flag=2, object_repr="x")
    LogEntry.objects.create(user=alice, action_flag=2, object_repr="y")

    assert datamap.subject_of(mine) == dora.public_id
    assert list(LogEntry.objects.filter(datamap.subject_filter(LogEntry, dora.public_id))) == [mine]


def test_it_selects_nothing_for_a_model_about_nobody():
    assert datamap.subject_filter("auth.Group", uuid.uuid4()) == Q(pk__in=[])
    assert datamap.entry_for("auth.Group").personal_fields == {}
