"""An account's export and erasure include its tickets (the generic engines, through the data
map), and nobody else's."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cll.core.models import Upload
from cll.erasure.services import erasure_execute
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Ticket, TicketAttachment, TicketMessage, Topic
from cll.rights.export import write_export

pytestmark = pytest.mark.django_db

NOTE = "Internal: asked twice about the same invoice."


def open_ticket(account, subject: str) -> Ticket:
    return services.ticket_open(
        name="Someone",
        email=account.email,
        subject=subject,
        body=f"Body of {subject}",
        topic=Topic.BILLING,
        language="fr",
        channel=Channel.FORM,
        account=account,
    ).ticket


def note(ticket: Ticket, author) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket,
        person=ticket.person,
        author_kind=TicketMessage.Author.STAFF,
        author=author,
        body=NOTE,
        is_internal=True,
        channel=Channel.STAFF,
    )


def exported(user, tmp_path) -> dict:
    out = io.BytesIO()
    write_export(subject=user.public_id, out=out, scratch_dir=tmp_path)
    return json.loads(zipfile.ZipFile(io.BytesIO(out.getvalue())).read("data.json"))


def records(data: dict, label: str) -> list[dict]:
    return next((r["rows"] for r in data["records"] if r["model"] == label), [])


def test_the_export_holds_the_persons_tickets_and_messages_only(alice, charlie, cecile, tmp_path):
    mine = open_ticket(alice, "Alice's invoice")
    open_ticket(charlie, "Charlie's timetable")
    note(mine, cecile)
    data = exported(alice, tmp_path)
    tickets = records(data, "helpdesk.Ticket")
    assert [row["subject"] for row in tickets] == ["Alice's invoice"]
    assert "access_token" not in tickets[0] and "access_token_hash" not in tickets[0]
    bodies = [row["body"] for row in records(data, "helpdesk.TicketMessage")]
    assert "Body of Alice's invoice" in bodies
    assert "Charlie" not in json.dumps(data)
    # Internal notes are data about her (GDPR Art. 15; EDPB Guidelines 01/2022): they are in
    # her export, marked as internal. Withholding one (rights of others, Art. 15(4)) is the
    # privacy officer's decision on the request, not the code's.
    assert NOTE in bodies
    (exported_note,) = [r for r in records(data, "helpdesk.TicketMessage") if r["body"] == NOTE]
    assert exported_note["is_internal"] is True


def test_erasure_removes_the_persons_tickets_messages_and_files(alice, charlie, clamd):
    mine = services.ticket_open(
        name="Alice",
        email=alice.email,
        subject="With a file",
        body="See file",
        topic=Topic.OTHER,
        language="fr",
        channel=Channel.PORTAL,
        account=alice,
        files=[SimpleUploadedFile("a.txt", b"hello\n")],
    ).ticket
    theirs = open_ticket(charlie, "Charlie's")
    erasure_execute(subject=alice, reason="test")
    assert not Ticket.objects.filter(pk=mine.pk).exists()
    assert not TicketMessage.objects.filter(person=alice.public_id).exists()
    assert not TicketAttachment.objects.exists()
    assert not Upload.objects.filter(subject=alice.public_id).exists()
    assert Ticket.objects.get() == theirs
    assert theirs.messages.count() == 1
