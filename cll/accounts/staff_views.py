"""Staff pages of the accounts app: the staff home (every staff member's entry point), and
learners, shown field by field as the data map allows.

Who may open them is declared with ``staff_role_required``: the roles that read at least one
personal field of the learner profile in the data map (``LEARNER_PAGE_ROLES``); anyone else gets
403, anonymous visitors the sign-in page. The staff MFA middleware covers these URLs
(``STAFF_MFA_PATH_PREFIXES``). What each role sees, and the audit of every read, is decided in
``staff_selectors``.
"""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cll.accounts import staff_selectors
from cll.accounts.forms import LearnerSearchForm
from cll.accounts.jinja import staff_sections_for
from cll.core.roles import Role, staff_role_required, staff_roles_of

LEARNER_PAGE_ROLES = staff_selectors.learner_page_roles()


@staff_role_required(*Role.STAFF_ROLES)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The staff area's entry point: the sections the person's roles open (the same list as the
    staff menu, read from the views' declared roles), the admin when it has something for them
    (an admin without any model they may use is not offered), and a teacher's sessions."""
    is_teacher = Role.TEACHER in staff_roles_of(request.user)
    admin_url = None
    if admin.site.has_permission(request) and admin.site.get_app_list(request):
        admin_url = reverse("admin:index")
    sessions = []
    if is_teacher:
        # The sessions this person teaches (Session.teacher, related_name "taught_sessions").
        sessions = request.user.taught_sessions.select_related("site").order_by("starts_on")
    return render(
        request,
        "accounts/staff/home.html",
        {
            "sections": staff_sections_for(request),
            "admin_url": admin_url,
            "is_teacher": is_teacher,
            "taught_sessions": sessions,
        },
    )


@staff_role_required(*LEARNER_PAGE_ROLES)
@require_GET
def learner_list(request: HttpRequest) -> HttpResponse:
    search = LearnerSearchForm(request.GET)
    email = search.cleaned_data["email"] if search.is_valid() else ""
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
            "search_errors": search.errors.get("email"),
        },
    )


@staff_role_required(*LEARNER_PAGE_ROLES)
@require_GET
def learner_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    learner = staff_selectors.learner_get_for(staff=request.user, public_id=public_id)
    if learner is None:
        raise Http404
    return render(request, "accounts/staff/learner_detail.html", {"learner": learner})
