"""The helpdesk's staff console: Customer service reads (audited), answers, writes internal
notes, assigns, changes status and priority, inserts canned replies; strangers get 403/404."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cll.core.models import OutboxEmail, Upload
from cll.core.uploads import upload_store
from cll.helpdesk import services, staff_services
from cll.helpdesk.models import (
    CannedReply,
    Channel,
    Priority,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
    Topic,
)
from cll.helpdesk.staff_selectors import TICKETS_PER_PAGE
from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from conftest import staff_login, status_text

pytestmark = pytest.mark.django_db

CONSOLE = "/en/staff/helpdesk/"
SCRIPT = "<script>alert('x')</script>"


def open_ticket(**fields) -> Ticket:
    """A ticket from the contact form (the person's side, services.ticket_open)."""
    return services.ticket_open(
        **{
            "name": "Chloé Dubois",
            "email": "chloe@example.org",
            "subject": "Dutch B1 on Tuesdays?",
            "body": "Is there a Dutch B1 group on Tuesday evenings?",
            "topic": Topic.COURSES,
            "language": "en",
            "channel": Channel.FORM,
            **fields,
        }
    ).ticket


def page(ticket: Ticket, action: str = "") -> str:
    return f"{CONSOLE}tickets/{ticket.public_id}/{action + '/' if action else ''}"


def entries(action: str, ticket: Ticket | None = None) -> list[AuditEntry]:
    found = AuditEntry.objects.filter(action=action)
    if ticket is not None:
        found = found.filter(target=f"helpdesk.Ticket:{ticket.public_id}")
    return list(found.order_by("id"))


def person_mails(ticket: Ticket) -> list[OutboxEmail]:
    return [
        mail
        for mail in OutboxEmail.objects.order_by("created_at")
        if mail.to_address == ticket.email
    ]


@pytest.fixture
def ticket() -> Ticket:
    return open_ticket()


@pytest.fixture
def signed_in(client, cecile):
    staff_login(client, cecile)
    return client


# -- Access ---------------------------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_sign_in_page(client, ticket):
    for url in (CONSOLE, page(ticket), f"{CONSOLE}canned/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("stranger", ["alice", "bill", "mark", "bob", "dora"])
def test_it_refuses_staff_pages_to_anyone_without_a_helpdesk_role(
    client, ticket, stranger, request
):
    user = request.getfixturevalue(stranger)
    if user.is_staff:
        staff_login(client, user)
    else:
        client.force_login(user)
    for url in (CONSOLE, page(ticket), f"{CONSOLE}canned/", f"{CONSOLE}new/"):
        assert client.get(url).status_code == 403, url
    response = client.post(page(ticket, "reply"), {"body": "Hi", "status": "pending"})
    assert response.status_code == 403
    assert client.post(page(ticket, "note"), {"body": "Hi"}).status_code == 403
    assert ticket.messages.count() == 1
    assert not entries("helpdesk.ticket.read")


def test_it_answers_404_for_a_ticket_that_does_not_exist(signed_in):
    missing = f"{CONSOLE}tickets/{uuid.uuid4()}/"
    assert signed_in.get(missing).status_code == 404
    assert signed_in.post(f"{missing}reply/", {"body": "x", "status": "pending"}).status_code == 404
    assert signed_in.post(f"{missing}status/", {"status": "solved"}).status_code == 404
    assert signed_in.get(f"{CONSOLE}canned/{uuid.uuid4()}/").status_code == 404


def test_it_opens_the_console_to_the_administrator(client, adam, ticket):
    staff_login(client, adam)
    assert client.get(CONSOLE).status_code == 200
    assert client.get(page(ticket)).status_code == 200
    (read,) = entries("helpdesk.ticket.read", ticket)
    assert read.actor_role == Role.ADMINISTRATOR


# -- Queues ---------------------------------------------------------------------------------------


def test_it_lists_open_tickets_soonest_due_first_with_counts_and_audit(signed_in, cecile):
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC), tick=False):
        later = open_ticket(subject="Later one")
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        urgent = open_ticket(subject="Urgent one", topic=Topic.BILLING)
        staff_services.ticket_priority_set(ticket=urgent, actor=cecile, priority=Priority.URGENT)
    html = signed_in.get(CONSOLE).content.decode()
    assert html.index("Urgent one") < html.index("Later one")
    assert "Chloé Dubois" in html
    text = re.sub(r"<[^>]+>", "", html)
    assert "All open (2 tickets in this queue)" in text
    assert "Billing and payments (1 ticket in this queue)" in text
    listed = entries("helpdesk.ticket.list")
    assert {entry.target for entry in listed} == {
        f"helpdesk.Ticket:{urgent.public_id}",
        f"helpdesk.Ticket:{later.public_id}",
    }
    assert all(entry.actor == cecile.public_id for entry in listed)
    assert "subject" in listed[0].fields
    assert {entry.subject for entry in listed} == {later.person, urgent.person}


