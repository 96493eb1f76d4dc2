"""Public pages of the policies app: the privacy policy and the general terms."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def privacy_policy(request):
    return render(request, "content/pages/privacy_policy.html")


@require_safe
def terms(request):
    return render(request, "content/pages/terms.html")
