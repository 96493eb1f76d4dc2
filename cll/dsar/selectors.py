"""Reads of the dsar app for staff: the privacy officer's queue.

Only the Privacy officer and Administrator roles read requests (``QUEUE_ROLES``); anyone else
gets ``PermissionDenied`` here, whatever the view does. Opening a request writes a ``dsar.read``
audit entry naming the fields shown, in the same transaction as the read. The list shows no
personal data (no address, no details), only types, dates and states.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce

from cll.core.roles import staff_roles_of
from cll.dsar.models import DataSubjectRequest
from cll.dsar.services import QUEUE_ROLES, request_audit
from cll.privacy import datamap

# Fields of a request shown on its detail page (named in the audit entry of each view).
DETAIL_FIELDS = (
    "type",
    "status",
    "channel",
    "email",
    "details",
    "account",
    "received_at",
    "verified_at",
    "verification",
    "due_on",
    "extended_to",
    "extension_reason",
    "outcome",
    "notices",
)


def queue_allowed(user) -> bool:
    return bool(staff_roles_of(user) & set(QUEUE_ROLES))


def _require(user) -> None:
    if not queue_allowed(user):
        raise PermissionDenied


def request_list_for(*, staff, closed: bool = False) -> QuerySet[DataSubjectRequest]:
    """Open requests by deadline (so overdue ones come first), then those awaiting
    verification; or closed requests, the latest first."""
    _require(staff)
    Status = DataSubjectRequest.Status
    rows = DataSubjectRequest.objects.only(
        "public_id",
        "type",
        "status",
        "channel",
        "received_at",
        "due_on",
        "extended_to",
        "closed_at",
    )
    if closed:
        return rows.filter(status__in=(Status.COMPLETED, Status.REJECTED)).order_by("-closed_at")
    return (
        rows.filter(status__in=(Status.OPEN, Status.UNVERIFIED))
        .annotate(
            deadline_in_force=Coalesce("extended_to", "due_on"),
            waiting=Case(
                When(status=Status.UNVERIFIED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .order_by("waiting", F("deadline_in_force").asc(nulls_last=True), "received_at")
    )


@dataclass(frozen=True)
class NoticeView:
    key: str
    name: str
    method: str
    notified_at: str | None


def request_get_for(*, staff, public_id: uuid.UUID) -> DataSubjectRequest | None:
    """One request for the queue's detail page; every call is audited (``dsar.read``)."""
    _require(staff)
    request = (
        DataSubjectRequest.objects.select_related("account").filter(public_id=public_id).first()
    )
    if request is None:
        return None
    with transaction.atomic():
        request_audit(request, "dsar.read", actor=staff, fields=DETAIL_FIELDS)
    return request


def notices_of(request: DataSubjectRequest) -> list[NoticeView]:
    views = []
    for notice in request.notices:
        recipient = datamap.RECIPIENTS.get(notice["recipient"])
        views.append(
            NoticeView(
                key=notice["recipient"],
                name=recipient.name if recipient else notice["recipient"],
                method=notice["method"],
                notified_at=notice["notified_at"],
            )
        )
    return views
