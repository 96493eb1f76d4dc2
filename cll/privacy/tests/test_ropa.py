"""The record of processing activities (GDPR Art. 30(1)) is generated from the data map."""

from __future__ import annotations

import csv
import html
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cll.privacy import datamap, ropa
from cll.privacy.datamap import PURPOSES, RECIPIENTS
from conftest import staff_login


def _assert_every_purpose_and_recipient_in(text: str) -> None:
    for purpose in PURPOSES.values():
        assert str(purpose.description) in text, purpose.key
    for recipient in RECIPIENTS.values():
        assert recipient.name in text, recipient.key


def test_it_lists_every_purpose_and_every_recipient_of_the_data_map():
    document = ropa.ropa_document()
    assert [activity["key"] for activity in document["activities"]] == sorted(PURPOSES)
    assert [recipient["key"] for recipient in document["recipients"]] == sorted(RECIPIENTS)
    _assert_every_purpose_and_recipient_in(json.dumps(document, ensure_ascii=False))
    _assert_every_purpose_and_recipient_in(ropa.ropa_csv(document))


def test_it_says_who_the_controller_is_and_how_data_is_protected(settings):
    settings.ORGANISATION_NAME = "CLL test asbl"
    settings.POSTAL_ADDRESS = "Rue du Test 1, 1348 Louvain-la-Neuve"
    document = ropa.ropa_document()
    assert document["controller"]["name"] == "CLL test asbl"
    assert document["controller"]["address"] == "Rue du Test 1, 1348 Louvain-la-Neuve"
    assert document["controller"]["privacy_email"] == settings.PRIVACY_EMAIL
    assert any("AES-256-GCM" in measure for measure in document["security_measures"])
    rows = list(csv.DictReader(io.StringIO(ropa.ropa_csv(document))))
    assert {row["controller"] for row in rows} == {"CLL test asbl"}
    assert all("AES-256-GCM" in row["security_measures"] for row in rows)


def test_it_derives_bases_categories_and_time_limits_from_the_field_rules():
    [account] = [a for a in ropa.activities() if a.key == datamap.ACCOUNT_PURPOSE]
    assert "accounts.User" in account.models
    assert str(datamap.Basis.CONTRACT.label) in account.bases
    assert str(datamap.Category.CONTACT.label) in account.data_categories
    assert "account" in [rule.key for rule in account.retention]
    assert str(datamap.PEOPLE[datamap.ACCOUNT_HOLDERS].description) in account.people


@pytest.fixture
def new_purpose_and_recipient(monkeypatch):
    """A purpose, a recipient outside the EEA and a model using them, added to the map the way
    an app's privacy.py would, then removed."""
    monkeypatch.setitem(datamap.PURPOSES, "test-survey", datamap.Purpose("test-survey", _("X")))
    monkeypatch.setitem(
        datamap.RECIPIENTS,
        "test-cloud",
        datamap.Recipient(
            "test-cloud",
            "Test Cloud Inc.",
            "Hosts the survey answers.",
            country="US",
            transfer_safeguard="Standard contractual clauses (2021/914)",
        ),
    )
    rule = datamap.FieldRule(
        datamap.Category.CONTENT,
        ("test-survey",),
        datamap.Basis.CONSENT,
        "outbox",
        datamap.Erasure.DELETE,
        recipients=("test-cloud",),
    )
    entry = datamap.ModelMap(
        label="tests.SurveyAnswer", subject="user", fields={"answer": rule}, people=()
    )
    monkeypatch.setitem(datamap._REGISTRY, entry.label, entry)


def test_it_shows_a_purpose_added_to_the_map_without_touching_this_code(
    new_purpose_and_recipient,
):
    [activity] = [a for a in ropa.ropa_document()["activities"] if a["key"] == "test-survey"]
    assert activity["purpose"] == "X"
    assert activity["legal_bases"] == [str(datamap.Basis.CONSENT.label)]
    assert activity["categories_of_data"] == [str(datamap.Category.CONTENT.label)]
    [transfer] = activity["transfers_outside_eea"]
    assert transfer["name"] == "Test Cloud Inc."
    assert transfer["transfer_safeguard"] == "Standard contractual clauses (2021/914)"
    assert activity["time_limits"][0]["key"] == "outbox"
    assert "Test Cloud Inc. (US): Standard contractual clauses (2021/914)" in ropa.ropa_csv()


def test_it_prints_the_record_as_csv_and_json():
    out = StringIO()
    call_command("ropa", "--format", "json", stdout=out)
    document = json.loads(out.getvalue())
    assert len(document["activities"]) == len(PURPOSES)
    out = StringIO()
    call_command("ropa", "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted(row["activity"] for row in rows) == sorted(PURPOSES)


def test_it_shows_the_record_and_its_downloads_to_the_privacy_officer(client, dora):
    staff_login(client, dora)
    page = client.get(reverse("privacy_staff:ropa"))
    assert page.status_code == 200
    _assert_every_purpose_and_recipient_in(html.unescape(page.content.decode()))
    downloaded = client.get(reverse("privacy_staff:ropa_csv"))
    assert downloaded["Content-Type"].startswith("text/csv")
    assert "attachment" in downloaded["Content-Disposition"]
    as_json = client.get(reverse("privacy_staff:ropa_json"))
    assert json.loads(as_json.content)["controller"]["privacy_email"]


def test_it_refuses_the_record_to_other_staff_and_learners(client, bob, alice):
    for user in (bob, alice):
        staff_login(client, user) if user.is_staff else client.force_login(user)
        for name in ("ropa", "ropa_csv", "ropa_json"):
            assert client.get(reverse(f"privacy_staff:{name}")).status_code == 403
    client.logout()
    assert client.get(reverse("privacy_staff:ropa")).status_code == 302
