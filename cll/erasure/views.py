"""Views of the erasure app: deleting one's account now (or a child's), asking for erasure with a
grace period, and cancelling it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cll.accounts.selectors import child_get_for
from cll.erasure.forms import ErasureConfirmForm
from cll.erasure.models import ErasureSchedule
from cll.erasure.selectors import (
    erasure_summary,
    schedule_get_by_token,
    ward_names,
    wards_plan_for,
)
from cll.erasure.services import (
    ErasureError,
    account_delete,
    erasure_cancel_by_token,
    erasure_schedule,
)


def confirmation_context(user) -> dict:
    """What the erasure pages show before the person confirms: what is deleted, anonymised
    and kept (from the data map), and, for a guardian, which children are erased with them."""
    wards = wards_plan_for(guardian=user)
    return {
        "summary": erasure_summary(),
        "wards_erased": ward_names(wards.erased),
        "wards_kept": ward_names(wards.kept),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def erasure_request(request: HttpRequest) -> HttpResponse:
    """Ask for the erasure of my account, carried out after the grace period."""
    context = confirmation_context(request.user)
    form = ErasureConfirmForm(
        request.POST or None, user=request.user, wards_erased=len(context["wards_erased"])
    )
    already = ErasureSchedule.objects.filter(user=request.user).exists()
    if request.method == "POST" and form.is_valid():
        try:
            erasure_schedule(subject=request.user)
        except ErasureError as exc:
            form.add_error(None, str(exc))
        else:
            logout(request)
            return redirect("erasure:scheduled")
    return render(
        request,
        "erasure/request.html",
        {
            **context,
            "form": form,
            "already_scheduled": already,
            "grace_days": settings.ERASURE_GRACE_DAYS,
        },
    )


@require_http_methods(["GET"])
def scheduled(request: HttpRequest) -> HttpResponse:
    """After the request: what happens now and how to change one's mind (same for everyone)."""
    return render(request, "erasure/scheduled.html", {"grace_days": settings.ERASURE_GRACE_DAYS})


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: a page with a button (a GET changes nothing, so mail scanners that
    follow links cannot cancel), then POST cancels and switches the account back on."""
    schedule = schedule_get_by_token(token=token)
    if schedule is None:
        return render(request, "erasure/cancel_invalid.html", status=404)
    if request.method == "POST":
        try:
            erasure_cancel_by_token(token=token)
        except ErasureError:
            return render(request, "erasure/cancel_invalid.html", status=404)
        messages.success(
            request,
            _(
                "The erasure of your account is cancelled and your account is active again. "
                "Please sign in."
            ),
        )
        return redirect("account_login")
    return render(request, "erasure/cancel.html", {"schedule": schedule, "token": token})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request: HttpRequest) -> HttpResponse:
    """Delete my account for good, now: asks for the password, shows what erasure does (from
    the data map) and, to a guardian, which children are erased too (confirmed explicitly)."""

    context = confirmation_context(request.user)
    form = ErasureConfirmForm(
        request.POST or None, user=request.user, wards_erased=len(context["wards_erased"])
    )
    if request.method == "POST" and form.is_valid():
        account_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account and your personal data have been deleted."))
        return redirect("content:home")
    return render(request, "erasure/account_delete.html", {**context, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def child_delete(request: HttpRequest, public_id) -> HttpResponse:
    """Delete one's child's account and data (guardians only; anyone else gets 404)."""
    child = child_get_for(guardian=request.user, public_id=public_id)
    if child is None:
        raise Http404
    if request.method == "POST":
        account_delete(user=child, actor=request.user)
        messages.success(request, _("Your child's account and data have been deleted."))
        return redirect("accounts:profile")

    return render(
        request, "erasure/child_delete.html", {"child": child, "summary": erasure_summary()}
    )
