"""Staff page of the consent app: the Google tag ids, loaded only for visitors who consent."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cll.consent import services
from cll.consent.forms import TagConfigurationForm
from cll.consent.models import TagConfiguration
from cll.core.roles import Role, acting_role, staff_role_required


@staff_role_required(Role.ADMINISTRATOR, Role.MARKETING)
@require_http_methods(["GET", "HEAD", "POST"])
def tags_edit(request: HttpRequest) -> HttpResponse:
    """Staff: the Google tag ids (loaded only for visitors who consent, never under DNT/GPC)."""
    config = TagConfiguration.objects.filter(pk=1).first() or TagConfiguration(pk=1)
    form = TagConfigurationForm(request.POST or None, instance=config)
    if request.method == "POST" and form.is_valid():
        role = acting_role(request.user, Role.ADMINISTRATOR, Role.MARKETING)
        services.tag_configuration_update(
            actor=request.user,
            role=role,
            values={name: form.cleaned_data[name] for name in form.Meta.fields},
            route="consent_staff:tags_edit",
        )
        return redirect(reverse("consent_staff:tags_edit") + "?saved=1")
    return render(
        request,
        "consent/staff/tags_edit.html",
        {"form": form, "saved": request.GET.get("saved") == "1", "config": config},
    )
