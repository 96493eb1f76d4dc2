"""Views of the rights app: the "my privacy" page and its actions (thin: see services)."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cll.accounts.selectors import child_get_for
from cll.rights import selectors, services
from cll.rights.export import ExportUnreadable, export_dir
from cll.rights.forms import ObjectionForm, RestrictionForm
from cll.rights.models import ExportJob, Objection

_UNAVAILABLE = {
    "used": lambda: _(
        "This export has already been downloaded: each export can be downloaded only once. "
        "Ask for a new one below."
    ),
    "expired": lambda: _("This export has expired and was deleted. Ask for a new one below."),
    "not_ready": lambda: _("This export is not ready yet."),
}


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in person's privacy page: their rights, and the controls to exercise them."""
    return _page(request)


def _page(
    request: HttpRequest, restriction_form: RestrictionForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    job = selectors.export_latest_for(user=user)
    objections = selectors.objections_of(user=user)
    context = {
        "job": job,
        "restriction": selectors.restriction_for(user=user),
        "restriction_form": restriction_form or RestrictionForm(),
        "purposes": [
            {"value": value, "label": label, "objected": value in objections}
            for value, label in Objection.Purpose.choices
        ],
        "refresh": job is not None and job.in_progress,
        "Status": ExportJob.Status,
    }
    return render(request, "rights/privacy.html", context, status=status)


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    job = services.export_start(subject=request.user)
    if job.in_progress:
        messages.success(
            request,
            _("We are preparing your data. This page shows the progress; we will also e-mail you."),
        )
    return redirect("rights:home")


@login_required
@require_POST
def export_download(request: HttpRequest, public_id) -> HttpResponse:
    job = selectors.export_get_for(user=request.user, public_id=public_id)
    try:
        chunks = services.export_download(job=job, actor=request.user)
    except services.ExportUnavailable as exc:
        messages.error(request, _UNAVAILABLE[exc.reason]())
        return redirect("rights:home")
    except (ExportUnreadable, FileNotFoundError):
        messages.error(request, _("This export can no longer be read. Ask for a new one below."))
        return redirect("rights:home")
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=export_file_name(job)
    )
    if job.file_size is not None:
        response["Content-Length"] = str(job.file_size)
    response["Cache-Control"] = "no-store"
    return response


def export_file_name(job: ExportJob) -> str:
    """The download's name, in the language the export was written in, with the day it was
    made on the school's clock (TIME_ZONE, Europe/Brussels), not UTC's."""
    day = timezone.localdate(job.finished_at or job.created_at)
    with translation.override(job.language or translation.get_language()):
        # Translators: the name of the downloaded data export file, without the date; keep it
        # short, lower case, words joined by hyphens.
        name = _("cll-my-data")
    return f"{name}-{day.isoformat()}.zip"


@login_required
@require_POST
def restriction_set(request: HttpRequest) -> HttpResponse:
    form = RestrictionForm(request.POST)
    if not form.is_valid():
        return _page(request, restriction_form=form, status=400)
    services.restriction_set(subject=request.user, reason=form.cleaned_data["reason"])
    messages.success(
        request,
        _("The processing of your data is restricted until you lift the restriction."),
    )
    return redirect("rights:home")


@login_required
@require_POST
def restriction_lift(request: HttpRequest) -> HttpResponse:
    services.restriction_lift(subject=request.user)
    messages.success(request, _("The restriction is lifted: your data is processed normally."))
    return redirect("rights:home")


@login_required
@require_POST
def objection_set(request: HttpRequest) -> HttpResponse:
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        raise Http404
    services.objection_set(subject=request.user, purpose=form.cleaned_data["purpose"])
    messages.success(request, _("Your objection is recorded and applies at once."))
    return redirect("rights:home")


@login_required
@require_POST
def objection_withdraw(request: HttpRequest) -> HttpResponse:
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        raise Http404
    services.objection_withdraw(subject=request.user, purpose=form.cleaned_data["purpose"])
    messages.success(request, _("Your objection is withdrawn."))
    return redirect("rights:home")


@login_required
@require_GET
def child_export(request: HttpRequest, public_id) -> HttpResponse:
    """A guardian downloads everything held about their child (ZIP); anyone else gets 404."""
    child = child_get_for(guardian=request.user, public_id=public_id)
    if child is None:
        raise Http404
    export_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    # Deleted when the response is closed; private to the service's account meanwhile.
    out = tempfile.TemporaryFile(dir=export_dir())  # noqa: SIM115 (FileResponse closes it)
    services.child_export_write(guardian=request.user, child=child, out=out)
    out.seek(0)
    # Translators: the name of a child's downloaded data file, before the date and the child's
    # id; keep it short, lower case, words joined by hyphens.
    name = _("cll-child-data")
    day = timezone.localdate().isoformat()
    response = FileResponse(out, as_attachment=True, filename=f"{name}-{day}-{child.public_id}.zip")
    response["Cache-Control"] = "no-store"
    return response
