"""Staff pages of the accounts app: learners, shown field by field as the data map allows.

Signed-in staff with a role only (403 otherwise); the staff MFA middleware covers these URLs
(``STAFF_MFA_PATH_PREFIXES``). What each role sees, and the audit of every read, is decided in
``staff_selectors``.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cll.accounts import staff_selectors


def _require_learner_pages(request: HttpRequest) -> None:
    if not staff_selectors.learner_pages_allowed(request.user):
        raise PermissionDenied


@never_cache
@login_required
@require_GET
def learner_list(request: HttpRequest) -> HttpResponse:
    _require_learner_pages(request)
    email = request.GET.get("email", "").strip()[:254]
    page = staff_selectors.learner_list_for(
        staff=request.user, email=email, page=request.GET.get("page")
    )
    return render(
        request,
        "staff/learner_list.html",
        {
            "page": page,
            "columns": staff_selectors.learner_list_columns_for(staff=request.user),
            "email": email,
        },
    )


@never_cache
@login_required
@require_GET
def learner_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    _require_learner_pages(request)
    learner = staff_selectors.learner_get_for(staff=request.user, public_id=public_id)
    if learner is None:
        raise Http404
    return render(request, "staff/learner_detail.html", {"learner": learner})
