"""Canned replies on the staff pages: list, create, edit, delete (Customer service)."""

from __future__ import annotations

import pytest

from cll.helpdesk.models import CannedReply, Topic
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db

URL = "/en/staff/helpdesk/canned/"


@pytest.fixture
def reply() -> CannedReply:
    return CannedReply.objects.create(
        title="Where is my invoice?", language="en", topic=Topic.BILLING, body="Your account ..."
    )


def test_cecile_creates_a_canned_reply(client, cecile):
    staff_login(client, cecile)
    response = client.post(
        f"{URL}new/",
        {"title": "Horaires", "language": "fr", "topic": "", "body": "Nos horaires ..."},
    )
    assert response.status_code == 302 and response["Location"].endswith(URL)
    reply = CannedReply.objects.get()
    assert (reply.title, reply.language, reply.topic) == ("Horaires", "fr", "")
    assert reply.created_by == cecile
    (entry,) = AuditEntry.objects.filter(action="helpdesk.canned.create")
    assert entry.actor == cecile.public_id
    assert "Horaires" in client.get(URL).content.decode()


def test_a_canned_reply_needs_a_title_a_language_and_a_text(client, cecile):
    staff_login(client, cecile)
    response = client.post(f"{URL}new/", {"title": "", "language": "xx", "body": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not CannedReply.objects.exists()


def test_cecile_edits_and_deletes_a_canned_reply(client, cecile, reply):
    staff_login(client, cecile)
    edit = f"{URL}{reply.public_id}/"
    assert "Where is my invoice?" in client.get(edit).content.decode()
    client.post(edit, {"title": "Invoices", "language": "nl", "topic": "billing", "body": "U ..."})
    reply.refresh_from_db()
    assert (reply.title, reply.language, reply.body) == ("Invoices", "nl", "U ...")
    assert client.get(f"{edit}delete/").status_code == 405
    assert client.post(f"{edit}delete/").status_code == 302
    assert not CannedReply.objects.exists()
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="helpdesk.canned")] == [
        "helpdesk.canned.update",
        "helpdesk.canned.delete",
    ]


@pytest.mark.parametrize("stranger", ["alice", "bill", "mark", "bob"])
def test_strangers_cannot_touch_canned_replies(client, reply, stranger, request):
    user = request.getfixturevalue(stranger)
    if user.is_staff:
        staff_login(client, user)
    else:
        client.force_login(user)
    assert client.get(URL).status_code == 403
    assert (
        client.post(f"{URL}new/", {"title": "x", "language": "en", "body": "x"}).status_code == 403
    )
    assert client.post(f"{URL}{reply.public_id}/delete/").status_code == 403
    assert CannedReply.objects.count() == 1


def test_script_payloads_in_a_canned_reply_stay_inert(client, cecile):
    staff_login(client, cecile)
    CannedReply.objects.create(title="<script>alert(1)</script>", language="en", body="x")
    html = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
