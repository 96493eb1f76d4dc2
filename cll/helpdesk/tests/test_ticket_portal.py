"""The person's support portal: "My support requests" for an account, the secret link for a
visitor; the conversation without internal notes; answering and closing; strangers get 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cll.core.urlscrub import path_without_secrets
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Status, Ticket, TicketMessage, Topic
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
NOTE = "Internal: she already asked twice, check her invoice."


def open_ticket(account=None, **fields) -> services.TicketOpened:
    return services.ticket_open(
        **{
            "name": "Alice Martin",
            "email": account.email if account else "visitor@example.org",
            "subject": "My timetable",
            "body": "Where is my timetable?",
            "topic": Topic.COURSES,
            "language": "fr",
            "channel": Channel.FORM,
            "account": account,
            **fields,
        }
    )


def add_message(ticket: Ticket, author, body: str, *, internal: bool = False) -> TicketMessage:
    # The staff side is another engineer's: messages are written through the model here.
    return TicketMessage.objects.create(
        ticket=ticket,
        person=ticket.person,
        author_kind=TicketMessage.Author.STAFF,
        author=author,
        body=body,
        is_internal=internal,
        channel=Channel.STAFF,
    )


def detail(ticket: Ticket) -> str:
    return reverse("helpdesk:ticket_detail", args=[ticket.public_id])


def by_token(opened: services.TicketOpened, name: str = "ticket_by_token") -> str:
    return reverse(f"helpdesk:{name}", args=[opened.ticket.public_id, opened.access_token])


def test_the_list_needs_a_sign_in(client):
    response = client.get(reverse("helpdesk:ticket_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_lists_only_the_persons_own_tickets(client, alice, charlie):
    mine = open_ticket(alice, subject="Mine").ticket
    open_ticket(charlie, subject="Charlie's")
    open_ticket(subject="A visitor's")
    client.force_login(alice)
    response = client.get(reverse("helpdesk:ticket_list"))
    assert list(response.context["tickets"]) == [mine]
    page = response.content.decode()
    assert mine.reference in page and "Charlie" not in page and "visitor" not in page
    assert "no-store" in response["Cache-Control"]


def test_the_detail_needs_a_sign_in(client, alice):
    ticket = open_ticket(alice).ticket
    response = client.get(detail(ticket))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_stranger_gets_404_everywhere(client, alice, charlie):
    ticket = open_ticket(alice).ticket
    client.force_login(charlie)
    assert client.get(detail(ticket)).status_code == 404
    assert client.post(detail(ticket), {"body": "Hi"}).status_code == 404
    close = reverse("helpdesk:ticket_close", args=[ticket.public_id])
    assert client.post(close).status_code == 404
    assert ticket.messages.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_it_shows_the_conversation_without_internal_notes(client, alice, cecile):
    ticket = open_ticket(alice).ticket
    add_message(ticket, cecile, "Your timetable is in your account.")
    add_message(ticket, cecile, NOTE, internal=True)
    client.force_login(alice)
    response = client.get(detail(ticket))
    page = response.content.decode()
    assert "Where is my timetable?" in page and "Your timetable is in your account." in page
    assert NOTE not in page and "twice" not in page
    assert len(response.context["messages_shown"]) == 2
    assert "no-store" in response["Cache-Control"]


def test_script_payloads_render_inert(client, alice, cecile):
    ticket = open_ticket(alice, subject=f"S {SCRIPT}", body=f"B {SCRIPT}").ticket
    add_message(ticket, cecile, f"A {SCRIPT}")
    client.force_login(alice)
    for url in (detail(ticket), reverse("helpdesk:ticket_list")):
        page = client.get(url).content.decode()
        assert SCRIPT not in page
        assert "&lt;script&gt;" in page


def test_the_person_answers_and_a_solved_ticket_opens_again(client, alice, cecile):
    ticket = open_ticket(alice).ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED)
    client.force_login(alice)
    response = client.post(detail(ticket), {"body": "Still not there."})
    assert response.status_code == 302 and response["Location"] == detail(ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    last = ticket.messages.last()
    assert last.body == "Still not there." and last.channel == Channel.PORTAL
    entry = AuditEntry.objects.get(action="helpdesk.ticket.reply")
    assert entry.actor == alice.public_id and entry.subject == alice.public_id


def test_an_empty_answer_is_refused_inline(client, alice):
    ticket = open_ticket(alice).ticket
    client.force_login(alice)
    response = client.post(detail(ticket), {"body": ""})
    assert response.status_code == 200 and "body" in response.context["form"].errors
    assert ticket.messages.count() == 1


def test_the_person_closes_their_ticket(client, alice):
    ticket = open_ticket(alice).ticket
    client.force_login(alice)
    close = reverse("helpdesk:ticket_close", args=[ticket.public_id])
    assert client.get(close).status_code == 405
    response = client.post(close)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.closed_at is not None
    assert AuditEntry.objects.get(action="helpdesk.ticket.close").actor == alice.public_id
    # A closed ticket has no answer form and refuses an answer with a message.
    page = client.get(detail(ticket)).content.decode()
    assert 'name="body"' not in page
    response = client.post(detail(ticket), {"body": "One more thing"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert ticket.messages.count() == 1


def test_a_visitor_reaches_their_ticket_by_the_secret_link(cecile):
    opened = open_ticket()
    add_message(opened.ticket, cecile, "Here is the answer.")
    add_message(opened.ticket, cecile, NOTE, internal=True)
    visitor = Client()
    response = visitor.get(by_token(opened))
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Here is the answer." in page and NOTE not in page
    response = visitor.post(by_token(opened), {"body": "Thanks, and the room?"})
    assert response.status_code == 302 and response["Location"] == by_token(opened)
    assert opened.ticket.messages.filter(author_kind="requester").count() == 2
    assert visitor.post(by_token(opened, "ticket_by_token_close")).status_code == 302
    opened.ticket.refresh_from_db()
    assert opened.ticket.status == Status.CLOSED


@pytest.mark.parametrize("token", ["wrong", "x" * 43, "x" * 300])
def test_a_wrong_secret_gets_404(client, token):
    opened = open_ticket()
    url = reverse("helpdesk:ticket_by_token", args=[opened.ticket.public_id, token])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Hi"}).status_code == 404
    assert opened.ticket.messages.count() == 1


def test_another_tickets_secret_opens_nothing(client):
    first, second = open_ticket(), open_ticket()
    url = reverse("helpdesk:ticket_by_token", args=[first.ticket.public_id, second.access_token])
    assert client.get(url).status_code == 404


def test_an_accounts_ticket_has_no_secret_link(client, alice):
    ticket = open_ticket(alice).ticket
    url = reverse("helpdesk:ticket_by_token", args=[ticket.public_id, "anything"])
    assert client.get(url).status_code == 404


def test_the_secret_never_reaches_the_access_log():
    opened = open_ticket()
    for name in ("ticket_by_token", "ticket_by_token_close"):
        logged = path_without_secrets(by_token(opened, name))
        assert opened.access_token not in logged and "<token>" in logged
