"""E-mails to staff about tickets: a new ticket, a new message from the person.

Rules
-----
- **Who is told.** The assignee when the ticket has one (an active staff account still holding
  a helpdesk role), else every active Customer service member; when there is nobody, the
  general mailbox (the address we send from), so a ticket is never left unannounced.
- **Nothing personal in the e-mail.** The notice names the reference, the topic and the link to
  the ticket's staff page, never the person's name, address, subject or text: staff read those
  on the console, where every read is audited. A mailbox is not an access-controlled page.
- **Sealed with the ticket's person.** The outbox rows are encrypted with the person's data key
  (``subject_person``), so erasing the person makes these copies unreadable too.
- Queued in the caller's transaction (sent after its commit); each recipient gets it in their
  own language.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cll.core.outbox import email_queue_template
from cll.core.roles import Role, staff_roles_of
from cll.helpdesk.models import Ticket, TicketMessage, Topic
from cll.privacy.services import person_language, staff_recipients

# Roles that work on tickets (the console's gate); an assignee without one is not told.
HELPDESK_ROLES = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR)


def _recipients(ticket: Ticket) -> list[tuple[str, str]]:
    """(address, language) of whoever should hear about ``ticket`` (see the module rules)."""
    assignee = ticket.assignee
    if assignee is not None and assignee.email and staff_roles_of(assignee) & set(HELPDESK_ROLES):
        return [(assignee.email, person_language(assignee))]
    return staff_recipients(role=Role.CUSTOMER_SERVICE)


def _notify(ticket: Ticket, *, template: str, **extra) -> None:
    for address, language in _recipients(ticket):
        with translation.override(language):
            # The ticket's staff page, in the recipient's language prefix.
            path = reverse("helpdesk_staff:ticket_detail", args=[ticket.public_id])
        email_queue_template(
            to=address,
            template_prefix=f"emails/helpdesk_staff_{template}",
            context={
                "reference": ticket.reference,
                # Lazy: rendered in the recipient's language.
                "topic": Topic(ticket.topic).label if ticket.topic in Topic.values else "",
                "link": settings.SITE_URL.rstrip("/") + path,
                **extra,
            },
            language=language,
            subject_person=ticket.person,
        )


def staff_notify_ticket_opened(*, ticket: Ticket) -> None:
    """Tell the helpdesk that ``ticket`` was opened (reference, topic, link; nothing personal)."""
    _notify(ticket, template="opened")


def staff_notify_requester_replied(*, message: TicketMessage) -> None:
    """Tell the assignee (or the team) that the person wrote again on the message's ticket."""
    _notify(message.ticket, template="replied")


def staff_notify_sla_breached(*, ticket: Ticket, target: str) -> None:
    """Tell the assignee (or the team) that the ticket's first answer or resolution is overdue
    (``target``: ``sla.SlaTarget``). Queued in the caller's transaction (or at once outside
    one, as the periodic job runs)."""
    _notify(ticket, template="overdue", first_response=target == "first_response")
