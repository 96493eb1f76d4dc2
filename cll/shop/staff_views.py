"""Staff pages of the shop (templates under jinja2/shop/staff/): every view is decorated
with ``staff_role_required`` (cll.core.roles), the roles it opens to.

- Billing and the Administrator: orders (list, detail, refund), invoice and credit-note PDFs,
  the accountant's CSV export;
- a Teacher: the sessions they teach, their rosters and attendance sheets;
- Customer service and the Administrator: who is enrolled in each session.

Thin views: the role and the ownership are checked again by the selectors, which also write
the audit entry of every read of a person's data; every change is a service. State changes
are POST only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.core.csvexport import csv_cell, csv_lines
from cll.core.roles import staff_role_required
from cll.courses.models import Session
from cll.lib.urls import view_route
from cll.shop import attendance, cases, invoices, staff_selectors
from cll.shop.models import DocumentKind, FraudReport, QuoteRequest, RefundStatus
from cll.shop.payments import services as payment_services
from cll.shop.staff_forms import (
    AccountingExportForm,
    AttendanceForm,
    OrderFilterForm,
    RefundForm,
)
from cll.shop.staff_selectors import BILLING_ROLES, ENROLMENT_ROLES, TEACHER_ROLES

billing_required = staff_role_required(*BILLING_ROLES)
teacher_required = staff_role_required(*TEACHER_ROLES)
enrolments_required = staff_role_required(*ENROLMENT_ROLES)


# -- Billing -----------------------------------------------------------------------------------


@billing_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page = staff_selectors.order_list_for(
        staff=request.user,
        status=filters.get("status", ""),
        start=filters.get("start"),
        end=filters.get("end"),
        reference=filters.get("reference", ""),
        page=request.GET.get("page"),
        route=view_route(request),
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "shop/staff/order_list.html",
        {"form": form, "page": page, "orders": page.object_list},
        status=status,
    )


def _order_detail(
    request: HttpRequest, public_id: uuid.UUID, *, refund_forms=None, status: int = 200
) -> HttpResponse:
    detail = staff_selectors.order_get_for(
        staff=request.user, public_id=public_id, route="shop_staff:order_detail"
    )
    if detail is None:
        raise Http404
    refund_forms = refund_forms or {}
    payments = [
        (
            row,
            refund_forms.get(row.payment.public_id)
            or RefundForm(refundable_cents=row.refundable_cents, prefix=str(row.payment.public_id)),
        )
        for row in detail.payments
    ]
    return render(
        request,
        "shop/staff/order_detail.html",
        {"detail": detail, "order": detail.order, "payments": payments},
        status=status,
    )


@billing_required
@require_GET
def order_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _order_detail(request, public_id)


@billing_required
@require_POST
def refund_create(
    request: HttpRequest, public_id: uuid.UUID, payment_id: uuid.UUID
) -> HttpResponse:
    payment = staff_selectors.payment_get_for(
        staff=request.user, order_public_id=public_id, public_id=payment_id
    )
    if payment is None:
        raise Http404
    form = RefundForm(
        request.POST,
        refundable_cents=payment_services.refund_available_cents(payment=payment),
        prefix=str(payment.public_id),
    )
    if not form.is_valid():
        return _order_detail(request, public_id, refund_forms={payment.public_id: form}, status=400)
    try:
        refund = payment_services.refund_create(
            payment=payment,
            amount_cents=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            requested_by=request.user,
        )
    except payment_services.PaymentNotPossible as error:
        # Shown at the top of the page too: the form may no longer be offered (nothing left).
        messages.error(request, str(error))
        form.add_error(None, str(error))
        return _order_detail(request, public_id, refund_forms={payment.public_id: form}, status=400)
    if refund.status == RefundStatus.REFUNDED:
        messages.success(request, _("The refund went through."))
    else:
        messages.info(
            request,
            _(
                "The refund was asked for; the payment provider has not answered yet. It is "
                "asked again automatically until it answers."
            ),
        )
    return redirect("shop_staff:order_detail", public_id=public_id)


@billing_required
@require_GET
def invoice_pdf(request: HttpRequest, public_id: uuid.UUID, number: str) -> HttpResponse:
    invoice = staff_selectors.invoice_get_for(
        staff=request.user, order_public_id=public_id, number=number
    )
    if invoice is None:
        raise Http404
    pdf = invoices.invoice_download(invoice=invoice, actor=request.user, route=view_route(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return response


def _euros(cents: int) -> str:
    # The accountant's tools read a point as the decimal separator, whatever the UI language.
    return f"{cents // 100}.{cents % 100:02d}"


def _accounting_header() -> list[str]:
    return [
        _("Number"),
        _("Kind"),
        _("Date"),
        _("Order reference"),
        _("Total before VAT"),
        _("VAT"),
        _("Total"),
        _("Paid on"),
        _("Payment provider"),
    ]


def _accounting_lines(
    rows: Iterator[staff_selectors.AccountingRow], *, header: list[str], kinds: dict[str, str]
) -> Iterator[str]:
    """The CSV lines; ``header`` and ``kinds`` are translated before streaming starts (the
    server may iterate the response in another thread, after the request's language)."""
    return csv_lines(
        header,
        (
            [
                csv_cell(row.number),
                csv_cell(kinds.get(row.kind, row.kind)),
                row.issued_on.isoformat(),
                csv_cell(row.order_reference),
                _euros(row.subtotal_cents),
                _euros(row.vat_cents),
                _euros(row.total_cents),
                row.paid_on.isoformat() if row.paid_on else "",
                csv_cell(row.provider),
            ]
            for row in rows
        ),
    )


@billing_required
@require_GET
def accounting_export(request: HttpRequest) -> HttpResponse:
    """The form of the period; with a valid period, the invoices and credit notes of that
    period as CSV, streamed row by row (memory stays bounded whatever the period)."""
    if not request.GET:
        return render(
            request, "shop/staff/accounting_export.html", {"form": AccountingExportForm()}
        )
    form = AccountingExportForm(request.GET)
    if not form.is_valid():
        return render(request, "shop/staff/accounting_export.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = staff_selectors.accounting_rows_for(
        staff=request.user, start=start, end=end, route=view_route(request)
    )
    lines = _accounting_lines(
        rows,
        header=_accounting_header(),
        kinds={value: str(label) for value, label in DocumentKind.choices},
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="invoices-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    return response


# -- Billing cases: quote requests and fraud reports ---------------------------------------------

# Each kind of case (the stem of its templates and URL names): its detail selector.
_CASE_GETTERS = {"quote": cases.quote_request_get_for, "fraud": cases.fraud_report_get_for}


def _case_list(request: HttpRequest, kind: str) -> HttpResponse:
    closed = request.GET.get("show") == "closed"
    page = staff_selectors.case_page_for(
        staff=request.user,
        kind=kind,
        closed=closed,
        page=request.GET.get("page"),
        route=view_route(request),
    )
    return render(
        request,
        f"shop/staff/{kind}_list.html",
        {"page": page, "cases": page.object_list, "closed": closed},
    )


def _case(request: HttpRequest, kind: str, public_id: uuid.UUID) -> QuoteRequest | FraudReport:
    case = _CASE_GETTERS[kind](user=request.user, public_id=public_id)
    if case is None:
        raise Http404
    return case


def _case_close(request: HttpRequest, kind: str, public_id: uuid.UUID) -> HttpResponse:
    case = _case(request, kind, public_id)
    if cases.case_close(case=case, by=request.user):
        messages.success(request, _("The case was closed."))
    else:
        messages.info(request, _("The case was already closed."))
    return redirect(f"shop_staff:{kind}_list")


@billing_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    return _case_list(request, "quote")


@billing_required
@require_GET
def quote_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = _case(request, "quote", public_id)
    return render(request, "shop/staff/quote_detail.html", {"case": case})


@billing_required
@require_POST
def quote_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _case_close(request, "quote", public_id)


@billing_required
@require_GET
def fraud_list(request: HttpRequest) -> HttpResponse:
    return _case_list(request, "fraud")


@billing_required
@require_GET
def fraud_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    case = _case(request, "fraud", public_id)
    return render(request, "shop/staff/fraud_detail.html", {"case": case})


@billing_required
@require_POST
def fraud_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _case_close(request, "fraud", public_id)


# -- Teacher -----------------------------------------------------------------------------------


@teacher_required
@require_GET
def class_list(request: HttpRequest) -> HttpResponse:
    sessions = staff_selectors.taught_session_list_for(staff=request.user)
    return render(request, "shop/staff/class_list.html", {"sessions": sessions})


def _taught_session(request: HttpRequest, slug: str) -> Session:
    session = staff_selectors.taught_session_get_for(staff=request.user, slug=slug)
    if session is None:
        raise Http404
    return session


@teacher_required
@require_GET
def class_roster(request: HttpRequest, slug: str) -> HttpResponse:
    session = _taught_session(request, slug)
    learners = staff_selectors.roster_for(
        staff=request.user, session=session, route=view_route(request)
    )
    lessons = staff_selectors.lesson_list_for(staff=request.user, session=session)
    return render(
        request,
        "shop/staff/class_roster.html",
        {"session": session, "learners": learners, "lessons": lessons},
    )


@teacher_required
@require_http_methods(["GET", "POST"])
def class_attendance(request: HttpRequest, slug: str, lesson: str) -> HttpResponse:
    session = _taught_session(request, slug)
    course = staff_selectors.lesson_get_for(staff=request.user, session=session, key=lesson)
    if course is None:
        raise Http404
    route = view_route(request)
    learners = staff_selectors.attendance_sheet_for(staff=request.user, course=course, route=route)
    form = AttendanceForm(request.POST or None, learners=learners)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                marked = attendance.attendance_mark(
                    teacher=request.user,
                    course=course,
                    present=form.cleaned_data["present"],
                    route=route,
                )
            except attendance.AttendanceRefused as error:
                form.add_error(None, str(error))
            else:
                text = ngettext(
                    "Attendance saved for %(count)s learner.",
                    "Attendance saved for %(count)s learners.",
                    marked,
                )
                messages.success(request, text % {"count": marked})
                return redirect("shop_staff:class_roster", slug=session.slug)
        status = 400
    return render(
        request,
        "shop/staff/class_attendance.html",
        {
            "session": session,
            "course": course,
            "lesson_key": lesson,
            "form": form,
            "learners": learners,
        },
        status=status,
    )


# -- Customer service --------------------------------------------------------------------------


@enrolments_required
@require_GET
def enrolment_sessions(request: HttpRequest) -> HttpResponse:
    page = staff_selectors.enrolment_session_list_for(
        staff=request.user, page=request.GET.get("page")
    )
    return render(
        request, "shop/staff/enrolment_sessions.html", {"page": page, "sessions": page.object_list}
    )


@enrolments_required
@require_GET
def enrolment_list(request: HttpRequest, slug: str) -> HttpResponse:
    session = staff_selectors.enrolment_session_get_for(staff=request.user, slug=slug)
    if session is None:
        raise Http404
    learners = staff_selectors.enrolment_list_for(
        staff=request.user, session=session, route=view_route(request)
    )
    return render(
        request, "shop/staff/enrolment_list.html", {"session": session, "learners": learners}
    )
