"""Public pages of the dsar app: the request form and the verification link.

Neither page says whether an account exists: see ``services`` for the rules.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cll.dsar import services
from cll.dsar.forms import RequestForm
from cll.dsar.services import LinkState
from cll.lib.clientip import request_client_ip


@never_cache
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    initial = {"email": user.email} if user is not None else {}
    if "type" in request.GET:
        initial["type"] = request.GET["type"]
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not services.request_rate_allows(ip=request_client_ip(request), email=data["email"]):
            form.add_error(
                None,
                _("Too many requests in a short time. Please try again later."),
            )
        else:
            created = services.request_submit(
                type=data["type"],
                email=data["email"],
                details=data["details"],
                language=translation.get_language(),
                user=user,
            )
            if created.status == created.Status.OPEN:
                return redirect("dsar:request_received")
            return redirect("dsar:request_sent")
    return render(request, "dsar/request_new.html", {"form": form})


@require_GET
def request_sent(request: HttpRequest) -> HttpResponse:
    # The same page for every address, known or not.
    return render(request, "dsar/request_sent.html")


@never_cache
@require_GET
def request_received(request: HttpRequest) -> HttpResponse:
    return render(request, "dsar/request_received.html")


@never_cache
@require_http_methods(["GET", "POST"])
def request_verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button, POST uses the link: mail scanners that fetch links
    must not confirm a request on the person's behalf."""
    if request.method == "POST":
        check = services.request_verify(token=token)
        if check.state == LinkState.VALID:
            return redirect("dsar:request_received")
    else:
        check = services.request_link_check(token=token)
    if check.state != LinkState.VALID:
        return render(
            request, "dsar/request_link_invalid.html", {"state": str(check.state)}, status=410
        )
    return render(request, "dsar/request_verify.html", {"token": token})
