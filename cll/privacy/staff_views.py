"""Staff pages of the privacy app (Privacy officer and Administrator): the privacy officer's
home, the record of processing activities, the retention dry run and the breach register.

Thin views: ``ropa`` builds the record, ``retention`` runs the pruners dry, the services write
the register (and its audit entries) and e-mail people through the outbox.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.core.roles import acting_role, staff_role_required
from cll.privacy import ropa, selectors, services
from cll.privacy.datamap import Role
from cll.privacy.forms import BreachForm, BreachNoticeForm
from cll.privacy.retention import retention_run

ROLES = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


def _route(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.view_name if match is not None else ""


@staff_role_required(*ROLES)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    breaches = selectors.breach_list_for(staff=request.user)
    open_clocks = [
        (breach, clock)
        for breach in breaches[:50]
        if (clock := selectors.breach_clock(breach)).state in ("running", "overdue")
    ]
    return render(
        request,
        "privacy/home.html",
        {"open_clocks": open_clocks, "breach_count": breaches.count()},
    )


# -- Record of processing activities ------------------------------------------------------------


@staff_role_required(*ROLES)
@require_GET
def ropa_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/ropa.html",
        {
            "controller": ropa.controller(),
            "activities": ropa.activities(),
            "document": ropa.ropa_document(),
        },
    )


def _download_name(extension: str) -> str:
    return f"record-of-processing-{timezone.localdate().isoformat()}.{extension}"


@staff_role_required(*ROLES)
@require_GET
def ropa_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(ropa.ropa_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name("csv")}"'
    return response


@staff_role_required(*ROLES)
@require_GET
def ropa_json(request: HttpRequest) -> HttpResponse:
    body = json.dumps(ropa.ropa_document(), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name("json")}"'
    return response


# -- Retention ----------------------------------------------------------------------------------


@staff_role_required(*ROLES)
@require_GET
def retention_preview(request: HttpRequest) -> HttpResponse:
    """What the next daily run would remove, rule by rule (nothing is changed)."""
    return render(request, "privacy/retention.html", {"runs": retention_run(dry_run=True)})


# -- Breach register ----------------------------------------------------------------------------


def _breach_or_404(request: HttpRequest, public_id: uuid.UUID):
    breach = selectors.breach_get_for(staff=request.user, public_id=public_id)
    if breach is None:
        raise Http404
    return breach


def _form_with_service_error(form, exc: services.BreachError) -> None:
    # The form checks the same rules; this only answers a race with another edit.
    form.add_error(str(exc) if str(exc) in form.fields else None, _("This change was refused."))


@staff_role_required(*ROLES)
@require_GET
def breach_list(request: HttpRequest) -> HttpResponse:
    breaches = selectors.breach_list_for(staff=request.user)
    rows = [(breach, selectors.breach_clock(breach)) for breach in breaches]
    return render(request, "privacy/breach_list.html", {"rows": rows})


@staff_role_required(*ROLES)
@require_http_methods(["GET", "POST"])
def breach_record(request: HttpRequest) -> HttpResponse:
    form = BreachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            breach = services.breach_record(
                actor=request.user,
                role=acting_role(request.user, *ROLES),
                values=form.cleaned_data,
                route=_route(request),
            )
        except services.BreachError as exc:
            _form_with_service_error(form, exc)
        else:
            messages.success(request, _("The breach is recorded in the register."))
            return redirect(breach.get_absolute_url())
    return render(request, "privacy/breach_form.html", {"form": form, "breach": None})


@staff_role_required(*ROLES)
@require_http_methods(["GET", "POST"])
def breach_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    breach = _breach_or_404(request, public_id)
    form = BreachForm(request.POST or None, instance=breach)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.breach_update(
                    actor=request.user,
                    role=acting_role(request.user, *ROLES),
                    breach=breach,
                    values=form.cleaned_data,
                    route=_route(request),
                )
            except services.BreachError as exc:
                _form_with_service_error(form, exc)
            else:
                messages.success(request, _("The breach record is updated."))
                return redirect(breach.get_absolute_url())
        # Nothing was saved: show the stored record beside the form's errors.
        breach.refresh_from_db()
    return render(
        request,
        "privacy/breach_detail.html",
        {
            "breach": breach,
            "clock": selectors.breach_clock(breach),
            "form": form,
            "notices": breach.notices.all(),
            "notified": breach.notifications.count(),
            "notice_form": BreachNoticeForm(),
        },
    )


@staff_role_required(*ROLES)
@require_POST
def breach_notify(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    breach = _breach_or_404(request, public_id)
    form = BreachNoticeForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "privacy/breach_detail.html",
            {
                "breach": breach,
                "clock": selectors.breach_clock(breach),
                "form": BreachForm(instance=breach),
                "notices": breach.notices.all(),
                "notified": breach.notifications.count(),
                "notice_form": form,
            },
            status=400,
        )
    _notice, sent = services.breach_people_notify(
        actor=request.user,
        role=acting_role(request.user, *ROLES),
        breach=breach,
        audience=form.cleaned_data["audience"],
        public_ids=form.cleaned_data["ids"],
        subject=form.cleaned_data["subject"],
        body=form.cleaned_data["body"],
        route=_route(request),
    )
    if sent:
        messages.success(
            request,
            ngettext(
                "%(count)s person will receive the message.",
                "%(count)s people will receive the message.",
                sent,
            )
            % {"count": sent},
        )
    else:
        messages.info(request, _("Everyone selected has already been told about this breach."))
    return redirect(reverse("privacy_staff:breach_detail", args=[breach.public_id]))
