"""Views of the accounts app (allauth serves login, signup, verification and password reset)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from allauth.account.decorators import reauthentication_required
from allauth.account.views import PasswordChangeView, SignupView
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cll.accounts.forms import (
    AccountReactivateForm,
    ChildProfileForm,
    HandoverForm,
    ParentEmailForm,
    ProfileForm,
)
from cll.accounts.models import LearnerProfile
from cll.accounts.selectors import (
    child_get_for,
    profile_get_for,
    profile_history_latest_for,
    profile_page_for,
)
from cll.accounts.services import (
    ChildLimitReached,
    account_deactivate,
    account_reactivate,
    child_account_create,
    child_add,
    child_can_take_over,
    guardianship_handover,
    is_under_consent_age,
    parental_consent_request_create,
    parental_consent_request_get,
    profile_update,
)
from cll.core.texts import text_of
from cll.policies.selectors import policy_version_current


class AtomicSignupView(SignupView):
    """allauth's signup, with the account, its profile and the verification e-mail committed
    together: a failure part-way leaves no account without a profile (nothing half-saved)."""

    def form_valid(self, form):
        if form.account_already_exists:
            # A taken address creates nothing, so no password would be hashed: hash it anyway,
            # so the answer takes as long as for a new address (no timing oracle, ASVS 6.3.8).
            make_password(form.cleaned_data.get("password1"))
        with transaction.atomic():
            return super().form_valid(form)

    def post(self, request, *args, **kwargs):
        # A child under the digital consent age: keep nothing they typed, ask for a parent.
        try:
            birth_date = forms.DateField().clean(request.POST.get("birth_date", ""))
        except forms.ValidationError:
            birth_date = None
        if is_under_consent_age(birth_date) and birth_date <= timezone.localdate():
            return redirect("accounts:parental_consent_start")
        return super().post(request, *args, **kwargs)


signup = AtomicSignupView.as_view()

# allauth asks for the current password in the form; we also ask for a recent sign-in (password
# or second factor, within ACCOUNT_REAUTHENTICATION_TIMEOUT), as for e-mail and MFA changes.
password_change = reauthentication_required(PasswordChangeView.as_view())


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own profile: view and edit, effective at once."""
    form = ProfileForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        profile_update(user=request.user, data=form.profile_data(), actor=request.user)
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts:profile")
    shown = profile_page_for(user=request.user)
    if form is None:
        form = ProfileForm(initial=shown.values or {})
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "history": _history(request.user),
            "social_accounts": _social_accounts(shown.social_accounts),
            "children": _children(shown.children),
        },
    )


def _history(user) -> list[dict]:
    # Field names as the person reads them (translated labels), never values; a field removed
    # since the change was recorded by its name.
    labels = _profile_labels(translation.get_language())
    return [
        {"at": at, "fields": ", ".join([labels.get(name, name) for name in fields])}
        for at, fields in profile_history_latest_for(user)
    ]


@functools.cache
def _profile_labels(language: str | None) -> dict[str, str]:
    # The profile's field labels in the active language (its key): once per language.
    return {
        field.name: text_of(field.verbose_name, language)
        for field in LearnerProfile._meta.get_fields()
        if hasattr(field, "verbose_name")
    }


def _social_accounts(accounts: list) -> list:
    # Linked sign-in providers (allauth.socialaccount), unlinked from /account/3rdparty/.
    linked = []
    for account in accounts:
        try:
            name, shown = account.get_provider().name, str(account.get_provider_account())
        except Exception:  # the provider's keys were removed from the settings since
            name, shown = account.provider, ""
        linked.append({"provider": name, "account": shown})
    return linked


@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest) -> HttpResponse:
    """Switch my account off (reversible): confirmation page, then POST; ends every session."""
    if request.method == "POST":
        account_deactivate(user=request.user)
        logout(request)
        messages.success(
            request,
            _("Your account is deactivated. Sign in on the reactivation page to use it again."),
        )
        return redirect("accounts:reactivate")
    return render(request, "accounts/deactivate.html")


