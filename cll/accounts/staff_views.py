"""Staff pages of the accounts app: learners, shown field by field as the data map allows.

Who may open them is declared with ``staff_role_required``: the roles that read at least one
personal field of the learner profile in the data map (``LEARNER_PAGE_ROLES``); anyone else gets
403, anonymous visitors the sign-in page. The staff MFA middleware covers these URLs
(``STAFF_MFA_PATH_PREFIXES``). What each role sees, and the audit of every read, is decided in
``staff_selectors``.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cll.accounts import staff_selectors
from cll.core.roles import staff_role_required

LEARNER_PAGE_ROLES = staff_selectors.learner_page_roles()


@staff_role_required(*LEARNER_PAGE_ROLES)
@require_GET
def learner_list(request: HttpRequest) -> HttpResponse:
    email = request.GET.get("email", "").strip()[:254]
    page = staff_selectors.learner_list_for(
        staff=request.user, email=email, page=request.GET.get("page")
    )
    return render(
        request,
        "accounts/staff/learner_list.html",
        {
            "page": page,
            "columns": staff_selectors.learner_list_columns_for(staff=request.user),
            "email": email,
        },
    )


@staff_role_required(*LEARNER_PAGE_ROLES)
@require_GET
def learner_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    learner = staff_selectors.learner_get_for(staff=request.user, public_id=public_id)
    if learner is None:
        raise Http404
    return render(request, "accounts/staff/learner_detail.html", {"learner": learner})
