"""Public pages of the policies app: the privacy policy and the general terms (the current
version and every past one), and a signed-in person's answers to a change."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cll.core.pagecache import public_page
from cll.lib.urls import safe_next
from cll.policies import selectors, services
from cll.policies.forms import PolicyAcceptForm, PurposeChoiceForm
from cll.policies.models import PolicyKind, PolicyVersion
from cll.policies.text import policy_markdown_render

TEMPLATES = {
    PolicyKind.PRIVACY: "policies/privacy_policy.html",
    PolicyKind.TERMS: "policies/terms.html",
}


def policy_page_context(version: PolicyVersion, *, preview: bool = False) -> dict:
    """What the policy templates need to show one version (public pages and staff preview)."""
    language = get_language() or settings.LANGUAGE_CODE
    shown_language = language
    body = version.body(language)
    if not body.strip():
        # Not yet translated: the first language that has the text, English first.
        for candidate in ("en", "fr", "nl"):
            if version.body(candidate).strip():
                shown_language, body = candidate, version.body(candidate)
                break
    current = selectors.policy_current(version.kind)
    deadline = selectors.objection_deadline(version)
    is_current = preview is False and (
        version.pk is None or (current.pk is not None and current.pk == version.pk)
    )
    return {
        "version": version,
        "body": policy_markdown_render(body),
        "shown_language": shown_language,
        "translated": shown_language == language,
        "changes": policy_markdown_render(version.changes(language) or version.changes("en")),
        "is_current": is_current,
        "preview": preview,
        "current": current,
        "previous": selectors.policy_version_previous(version) if version.pk else None,
        "versions": selectors.policy_versions_published(version.kind),
        # The objection period, while it is open (cached pages are re-rendered every day).
        "deadline": deadline if deadline and deadline > timezone.now() else None,
        "what_we_collect": (
            selectors.what_we_collect() if version.kind == PolicyKind.PRIVACY else None
        ),
        "authority": {"name": settings.DPA_NAME, "url": settings.DPA_URL},
    }


@require_safe
@public_page
def privacy_policy(request: HttpRequest) -> HttpResponse:
    version = selectors.policy_current(PolicyKind.PRIVACY)
    return render(request, TEMPLATES[PolicyKind.PRIVACY], policy_page_context(version))


@require_safe
@public_page
def terms(request: HttpRequest) -> HttpResponse:
    version = selectors.policy_current(PolicyKind.TERMS)
    return render(request, TEMPLATES[PolicyKind.TERMS], policy_page_context(version))


@require_safe
@public_page
def version_detail(request: HttpRequest, kind: str, version: str) -> HttpResponse:
    """A published version at its own URL, kept for ever."""
    if kind not in PolicyKind.values:
        raise Http404
    found = selectors.policy_version_get(kind=kind, version=version)
    if found is None:
        raise Http404
    return render(request, TEMPLATES[kind], policy_page_context(found))


@login_required
@require_POST
def respond(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """One click on the notice: accept the change (with the purposes ticked) or object."""
    version = PolicyVersion.objects.filter(public_id=public_id, published_at__isnull=False).first()
    if version is None or not version.material:
        raise Http404
    # Back to the page the notice was on (this site only), else the version's own page.
    back = safe_next(request, request.POST.get("next", ""), version.get_absolute_url())
    action = request.POST.get("action")
    if action == "accept":
        form = PolicyAcceptForm(request.POST, version=version)
        if not form.is_valid():
            messages.error(request, _("That choice is not available."))
            return HttpResponseRedirect(back)
        services.policy_accept(
            user=request.user, version=version, purposes=form.cleaned_data["purposes"]
        )
        messages.success(request, _("Thank you: your acceptance of the new version is recorded."))
    elif action == "object":
        services.policy_object(user=request.user, version=version)
        messages.success(
            request,
            _(
                "Your objection is recorded and our privacy team has been told. If you prefer, "
                "you can also close your account."
            ),
        )
    else:
        raise Http404
    return HttpResponseRedirect(back)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def choices(request: HttpRequest) -> HttpResponse:
    """The purposes based on consent that policy changes introduced: opt in or out at any time."""
    purposes = selectors.consent_purposes_for(user=request.user)
    if request.method == "POST":
        form = PurposeChoiceForm(request.POST, keys=[purpose.key for purpose in purposes])
        if form.is_valid():
            services.purpose_consent_set(
                user=request.user,
                purpose=form.cleaned_data["purpose"],
                opted_in=form.cleaned_data["opted_in"],
            )
            messages.success(request, _("Your choice is saved."))
            return redirect("policies:choices")
        messages.error(request, _("That choice is not available."))
    return render(request, "policies/choices.html", {"purposes": purposes})
