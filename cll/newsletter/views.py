"""Public views of the newsletter app: thin (a selector or a service, then a template)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cll.lib.clientip import request_client_ip
from cll.lib.urls import same_origin
from cll.newsletter import selectors, services
from cll.newsletter.forms import ListActionForm, SubscribeForm
from cll.newsletter.models import Source


# The footer's form sits in a cached fragment of every page and carries no CSRF token
# (cll/core/fragments.py): an origin check and a rate limit protect it instead, like "add to
# cart". A forged cross-site POST could at most make a confirmation e-mail be sent.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    """The lists with their descriptions and the subscription form (double opt-in)."""
    objected = request.user.is_authenticated and selectors.marketing_objected(user=request.user)
    lists = selectors.mailing_list_list_for_public()
    if request.method == "POST":
        if not same_origin(request):
            raise PermissionDenied
        form = SubscribeForm(request.POST)
        if form.is_valid():
            outcome = services.subscription_request(
                email=form.cleaned_data["email"],
                lists=form.cleaned_data["lists"],
                language=translation.get_language(),
                source=Source.FORM,
                account=_own_address_account(request, form.cleaned_data["email"]),
                ip=request_client_ip(request),
                request=request,
            )
            if outcome == services.Outcome.LIMITED:
                return render(request, "newsletter/subscribe_limited.html", status=429)
            if outcome == services.Outcome.OBJECTED:
                objected = True
            else:
                return redirect("newsletter:subscribe_sent")
    else:
        form = SubscribeForm(initial=_initial(request))
    return render(
        request,
        "newsletter/subscribe.html",
        {"form": form, "lists": lists, "objected": objected},
    )


def _initial(request: HttpRequest) -> dict:
    # The signed-in person's own address, to save them typing it.
    return {"email": request.user.email} if request.user.is_authenticated else {}


def _own_address_account(request: HttpRequest, email: str):
    # Signed in with that very address: the account is theirs (objection told on the page).
    user = request.user
    if user.is_authenticated and user.email.lower() == email.lower():
        return user
    return None


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    """The same answer for every address: known or not, subscribed or not (no enumeration)."""
    return render(request, "newsletter/subscribe_sent.html")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the lists the link confirms and a button (a mail scanner following the link
    confirms nothing); POST confirms them, once."""
    if request.method == "POST":
        confirmed = services.subscription_confirm(
            token=token, ip=request_client_ip(request), request=request
        )
        if not confirmed:
            return render(request, "newsletter/confirm_invalid.html", status=410)
        return render(request, "newsletter/confirm_done.html", {"subscriptions": confirmed})
    pending = services.subscriptions_pending_for_token(token)
    if not pending:
        return render(request, "newsletter/confirm_invalid.html", status=410)
    return render(request, "newsletter/confirm.html", {"subscriptions": pending})


@login_required
@require_http_methods(["GET", "POST"])
def my_subscriptions(request: HttpRequest) -> HttpResponse:
    """The person's lists: see, join (at once with a verified account address, else by the
    confirmation e-mail), leave (at once, and the address is suppressed for that list)."""
    objected = selectors.marketing_objected(user=request.user)
    if request.method == "POST":
        form = ListActionForm(request.POST)
        mailing_list = form.is_valid() and selectors.mailing_list_get_for(
            user=request.user, slug=form.cleaned_data["list"]
        )
        if not mailing_list:
            messages.error(request, _("This newsletter could not be found."))
        elif form.cleaned_data["action"] == "leave":
            services.subscription_leave(user=request.user, mailing_list=mailing_list)
            messages.success(
                request,
                _("You have left “%(name)s”. You will not receive it any more.")
                % {"name": mailing_list.name},
            )
        else:
            _join(request, mailing_list)
        return redirect("newsletter:my_subscriptions")
    return render(
        request,
        "newsletter/my_subscriptions.html",
        {
            "choices": selectors.subscription_list_for(user=request.user),
            "objected": objected,
            "verified": services.account_address_verified(request.user),
        },
    )


def _join(request: HttpRequest, mailing_list) -> None:
    outcome = services.subscription_join(
        user=request.user,
        mailing_list=mailing_list,
        language=translation.get_language(),
        ip=request_client_ip(request),
        request=request,
    )
    name = {"name": mailing_list.name}
    if outcome == services.Outcome.OBJECTED:
        messages.error(
            request,
            _(
                "You objected to receiving marketing from us: we cannot subscribe you. You can "
                "withdraw your objection on your privacy page."
            ),
        )
    elif outcome == services.Outcome.LIMITED:
        messages.error(request, _("Too many requests. Please try again in an hour."))
    elif outcome in (services.Outcome.CONFIRMED, services.Outcome.NOTHING):
        # NOTHING: it was confirmed already.
        messages.success(request, _("You are now subscribed to “%(name)s”.") % name)
    else:
        messages.success(
            request,
            _(
                "We have sent you an e-mail: follow its link to confirm your subscription to "
                "“%(name)s”."
            )
            % name,
        )
