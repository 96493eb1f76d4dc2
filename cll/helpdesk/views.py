"""Public pages of the helpdesk: the contact form (which opens a ticket) and the person's
support portal. Thin: a form or a selector, then a service.

The contact page is not served from the page cache (``never_cache``): it carries the form's
signed start time (the minimum fill time) and, for a signed-in person, their name and address;
a cached copy would hand those to the next visitor, or let a robot skip the minimum fill time.
It sets no cookie either (a public page, tests/test_pages): instead of a CSRF token, its POST
must come from a page of this site (``same_origin``: Origin, Sec-Fetch-Site or Referer), like
the footer's newsletter form; a forged cross-site POST is refused before anything is read.
Portal pages are personal: ``Cache-Control: no-store`` (the middleware does it for signed-in
pages; the visitor's secret-link pages say it themselves).
"""

from __future__ import annotations

import re
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.accounts.selectors import profile_get_for
from cll.core.uploads import UploadRejected, upload_response
from cll.courses.models import Session
from cll.courses.selectors import session_get_for, site_list_for
from cll.helpdesk import selectors, services
from cll.helpdesk.forms import ContactForm, ReplyForm
from cll.helpdesk.models import Channel, Status, Ticket, Topic
from cll.lib.clientip import request_client_ip
from cll.lib.urls import same_origin

# What a session's public slug is made of (anything else never reaches the database).
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,96}")


def _session_asked(request: HttpRequest) -> Session | None:
    slug = request.GET.get("session", "")
    if not _SLUG.fullmatch(slug):
        return None
    try:
        return session_get_for(slug=slug)
    except Session.DoesNotExist:
        return None


def _contact_initial(request: HttpRequest, session: Session | None) -> dict:
    initial: dict = {}
    if session is not None:
        initial["session"] = session.slug
        initial["topic"] = Topic.COURSES
        initial["subject"] = session.title
    if request.user.is_authenticated:
        profile = profile_get_for(user=request.user)
        if profile is not None:
            initial["name"] = f"{profile.first_name or ''} {profile.last_name or ''}".strip()
    return initial


def _form_error(form, exc: ValidationError) -> None:
    # A refused file belongs next to the files; the flood limit to the whole form.
    form.add_error("attachments" if isinstance(exc, UploadRejected) else None, exc)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def ticket_open(request: HttpRequest) -> HttpResponse:
    """The contact page: the school's addresses and the form that opens a ticket."""
    if request.method == "POST" and not same_origin(request):
        raise PermissionDenied
    session = _session_asked(request) if request.method == "GET" else None
    form = ContactForm(
        request.POST or None,
        request.FILES or None,
        initial=_contact_initial(request, session),
        user=request.user,
    )
    if form.wants_privacy_form:
        # Privacy questions are requests with a legal deadline: their own form, nothing kept.
        return redirect("dsar:request_new")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opened = services.ticket_open(
                name=data["name"],
                email=data["email"],
                subject=data["subject"],
                body=data["body"],
                topic=data["topic"],
                language=translation.get_language(),
                channel=Channel.FORM,
                account=request.user,
                session=data["session"],
                files=data["attachments"] or (),
                client_ip=request_client_ip(request),
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return redirect("helpdesk:contact_sent", reference=opened.ticket.reference)
    if form.is_bound:
        session = form.cleaned_data.get("session")
    return render(
        request,
        "helpdesk/contact.html",
        {
            "form": form,
            "session": session,
            "sites": list(site_list_for()),
            # Replies to the messages we send go to the general mailbox: show that one.
            "general_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
            "days": services.ANSWER_WORKING_DAYS,
            "retention": services.retention_text(),
        },
    )


@require_GET
def contact_sent(request: HttpRequest, reference: str) -> HttpResponse:
    """The thank-you page: the reference and what happens next. The reference is only
    echoed (the page reveals nothing about the ticket), but it must look like one."""
    if not services.REFERENCE_RE.fullmatch(f"[{reference}]"):
        raise Http404("Not a reference.")
    return render(
        request,
        "helpdesk/contact_sent.html",
        {"reference": reference.upper(), "days": services.ANSWER_WORKING_DAYS},
    )


# -- The portal -----------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = selectors.ticket_list_for(user=request.user)
    return render(request, "helpdesk/ticket_list.html", {"tickets": tickets})


def _ticket_page(request: HttpRequest, ticket: Ticket, *, token: str | None) -> HttpResponse:
    """The conversation and the answer form, for the signed-in owner or the secret link."""
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_reply_by_requester(
                ticket=ticket,
                body=form.cleaned_data["body"],
                channel=Channel.PORTAL,
                files=form.cleaned_data["attachments"] or (),
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return redirect(_ticket_url(ticket, token))
    response = render(
        request,
        "helpdesk/ticket_detail.html",
        {
            "ticket": ticket,
            "messages_shown": selectors.messages_visible_to_requester(ticket),
            "form": form,
            "token": token,
            "page_url": _ticket_url(ticket, token),
            "is_closed": ticket.status == Status.CLOSED,
        },
    )
    add_never_cache_headers(response)
    if token is not None:
        # The secret is in this page's address: no link from it may carry it on (Referer), not
        # even to our own pages, whose logs keep the Referer header.
        response["Referrer-Policy"] = "no-referrer"
    return response


def _ticket_url(ticket: Ticket, token: str | None) -> str:
    if token is None:
        return reverse("helpdesk:ticket_detail", args=[ticket.public_id])
    return reverse("helpdesk:ticket_by_token", args=[ticket.public_id, token])


def _close(request: HttpRequest, ticket: Ticket, *, token: str | None) -> HttpResponse:
    services.ticket_close_by_requester(ticket=ticket)
    return redirect(_ticket_url(ticket, token))


def _attachment(ticket: Ticket, file_id: uuid.UUID) -> HttpResponse:
    # Only files of messages the person can see; upload_response serves CLEAN files only
    # (a quarantined one is a 404), as an attachment with nosniff and a sandboxing CSP.
    upload = selectors.attachment_get_for_requester(ticket=ticket, upload_public_id=file_id)
    response = upload_response(upload=upload)
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = selectors.ticket_get_for(user=request.user, public_id=public_id)
    return _ticket_page(request, ticket, token=None)


@login_required
@require_POST
def ticket_close(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    ticket = selectors.ticket_get_for(user=request.user, public_id=public_id)
    return _close(request, ticket, token=None)


@login_required
@require_GET
def attachment_download(request: HttpRequest, public_id: uuid.UUID, file_id: uuid.UUID):
    ticket = selectors.ticket_get_for(user=request.user, public_id=public_id)
    return _attachment(ticket, file_id)


# The visitor's secret link: the same pages, opened by the token instead of a sign-in.


@require_http_methods(["GET", "POST"])
def ticket_by_token(request: HttpRequest, public_id: uuid.UUID, token: str) -> HttpResponse:
    ticket = selectors.ticket_get_by_token(public_id=public_id, token=token)
    return _ticket_page(request, ticket, token=token)


@require_POST
def ticket_by_token_close(request: HttpRequest, public_id: uuid.UUID, token: str):
    ticket = selectors.ticket_get_by_token(public_id=public_id, token=token)
    return _close(request, ticket, token=token)


@require_GET
def attachment_by_token(request: HttpRequest, public_id: uuid.UUID, token: str, file_id: uuid.UUID):
    ticket = selectors.ticket_get_by_token(public_id=public_id, token=token)
    return _attachment(ticket, file_id)
