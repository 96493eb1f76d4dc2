"""Staff pages require two-factor authentication (issue 3: "Staff pages and Django admin require
MFA").

A staff member who opens a staff page (``settings.STAFF_MFA_PATH_PREFIXES``, the Django admin
today) must have a second factor set up, and the current session must have been authenticated
with it. Otherwise they are sent to set one up, or to confirm it, and come back afterwards. The
check is a middleware so every future staff page under those prefixes is covered without each
view remembering a decorator. Learners are never forced.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _


def session_used_mfa(request: HttpRequest) -> bool:
    """Whether this session was signed in (or re-authenticated) with a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_mfa_redirect(request: HttpRequest) -> HttpResponse | None:
    """The redirect a staff member needs before a staff page, or ``None`` when they may go on.

    Anonymous visitors and non-staff accounts pass through: the page's own permission check
    answers them (the admin sends them to allauth's login, see cll/urls.py).
    """
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return None
    next_query = urlencode({"next": request.get_full_path()})
    if not is_mfa_enabled(user):
        messages.info(request, _("Staff pages require two-factor authentication: set it up first."))
        return HttpResponseRedirect(reverse("mfa_index"))
    if not session_used_mfa(request):
        return HttpResponseRedirect(f"{_mfa_reauthentication_url(user)}?{next_query}")
    return None


def _mfa_reauthentication_url(user) -> str:
    # Authenticator app or recovery code first, else a security key (allauth's own order).
    methods = get_account_adapter().get_reauthentication_methods(user)
    for method in methods:
        if method["id"].startswith("mfa_reauthenticate"):
            return method["url"]
    return reverse("mfa_reauthenticate")


class StaffMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.STAFF_MFA_PATH_PREFIXES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefixes):
            response = staff_mfa_redirect(request)
            if response is not None:
                return response
        return self.get_response(request)


def admin_redirect(request: HttpRequest, rest: str = "") -> HttpResponse:
    """``/admin/...`` -> ``/<language>/admin/...``: the admin lives under the language prefix,
    so it speaks the language of the pages the person came from (issue 11). The language of an
    address without a prefix is the one LocaleMiddleware finds for the visitor (language
    cookie, then the browser's Accept-Language, then French). A temporary redirect: another
    visitor's language may differ."""
    url = reverse("admin:index") + rest  # reversed in the language LocaleMiddleware activated
    query = request.META.get("QUERY_STRING", "")
    response = HttpResponseRedirect(f"{url}?{query}" if query else url)
    if request.method not in ("GET", "HEAD"):
        # A form posted to the old address: its body is read as the admin would read it (the
        # upload size limit answers 400 here too) and it is re-posted to the new one (307).
        request.POST  # noqa: B018
        response.status_code = 307
    return response
