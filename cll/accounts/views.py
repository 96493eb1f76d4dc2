"""Views of the accounts app (allauth serves login, signup, verification and password reset)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from allauth.account.views import PasswordChangeView, SignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cll.accounts.forms import PROFILE_FIELDS, ProfileForm
from cll.accounts.models import LearnerProfile
from cll.accounts.selectors import profile_get_for, profile_history_for
from cll.accounts.services import profile_update


class AtomicSignupView(SignupView):
    """allauth's signup, with the account, its profile and the verification e-mail committed
    together: a failure part-way leaves no account without a profile (nothing half-saved)."""

    def form_valid(self, form):
        with transaction.atomic():
            return super().form_valid(form)


signup = AtomicSignupView.as_view()

# allauth asks for the current password in the form; we also ask for a recent sign-in (password
# or second factor, within ACCOUNT_REAUTHENTICATION_TIMEOUT), as for e-mail and MFA changes.
password_change = reauthentication_required(PasswordChangeView.as_view())


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own profile: view and edit, effective at once."""
    current = profile_get_for(user=request.user)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            profile_update(user=request.user, data=form.profile_data(), actor=request.user)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    else:
        initial = {name: getattr(current, name) for name in PROFILE_FIELDS} if current else {}
        form = ProfileForm(initial=initial)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "profile": current,
            "history": _history(request.user),
            "social_accounts": _social_accounts(request.user),
        },
    )


def _history(user) -> list[dict]:
    # Field names as the person reads them (translated labels), never values.
    def label(name: str) -> str:
        try:
            return str(LearnerProfile._meta.get_field(name).verbose_name)
        except Exception:
            return name

    return [
        {"at": entry.at, "fields": [label(name) for name in entry.fields]}
        for entry in profile_history_for(user)[:50]
    ]


def _social_accounts(user) -> list:
    # Linked sign-in providers (allauth.socialaccount), unlinked from /account/3rdparty/.
    from allauth.socialaccount.models import SocialAccount

    linked = []
    for account in SocialAccount.objects.filter(user=user).order_by("provider", "pk"):
        try:
            name, shown = account.get_provider().name, str(account.get_provider_account())
        except Exception:  # the provider's keys were removed from the settings since
            name, shown = account.provider, ""
        linked.append({"provider": name, "account": shown})
    return linked
