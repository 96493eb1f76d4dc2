"""Unsubscribe pages: the link in every campaign's footer and the RFC 8058 one-click endpoint.

Both are opened by the random key of ``Subscriber.unsubscribe_key`` alone (no login, no
cookie; keys never expire). The link's page (GET) only asks: mail scanners and link previews
follow links, so a GET never unsubscribes; its buttons POST (with CSRF) and unsubscribe at once.
The one-click endpoint is what mail clients call for ``List-Unsubscribe-Post``: a POST without
cookies (hence exempt from CSRF, which would need one; the unguessable key is the proof) with
the body ``List-Unsubscribe=One-Click``. Neither page shows the address or any other personal
data, so a forwarded message gives a reader nothing but the power to unsubscribe.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cll.newsletter.unsubscribe import (
    HOW_LINK,
    HOW_ONE_CLICK,
    mailing_list_get_by_slug,
    subscriber_get_by_unsubscribe_key,
)
from cll.newsletter.unsubscribe import (
    unsubscribe as unsubscribe_service,
)

# The buttons of the page: leave the list the message came from, or every list.
SCOPE_LIST = "list"
SCOPE_ALL = "all"


@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, key: str) -> HttpResponse:
    """The footer link: a page with "unsubscribe from <list>" and "from all lists"; POST acts."""
    subscriber = subscriber_get_by_unsubscribe_key(key=key)
    if subscriber is None:
        return render(request, "newsletter/unsubscribe/invalid.html", status=404)
    slug = request.POST.get("list") if request.method == "POST" else request.GET.get("list")
    mailing_list = mailing_list_get_by_slug(slug=slug)
    context = {"key": key, "mailing_list": mailing_list}
    if request.method == "POST":
        scope = request.POST.get("scope")
        if scope not in (SCOPE_LIST, SCOPE_ALL) or (scope == SCOPE_LIST and mailing_list is None):
            context["error"] = _("Please choose one of the two buttons.")
            return render(request, "newsletter/unsubscribe/confirm.html", context, status=400)
        chosen = mailing_list if scope == SCOPE_LIST else None
        unsubscribe_service(subscriber=subscriber, mailing_list=chosen, how=HOW_LINK)
        return render(request, "newsletter/unsubscribe/done.html", {"mailing_list": chosen})
    return render(request, "newsletter/unsubscribe/confirm.html", context)


@csrf_exempt
@never_cache
@require_POST
def unsubscribe_one_click(request: HttpRequest, key: str, list_slug: str) -> HttpResponse:
    """RFC 8058 one-click: ``POST List-Unsubscribe=One-Click`` leaves the list at once."""
    subscriber = subscriber_get_by_unsubscribe_key(key=key)
    mailing_list = mailing_list_get_by_slug(slug=list_slug)
    if subscriber is None or mailing_list is None:
        return _text(_("This unsubscribe link is not valid."), status=404)
    if request.POST.get("List-Unsubscribe") != "One-Click":
        return _text(_("The request must contain List-Unsubscribe=One-Click."), status=400)
    unsubscribe_service(subscriber=subscriber, mailing_list=mailing_list, how=HOW_ONE_CLICK)
    return _text(_("You are unsubscribed: you will not receive this newsletter any more."))


def _text(message: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
