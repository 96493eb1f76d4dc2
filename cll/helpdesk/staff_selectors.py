"""Reads of the helpdesk by staff: the console's queues, a ticket, its messages, canned replies.

Who reads what (``cll/helpdesk/privacy.py``): Customer service and the Administrator
(``HELPDESK_ROLES``) read tickets, their messages (internal notes included) and attachments.
Nothing financial is shown: a ticket names the person and, at most, a session, never an order or
a payment (the shop's data map does not let Customer service read them).

Audit: every ticket listed writes ``helpdesk.ticket.list`` (the fields shown, never their
values), every ticket opened ``helpdesk.ticket.read``, every attachment downloaded
``helpdesk.attachment.read``, in the read's transaction, naming the person (``id:person``).

Queries: a queue page costs the same number of queries for 25 tickets as for 2,500 (the keys
that decrypt the page's rows are read in one query, related rows are joined); the counts per
queue are one aggregate query.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cll.accounts.models import User
from cll.core.encryption import data_keys_preload
from cll.core.models import Upload
from cll.core.roles import acting_role
from cll.helpdesk.models import (
    CannedReply,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
    Topic,
)
from cll.helpdesk.staff_notifications import HELPDESK_ROLES
from cll.privacy.services import audit_record

TICKETS_PER_PAGE = 25
# Statuses as staff name them (the person reads "waiting for your answer" for pending).
STATUS_LABELS = {
    Status.NEW: gettext_lazy("New"),
    Status.OPEN: gettext_lazy("Open"),
    Status.PENDING: gettext_lazy("Waiting for the person"),
    Status.SOLVED: gettext_lazy("Solved"),
    Status.CLOSED: gettext_lazy("Closed"),
}
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
# What each page shows of a person (named in its audit entries).
LIST_FIELDS = ("reference", "name", "subject", "status", "priority", "assignee", "topic")
DETAIL_FIELDS = (
    "reference",
    "name",
    "email",
    "language",
    "subject",
    "topic",
    "session",
    "status",
    "priority",
    "channel",
    "assignee",
    "created_at",
    "first_response_due",
    "resolution_due",
    "messages",
    "attachments",
)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int


# The fixed queues (key, label, condition); "mine" depends on the reader. Topic queues
# ("topic:<code>") hold the open tickets of one topic.
def _fixed_queues(user: User) -> list[tuple[str, str, Q]]:
    return [
        ("mine", _("Assigned to me"), Q(assignee=user, status__in=OPEN_STATUSES)),
        ("unassigned", _("Unassigned"), Q(assignee__isnull=True, status__in=OPEN_STATUSES)),
        ("open", _("All open"), Q(status__in=OPEN_STATUSES)),
        ("pending", _("Waiting for the person"), Q(status=Status.PENDING)),
        ("solved", _("Solved"), Q(status=Status.SOLVED)),
        ("closed", _("Closed"), Q(status=Status.CLOSED)),
    ]


def _topic_queues() -> list[tuple[str, str, Q]]:
    return [
        (f"topic:{code}", str(label), Q(topic=code, status__in=OPEN_STATUSES))
        for code, label in Topic.choices
    ]


def require_helpdesk_role(user: User) -> str:
    """The role ``user`` acts in on the helpdesk (for audit entries); refuses anyone else."""
    role = acting_role(user, *HELPDESK_ROLES)
    if not role:
        raise PermissionDenied
    return role


def queue_condition(*, user: User, queue: str) -> Q | None:
    """The filter of ``queue``, None for an unknown one."""
    for key, _label, condition in (*_fixed_queues(user), *_topic_queues()):
        if key == queue:
            return condition
    return None


def queue_list_for(*, user: User) -> list[Queue]:
    """Every queue with its number of tickets, counted in one aggregate query."""
    require_helpdesk_role(user)
    queues = [*_fixed_queues(user), *_topic_queues()]
    counts = Ticket.objects.aggregate(
        **{f"q{index}": Count("pk", filter=cond) for index, (_k, _l, cond) in enumerate(queues)}
    )
    return [
        Queue(key, label, counts[f"q{index}"]) for index, (key, label, _cond) in enumerate(queues)
    ]


def _with_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    # The running target's due time (sla.sla_state): the first answer's until staff answered,
    # then the resolution's. Solved and closed tickets sort by their last activity.
    return tickets.annotate(
        due=Case(
            When(status__in=(Status.SOLVED, Status.CLOSED), then=None),
            When(first_responded_at__isnull=True, then=F("first_response_due")),
            default=F("resolution_due"),
        ),
        sort_time=Coalesce("due", "updated_at"),
    )


def ticket_page_for(
    *,
    user: User,
    queue: str = "open",
    priority: str = "",
    assignee: User | None = None,
    reference: str = "",
    page: str | int | None = 1,
    route: str = "",
) -> Page:
    """One page of the tickets of ``queue``, the soonest due first (solved and closed: the most
    recent first), filtered by priority, assignee and a part of the reference. Each ticket shown
    is audited (``helpdesk.ticket.list``). Raises ``PermissionDenied`` for a non-helpdesk user
    and ``ValueError`` for an unknown queue."""
    role = require_helpdesk_role(user)
    condition = queue_condition(user=user, queue=queue)
    if condition is None:
        raise ValueError(f"Unknown queue {queue!r}.")
    tickets = _with_due(Ticket.objects.filter(condition))
    if priority:
        tickets = tickets.filter(priority=priority)
    if assignee is not None:
        tickets = tickets.filter(assignee=assignee)
    if reference:
        tickets = tickets.filter(reference__icontains=reference.strip())
    if queue in ("solved", "closed"):
        ordering = ("-updated_at", "-id")
    else:
        ordering = (F("due").asc(nulls_last=True), "created_at", "id")
    # Paginate ids first, read the page's keys in one query, then its rows: decrypting the
    # names and subjects then costs no query per row.
    keys = Paginator(tickets.order_by(*ordering).values("pk", "person"), TICKETS_PER_PAGE)
    result = keys.get_page(page)
    rows = list(result.object_list)
    data_keys_preload(subjects={row["person"] for row in rows})
    by_pk = {
        ticket.pk: ticket
        for ticket in _with_due(Ticket.objects.filter(pk__in=[row["pk"] for row in rows]))
        .select_related("assignee")
        .defer("email", "access_token_hash")
    }
    result.object_list = [by_pk[row["pk"]] for row in rows if row["pk"] in by_pk]
    with transaction.atomic():
        for ticket in result.object_list:
            audit_record(
                actor=user,
                role=role,
                action="helpdesk.ticket.list",
                target=ticket,
                fields=LIST_FIELDS,
                route=route,
            )
    return result


def ticket_find_for(*, user: User, public_id: uuid.UUID) -> Ticket | None:
    """The ticket for a change (services audit the change itself), or None; no read entry."""
    require_helpdesk_role(user)
    return Ticket.objects.select_related("assignee", "session").filter(public_id=public_id).first()


@dataclass(frozen=True)
class TicketView:
    """A ticket as the console shows it: the row and its conversation, notes included."""

    ticket: Ticket
    messages: list[TicketMessage]


def ticket_get_for(*, user: User, public_id: uuid.UUID, route: str = "") -> TicketView | None:
    """One ticket with its messages (internal notes included) and their attachments, or None
    (404). Audited (``helpdesk.ticket.read``), ids and field names only."""
    role = require_helpdesk_role(user)
    ticket = ticket_find_for(user=user, public_id=public_id)
    if ticket is None:
        return None
    messages = list(
        ticket.messages.select_related("author")
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=TicketAttachment.objects.select_related("upload").order_by("id"),
            )
        )
        .order_by("created_at", "id")
    )
    with transaction.atomic():
        audit_record(
            actor=user,
            role=role,
            action="helpdesk.ticket.read",
            target=ticket,
            fields=DETAIL_FIELDS,
            route=route,
            detail={"ticket": ticket.public_id, "messages": len(messages)},
        )
    return TicketView(ticket, messages)


def attachment_get_for(
    *, user: User, ticket_public_id: uuid.UUID, upload_public_id: uuid.UUID, route: str = ""
) -> Upload | None:
    """The file of one attachment of the ticket, or None (404): the file must belong to a
    message of that very ticket. Audited (``helpdesk.attachment.read``) before it is served."""
    role = require_helpdesk_role(user)
    attachment = (
        TicketAttachment.objects.select_related("upload", "message__ticket")
        .filter(
            message__ticket__public_id=ticket_public_id,
            upload__public_id=upload_public_id,
        )
        .first()
    )
    if attachment is None:
        return None
    with transaction.atomic():
        audit_record(
            actor=user,
            role=role,
            action="helpdesk.attachment.read",
            target=attachment.message.ticket,
            fields=("attachments",),
            route=route,
            detail={"ticket": ticket_public_id, "upload": upload_public_id},
        )
    return attachment.upload


def helpdesk_colleagues() -> QuerySet[User]:
    """Who a ticket may be assigned to: active staff holding a helpdesk role."""
    return (
        User.objects.filter(is_active=True, is_staff=True, groups__name__in=HELPDESK_ROLES)
        .distinct()
        .order_by("email")
    )


def canned_reply_list_for(
    *, user: User, language: str = "", topics: Iterable[str] = ()
) -> QuerySet[CannedReply]:
    """Canned replies, by title; only ``language``'s and, with ``topics``, those of these topics
    or of none (general answers)."""
    require_helpdesk_role(user)
    replies = CannedReply.objects.all()
    if language:
        replies = replies.filter(language=language)
    topics = list(topics)
    if topics:
        replies = replies.filter(Q(topic__in=topics) | Q(topic=""))
    return replies.order_by("title", "id")


def canned_reply_get_for(*, user: User, public_id: uuid.UUID) -> CannedReply | None:
    require_helpdesk_role(user)
    return CannedReply.objects.filter(public_id=public_id).first()
