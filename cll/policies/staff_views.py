"""Staff pages of the policies app: write a draft, preview it, publish it (Privacy officer and
Administrator). Published versions are read-only; their public page is their record."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from cll.core.roles import acting_role, staff_role_required
from cll.policies import selectors, services
from cll.policies.forms import PolicyVersionForm
from cll.policies.models import POLICY_LANGUAGES, PolicyKind, PolicyVersion
from cll.policies.views import TEMPLATES, policy_page_context
from cll.privacy.datamap import Role

POLICY_ROLES = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)


@staff_role_required(*POLICY_ROLES)
@require_safe
def version_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "policies/staff/version_list.html",
        {"versions": selectors.policy_version_list_for_staff()},
    )


def _initial(version: PolicyVersion) -> dict:
    return {
        "kind": version.kind,
        "version": version.version,
        **{f"body_{lang}": version.body(lang) for lang in POLICY_LANGUAGES},
        **{f"changes_{lang}": version.changes(lang) for lang in POLICY_LANGUAGES},
        "material": version.material,
        "affects_existing_processing": version.affects_existing_processing,
        "new_consent_purposes": version.new_consent_purposes,
    }


def _save(request: HttpRequest, draft: PolicyVersion | None) -> HttpResponse:
    """Validate and save the draft; publish it too when that button was pressed."""
    publishing = request.POST.get("action") == "publish"
    form = PolicyVersionForm(request.POST, publishing=publishing, draft=draft)
    if not form.is_valid():
        return render(
            request,
            "policies/staff/version_form.html",
            {"form": form, "draft": draft},
            status=400,
        )
    data = form.cleaned_data
    role = acting_role(request.user, *POLICY_ROLES)
    # Nothing half-saved: the draft's new text and its publication commit together.
    with transaction.atomic():
        draft = services.policy_version_draft_save(
            actor=request.user,
            role=role,
            kind=draft.kind if draft else data["kind"],
            version=data["version"],
            bodies={lang: data[f"body_{lang}"] for lang in POLICY_LANGUAGES},
            changes={lang: data[f"changes_{lang}"] for lang in POLICY_LANGUAGES},
            material=data["material"],
            affects_existing_processing=data["affects_existing_processing"],
            new_consent_purposes=data["new_consent_purposes"],
            draft=draft,
        )
        if publishing:
            services.policy_version_publish(actor=request.user, role=role, version=draft)
    if publishing:
        messages.success(request, _("The version is published."))
        return redirect("policies_staff:version_list")
    messages.success(request, _("The draft is saved."))
    return redirect("policies_staff:version_edit", public_id=draft.public_id)


@staff_role_required(*POLICY_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def version_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    kind = request.GET.get("kind", PolicyKind.PRIVACY)
    if kind not in PolicyKind.values:
        kind = PolicyKind.PRIVACY
    # A new version starts from the current text.
    current = selectors.policy_current(kind)
    initial = {**_initial(current), "version": "", "material": False}
    for lang in POLICY_LANGUAGES:
        initial[f"changes_{lang}"] = ""
    form = PolicyVersionForm(initial={**initial, "new_consent_purposes": []})
    return render(request, "policies/staff/version_form.html", {"form": form, "draft": None})


def _draft_or_404(public_id: uuid.UUID) -> PolicyVersion:
    draft = selectors.policy_draft_get(public_id=public_id)
    if draft is None:
        raise Http404
    return draft


@staff_role_required(*POLICY_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def version_edit(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    draft = _draft_or_404(public_id)
    if draft.is_published:
        # Published versions are never edited: their public page is the record.
        return redirect(draft.get_absolute_url())
    if request.method == "POST":
        return _save(request, draft)
    form = PolicyVersionForm(initial=_initial(draft), draft=draft)
    return render(request, "policies/staff/version_form.html", {"form": form, "draft": draft})


@staff_role_required(*POLICY_ROLES)
@require_safe
def version_preview(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The draft as the public page will show it, in the language asked for."""
    draft = _draft_or_404(public_id)
    language = request.GET.get("language", translation.get_language())
    if language not in POLICY_LANGUAGES:
        language = translation.get_language()
    with translation.override(language):
        context = policy_page_context(draft, preview=True)
        return render(request, TEMPLATES[draft.kind], context)
