"""Public pages of the billing cases (a request for a quote, a report of a fraudulent debit)
and the download of an invoice by its buyer. Thin: a form or a selector, then a service."""

from __future__ import annotations

import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cll.accounts.selectors import profile_get_for
from cll.courses.models import Format, Session
from cll.lib.clientip import request_client_ip
from cll.shop import cases, invoices
from cll.shop.case_forms import FraudReportForm, QuoteRequestForm
from cll.shop.models import QuoteKind

# The sessions a quote can start from, and the kind of quote each format asks for.
_QUOTE_KIND_OF_FORMAT = {Format.COMPANY: QuoteKind.COMPANY, Format.INDIVIDUAL: QuoteKind.INDIVIDUAL}
# What a session's public slug is made of.
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


def _too_many() -> str:
    # The same words as the privacy-request form's limit.
    return _("Too many requests in a short time. Please try again later.")


def _contact_initial(user) -> dict:
    """What a signed-in person need not type again: their name, address and telephone."""
    if not user.is_authenticated:
        return {}
    initial = {"email": user.email}
    profile = profile_get_for(user=user)
    if profile is not None:
        initial["name"] = f"{profile.first_name or ''} {profile.last_name or ''}".strip()
        initial["phone"] = profile.phone or ""
    return initial


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    # Every page of the cases says when we answer and how long we keep what was sent.
    return render(
        request,
        f"shop/cases/{template}.html",
        {"days": cases.ANSWER_WORKING_DAYS, "retention": cases.retention_text(), **context},
    )


def _session_asked(request: HttpRequest) -> Session | None:
    slug = request.GET.get("session", "")
    # Only a well-formed slug is looked up (a stray character must not reach the database).
    if not slug or len(slug) > 96 or not _SLUG.fullmatch(slug):
        return None
    return Session.objects.published().filter(slug=slug).first()


@never_cache
@require_http_methods(["GET", "POST"])
def quote_request(request: HttpRequest) -> HttpResponse:
    initial = _contact_initial(request.user)
    session = _session_asked(request) if request.method == "GET" else None
    if session is not None:
        initial["session"] = session.slug
        if session.format in _QUOTE_KIND_OF_FORMAT:
            initial["kind"] = _QUOTE_KIND_OF_FORMAT[session.format]
    form = QuoteRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not cases.case_rate_allows(
            kind="quote", ip=request_client_ip(request), email=data["email"]
        ):
            form.add_error(None, _too_many())
        else:
            cases.quote_request_submit(
                kind=data["kind"],
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                organisation=data["organisation"],
                message=data["message"],
                session=data["session"],
                language=translation.get_language(),
                user=request.user,
            )
            return redirect("shop:quote_received")
    if form.is_bound:
        # Validated above: the session the request is about, unless it was refused.
        session = form.cleaned_data.get("session")
    return _page(request, "quote_request", form=form, session=session)


@require_GET
def quote_received(request: HttpRequest) -> HttpResponse:
    return _page(request, "quote_received")


@never_cache
@require_http_methods(["GET", "POST"])
def fraud_report(request: HttpRequest) -> HttpResponse:
    initial = _contact_initial(request.user)
    initial.pop("phone", None)
    form = FraudReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not cases.case_rate_allows(
            kind="fraud", ip=request_client_ip(request), email=data["email"]
        ):
            form.add_error(None, _too_many())
        else:
            cases.fraud_report_submit(
                name=data["name"],
                email=data["email"],
                debit_date=data["debit_date"],
                amount_cents=data["amount"],
                statement_text=data["statement_text"],
                details=data["details"],
                language=translation.get_language(),
                user=request.user,
            )
            return redirect("shop:fraud_received")
    return _page(request, "fraud_report", form=form)


@require_GET
def fraud_received(request: HttpRequest) -> HttpResponse:
    return _page(request, "fraud_received")


@login_required
@require_GET
def invoice_download(request: HttpRequest, number: str) -> HttpResponse:
    """The PDF of one of the buyer's invoices or credit notes (404 for anyone else)."""
    invoice = invoices.invoice_get_for(user=request.user, number=number)
    pdf = invoices.invoice_download(
        invoice=invoice, actor=request.user, route="shop:invoice_download"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{invoice.number}.pdf"
    )
    response["Cache-Control"] = "no-store"
    return response
