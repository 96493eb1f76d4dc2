"""Staff console of the helpdesk (templates under jinja2/helpdesk/staff/): Customer service
and the Administrator only (``staff_role_required``).

Thin views: the selectors check the role again and audit every read of a ticket, the services
check it again and audit every change. State changes are POST only; a ticket or a canned reply
that does not exist answers 404.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.core import uploads
from cll.core.roles import staff_role_required
from cll.helpdesk import staff_selectors, staff_services
from cll.helpdesk.models import Status, Ticket
from cll.helpdesk.sla import sla_state
from cll.helpdesk.staff_forms import (
    AssignForm,
    CannedReplyForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StaffTicketOpenForm,
    StatusForm,
    TicketFilterForm,
)
from cll.helpdesk.staff_notifications import HELPDESK_ROLES
from cll.helpdesk.staff_selectors import STATUS_LABELS
from cll.lib.urls import view_route

helpdesk_required = staff_role_required(*HELPDESK_ROLES)


# -- Queues ---------------------------------------------------------------------------------------


@helpdesk_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    queues = staff_selectors.queue_list_for(user=request.user)
    keys = {queue.key for queue in queues}
    queue = request.GET.get("queue", "open")
    if queue not in keys:
        queue = "open"
    colleagues = list(staff_selectors.helpdesk_colleagues())
    form = TicketFilterForm(request.GET or None, colleagues=colleagues)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = staff_selectors.ticket_page_for(
        user=request.user,
        queue=queue,
        priority=filters.get("priority", ""),
        assignee=filters.get("assignee"),
        reference=filters.get("reference", ""),
        page=request.GET.get("page"),
        route=view_route(request),
    )
    rows = [
        (ticket, sla_state(ticket), STATUS_LABELS[ticket.status]) for ticket in page.object_list
    ]
    return render(
        request,
        "helpdesk/staff/ticket_list.html",
        {
            "queues": queues,
            "queue": queue,
            "current": next(item for item in queues if item.key == queue),
            "form": form,
            "page": page,
            "rows": rows,
        },
    )


# -- One ticket -----------------------------------------------------------------------------------


def _ticket(request: HttpRequest, public_id: uuid.UUID) -> Ticket:
    """The ticket a change is about (the service audits the change), or 404."""
    ticket = staff_selectors.ticket_find_for(user=request.user, public_id=public_id)
    if ticket is None:
        raise Http404
    return ticket


def _replies_for(request: HttpRequest, ticket: Ticket):
    return staff_selectors.canned_reply_list_for(
        user=request.user, language=ticket.language, topics=[ticket.topic]
    )


def _detail(
    request: HttpRequest,
    public_id: uuid.UUID,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    view = staff_selectors.ticket_get_for(
        user=request.user, public_id=public_id, route=view_route(request)
    )
    if view is None:
        raise Http404
    ticket = view.ticket
    replies = list(_replies_for(request, ticket))
    colleagues = list(staff_selectors.helpdesk_colleagues())
    assignee_key = str(ticket.assignee.public_id) if ticket.assignee else ""
    context = {
        "ticket": ticket,
        "messages_list": view.messages,
        "sla": sla_state(ticket),
        "status_label": STATUS_LABELS[ticket.status],
        "replies": replies,
        "reply_form": reply_form or ReplyForm(replies=replies, auto_id="reply_%s"),
        "note_form": note_form or NoteForm(auto_id="note_%s"),
        "assign_form": AssignForm(
            initial={"assignee": assignee_key}, colleagues=colleagues, auto_id="assign_%s"
        ),
        "status_form": StatusForm(initial={"status": ticket.status}, auto_id="state_%s"),
        "priority_form": PriorityForm(initial={"priority": ticket.priority}, auto_id="priority_%s"),
        "scanner_available": uploads.scanner_available(),
        "closed": ticket.status == Status.CLOSED,
    }
    return render(request, "helpdesk/staff/ticket_detail.html", context, status=status)


@helpdesk_required
@require_GET
def ticket_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _detail(request, public_id)


def _redirect(ticket: Ticket) -> HttpResponse:
    return redirect("helpdesk_staff:ticket_detail", ticket.public_id)


@helpdesk_required
@require_POST
def ticket_reply(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = _ticket(request, public_id)
    replies = list(_replies_for(request, ticket))
    form = ReplyForm(request.POST, request.FILES, replies=replies, auto_id="reply_%s")
    if request.POST.get("action") == "insert":
        # Without JavaScript: the draft comes back with the canned text added, nothing saved.
        form.is_valid()
        canned = form.cleaned_data.get("canned")
        draft = request.POST.get("body", "")
        if canned is not None:
            draft = f"{draft.rstrip()}\n\n{canned.body}".strip() if draft.strip() else canned.body
        initial = {"body": draft, "status": request.POST.get("status", Status.PENDING)}
        return _detail(
            request,
            public_id,
            reply_form=ReplyForm(initial=initial, replies=replies, auto_id="reply_%s"),
        )
    if form.is_valid():
        try:
            staff_services.ticket_reply_by_staff(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
                files=form.cleaned_data.get("files") or (),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your answer was sent to the person."))
            return _redirect(ticket)
    return _detail(request, public_id, reply_form=form, status=400)


@helpdesk_required
@require_POST
def ticket_note(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = _ticket(request, public_id)
    form = NoteForm(request.POST, request.FILES, auto_id="note_%s")
    if form.is_valid():
        try:
            staff_services.ticket_note_add(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data.get("files") or (),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The internal note was added."))
            return _redirect(ticket)
    return _detail(request, public_id, note_form=form, status=400)


def _handling(request, public_id, form, change, *, invalid: str, done: str) -> HttpResponse:
    """One handling change (assign, status, priority): the form's single field goes to the
    service ``change``; a message says what happened; back to the ticket."""
    ticket = _ticket(request, public_id)
    if not form.is_valid():
        messages.error(request, invalid)
    elif change(ticket=ticket, actor=request.user, **form.cleaned_data):
        messages.success(request, done)
    return _redirect(ticket)


@helpdesk_required
@require_POST
def ticket_assign(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    data = request.POST.copy()
    if data.get("to_me"):
        data["assignee"] = str(request.user.public_id)
    form = AssignForm(data, colleagues=list(staff_selectors.helpdesk_colleagues()))
    return _handling(
        request,
        public_id,
        form,
        staff_services.ticket_assign,
        invalid=_("Choose a member of Customer service."),
        done=_("The ticket was assigned."),
    )


@helpdesk_required
@require_POST
def ticket_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _handling(
        request,
        public_id,
        StatusForm(request.POST),
        staff_services.ticket_status_set,
        invalid=_("Choose a status."),
        done=_("The status was changed."),
    )


@helpdesk_required
@require_POST
def ticket_priority(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _handling(
        request,
        public_id,
        PriorityForm(request.POST),
        staff_services.ticket_priority_set,
        invalid=_("Choose a priority."),
        done=_("The priority was changed; the due times follow it."),
    )


@helpdesk_required
@require_GET
def ticket_attachment(
    request: HttpRequest, public_id: uuid.UUID, upload_id: uuid.UUID
) -> HttpResponse:
    upload = staff_selectors.attachment_get_for(
        user=request.user,
        ticket_public_id=public_id,
        upload_public_id=upload_id,
        route=view_route(request),
    )
    if upload is None:
        raise Http404
    # 404 unless scanned clean: a quarantined or infected file is never served.
    return uploads.upload_response(upload=upload)


@helpdesk_required
@require_http_methods(["GET", "POST"])
def ticket_open(request: HttpRequest) -> HttpResponse:
    """A ticket for someone who called or came to the desk (channel "staff console")."""
    form = StaffTicketOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = staff_services.ticket_open_for_caller(
            actor=request.user,
            name=data["name"],
            email=data["email"],
            subject=data["subject"],
            body=data["body"],
            topic=data["topic"],
            language=data["language"],
        )
        messages.success(request, _("The ticket was opened; the person was sent its reference."))
        return _redirect(ticket)
    return render(request, "helpdesk/staff/ticket_open.html", {"form": form})


# -- Canned replies -------------------------------------------------------------------------------


def _canned(request: HttpRequest, public_id: uuid.UUID):
    reply = staff_selectors.canned_reply_get_for(user=request.user, public_id=public_id)
    if reply is None:
        raise Http404
    return reply


@helpdesk_required
@require_GET
def canned_reply_list(request: HttpRequest) -> HttpResponse:
    replies = staff_selectors.canned_reply_list_for(user=request.user)
    return render(request, "helpdesk/staff/canned_reply_list.html", {"replies": replies})


@helpdesk_required
@require_http_methods(["GET", "POST"])
def canned_reply_create(request: HttpRequest) -> HttpResponse:
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        staff_services.canned_reply_create(actor=request.user, **_canned_fields(form.cleaned_data))
        messages.success(request, _("The canned reply was saved."))
        return redirect("helpdesk_staff:canned_reply_list")
    return render(request, "helpdesk/staff/canned_reply_form.html", {"form": form})


@helpdesk_required
@require_http_methods(["GET", "POST"])
def canned_reply_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reply = _canned(request, public_id)
    form = CannedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        staff_services.canned_reply_update(
            reply=reply, actor=request.user, **_canned_fields(form.cleaned_data)
        )
        messages.success(request, _("The canned reply was saved."))
        return redirect("helpdesk_staff:canned_reply_list")
    return render(request, "helpdesk/staff/canned_reply_form.html", {"form": form, "reply": reply})


def _canned_fields(data: dict) -> dict:
    return {name: data[name] for name in ("title", "language", "topic", "body")}


@helpdesk_required
@require_POST
def canned_reply_delete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    reply = _canned(request, public_id)
    staff_services.canned_reply_delete(reply=reply, actor=request.user)
    messages.success(request, _("The canned reply was deleted."))
    return redirect("helpdesk_staff:canned_reply_list")
