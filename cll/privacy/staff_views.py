"""Staff pages of the privacy app (Privacy officer and Administrator), templates under
jinja2/privacy/staff/: the privacy officer's home, the record of processing activities and
the retention dry run.

Thin views: ``ropa`` builds the record, ``retention`` runs the pruners dry. The home links the
officer's tools that feature apps serve (the request queue, the breach register) by URL name in
its template only: the kernel imports no feature app.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cll.core.roles import staff_role_required
from cll.privacy import ropa
from cll.privacy.datamap import Role
from cll.privacy.retention import retention_run

ROLES = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


@staff_role_required(*ROLES)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/staff/home.html")


# -- Record of processing activities ------------------------------------------------------------


@staff_role_required(*ROLES)
@require_GET
def ropa_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/staff/ropa.html",
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
    return render(request, "privacy/staff/retention.html", {"runs": retention_run(dry_run=True)})