@require_http_methods(["GET", "POST"])
def reactivate(request: HttpRequest) -> HttpResponse:
    """Switch back on an account I deactivated, with its e-mail address and password.

    Sign-in itself (allauth) refuses inactive accounts with its usual answer (no enumeration);
    this page is linked from the sign-in page and from the deactivation message. It is
    rate-limited like failed sign-ins.
    """
    form = AccountReactivateForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        # Reactivated, not signed in: sign-in goes through allauth as usual, so a second
        # factor (mandatory for staff), rate limits and the session list all still apply.
        account_reactivate(user=form.cleaned_data["user"])
        messages.success(request, _("Welcome back: your account is active again. Please sign in."))
        return redirect("account_login")
    return render(request, "accounts/reactivate.html", {"form": form})


def _children(accounts: list) -> list[dict]:
    children = []
    for child in accounts:
        profile = profile_get_for(user=child)
        name = f"{profile.first_name} {profile.last_name}" if profile else ""
        children.append(
            {
                "public_id": child.public_id,
                "name": name,
                "can_take_over": child_can_take_over(child),
            }
        )
    return children


# -- Children and guardians ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def parental_consent_start(request: HttpRequest) -> HttpResponse:
    """A child under the digital consent age gives a parent's e-mail address, nothing else."""
    form = ParentEmailForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        parental_consent_request_create(
            parent_email=form.cleaned_data["parent_email"],
            language=translation.get_language(),
        )
        return render(request, "accounts/parental_consent_sent.html")
    # Throttled (too many requests per connection or per address): nothing saved or sent.
    status = 429 if form.is_bound and form.rate_limited else 200
    return render(request, "accounts/parental_consent_start.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def parental_consent(request: HttpRequest, token: str) -> HttpResponse:
    """The parent follows the e-mailed link, signs in (or registers), and completes the
    child's profile; that creates the child's account with the consent recorded."""
    if parental_consent_request_get(token=token) is None:
        return render(request, "accounts/parental_consent_invalid.html", status=404)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = ChildProfileForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            created = _child_created(
                form,
                lambda data: child_account_create(guardian=request.user, token=token, data=data),
            )
        except ValueError:
            return render(request, "accounts/parental_consent_invalid.html", status=404)
        if created:
            messages.success(request, _("Thank you: your child's account has been created."))
            return redirect("accounts:profile")
    return _child_form_page(request, form)


def _child_created(form: ChildProfileForm, create: Callable[[dict], object]) -> bool:
    # The service refuses a guardian who has as many children as allowed: a form error.
    try:
        create(form.profile_data())
    except ChildLimitReached as refused:
        form.refuse_over_limit(refused.limit)
        return False
    return True


def _child_form_page(request: HttpRequest, form: ChildProfileForm) -> HttpResponse:
    # Throttled (too many children added within the hour): 429, nothing created.
    status = 429 if form.is_bound and form.rate_limited else 200
    return render(
        request,
        "accounts/parental_consent.html",
        {"form": form, "policy_version": policy_version_current("privacy")},
        status=status,
    )


def _child_or_404(request, public_id):
    child = child_get_for(guardian=request.user, public_id=public_id)
    if child is None:
        raise Http404
    return child


@login_required
@require_http_methods(["GET", "POST"])
def child_handover(request: HttpRequest, public_id) -> HttpResponse:
    """The child, once old enough, sets their own e-mail address and password (opened from
    the guardian's session, with the child at the keyboard); the guardian's role ends."""
    child = _child_or_404(request, public_id)
    if not child_can_take_over(child):
        raise Http404
    form = HandoverForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        guardianship_handover(
            guardian=request.user,
            child=child,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        messages.success(
            request,
            _("The account now belongs to the learner, who can sign in with their own address."),
        )
        return redirect("accounts:profile")
    # Over the connection's sign-up limit: 429, the account is not handed over.
    status = 429 if form.is_bound and form.rate_limited else 200
    return render(
        request, "accounts/child_handover.html", {"form": form, "child": child}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def child_add_view(request: HttpRequest) -> HttpResponse:
    """A guardian adds a child learner from their profile, giving their consent."""
    form = ChildProfileForm(request.POST or None, request=request)
    if (
        request.method == "POST"
        and form.is_valid()
        and _child_created(form, lambda data: child_add(guardian=request.user, data=data))
    ):
        messages.success(request, _("Thank you: your child's account has been created."))
        return redirect("accounts:profile")
    return _child_form_page(request, form)
