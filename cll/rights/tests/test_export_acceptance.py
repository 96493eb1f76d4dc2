"""ACCEPTANCE (issue 4): a learner seeded with data in every app; the export holds every
classified personal value of every row the data map ties to her.

The test iterates over the data map, not over a hand list: a model added later is covered (or
fails here with a message saying what to do) without touching this test.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group

from cll.privacy import datamap
from cll.privacy.datamap import Role
from cll.rights import export, services
from cll.rights.tasks import export_build
from cll.rights.tests.conftest import export_json, read_export
from cll.rights.tests.seed import HOSTILE, SEEDERS, seed_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(alice, django_user_model, monkeypatch):
    """Alice with data in every app, and her export built. ``snapshot`` holds, per model, the
    rows as they were at the moment the engine read them (the build itself adds rows, such as
    its own ledger entry and e-mail, and updates the job's progress)."""
    guardian = django_user_model.objects.create_user(email="gina@example.org", password="x")
    officer = django_user_model.objects.create_user(
        email="dora@example.org", password="x", is_staff=True
    )
    officer.groups.set(Group.objects.filter(name=Role.PRIVACY_OFFICER))
    seed_everything(alice, {"guardian": guardian, "officer": officer})
    snapshot: dict[str, list] = {}
    counts: dict[str, int] = {}
    original_batches, original_write = export._batches, export.write_export

    def batches(plan):
        query = datamap.subject_filter(plan.entry.model, alice.public_id)
        snapshot[plan.entry.label] = list(plan.entry.model._default_manager.filter(query))
        yield from original_batches(plan)

    def write(**kwargs):
        for entry in _linkable_personal_models():
            query = datamap.subject_filter(entry.model, alice.public_id)
            counts[entry.label] = entry.model._default_manager.filter(query).count()
        return original_write(**kwargs)

    monkeypatch.setattr(export, "_batches", batches)
    monkeypatch.setattr(export, "write_export", write)
    job = services.export_start(subject=alice)
    export_build.call(str(job.public_id))
    job.refresh_from_db()
    alice.snapshot, alice.counts = snapshot, counts
    return alice, job


def _linkable_personal_models():
    return [entry for entry in datamap.personal_models() if entry.linkable]


def _expected(row, name):
    """A field's value as the export documents it: related people by public id."""
    field = row._meta.get_field(name)
    if field.many_to_many:
        return sorted(str(obj) for obj in getattr(row, name).all())
    value = getattr(row, name)
    if field.is_relation and value is not None:
        return getattr(value, "public_id", value.pk)
    return value


def _canonical(value) -> str:
    return json.dumps(export.json_value(value), sort_keys=True)


def test_it_seeds_every_linkable_personal_model(seeded):
    alice, _job = seeded
    missing = []
    for entry in _linkable_personal_models():
        rows = entry.model._default_manager.filter(
            datamap.subject_filter(entry.model, alice.public_id)
        )
        if not rows.exists():
            missing.append(entry.label)
    assert not missing, (
        f"No row seeded for {missing}: add a seeder for each to SEEDERS in "
        "cll/rights/tests/seed.py, so the export acceptance test covers it."
    )
    unknown = [e.label for e in _linkable_personal_models() if e.label not in SEEDERS]
    assert not unknown, f"Add {unknown} to SEEDERS in cll/rights/tests/seed.py."


def test_it_exports_every_classified_personal_value(seeded):
    alice, job = seeded
    data = export_json(job)
    records = {record["model"]: record for record in data["records"]}
    checked = 0
    problems = []
    for entry in _linkable_personal_models():
        record = records.get(entry.label)
        if record is None:
            if alice.counts[entry.label]:
                problems.append(f"{entry.label}: rows exist but no record in the export")
            continue
        rows = alice.snapshot[entry.label]
        for name in entry.personal_fields:
            reason = export.withheld_reason(entry, name)
            if reason is not None:
                # Withheld by rule (security credential, staff identity): the export says so.
                assert record["fields"][name]["withheld"] == reason
                if (entry.label, name) != export.AUDIT_ACTOR:
                    assert all(name not in exported for exported in record["rows"]), (
                        entry.label,
                        name,
                    )
                checked += 1
                continue
            exported = {_canonical(item.get(name)) for item in record["rows"]}
            for row in rows:
                value = _expected(row, name)
                if _canonical(value) not in exported:
                    problems.append(f"{entry.label}.{name}: {value!r} not in the export")
                checked += 1
        assert len(record["rows"]) == len(rows), entry.label
    assert not problems, "\n".join(problems)
    assert checked > 100


def test_it_exports_decrypted_values(seeded):
    alice, job = seeded
    data = export_json(job)
    profile = next(r for r in data["records"] if r["model"] == "accounts.LearnerProfile")
    row = profile["rows"][0]
    assert row["first_name"] == "Alice" and row["birth_date"] == "1990-05-17"
    assert row["user"] == str(alice.public_id)
    assert profile["fields"]["first_name"]["encrypted_at_rest"] is True
    outbox = next(r for r in data["records"] if r["model"] == "core.OutboxEmail")
    assert any(item["subject"] == "Your session starts on Monday" for item in outbox["rows"])


def test_it_lists_staff_accesses_by_role_without_naming_staff(seeded):
    alice, job = seeded
    data = export_json(job)
    ledger = next(r for r in data["records"] if r["model"] == "privacy.AuditEntry")
    reads = [row for row in ledger["rows"] if row["action"] == "learner.read"]
    assert reads == [
        {
            **reads[0],
            "actor": "staff",
            "actor_role": "Privacy officer",
            "fields": ["first_name", "phone"],
        }
    ]
    assert reads[0]["at"]
    assert {row["actor"] for row in ledger["rows"]} >= {"staff", "you", "system"}
    officer = ledger["rows"][0]
    text = read_export(job).read("data.json").decode()
    dora = type(alice).objects.get(email="dora@example.org")
    assert str(dora.public_id) not in text
    assert officer  # the ledger has rows


def test_it_gives_purposes_bases_recipients_and_retention_per_category(seeded):
    _alice, job = seeded
    data = export_json(job)
    contact = data["categories"]["contact"]
    assert "smtp-relay" in contact["recipients"]
    assert data["recipients"]["smtp-relay"]["name"] == "SMTP relay"
    assert "outbox" in contact["retention"] and data["retention"]["outbox"]
    assert "contract" in contact["legal_bases"] and data["legal_bases"]["contract"]
    for key in contact["purposes"]:
        assert data["purposes"][key]
    assert any(item["model"] == "sessions.Session" for item in data["not_linkable"])


def test_it_escapes_html_in_the_readable_page(seeded):
    _alice, job = seeded
    page = read_export(job).read("index.html").decode()
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script" not in page
    # Self-contained: no external resource of any kind.
    for marker in ('src="http', 'href="http', "@import", "url("):
        assert marker not in page
