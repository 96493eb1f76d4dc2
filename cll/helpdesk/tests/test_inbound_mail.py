"""Answers by e-mail threaded into tickets (``manage.py helpdesk_mailbox``), from a real Maildir
(and an mbox) in a temporary directory."""

from __future__ import annotations

import logging
import mailbox
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cll.core.models import OutboxEmail
from cll.helpdesk import inbound, staff_services
from cll.helpdesk.models import Channel, Status, Ticket, TicketAttachment, TicketMessage
from cll.helpdesk.tests.test_staff_console import open_ticket

pytestmark = pytest.mark.django_db

REPLY_ADDRESS = "support@cll.example"


@pytest.fixture(autouse=True)
def _reply_address(settings):
    settings.HELPDESK_REPLY_ADDRESS = REPLY_ADDRESS


@pytest.fixture
def ticket() -> Ticket:
    # Typed with capitals: the sender's address still matches (blind index of the normal form).
    return open_ticket(email="Chloe@Example.org")


def mail(
    ticket: Ticket | None = None,
    *,
    text: str | None = "Thanks, Tuesday suits me.",
    html: str | None = None,
    sender: str = "Chloé <chloe@example.org>",
    to: str | None = None,
    subject: str | None = None,
    message_id: str | None = "<a1@mail.example.org>",
    headers: dict[str, str] | None = None,
    files: tuple[tuple[str, bytes, str], ...] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to or (f"support+{ticket.reply_key}@cll.example" if ticket else REPLY_ADDRESS)
    message["Subject"] = subject if subject is not None else "Re: your question"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data, kind in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


@pytest.fixture
def maildir(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    return box


def run(box: mailbox.Maildir, *messages: EmailMessage) -> str:
    for message in messages:
        box.add(message.as_bytes())
    out = StringIO()
    call_command("helpdesk_mailbox", "--maildir", box._path, stdout=out)
    return out.getvalue().strip()


def folder_size(box: mailbox.Maildir, name: str) -> int:
    return len(box.get_folder(name)) if name in box.list_folders() else 0


def from_person(ticket: Ticket) -> list[TicketMessage]:
    return list(ticket.messages.filter(author_kind="requester").order_by("created_at", "id"))


def test_it_threads_an_answer_sent_to_the_tickets_reply_address(maildir, ticket, cecile):
    staff_services.ticket_reply_by_staff(ticket=ticket, actor=cecile, body="Yes, 18:30.")
    out = run(maildir, mail(ticket))
    assert out == "added=1 new_ticket=0 duplicate=0 ignored=0"
    _first, answer = from_person(ticket)
    assert answer.body == "Thanks, Tuesday suits me."
    assert answer.channel == Channel.EMAIL and answer.email_message_id == "<a1@mail.example.org>"
    # Pending (waiting for the person) -> open again, and the assignee is told.
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert OutboxEmail.objects.filter(kind="emails/helpdesk_staff_replied").exists()
    # Moved aside.
    assert len(maildir) == 0 and folder_size(maildir, "processed") == 1


def test_it_finds_the_ticket_by_the_reference_in_the_subject(maildir, ticket):
    message = mail(to="info@cll.example", subject=f"Re: [{ticket.reference}] Dutch B1")
    assert run(maildir, message).startswith("added=1")
    assert len(from_person(ticket)) == 2


def test_it_ignores_mail_from_another_address_even_with_the_right_reference(
    maildir, ticket, caplog
):
    caplog.set_level(logging.INFO, logger="cll.helpdesk.inbound")
    forged = mail(ticket, sender="Mallory <mallory@evil.example>")
    by_reference = mail(
        to="info@cll.example",
        subject=f"[{ticket.reference}]",
        sender="mallory@evil.example",
        message_id="<a2@evil.example>",
    )
    assert run(maildir, forged, by_reference) == "added=0 new_ticket=0 duplicate=0 ignored=2"
    assert len(from_person(ticket)) == 1
    assert folder_size(maildir, "ignored") == 2 and len(maildir) == 0
    # Logged without personal data.
    logged = caplog.text
    assert "mallory" not in logged and ticket.reference not in logged
    assert ticket.reply_key not in logged and "ignored" in logged


def test_it_ignores_mail_that_matches_no_ticket(maildir, ticket):
    assert run(maildir, mail(to="info@cll.example", subject="Hello")).endswith("ignored=1")
    assert run(maildir, mail(to="support+" + "0" * 32 + "@cll.example")).endswith("ignored=1")
    assert len(from_person(ticket)) == 1


def test_the_same_message_id_twice_adds_one_message(maildir, ticket):
    out = run(maildir, mail(ticket), mail(ticket))
    assert out == "added=1 new_ticket=0 duplicate=1 ignored=0"
    # And again in a later run (a crash between the copy and the removal).
    assert run(maildir, mail(ticket)).startswith("added=0 new_ticket=0 duplicate=1")
    assert len(from_person(ticket)) == 2


def test_a_mail_without_message_id_is_still_threaded_once(maildir, ticket):
    message = mail(ticket, message_id=None)
    run(maildir, message)
    run(maildir, message)
    assert len(from_person(ticket)) == 2


def test_it_cuts_quoted_history_and_the_signature(maildir, ticket):
    text = "Tuesday is fine.\nSee you then.\n\n-- \nChloé Dubois\n+32 470 12 34 56\n"
    quoted = (
        "Merci, c'est parfait.\n"
        "\n"
        "Le lun. 5 janv. 2026 à 10:00, CLL <support@cll.example> a écrit :\n"
        "> Yes, 18:30.\n"
        "> Kind regards\n"
    )
    run(maildir, mail(ticket, text=text), mail(ticket, text=quoted, message_id="<a3@x>"))
    # A Maildir has no order: compare the set of bodies.
    assert {message.body for message in from_person(ticket)[1:]} == {
        "Tuesday is fine.\nSee you then.",
        "Merci, c'est parfait.",
    }


@pytest.mark.parametrize(
    "line",
    [
        "On Mon, 5 Jan 2026 at 10:00, CLL <support@cll.example> wrote:",
        "Op ma 5 jan. 2026 om 10:00 schreef CLL <support@cll.example>:",
        "-----Original Message-----",
        "From: CLL <support@cll.example>",
    ],
)
def test_it_recognises_quote_headers_of_common_clients(line):
    assert inbound.reply_text(f"New text.\n\n{line}\nOld text.\n") == "New text."


def test_an_html_only_mail_is_stored_as_inert_text(maildir, ticket):
    html = (
        "<html><head><style>p{color:red}</style><script>alert('head')</script></head><body>"
        "<p>Hello <b>team</b>,</p><p>5 &lt; 6 &amp; <img src=x onerror=alert(1)>ok</p>"
        "<script>alert('x')</script>"
        "<blockquote>old quoted text</blockquote></body></html>"
    )
    run(maildir, mail(ticket, text=None, html=html))
    answer = from_person(ticket)[-1]
    assert answer.body == "Hello team,\n\n5 < 6 & ok"
    assert "alert" not in answer.body and "<" not in answer.body.replace("5 < 6", "")


def test_the_text_part_wins_over_the_html_part(maildir, ticket):
    run(maildir, mail(ticket, text="Plain words.", html="<p>HTML words</p>"))
    assert from_person(ticket)[-1].body == "Plain words."


def test_attachments_go_through_the_upload_checks(maildir, ticket):
    files = (("timetable.txt", b"Tuesday 18:30\n", "text/plain"),)
    run(maildir, mail(ticket, files=files))
    answer = from_person(ticket)[-1]
    (attachment,) = TicketAttachment.objects.filter(message=answer)
    assert attachment.upload.filename == "timetable.txt"
    assert attachment.upload.subject == ticket.person


def test_a_refused_attachment_keeps_the_answer_without_it(maildir, ticket):
    files = (("run.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/octet-stream"),)
    assert run(maildir, mail(ticket, files=files)).startswith("added=1")
    answer = from_person(ticket)[-1]
    assert answer.body == "Thanks, Tuesday suits me."
    assert not TicketAttachment.objects.filter(message=answer).exists()


def test_an_answer_to_a_closed_ticket_opens_a_new_one(maildir, ticket, cecile):
    staff_services.ticket_status_set(ticket=ticket, actor=cecile, status=Status.CLOSED)
    assert run(maildir, mail(ticket)) == "added=0 new_ticket=1 duplicate=0 ignored=0"
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert new.email == "chloe@example.org" and new.topic == ticket.topic
    assert new.channel == Channel.EMAIL and new.status == Status.NEW
    assert new.messages.get().body == "Thanks, Tuesday suits me."
    assert len(from_person(ticket)) == 1
    # Processing it again opens nothing more.
    assert run(maildir, mail(ticket)).startswith("added=0 new_ticket=0 duplicate=1")


@pytest.mark.parametrize(
    "headers",
    [{"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"X-Autoreply": "yes"}],
)
def test_automatic_mail_is_ignored(maildir, ticket, headers):
    assert run(maildir, mail(ticket, headers=headers)).endswith("ignored=1")
    assert len(from_person(ticket)) == 1


def test_an_empty_answer_is_ignored(maildir, ticket):
    assert run(maildir, mail(ticket, text="> only quoted\n")).endswith("ignored=1")


def test_it_reads_an_mbox_too(tmp_path, ticket):
    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(path, create=True)
    box.add(mail(ticket).as_bytes())
    box.flush()
    box.close()
    out = StringIO()
    call_command("helpdesk_mailbox", "--mbox", str(path), stdout=out)
    assert out.getvalue().startswith("added=1")
    assert len(mailbox.mbox(path)) == 0 and len(mailbox.mbox(f"{path}.processed")) == 1


def test_it_refuses_a_path_that_is_not_a_mailbox(tmp_path):
    with pytest.raises(CommandError):
        call_command("helpdesk_mailbox", "--maildir", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("helpdesk_mailbox", "--mbox", str(tmp_path / "missing"))