def test_it_filters_queues_and_priorities(signed_in, cecile, ticket):
    other = open_ticket(subject="Company offer", topic=Topic.COMPANY)
    staff_services.ticket_assign(ticket=other, actor=cecile, assignee=cecile)
    mine = signed_in.get(CONSOLE, {"queue": "mine"}).content.decode()
    assert "Company offer" in mine and "Dutch B1 on Tuesdays?" not in mine
    unassigned = signed_in.get(CONSOLE, {"queue": "unassigned"}).content.decode()
    assert "Dutch B1 on Tuesdays?" in unassigned and "Company offer" not in unassigned
    topic = signed_in.get(CONSOLE, {"queue": "topic:company"}).content.decode()
    assert "Company offer" in topic and "Dutch B1" not in topic
    urgent = signed_in.get(CONSOLE, {"queue": "open", "priority": "urgent"}).content.decode()
    assert "No ticket in this queue." in urgent
    found = signed_in.get(CONSOLE, {"reference": other.reference[4:9]}).content.decode()
    assert "Company offer" in found and "Dutch B1" not in found
    # An unknown queue shows the open tickets rather than an error.
    assert signed_in.get(CONSOLE, {"queue": "nope"}).status_code == 200


def test_it_renders_script_payloads_inert(signed_in):
    evil = open_ticket(name=SCRIPT, subject=SCRIPT, body=SCRIPT)
    for url in (CONSOLE, page(evil)):
        html = signed_in.get(url).content.decode()
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


# -- Reading a ticket -----------------------------------------------------------------------------


def test_it_shows_the_conversation_and_audits_the_read(signed_in, cecile, ticket):
    staff_services.ticket_note_add(ticket=ticket, actor=cecile, body="Call her back on Monday.")
    response = signed_in.get(page(ticket))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )
    assert "Is there a Dutch B1 group on Tuesday evenings?" in html
    assert "Internal note — not shown to the person" in html
    assert "Call her back on Monday." in html
    (read,) = entries("helpdesk.ticket.read", ticket)
    assert read.actor == cecile.public_id and read.actor_role == Role.CUSTOMER_SERVICE
    assert read.subject == ticket.person
    assert "messages" in read.fields and read.detail["messages"] == 2
    # Ids only in the ledger.
    assert "Chloé" not in str(read.detail) and "chloe@" not in str(read.detail)


# -- Answering ------------------------------------------------------------------------------------


