# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""Files attached to tickets: scanned by a real clamd (EICAR refused, nothing half-saved), kept
quarantined when the scanner is down, a renamed executable refused, and served only to the
ticket's person, only when clean, only as a download."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cll.core.antispam import started_stamp
from cll.core.models import OutboxEmail, Upload
from cll.core.uploads import MESSAGES
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Ticket, TicketAttachment, TicketMessage, Topic

pytestmark = pytest.mark.django_db

FORM = reverse("helpdesk:contact")
# The contact form is checked by origin instead of a CSRF token (a public page sets no cookie).
ORIGIN = "http://testserver"
TEXT = b"Order 2024-118: invoice attached.\n"


def text_file(name: str = "notes.txt", data: bytes = TEXT) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/plain")


def answer(*files, **fields) -> dict:
    return {
        "topic": Topic.BILLING,
        "name": "Chloé Dubois",
        "email": "chloe@example.org",
        "subject": "My invoice",
        "body": "Please see the file.",
        "started": started_stamp(at=time.time() - 60),
        "website": "",
        "attachments": list(files),
        **fields,
    }


def open_with_file(account=None, file=None) -> services.TicketOpened:
    return services.ticket_open(
        name="Alice Martin",
        email=account.email if account else "visitor@example.org",
        subject="Invoice",
        body="See the file.",
        topic=Topic.BILLING,
        language="fr",
        channel=Channel.PORTAL,
        account=account,
        files=[file or text_file()],
    )


def download_url(ticket: Ticket, upload: Upload) -> str:
    return reverse("helpdesk:attachment_download", args=[ticket.public_id, upload.public_id])


def test_a_clean_file_is_stored_under_the_tickets_person(client, clamd):
    response = client.post(FORM, answer(text_file()), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    (attachment,) = TicketAttachment.objects.all()
    upload = attachment.upload
    assert upload.status == Upload.Status.CLEAN and upload.subject == ticket.person
    assert upload.purpose == services.ATTACHMENT_PURPOSE
    assert attachment.person == ticket.person
    assert attachment.message == ticket.messages.get()


def test_eicar_is_refused_with_a_message_and_nothing_is_saved(client, clamd, settings):
    response = client.post(
        FORM, answer(text_file("invoice.txt", clamd.eicar())), HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["attachments"]
    # U's translated message (whatever its wording in French).
    assert str(MESSAGES["malware"]) in " ".join(errors)
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()
    assert not Upload.objects.exists() and not OutboxEmail.objects.exists()
    # No sealed file left behind either.
    assert not settings.UPLOAD_DIR.exists() or not any(settings.UPLOAD_DIR.iterdir())


def test_eicar_in_an_answer_is_refused_and_the_answer_not_kept(client, alice, clamd):
    ticket = open_with_file(alice).ticket
    client.force_login(alice)
    url = reverse("helpdesk:ticket_detail", args=[ticket.public_id])
    response = client.post(url, {"body": "Another", "attachments": [text_file(data=clamd.eicar())]})
    assert response.status_code == 200 and response.context["form"].errors["attachments"]
    assert ticket.messages.count() == 1 and Upload.objects.count() == 1


def test_a_renamed_executable_is_refused(client, clamd):
    program = SimpleUploadedFile(
        "invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, content_type="application/pdf"
    )
    response = client.post(FORM, answer(program), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200 and response.context["form"].errors["attachments"]
    assert not Ticket.objects.exists() and not Upload.objects.exists()


def test_at_most_three_files(client, clamd):
    files = [text_file(f"f{number}.txt") for number in range(4)]
    response = client.post(FORM, answer(*files), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200 and response.context["form"].errors["attachments"]
    assert not Ticket.objects.exists()


def test_the_owner_downloads_a_clean_file_as_an_attachment(client, alice, clamd):
    ticket = open_with_file(alice).ticket
    upload = Upload.objects.get()
    client.force_login(alice)
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.public_id])).content.decode()
    assert download_url(ticket, upload) in page and "notes.txt" in page
    response = client.get(download_url(ticket, upload))
    assert response.status_code == 200
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == (
        TEXT
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_stranger_gets_404_for_the_file(client, alice, charlie, clamd):
    ticket = open_with_file(alice).ticket
    upload = Upload.objects.get()
    client.force_login(charlie)
    assert client.get(download_url(ticket, upload)).status_code == 404
    # Nor through a ticket of their own.
    own = open_with_file(charlie).ticket
    assert client.get(download_url(own, upload)).status_code == 404
    # Nor anonymously.
    response = Client().get(download_url(ticket, upload))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_visitor_downloads_through_the_secret_link(clamd):
    opened = open_with_file()
    upload = Upload.objects.get()
    url = reverse(
        "helpdesk:attachment_by_token",
        args=[opened.ticket.public_id, opened.access_token, upload.public_id],
    )
    assert Client().get(url).status_code == 200
    wrong = reverse(
        "helpdesk:attachment_by_token", args=[opened.ticket.public_id, "nope", upload.public_id]
    )
    assert Client().get(wrong).status_code == 404


def test_the_scanner_down_keeps_the_file_quarantined_and_unserved(client, alice, clamd):
    clamd.stop()
    ticket = open_with_file(alice).ticket
    upload = Upload.objects.get()
    assert upload.status == Upload.Status.PENDING
    client.force_login(alice)
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.public_id])).content.decode()
    assert "notes.txt" in page and download_url(ticket, upload) not in page
    assert "en cours d’analyse contre les logiciels malveillants" in page
    assert client.get(download_url(ticket, upload)).status_code == 404


def test_a_notes_file_is_not_the_persons_to_download(client, alice, cecile, clamd):
    ticket = open_with_file(alice).ticket
    note = TicketMessage.objects.create(
        ticket=ticket,
        person=ticket.person,
        author_kind=TicketMessage.Author.STAFF,
        author=cecile,
        body="Internal",
        is_internal=True,
        channel=Channel.STAFF,
    )
    services.attachments_store(message=note, files=[text_file("internal.txt")])
    upload = note.attachments.get().upload
    client.force_login(alice)
    assert client.get(download_url(ticket, upload)).status_code == 404
    page = client.get(reverse("helpdesk:ticket_detail", args=[ticket.public_id])).content.decode()
    assert "internal.txt" not in page
