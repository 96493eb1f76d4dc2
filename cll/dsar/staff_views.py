"""The privacy officer's queue of data-subject requests (Privacy officer and Administrator).

Thin views: the role check is the decorator's and the selector's, every read is audited by the
selector, every action is a service. State changes are POST only.
"""

from __future__ import annotations

import datetime
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.core.roles import staff_role_required
from cll.dsar import selectors, services
from cll.dsar.forms import CompleteForm, ExtendForm, FulfilForm, RejectForm, StaffRequestForm
from cll.dsar.models import DataSubjectRequest
from cll.privacy.datamap import Role

REQUESTS_PER_PAGE = 50

queue_role_required = staff_role_required(Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


@queue_role_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    closed = request.GET.get("show") == "closed"
    rows = selectors.request_list_for(staff=request.user, closed=closed)
    page = Paginator(rows, REQUESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dsar/staff/request_list.html",
        {"page": page, "requests": page.object_list, "closed": closed},
    )


@queue_role_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = StaffRequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        day = data["received_on"]
        # Today's requests keep the time of entry; earlier ones count from the start of that day.
        received_at = (
            timezone.now()
            if day == timezone.localdate()
            else timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        )
        created = services.request_enter(
            actor=request.user,
            type=data["type"],
            email=data["email"],
            details=data["details"],
            language=data["language"],
            channel=data["channel"],
            received_at=received_at,
            identity_verified=data["identity_verified"],
        )
        messages.success(request, _("The request was recorded."))
        return redirect("dsar_staff:request_detail", public_id=created.public_id)
    return render(request, "dsar/staff/request_new.html", {"form": form})


def _get(request: HttpRequest, public_id: uuid.UUID) -> DataSubjectRequest:
    found = selectors.request_get_for(staff=request.user, public_id=public_id)
    if found is None:
        raise Http404
    return found


def _detail(request: HttpRequest, dsr: DataSubjectRequest, **forms) -> HttpResponse:
    context = {
        "dsr": dsr,
        "notices": selectors.notices_of(dsr),
        "today": timezone.localdate(),
        "extend_form": forms.get("extend_form") or ExtendForm(),
        "reject_form": forms.get("reject_form") or RejectForm(),
        "complete_form": forms.get("complete_form") or CompleteForm(),
        "fulfil_form": forms.get("fulfil_form") or FulfilForm(objection=_objection(dsr)),
        "can_extend": dsr.is_open
        and dsr.extended_to is None
        and dsr.due_on is not None
        and timezone.localdate() <= dsr.due_on,
    }
    status = 400 if forms else 200
    return render(request, "dsar/staff/request_detail.html", context, status=status)


@queue_role_required
@require_GET
def request_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _detail(request, _get(request, public_id))


def _objection(dsr: DataSubjectRequest) -> bool:
    return dsr.type == DataSubjectRequest.Type.OBJECTION


def _act(request, public_id, form_class, form_name, action) -> HttpResponse:
    dsr = _get(request, public_id)
    extra = {"objection": _objection(dsr)} if form_class is FulfilForm else {}
    form = form_class(request.POST, **extra)
    if not form.is_valid():
        return _detail(request, dsr, **{form_name: form})
    try:
        action(dsr, form.cleaned_data)
    except services.RequestError as error:
        # Shown at the top of the page too: the form itself may no longer be offered.
        messages.error(request, str(error))
        form.add_error(None, str(error))
        return _detail(request, dsr, **{form_name: form})
    return redirect("dsar_staff:request_detail", public_id=public_id)


@queue_role_required
@require_POST
def request_extend(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(dsr, data):
        services.request_extend(
            request=dsr, actor=request.user, months=data["months"], reason=data["reason"]
        )
        messages.success(request, _("The deadline was extended and the person told why."))

    return _act(request, public_id, ExtendForm, "extend_form", action)


@queue_role_required
@require_POST
def request_reject(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(dsr, data):
        services.request_reject(request=dsr, actor=request.user, reason=data["reason"])
        messages.success(request, _("The request was rejected."))

    return _act(request, public_id, RejectForm, "reject_form", action)


@queue_role_required
@require_POST
def request_complete(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(dsr, data):
        services.request_complete(request=dsr, actor=request.user, note=data["note"])
        messages.success(request, _("The request was closed and the person told."))

    return _act(request, public_id, CompleteForm, "complete_form", action)


@queue_role_required
@require_POST
def request_fulfil(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    def action(dsr, data):
        services.request_fulfil(
            request=dsr, actor=request.user, purpose=data.get("purpose", ""), note=data["note"]
        )
        messages.success(request, _("The request was fulfilled and the person told."))

    return _act(request, public_id, FulfilForm, "fulfil_form", action)


@queue_role_required
@require_POST
def notice_done(request: HttpRequest, public_id: uuid.UUID, recipient: str) -> HttpResponse:
    dsr = _get(request, public_id)
    try:
        services.notice_mark_done(request=dsr, actor=request.user, recipient=recipient)
    except services.RequestError as error:
        messages.error(request, str(error))
    return redirect("dsar_staff:request_detail", public_id=public_id)