def test_cecile_answers_and_the_person_gets_the_answer(signed_in, cecile, ticket):
    response = signed_in.post(
        page(ticket, "reply"), {"body": "Yes: on Tuesdays, 18:30.", "status": "pending"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.first_responded_at is not None
    assert ticket.assignee == cecile
    answer = ticket.messages.get(author_kind=TicketMessage.Author.STAFF)
    assert answer.author == cecile and not answer.is_internal
    (mail,) = [m for m in person_mails(ticket) if m.kind == "emails/helpdesk_answer"]
    assert "Yes: on Tuesdays, 18:30." in mail.text_body
    (entry,) = entries("helpdesk.ticket.answer", ticket)
    assert entry.actor == cecile.public_id and entry.detail["status"] == "pending"
    assert "Your answer was sent" in status_text(signed_in.get(page(ticket)).content.decode())


def test_the_first_answer_time_stays_the_first(cecile, ticket):
    first = staff_services.ticket_reply_by_staff(ticket=ticket, actor=cecile, body="One")
    answered = Ticket.objects.get(pk=ticket.pk).first_responded_at
    staff_services.ticket_reply_by_staff(ticket=ticket, actor=cecile, body="Two", status="open")
    ticket.refresh_from_db()
    assert answered is not None and ticket.first_responded_at == answered
    assert first.body == "One"
    assert ticket.status == Status.OPEN


def test_an_answer_can_solve_the_ticket(signed_in, ticket):
    signed_in.post(page(ticket, "reply"), {"body": "Done.", "status": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None


def test_an_empty_answer_is_refused_and_nothing_is_saved(signed_in, ticket):
    response = signed_in.post(page(ticket, "reply"), {"body": "   ", "status": "pending"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ticket.messages.count() == 1
    assert not entries("helpdesk.ticket.answer")


def test_a_closed_ticket_takes_no_answer(signed_in, cecile, ticket):
    staff_services.ticket_status_set(ticket=ticket, actor=cecile, status=Status.CLOSED)
    response = signed_in.post(page(ticket, "reply"), {"body": "Late", "status": "pending"})
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert ticket.messages.count() == 1


# -- Internal notes -------------------------------------------------------------------------------


def test_internal_notes_never_reach_the_person(signed_in, cecile, ticket):
    note_text = "NOTE-7741 she was rude on the phone"
    signed_in.post(page(ticket, "note"), {"body": note_text})
    note = ticket.messages.get(is_internal=True)
    assert note.author == cecile and note.author_kind == TicketMessage.Author.STAFF
    (entry,) = entries("helpdesk.ticket.note", ticket)
    assert entry.detail["message"] == str(note.public_id)
    # A note changes no status and sends nothing.
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and ticket.first_responded_at is None
    before = OutboxEmail.objects.count()
    signed_in.post(page(ticket, "reply"), {"body": "We will check.", "status": "pending"})
    assert OutboxEmail.objects.count() == before + 1
    for mail in OutboxEmail.objects.all():
        assert "NOTE-7741" not in (mail.text_body or "") + (mail.html_body or "")
        assert "NOTE-7741" not in (mail.subject or "")


def test_internal_notes_are_not_in_the_persons_portal(client, alice, cecile):
    ticket = open_ticket(account=alice, email=alice.email)
    staff_services.ticket_note_add(ticket=ticket, actor=cecile, body="NOTE-5512 internal")
    staff_services.ticket_reply_by_staff(ticket=ticket, actor=cecile, body="Public answer")
    client.force_login(alice)
    with translation.override("en"):
        response = client.get(reverse("helpdesk:ticket_detail", args=[ticket.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Public answer" in html
    assert "NOTE-5512" not in html


def test_an_empty_note_is_refused(signed_in, ticket):
    response = signed_in.post(page(ticket, "note"), {"body": ""})
    assert response.status_code == 400
    assert not ticket.messages.filter(is_internal=True).exists()


# -- Handling -------------------------------------------------------------------------------------


def test_it_assigns_to_me_and_to_a_colleague(signed_in, cecile, adam, ticket):
    signed_in.post(page(ticket, "assign"), {"assignee": "", "to_me": "1"})
    ticket.refresh_from_db()
    assert ticket.assignee == cecile and ticket.status == Status.OPEN
    signed_in.post(page(ticket, "assign"), {"assignee": str(adam.public_id)})
    ticket.refresh_from_db()
    assert ticket.assignee == adam
    signed_in.post(page(ticket, "assign"), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assigned = entries("helpdesk.ticket.assign", ticket)
    assert [entry.detail["assignee"] for entry in assigned] == [
        str(cecile.public_id),
        str(adam.public_id),
        None,
    ]


def test_it_refuses_to_assign_to_someone_outside_customer_service(signed_in, alice, bill, ticket):
    for outsider in (alice, bill):
        signed_in.post(page(ticket, "assign"), {"assignee": str(outsider.public_id)})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert not entries("helpdesk.ticket.assign")


def test_it_changes_status_with_its_timestamps(signed_in, ticket):
    signed_in.post(page(ticket, "status"), {"status": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED and ticket.solved_at
    signed_in.post(page(ticket, "status"), {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at
    signed_in.post(page(ticket, "status"), {"status": "open"})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None and ticket.closed_at is None
    assert [e.detail["after"] for e in entries("helpdesk.ticket.status", ticket)] == [
        "solved",
        "closed",
        "open",
    ]
    # Nonsense is refused.
    signed_in.post(page(ticket, "status"), {"status": "deleted"})
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_a_priority_change_moves_the_due_times(signed_in, ticket):
    before = (ticket.first_response_due, ticket.resolution_due)
    signed_in.post(page(ticket, "priority"), {"priority": "urgent"})
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT
    assert ticket.first_response_due < before[0] and ticket.resolution_due < before[1]
    (entry,) = entries("helpdesk.ticket.priority", ticket)
    assert entry.detail == {
        "ticket": str(ticket.public_id),
        "before": "normal",
        "after": "urgent",
    }


# -- Canned replies in a ticket -------------------------------------------------------------------


def test_it_offers_canned_replies_in_the_tickets_language(signed_in, cecile, ticket):
    CannedReply.objects.create(title="Invoice EN", language="en", body="Your invoice is ...")
    CannedReply.objects.create(title="Facture FR", language="fr", body="Votre facture ...")
    CannedReply.objects.create(
        title="Company EN", language="en", topic=Topic.COMPANY, body="For companies ..."
    )
    html = signed_in.get(page(ticket)).content.decode()
    assert "Invoice EN" in html
    assert "Facture FR" not in html and "Company EN" not in html


def test_inserting_a_canned_reply_without_javascript_keeps_the_draft(signed_in, ticket):
    reply = CannedReply.objects.create(
        title="Timetable", language="en", body="Our timetable is online."
    )
    response = signed_in.post(
        page(ticket, "reply"),
        {"action": "insert", "canned": str(reply.public_id), "body": "Hello Chloé,"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello Chloé,\n\nOur timetable is online.</textarea>" in html
    # Nothing was sent or saved.
    assert ticket.messages.count() == 1
    assert not entries("helpdesk.ticket.answer")


# -- Attachments ----------------------------------------------------------------------------------


def _attach(ticket: Ticket, status: str) -> Upload:
    with transaction.atomic():
        message = ticket.messages.first()
        upload = upload_store(
            file=SimpleUploadedFile("notes.txt", b"plain text notes\n"),
            subject=ticket.person,
            purpose=services.ATTACHMENT_PURPOSE,
        )
        TicketAttachment.objects.create(message=message, upload=upload, person=ticket.person)
    Upload.objects.filter(pk=upload.pk).update(status=status)
    return upload


def test_staff_download_a_clean_attachment_and_it_is_audited(signed_in, cecile, ticket):
    upload = _attach(ticket, Upload.Status.CLEAN)
    html = signed_in.get(page(ticket)).content.decode()
    assert "notes.txt" in html and "scanned, no malware found" in html
    response = signed_in.get(f"{page(ticket)}files/{upload.public_id}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response) == b"plain text notes\n"
    (entry,) = entries("helpdesk.attachment.read", ticket)
    assert entry.actor == cecile.public_id and entry.detail["upload"] == str(upload.public_id)


def test_a_quarantined_attachment_is_shown_as_such_and_never_served(signed_in, ticket):
    upload = _attach(ticket, Upload.Status.PENDING)
    html = signed_in.get(page(ticket)).content.decode()
    assert "quarantined" in html
    assert f"files/{upload.public_id}/" not in html
    assert signed_in.get(f"{page(ticket)}files/{upload.public_id}/").status_code == 404


def test_an_attachment_of_another_ticket_is_not_found(signed_in, ticket):
    other = open_ticket(subject="Other")
    upload = _attach(other, Upload.Status.CLEAN)
    assert signed_in.get(f"{page(ticket)}files/{upload.public_id}/").status_code == 404
    assert not entries("helpdesk.attachment.read")


# -- A ticket opened by staff ---------------------------------------------------------------------


def test_staff_open_a_ticket_for_a_caller(signed_in, cecile):
    response = signed_in.post(
        f"{CONSOLE}new/",
        {
            "name": "Jan Peeters",
            "email": "jan@example.net",
            "language": "nl",
            "topic": "courses",
            "subject": "Telefoon: Engels B2",
            "body": "Belde over Engels B2 in Woluwe.",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(page(ticket)[3:])
    assert ticket.channel == Channel.STAFF and ticket.assignee == cecile
    assert ticket.language == "nl" and ticket.status == Status.OPEN
    (entry,) = entries("helpdesk.ticket.staff_open", ticket)
    assert entry.actor == cecile.public_id
    assert any(m.kind == "emails/helpdesk_ticket_opened" for m in person_mails(ticket))


# -- Query counts ---------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_queue_reads_as_many_rows_for_a_full_page_as_for_many_pages(
    signed_in, cecile, adam, content_version_read_once
):
    counts, existing = {}, 0
    for total in (TICKETS_PER_PAGE, TICKETS_PER_PAGE * 2 + 3):
        for number in range(existing, total):
            ticket = open_ticket(
                email=f"person{number}@example.org",
                topic=(Topic.COURSES, Topic.BILLING, Topic.OTHER)[number % 3],
            )
            if number % 2:
                staff_services.ticket_assign(
                    ticket=ticket, actor=cecile, assignee=(cecile, adam)[number % 4 == 1]
                )
        existing = total
        counts[total] = _queries(signed_in, CONSOLE)
    assert len(set(counts.values())) == 1, counts


def test_an_answer_carries_files_sealed_with_the_persons_key(signed_in, ticket):
    file = SimpleUploadedFile("timetable.txt", b"Tuesday 18:30\n", content_type="text/plain")
    response = signed_in.post(
        page(ticket, "reply"), {"body": "See the file.", "status": "open", "files": [file]}
    )
    assert response.status_code == 302
    answer = ticket.messages.get(author_kind=TicketMessage.Author.STAFF)
    (attachment,) = answer.attachments.select_related("upload")
    assert attachment.upload.subject == ticket.person
    assert attachment.upload.filename == "timetable.txt"
    assert entries("helpdesk.ticket.answer", ticket)[0].detail["attachments"] == 1


def test_a_refused_file_keeps_nothing_of_the_answer(signed_in, ticket):
    file = SimpleUploadedFile("run.exe", b"MZ\x90\x00\x03" + b"\x00" * 200)
    response = signed_in.post(
        page(ticket, "reply"), {"body": "See the file.", "status": "open", "files": [file]}
    )
    assert response.status_code == 400
    assert ticket.messages.count() == 1
    assert not OutboxEmail.objects.filter(kind="emails/helpdesk_answer").exists()


def test_it_never_shows_customer_service_a_payment_detail(signed_in, alice):
    """A billing question from a learner who paid: the console shows the question, never the
    order, its amount, the payment or the invoice (the data map gives Customer service none
    of them)."""
    from cll.courses.tests.factories import make_session
    from cll.shop import invoices
    from cll.shop.tests.test_staff_support import make_order, make_payment

    order = make_order(alice, make_session(price_cents=47350), total_cents=47350)
    payment = make_payment(order, provider_ref="tr_SECRET_REF")
    invoice = invoices.invoice_issue(order=order)
    ticket = open_ticket(
        account=alice, email=alice.email, topic=Topic.BILLING, subject="My invoice"
    )
    pages = "".join(
        signed_in.get(url).content.decode()
        for url in (reverse("helpdesk_staff:ticket_list"), page(ticket))
    )
    assert pages.count("My invoice") >= 2
    for hidden in ("473.50", "473,50", "47350", payment.provider_ref, order.reference):
        assert hidden not in pages
    assert invoice.number not in pages
