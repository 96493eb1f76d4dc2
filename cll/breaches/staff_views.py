"""Staff pages of the breach register (Privacy officer and Administrator), templates under
jinja2/breaches/staff/.

Thin views: the services write the register (and its audit entries) and e-mail people through
the outbox; the selectors read it and tell where each breach stands against the 72 hours.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.breaches import selectors, services
from cll.breaches.forms import BreachForm, BreachNoticeForm
from cll.breaches.models import Breach
from cll.core.roles import Role, acting_role, staff_role_required
from cll.lib.urls import view_route

ROLES = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


def _breach_or_404(request: HttpRequest, public_id: uuid.UUID) -> Breach:
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
    # Breaches whose authority is still to be notified, shown first: the 72 hours run.
    open_clocks = [(breach, clock) for breach, clock in rows if clock.open]
    return render(
        request, "breaches/staff/breach_list.html", {"rows": rows, "open_clocks": open_clocks}
    )


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
                route=view_route(request),
            )
        except services.BreachError as exc:
            _form_with_service_error(form, exc)
        else:
            messages.success(request, _("The breach is recorded in the register."))
            return redirect(breach.get_absolute_url())
    return render(request, "breaches/staff/breach_form.html", {"form": form, "breach": None})


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
                    route=view_route(request),
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
        "breaches/staff/breach_detail.html",
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
            "breaches/staff/breach_detail.html",
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
        route=view_route(request),
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
    return redirect(breach.get_absolute_url())
