"""Ratings and comments are the person's data: the generic export finds them, the generic
erasure deletes them (no code of feedback's own), and the data map classifies every field."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from cll.erasure.services import erasure_execute
from cll.feedback import services
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating
from cll.feedback.tests.helpers import ended_session, enrol, invite
from cll.privacy import datamap
from cll.rights.export import write_export

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _journal(settings, tmp_path):
    settings.ERASURE_JOURNAL = tmp_path / "journal.jsonl"


@pytest.fixture
def answers(alice, charlie):
    session = ended_session(1)
    enrol(session, alice, charlie)
    for learner, comment in ((alice, "Alice's comment"), (charlie, "Charlie's comment")):
        invitation, _token = invite(session, learner)
        services.session_rating_save(
            invitation=invitation, rating=4, comment=comment, may_quote=False
        )
        services.service_feedback_create(
            account=learner, topic="website", rating=2, comment=comment
        )
    return session


def test_every_field_is_in_the_data_map():
    for model in (Invitation, SessionRating, ServiceFeedback):
        declared = datamap.entry_for(model).fields.keys()
        assert {field.name for field in model._meta.get_fields() if field.concrete} == set(declared)


def test_the_export_holds_the_person_s_ratings_and_comments_only(alice, answers, tmp_path):
    out = io.BytesIO()
    write_export(subject=alice.public_id, out=out, scratch_dir=tmp_path)

    with zipfile.ZipFile(out) as archive:
        data = json.loads(archive.read("data.json"))
    records = {record["model"]: record["rows"] for record in data["records"]}
    assert len(records["feedback.SessionRating"]) == 1
    assert len(records["feedback.ServiceFeedback"]) == 1
    assert len(records["feedback.Invitation"]) == 1
    text = json.dumps(records)
    assert "Alice's comment" in text and "Charlie's comment" not in text


def test_erasure_deletes_the_person_s_feedback_and_nobody_else_s(alice, charlie, answers):
    erasure_execute(subject=alice, reason="test")

    assert not SessionRating.objects.filter(learner=alice).exists()
    assert not ServiceFeedback.objects.filter(account=alice).exists()
    assert not Invitation.objects.filter(learner=alice).exists()
    assert SessionRating.objects.get().comment == "Charlie's comment"
    assert ServiceFeedback.objects.get().account == charlie
