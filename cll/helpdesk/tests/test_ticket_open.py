"""Opening a ticket (services.ticket_open) and the e-mails the person gets about it: one
transaction with its evidence, sealed with the right key, acknowledged without relaying what
was typed, threaded answers, never an internal note."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import translation

from cll.core.models import OutboxEmail
from cll.core.outbox import outbox_deliver_due
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Status, Ticket, TicketMessage, Topic
from cll.lib.tokens import link_token_hash
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def opened(**fields) -> services.TicketOpened:
    return services.ticket_open(
        **{
            "name": "Chloé Dubois",
            "email": " Chloe@Example.org ",
            "subject": "Dutch B1 on Tuesdays?",
            "body": "Is there a Dutch B1 group on Tuesday evenings in Wavre?",
            "topic": Topic.COURSES,
            "language": "en",
            "channel": Channel.FORM,
            **fields,
        }
    )


def mails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=f"emails/{kind}").order_by("created_at"))


def staff_answer(ticket: Ticket, cecile, body: str, **extra) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket,
        person=ticket.person,
        author_kind=TicketMessage.Author.STAFF,
        author=cecile,
        body=body,
        channel=Channel.STAFF,
        **extra,
    )


def test_it_opens_a_ticket_for_a_visitor_with_its_own_key_and_link():
    result = opened()
    ticket = result.ticket
    assert ticket.status == Status.NEW and ticket.account is None
    assert ticket.email == "chloe@example.org"
    assert ticket.reference.startswith("CLL-") and len(ticket.reference) == 12
    assert services.REFERENCE_RE.search(f"Re: [{ticket.reference}] hello")
    # A visitor's ticket is its own data subject, reached by a secret link.
    assert result.access_token and ticket.access_token_hash == link_token_hash(result.access_token)
    assert ticket.person not in (None, ticket.public_id)
    (first,) = ticket.messages.all()
    assert first.author_kind == TicketMessage.Author.REQUESTER and first.person == ticket.person
    assert first.body.startswith("Is there a Dutch B1 group")
    # Service levels started.
    assert ticket.first_response_due and ticket.resolution_due
    # Only ciphertext in the database, the secret included.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, email, subject, access_token FROM helpdesk_ticket WHERE id = %s",
            [ticket.pk],
        )
        raw = cursor.fetchone()
    assert all(value.startswith("e1.") for value in raw)
    assert result.access_token not in "".join(raw)


def test_it_opens_an_accounts_ticket_under_the_accounts_key(alice):
    result = opened(account=alice, email=alice.email)
    ticket = result.ticket
    assert result.access_token is None and ticket.access_token_hash == ""
    assert ticket.person == alice.public_id and ticket.account == alice


def test_it_records_the_opening_in_the_ledger_with_ids_only(alice):
    ticket = opened(account=alice, email=alice.email, session=None).ticket
    entry = AuditEntry.objects.get(action="helpdesk.ticket.open")
    assert entry.subject == alice.public_id and entry.actor == alice.public_id
    assert entry.detail == {
        "ticket": str(ticket.public_id),
        "channel": "form",
        "topic": "courses",
        "attachments": 0,
        "with_session": False,
    }


def test_it_acknowledges_without_echoing_what_was_typed():
    result = opened(subject=f"Cheap pills {SCRIPT}", body=f"Visit spam.example {SCRIPT}")
    ticket = result.ticket
    (ack,) = mails("helpdesk_ticket_opened")
    assert ack.to_address == "chloe@example.org" and ack.person == ticket.person
    assert f"[{ticket.reference}]" in ack.subject
    assert result.access_token in ack.text_body
    with translation.override("en"):
        link = reverse("helpdesk:ticket_by_token", args=[ticket.public_id, result.access_token])
    assert link in ack.text_body
    for typed in ("Chloé", "pills", "spam.example", "<script"):
        assert (
            typed not in ack.text_body and typed not in ack.subject and typed not in ack.html_body
        )
    # The thread starts with the acknowledgement.
    assert ticket.messages.get().email_message_id == ack.message_id


def test_it_tells_customer_service(cecile):
    opened()
    (notice,) = mails("helpdesk_staff_opened")
    assert notice.to_address == cecile.email


def test_it_refuses_over_the_flood_limits_and_saves_nothing(settings):
    settings.HELPDESK_RATE_PER_IP_HOUR = 1
    opened(client_ip="192.0.2.1")
    with pytest.raises(services.TicketRateLimited):
        opened(client_ip="192.0.2.1", email="other@example.org")
    assert Ticket.objects.count() == 1
    # Chat and e-mail tickets (no client IP) are not counted.
    opened(channel=Channel.CHAT)
    assert Ticket.objects.count() == 2


def test_a_reply_reopens_a_solved_ticket_and_tells_staff(cecile):
    ticket = opened().ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED)
    ticket.refresh_from_db()
    message = services.ticket_reply_by_requester(
        ticket=ticket, body="Not quite: and on Thursdays?", channel=Channel.PORTAL
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None
    assert message.author_kind == TicketMessage.Author.REQUESTER
    assert len(mails("helpdesk_staff_replied")) == 1
    entry = AuditEntry.objects.get(action="helpdesk.ticket.reply")
    assert entry.subject == ticket.person
    assert entry.detail["message"] == str(message.public_id)


def test_the_same_inbound_email_adds_one_message():
    ticket = opened().ticket
    for _ in range(2):
        services.ticket_reply_by_requester(
            ticket=ticket, body="By mail", channel=Channel.EMAIL, email_message_id="<a@b.example>"
        )
    assert ticket.messages.count() == 2


def test_a_closed_ticket_refuses_a_reply():
    ticket = opened().ticket
    services.ticket_close_by_requester(ticket=ticket)
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    with pytest.raises(ValidationError) as refused:
        services.ticket_reply_by_requester(ticket=ticket, body="Hello?", channel=Channel.PORTAL)
    assert refused.value.code == "closed"
    assert ticket.messages.count() == 1
    # Closing again changes nothing and records nothing more.
    services.ticket_close_by_requester(ticket=ticket)
    assert AuditEntry.objects.filter(action="helpdesk.ticket.close").count() == 1


def test_the_answer_email_is_threaded_and_inert(cecile, settings):
    settings.HELPDESK_REPLY_ADDRESS = "support@cll.example"
    result = opened()
    ticket = result.ticket
    (ack,) = mails("helpdesk_ticket_opened")
    assert ack.headers["Reply-To"] == f"support+{ticket.reply_key}@cll.example"
    answer = staff_answer(ticket, cecile, f"Yes, on Tuesdays. {SCRIPT}")
    services.requester_notify_staff_reply(message=answer)
    (sent,) = mails("helpdesk_answer")
    assert sent.to_address == "chloe@example.org" and sent.person == ticket.person
    assert f"[{ticket.reference}]" in sent.subject
    # The answer as plain text; escaped (inert) in the HTML part.
    assert SCRIPT in sent.text_body
    assert "<script" not in sent.html_body and "&lt;script&gt;" in sent.html_body
    assert result.access_token in sent.text_body
    assert sent.headers["In-Reply-To"] == ack.message_id
    assert sent.headers["References"] == ack.message_id
    assert sent.headers["Reply-To"] == f"support+{ticket.reply_key}@cll.example"
    answer.refresh_from_db()
    assert answer.email_message_id == sent.message_id
    # The next answer refers to both.
    second = staff_answer(ticket, cecile, "And on Thursdays too.")
    services.requester_notify_staff_reply(message=second)
    latest = mails("helpdesk_answer")[-1]
    assert latest.headers["In-Reply-To"] == sent.message_id
    assert latest.headers["References"] == f"{ack.message_id} {sent.message_id}"


def test_an_account_holder_is_sent_to_the_signed_in_portal(alice, cecile):
    ticket = opened(account=alice, email=alice.email).ticket
    services.requester_notify_staff_reply(message=staff_answer(ticket, cecile, "Yes."))
    (sent,) = mails("helpdesk_answer")
    with translation.override("en"):
        assert reverse("helpdesk:ticket_detail", args=[ticket.public_id]) in sent.text_body


def test_an_internal_note_is_never_emailed(cecile):
    ticket = opened().ticket
    note = staff_answer(ticket, cecile, "She asked twice already.", is_internal=True)
    with pytest.raises(ValueError):
        services.requester_notify_staff_reply(message=note)
    assert not mails("helpdesk_answer")


def test_the_acknowledgement_reaches_the_smtp_server(smtp_server):
    result = opened()
    outbox_deliver_due()
    (received,) = [m for m in smtp_server.messages if "chloe@example.org" in m.rcpt_tos]
    message = received.message
    assert result.ticket.reference in message["Subject"]
    assert message["Content-Language"] == "en"
    assert not mail.outbox
