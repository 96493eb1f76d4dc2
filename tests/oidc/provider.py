"""A small OpenID Connect provider for the tests, built with django-oauth-toolkit.

Mounted under /o/ by the test URLconf (tests/oidc/urls.py) and served on loopback by the live
server. Test-only: ``oauth2_provider`` is installed by cll/test.py alone.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import authenticate, login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template import Context, Template
from django.utils.http import url_has_allowed_host_and_scheme
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView

LOGIN_PATH = "/o/login/"

# What the provider says about its user (tests read these back on our side).
CLAIMS = {
    "email": "olivia@idp.example",
    "email_verified": True,
    "name": "Olivia Provider",
    "given_name": "Olivia",
    "family_name": "Provider",
    # Sent by the provider, dropped by our adapter (cll/accounts/adapter.py).
    "picture": "http://127.0.0.1/olivia.png",
    "locale": "fr-BE",
}


class ClaimsValidator(OAuth2Validator):
    """Adds the standard claims; django-oauth-toolkit filters them by the granted scopes."""

    def get_additional_claims(self, request):
        return dict(CLAIMS)


class _LoginForm(forms.Form):
    email = forms.EmailField()
    password = forms.CharField()


_LOGIN_PAGE = Template(
    '<!doctype html><title>IdP</title><form method="post">{% csrf_token %}'
    '<input name="email"><input name="password" type="password">'
    '<input type="hidden" name="next" value="{{ next }}"><button>Sign in</button></form>'
)


def provider_login(request: HttpRequest) -> HttpResponse:
    """The provider's own sign-in page (the provider is a separate host: 127.0.0.1)."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        form = _LoginForm(request.POST)
        if form.is_valid():
            user = authenticate(
                request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
            if user is not None:
                login(request, user, backend="cll.accounts.backends.ModelBackend")
                return redirect(next_url)
        return HttpResponse("bad credentials", status=400)
    from django.middleware.csrf import get_token

    get_token(request)
    return HttpResponse(
        _LOGIN_PAGE.render(Context({"next": next_url, "csrf_token": get_token(request)}))
    )


class ProviderAuthorizationView(AuthorizationView):
    login_url = LOGIN_PATH
