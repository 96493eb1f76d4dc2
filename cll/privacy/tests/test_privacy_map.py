"""manage.py privacy_map: the data map, readable by people and by tools."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command

from cll.privacy import datamap


def _run(*args: str) -> str:
    out = StringIO()
    call_command("privacy_map", *args, stdout=out)
    return out.getvalue()


def test_it_prints_every_registered_model_as_a_table():
    output = _run()

    for entry in datamap.entries():
        assert entry.label in output
    assert "session_key" in output
    assert "subject: unlinked" in output
    assert "accountability: " in output  # the purposes legend
    assert "evidence (3653 days): " in output  # the retention legend


def test_it_prints_machine_readable_json():
    document = json.loads(_run("--format", "json"))

    by_label = {model["model"]: model for model in document["models"]}
    assert list(by_label) == [entry.label for entry in datamap.entries()]
    for entry in datamap.entries():
        assert {f["field"] for f in by_label[entry.label]["fields"]} == set(entry.fields)
    email = next(f for f in by_label["accounts.User"]["fields"] if f["field"] == "email")
    assert email == {
        "field": "email",
        "personal": True,
        "category": "contact",
        "purposes": ["account", "security"],
        "basis": "contract",
        "retention": "account",
        "erasure": "anonymise",
        "readers": list(datamap.rule_for("accounts.User", "email").readers),
        "recipients": [],
        "encrypted": False,
    }
    assert {p["key"] for p in document["purposes"]} == set(datamap.PURPOSES)
    assert {r["key"] for r in document["retention"]} == set(datamap.RETENTION)
