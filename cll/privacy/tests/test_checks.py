"""The system check refuses a data map that does not describe the models truthfully."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test.utils import isolate_apps

from cll.core.encryption import EncryptedTextField
from cll.privacy import checks, datamap
from cll.privacy.datamap import NOT_PERSONAL, UNLINKED, Basis, Category, Erasure, FieldRule

_contact = FieldRule(Category.CONTACT, ("account",), Basis.CONTRACT, "account", Erasure.DELETE)


@pytest.fixture
def registry(monkeypatch):
    """A copy of the data map for the test to change; the real one is restored afterwards."""
    copy = dict(datamap._REGISTRY)
    monkeypatch.setattr(datamap, "_REGISTRY", copy)
    return copy


@pytest.fixture
def throwaway():
    """A model that exists for one test only, in an isolated app registry."""
    with isolate_apps("cll.privacy"):

        class Throwaway(models.Model):
            name = models.CharField(max_length=20)
            email = models.EmailField()
            owner = models.ForeignKey(get_user_model(), on_delete=models.CASCADE)
            group = models.ForeignKey(Group, on_delete=models.CASCADE)
            holder = models.UUIDField()

            class Meta:
                app_label = "privacy"

            def __str__(self):
                return self.name

        yield Throwaway


def _ids(problems) -> list[str]:
    return [problem.id for problem in problems]


def test_it_fails_on_a_model_missing_from_the_data_map(registry, throwaway):
    problems = checks.model_problems([throwaway])

    assert _ids(problems) == ["privacy.E001"]
    assert "privacy.Throwaway is not declared" in problems[0].msg
    assert "cll/privacy/privacy.py" in problems[0].hint


def test_it_fails_on_an_unclassified_field(registry, throwaway):
    datamap.register(
        "privacy.Throwaway",
        subject="owner",
        fields={
            **datamap.same(NOT_PERSONAL, "id", "name", "owner", "group", "holder"),
            "nickname": _contact,
        },
    )

    problems = checks.model_problems([throwaway])

    assert _ids(problems) == ["privacy.E002", "privacy.E003"]
    assert problems[0].msg == "privacy.Throwaway.email is not classified in the data map."
    assert problems[1].msg == "privacy.Throwaway.nickname is classified but is not a field."


# The full check includes model checks (JSONField support) that ask the database.
@pytest.mark.django_db
def test_it_makes_manage_py_check_fail_on_an_unclassified_field(registry):
    user = registry["accounts.User"]
    fields = {name: rule for name, rule in user.fields.items() if name != "email"}
    registry["accounts.User"] = dataclasses.replace(user, fields=fields)

    with pytest.raises(SystemCheckError, match=r"accounts\.User\.email is not classified"):
        call_command("check")


# The full check includes model checks (JSONField support) that ask the database.
@pytest.mark.django_db
def test_it_holds_third_party_declarations_to_the_real_fields(registry):
    session = registry["sessions.Session"]
    fields = {name: rule for name, rule in session.fields.items() if name != "session_data"}
    registry["sessions.Session"] = dataclasses.replace(
        session, fields={**fields, "ip_address": NOT_PERSONAL}
    )

    messages = [problem.msg for problem in checks.check_data_map()]

    assert "sessions.Session.session_data is not classified in the data map." in messages
    assert "sessions.Session.ip_address is classified but is not a field." in messages
    with pytest.raises(SystemCheckError, match=r"sessions\.Session\.session_data"):
        call_command("check")


def test_it_fails_on_a_declaration_without_a_model(registry):
    datamap.register("privacy.Vanished", subject=None, fields={"id": NOT_PERSONAL})

    problems = [p for p in checks.check_data_map() if p.id == "privacy.E004"]

    assert [p.msg for p in problems] == [
        "privacy.Vanished is declared in the data map but is not an installed model."
    ]


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("self", "needs a public_id field"),
        ("id:name", "must name a UUIDField"),
        ("id:missing", "names no field"),
        ("owner__nowhere", "accounts.User has no field 'nowhere'"),
        ("group", "ends at auth.Group, which is not a person"),
        ("name", "privacy.Throwaway.name is not a to-one relation"),
    ],
)
def test_it_fails_on_a_subject_that_does_not_lead_to_a_person(registry, throwaway, subject, reason):
    datamap.register(
        "privacy.Throwaway",
        subject=subject,
        fields={
            **datamap.same(NOT_PERSONAL, "id", "name", "owner", "group", "holder"),
            "email": _contact,
        },
    )

    problems = checks.model_problems([throwaway])

    assert _ids(problems) == ["privacy.E005"]
    assert reason in problems[0].msg


@pytest.mark.parametrize("subject", ["owner", "id:holder", UNLINKED])
def test_it_accepts_a_subject_that_leads_to_a_person(registry, throwaway, subject):
    datamap.register(
        "privacy.Throwaway",
        subject=subject,
        fields={
            **datamap.same(NOT_PERSONAL, "id", "name", "owner", "group", "holder"),
            "email": FieldRule(
                Category.CONTACT, ("account",), Basis.CONTRACT, "session", Erasure.DELETE
            ),
        },
    )

    assert checks.model_problems([throwaway]) == []


def test_it_fails_on_unlinked_personal_data_kept_without_a_time_limit(registry, throwaway):
    datamap.register(
        "privacy.Throwaway",
        subject=UNLINKED,
        fields={
            **datamap.same(NOT_PERSONAL, "id", "name", "owner", "group", "holder"),
            # "account" retention is tied to an event, which nobody can apply to unlinked rows.
            "email": _contact,
        },
    )

    problems = checks.model_problems([throwaway])

    assert _ids(problems) == ["privacy.E006"]
    assert "privacy.Throwaway.email" in problems[0].msg


def test_it_refuses_personal_data_without_a_subject(registry):
    with pytest.raises(ValueError, match="says whose it is not"):
        datamap.register("privacy.Throwaway", subject=None, fields={"email": _contact})


@isolate_apps("tests.testapp")
def test_it_refuses_an_encrypted_field_the_data_map_calls_unencrypted():
    class Mislabelled(models.Model):  # noqa: DJ008 (a throwaway model for checks)
        name = EncryptedTextField()

        class Meta:
            app_label = "testapp"

    entry = datamap.ModelMap(
        label=Mislabelled._meta.label,
        subject=None,
        fields={"id": datamap.NOT_PERSONAL, "name": datamap.NOT_PERSONAL},
    )
    assert "privacy.E007" in _ids(checks._entry_problems(Mislabelled, entry))
