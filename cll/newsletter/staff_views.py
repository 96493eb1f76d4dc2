"""Staff pages of the newsletter (templates under jinja2/newsletter/staff/), for Marketing
and the Administrator; every view is decorated with ``staff_role_required``.

- Campaigns: write (per-language versions), preview, test send, schedule or send, cancel,
  progress and figures (services in ``campaigns.py``).
- Lists and subscribers: counts, subscribers of a list (audited reads), manual subscription on
  a written agreement with its optional scanned document and the document's (audited)
  download, CSV import and export (services in ``subscribers.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cll.core.csvexport import csv_cell, csv_lines
from cll.core.roles import staff_role_required
from cll.core.uploads import UploadRejected, scanner_available
from cll.lib.urls import view_route
from cll.newsletter import campaigns, subscribers
from cll.newsletter.campaign_forms import CampaignForm, ScheduleForm, TestSendForm
from cll.newsletter.models import Campaign, CampaignStatus, MailingList
from cll.newsletter.subscriber_forms import ImportForm, SubscriberSearchForm, WrittenAgreementForm

# -- Campaigns ---------------------------------------------------------------------------------

campaign_staff_required = staff_role_required(*campaigns.CAMPAIGN_ROLES)

# What the framed preview of a message may do: show its own inline styles and the site's
# images, nothing else (no script, no form, no request to a third party), sandboxed.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


def _campaign(request: HttpRequest, public_id: uuid.UUID) -> Campaign:
    campaign = campaigns.campaign_get_for(user=request.user, public_id=public_id)
    if campaign is None:
        raise Http404
    return campaign


def _form_values(form: CampaignForm) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "lists": data["lists"],
        "segment_language": data["segment_language"],
        "segment_level": data["segment_level"],
        "segment_site": data["segment_site"],
        "versions": form.versions(),
    }


@campaign_staff_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    page = campaigns.campaign_list_for(user=request.user, page=request.GET.get("page"))
    return render(
        request,
        "newsletter/staff/campaign_list.html",
        {"page": page, "campaigns": page.object_list},
    )


@campaign_staff_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_create(**_form_values(form), by=request.user)
        except campaigns.CampaignNotPossible as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The campaign was saved as a draft."))
            return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)
    return render(
        request,
        "newsletter/staff/campaign_form.html",
        {"form": form, "campaign": None},
        status=400 if form.is_bound else 200,
    )


@campaign_staff_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    campaign = _campaign(request, public_id)
    if campaign.status not in campaigns.EDITABLE:
        messages.error(request, _("This campaign can no longer be changed."))
        return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)
    form = CampaignForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_update(campaign=campaign, **_form_values(form), by=request.user)
        except campaigns.CampaignNotPossible as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The campaign was saved."))
            return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)
    return render(
        request,
        "newsletter/staff/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=400 if form.is_bound else 200,
    )


def _detail(
    request: HttpRequest,
    campaign: Campaign,
    *,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    stats = campaigns.campaign_stats(campaign=campaign)
    return render(
        request,
        "newsletter/staff/campaign_detail.html",
        {
            "campaign": campaign,
            "versions": campaigns.campaign_versions(campaign=campaign),
            "stats": stats,
            "editable": campaign.status in campaigns.EDITABLE,
            "sending": campaign.status == CampaignStatus.SENDING,
            "schedule_form": schedule_form or ScheduleForm(),
            "test_form": TestSendForm(),
        },
        status=status,
    )


@campaign_staff_required
@require_GET
def campaign_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _detail(request, _campaign(request, public_id))


def _version_or_404(campaign: Campaign, language: str):
    version = campaigns.campaign_versions(campaign=campaign).get(language)
    if version is None:
        raise Http404
    return version


def _preview_message(campaign: Campaign, language: str):
    version = _version_or_404(campaign, language)
    try:
        return campaigns.campaign_preview_render(campaign=campaign, version=version)
    except campaigns.CampaignNotPossible as error:
        # A campaign always has a list (the form requires one): only a race could get here.
        raise Http404 from error


@campaign_staff_required
@require_GET
def campaign_preview(request: HttpRequest, public_id: uuid.UUID, language: str) -> HttpResponse:
    """The message as a recipient reads it: the HTML part in a sandboxed frame, the text part
    below it."""
    campaign = _campaign(request, public_id)
    message = _preview_message(campaign, language)
    return render(
        request,
        "newsletter/staff/campaign_preview.html",
        {
            "campaign": campaign,
            "language": language,
            "versions": campaigns.campaign_versions(campaign=campaign),
            "message": message,
        },
    )


@campaign_staff_required
@require_GET
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def campaign_preview_message(
    request: HttpRequest, public_id: uuid.UUID, language: str
) -> HttpResponse:
    """The HTML part alone, framed by the preview page, under a policy of its own: the
    message's inline styles apply, no script runs, nothing is fetched from elsewhere."""
    campaign = _campaign(request, public_id)
    message = _preview_message(campaign, language)
    return HttpResponse(message.html, content_type="text/html; charset=utf-8")


@campaign_staff_required
@require_POST
def campaign_test_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    campaign = _campaign(request, public_id)
    form = TestSendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the version to test."))
    else:
        try:
            campaigns.campaign_test_send(
                campaign=campaign,
                language=form.cleaned_data["language"],
                by=request.user,
                route=view_route(request),
            )
        except campaigns.CampaignNotPossible as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("A test was sent to your own address."))
    return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)


