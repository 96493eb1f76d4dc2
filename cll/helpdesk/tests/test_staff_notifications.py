"""E-mails to staff about tickets: who is told, in their language, and never what the person
wrote or who they are."""

from __future__ import annotations

import pytest

from cll.core.models import OutboxEmail
from cll.helpdesk import services, staff_services
from cll.helpdesk.models import Topic
from cll.helpdesk.staff_notifications import staff_notify_ticket_opened
from cll.helpdesk.tests.test_staff_console import open_ticket as console_open_ticket
from cll.privacy import services as privacy_services

pytestmark = pytest.mark.django_db

NAME, SUBJECT, BODY = "Chloé Dubois", "SUBJ-3318 Dutch B1", "BODY-4471 private question"


def staff_mails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=f"emails/helpdesk_staff_{kind}").order_by("id"))


def open_ticket():
    return console_open_ticket(name=NAME, subject=SUBJECT, body=BODY, topic=Topic.BILLING)


def assert_nothing_personal(mail: OutboxEmail) -> None:
    for secret in (NAME, "SUBJ-3318", "BODY-4471", "chloe@example.org"):
        assert secret not in mail.subject
        assert secret not in mail.text_body and secret not in mail.html_body


def test_a_new_ticket_is_announced_to_customer_service(cecile, adam, bill):
    ticket = open_ticket()
    (mail,) = staff_mails("opened")
    # Customer service only: not the administrator, not Billing.
    assert mail.to_address == cecile.email
    # Staff are written to in their language (French by default).
    assert ticket.reference in mail.subject and "Facturation et paiements" in mail.subject
    assert f"/staff/helpdesk/tickets/{ticket.public_id}/" in mail.text_body
    # Sealed with the person's key.
    assert mail.person == ticket.person
    assert_nothing_personal(mail)


def test_the_persons_next_message_goes_to_the_assignee_only(cecile, adam):
    ticket = open_ticket()
    staff_services.ticket_assign(ticket=ticket, actor=cecile, assignee=adam)
    services.ticket_reply_by_requester(ticket=ticket, body="BODY-4471 more", channel="portal")
    (mail,) = staff_mails("replied")
    assert mail.to_address == adam.email
    assert_nothing_personal(mail)


def test_each_member_is_written_to_in_their_language(cecile, monkeypatch):
    # The team's languages are read by cll.privacy.services.staff_recipients.
    monkeypatch.setattr(privacy_services, "person_language", lambda user: "nl")
    ticket = open_ticket()
    (mail,) = staff_mails("opened")
    assert mail.headers["Content-Language"] == "nl"
    assert f"/nl/staff/helpdesk/tickets/{ticket.public_id}/" in mail.text_body


def test_without_customer_service_the_general_mailbox_is_told(settings, alice):
    settings.DEFAULT_FROM_EMAIL = "CLL <info@cll.example>"
    ticket = open_ticket()
    OutboxEmail.objects.all().delete()
    staff_notify_ticket_opened(ticket=ticket)
    (mail,) = staff_mails("opened")
    assert mail.to_address == "info@cll.example"