@campaign_staff_required
@require_POST
def campaign_schedule(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    campaign = _campaign(request, public_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _detail(request, campaign, schedule_form=form, status=400)
    try:
        campaigns.campaign_schedule(
            campaign=campaign, at=form.cleaned_data["send_at"], by=request.user
        )
    except campaigns.CampaignNotPossible as error:
        form.add_error(None, str(error))
        return _detail(request, campaign, schedule_form=form, status=400)
    messages.success(request, _("The campaign is scheduled."))
    return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)


@campaign_staff_required
@require_POST
def campaign_send(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    campaign = _campaign(request, public_id)
    try:
        campaigns.campaign_send_now(campaign=campaign, by=request.user)
    except campaigns.CampaignNotPossible as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The campaign is being sent."))
    return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)


@campaign_staff_required
@require_POST
def campaign_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    campaign = _campaign(request, public_id)
    try:
        campaigns.campaign_cancel(campaign=campaign, by=request.user)
    except campaigns.CampaignNotPossible as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The campaign was cancelled."))
    return redirect("newsletter_staff:campaign_detail", public_id=campaign.public_id)


# -- Lists and subscribers ---------------------------------------------------------------------

subscribers_required = staff_role_required(*subscribers.SUBSCRIBER_ROLES)


def _list_or_404(request: HttpRequest, slug: str) -> MailingList:
    mailing_list = subscribers.mailing_list_get_for(staff=request.user, slug=slug)
    if mailing_list is None:
        raise Http404
    return mailing_list


@subscribers_required
@require_GET
def list_index(request: HttpRequest) -> HttpResponse:
    lists = subscribers.mailing_list_list_for(staff=request.user)
    return render(request, "newsletter/staff/list_index.html", {"lists": lists})


@subscribers_required
@require_GET
def list_subscribers(request: HttpRequest, slug: str) -> HttpResponse:
    mailing_list = _list_or_404(request, slug)
    form = SubscriberSearchForm(request.GET or None)
    email = form.cleaned_data["email"] if form.is_bound and form.is_valid() else ""
    page = subscribers.subscription_page_for(
        staff=request.user,
        mailing_list=mailing_list,
        page=request.GET.get("page"),
        email=email,
        route=view_route(request),
    )
    return render(
        request,
        "newsletter/staff/list_subscribers.html",
        {
            "mailing_list": mailing_list,
            "form": form,
            "page": page,
            "subscriptions": page,
            "scanner_available": scanner_available(),
        },
    )


@subscribers_required
@require_http_methods(["GET", "POST"])
def subscriber_written(request: HttpRequest) -> HttpResponse:
    form = WrittenAgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = subscribers.subscription_record_written(
                staff=request.user,
                email=data["email"],
                mailing_lists=data["lists"],
                language=data["language"],
                agreement_date=data["agreement_date"],
                agreement_reference=data["agreement_reference"],
                document=data["agreement_document"],
                route=view_route(request),
            )
        except subscribers.SubscriptionRefused as refusal:
            form.add_error(None, str(refusal))
        except UploadRejected as rejection:
            form.add_error("agreement_document", rejection)
        else:
            if made:
                messages.success(
                    request,
                    ngettext(
                        "The subscription to %(count)d list was recorded.",
                        "The subscriptions to %(count)d lists were recorded.",
                        len(made),
                    )
                    % {"count": len(made)},
                )
            else:
                messages.info(request, _("This address was already on these lists."))
            return redirect("newsletter_staff:list_index")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "newsletter/staff/subscriber_written.html",
        {"form": form, "scanner_available": scanner_available()},
        status=status,
    )


@staff_role_required(*subscribers.AGREEMENT_ROLES)
@require_GET
def agreement_document(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The scanned written agreement, as a download (audited; 404 while it is quarantined)."""
    return subscribers.agreement_document_download(
        staff=request.user, public_id=public_id, route=view_route(request)
    )


@subscribers_required
@require_http_methods(["GET", "POST"])
def subscriber_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = subscribers.subscriber_import(
            staff=request.user, data=upload.read(), route=view_route(request)
        )
        if report.ok:
            messages.success(
                request,
                _(
                    "Import done: %(subscribed)s subscriptions recorded, %(already)s already "
                    "there, %(suppressed)s suppressed addresses skipped."
                )
                % {
                    "subscribed": report.subscribed,
                    "already": report.already,
                    "suppressed": report.suppressed,
                },
            )
            return redirect("newsletter_staff:list_index")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "newsletter/staff/subscriber_import.html",
        {"form": form, "report": report},
        status=status,
    )


def _export_lines(rows: Iterator[subscribers.ExportRow]) -> Iterator[str]:
    return csv_lines(
        subscribers.EXPORT_HEADER,
        (
            [
                csv_cell(row.email),
                csv_cell(row.language),
                csv_cell(row.source),
                row.confirmed_at.isoformat() if row.confirmed_at else "",
                csv_cell(row.policy_version),
            ]
            for row in rows
        ),
    )


@subscribers_required
@require_GET
def list_export(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirmed subscribers of a list as CSV, streamed row by row."""
    mailing_list = _list_or_404(request, slug)
    rows = subscribers.subscription_export_for(
        staff=request.user, mailing_list=mailing_list, route=view_route(request)
    )
    response = StreamingHttpResponse(_export_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="subscribers-{mailing_list.slug}.csv"'
    return response
